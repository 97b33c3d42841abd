//! A small, strict JSON reader and writer for the few JSON texts the widget handles itself:
//! the merchant's help-prompt configuration and the prompts' local memory. It exists so the
//! Wasm needs neither serde nor the standard float parser (each costs kilobytes).
//!
//! Strict RFC 8259 syntax, with limits that make hostile input cheap to refuse: at most
//! `MAX_INPUT` bytes and `MAX_DEPTH` levels of nesting. Numbers are read by hand into an
//! `f64`; values with more than 17 significant digits lose precision, which nothing here
//! needs. Object members keep their order and duplicates (the caller decides). Never panics.

/// Longest text accepted (bytes). A prompt config is a few kilobytes.
pub const MAX_INPUT: usize = 256 * 1024;
/// Deepest nesting accepted; the prompt config needs four levels.
pub const MAX_DEPTH: usize = 16;

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    /// Members in document order, duplicates kept.
    Obj(Vec<(String, Json)>),
}

/// Why a text is not JSON: what was wrong and at which byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub at: usize,
    pub what: &'static str,
}

impl Json {
    /// The member called `key` (the first one, if the object repeats it).
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// The type name used in error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Num(_) => "a number",
            Json::Str(_) => "a string",
            Json::Arr(_) => "an array",
            Json::Obj(_) => "an object",
        }
    }
}

/// Parses one JSON value (surrounding whitespace allowed, nothing else after it).
pub fn parse(text: &str) -> Result<Json, SyntaxError> {
    if text.len() > MAX_INPUT {
        return Err(SyntaxError {
            at: MAX_INPUT,
            what: "text is too long",
        });
    }
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i < p.b.len() {
        return Err(p.err("unexpected text after the value"));
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> SyntaxError {
        SyntaxError { at: self.i, what }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, word: &[u8]) -> bool {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, SyntaxError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.ws();
        match self.peek() {
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(members));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.err("expected a member name in double quotes"));
                    }
                    let key = self.string()?;
                    self.ws();
                    if !self.eat(b":") {
                        return Err(self.err("expected ':' after a member name"));
                    }
                    let v = self.value(depth + 1)?;
                    members.push((key, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(members));
                        }
                        _ => return Err(self.err("expected ',' or '}' in an object")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(self.err("expected ',' or ']' in an array")),
                    }
                }
            }
            Some(b'"') => self.string().map(Json::Str),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Num),
            _ if self.eat(b"true") => Ok(Json::Bool(true)),
            _ if self.eat(b"false") => Ok(Json::Bool(false)),
            _ if self.eat(b"null") => Ok(Json::Null),
            None => Err(self.err("unexpected end of text")),
            _ => Err(self.err("expected a JSON value")),
        }
    }

    /// A string; `self.i` is at the opening quote.
    fn string(&mut self) -> Result<String, SyntaxError> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.err("unterminated string"));
                    };
                    self.i += 1;
                    let plain = match e {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let c = self.unicode()?;
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                            continue;
                        }
                        _ => return Err(self.err("invalid escape in a string")),
                    };
                    out.push(plain);
                }
                0..=0x1f => return Err(self.err("control character in a string")),
                _ => out.push(c),
            }
        }
        // The input is a &str and escapes add whole characters, so this cannot fail.
        String::from_utf8(out).map_err(|_| self.err("invalid UTF-8"))
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("expected four hex digits after \\u")),
            };
            self.i += 1;
            v = v * 16 + d as u32;
        }
        Ok(v)
    }

    /// The character of a `\u` escape (after the `u`), joining surrogate pairs.
    fn unicode(&mut self) -> Result<char, SyntaxError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !self.eat(b"\\u") {
                return Err(self.err("unpaired surrogate in a string"));
            }
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.err("unpaired surrogate in a string"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.err("unpaired surrogate in a string"))
    }

    fn digits(&mut self, mantissa: &mut u64, scale: &mut i32, fraction: bool) -> usize {
        let mut n = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            self.i += 1;
            n += 1;
            // Keep 18 significant digits; later ones only move the decimal point.
            if *mantissa < 100_000_000_000_000_000 {
                *mantissa = *mantissa * 10 + (c - b'0') as u64;
                if fraction {
                    *scale -= 1;
                }
            } else if !fraction {
                *scale += 1;
            }
        }
        n
    }

    fn number(&mut self) -> Result<f64, SyntaxError> {
        let negative = self.eat(b"-");
        let mut mantissa = 0u64;
        let mut scale = 0i32;
        if self.peek() == Some(b'0') {
            self.i += 1;
            if let Some(b'0'..=b'9') = self.peek() {
                return Err(self.err("leading zero in a number"));
            }
        } else if self.digits(&mut mantissa, &mut scale, false) == 0 {
            return Err(self.err("expected digits in a number"));
        }
        if self.eat(b".") && self.digits(&mut mantissa, &mut scale, true) == 0 {
            return Err(self.err("expected digits after '.' in a number"));
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            let minus = self.eat(b"-");
            if !minus {
                self.eat(b"+");
            }
            let mut exp = 0i32;
            let mut any = false;
            while let Some(c @ b'0'..=b'9') = self.peek() {
                self.i += 1;
                any = true;
                exp = (exp * 10 + (c - b'0') as i32).min(10_000);
            }
            if !any {
                return Err(self.err("expected digits in an exponent"));
            }
            scale += if minus { -exp } else { exp };
        }
        let mut v = mantissa as f64;
        // Repeated multiplication: a few ulps off at worst, which config values don't mind.
        let mut s = scale.clamp(-400, 400);
        while s > 0 {
            v *= 10.0;
            s -= 1;
        }
        while s < 0 {
            v /= 10.0;
            s += 1;
        }
        Ok(if negative { -v } else { v })
    }
}

/// Appends `s` as a JSON string literal.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(hex_digit(c as u32 >> 4));
                out.push(hex_digit(c as u32 & 15));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn hex_digit(d: u32) -> char {
    b"0123456789abcdef"[(d & 15) as usize] as char
}

/// Appends a non-negative whole number (negative and non-finite values write 0; the
/// fraction is dropped). Enough for counts and millisecond timestamps.
pub fn write_uint(out: &mut String, v: f64) {
    let mut n = if v.is_finite() && v > 0.0 {
        v as u64
    } else {
        0
    };
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(pairs: &[(&str, Json)]) -> Json {
        Json::Obj(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn values() {
        assert_eq!(parse(" null ").unwrap(), Json::Null);
        assert_eq!(parse("true").unwrap(), Json::Bool(true));
        assert_eq!(parse("false").unwrap(), Json::Bool(false));
        assert_eq!(parse("[]").unwrap(), Json::Arr(vec![]));
        assert_eq!(parse("{}").unwrap(), Json::Obj(vec![]));
        assert_eq!(
            parse(r#"{"a": [1, "x", {"b": null}], "a": 2}"#).unwrap(),
            obj(&[
                (
                    "a",
                    Json::Arr(vec![
                        Json::Num(1.0),
                        Json::Str("x".into()),
                        obj(&[("b", Json::Null)])
                    ])
                ),
                ("a", Json::Num(2.0)),
            ])
        );
        assert_eq!(
            parse(r#"{"a":1,"a":2}"#).unwrap().get("a"),
            Some(&Json::Num(1.0))
        );
    }

    #[test]
    fn numbers() {
        for (text, want) in [
            ("0", 0.0),
            ("-0", 0.0),
            ("45", 45.0),
            ("-12.5", -12.5),
            ("0.25", 0.25),
            ("1e3", 1000.0),
            ("2.5E-2", 0.025),
            ("1E+2", 100.0),
            ("86400000", 86_400_000.0),
            ("1732590000000", 1_732_590_000_000.0),
            ("123456789012345678901234", 1.2345678901234568e23),
        ] {
            let got = parse(text).unwrap().as_f64().unwrap();
            assert!(
                (got - want).abs() <= want.abs() * 1e-12,
                "{text}: {got} != {want}"
            );
        }
        assert_eq!(parse("1e999999").unwrap().as_f64(), Some(f64::INFINITY));
        for bad in [
            "01", "-", "1.", ".5", "1e", "+1", "1e+", "--1", "0x10", "NaN", "Infinity",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn strings() {
        assert_eq!(
            parse(r#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#).unwrap(),
            Json::Str("a\"b\\c/d\n\té😀".into())
        );
        assert_eq!(parse("\"crème\"").unwrap(), Json::Str("crème".into()));
        for bad in [
            "\"abc",
            "\"a\\x\"",
            "\"\\u12\"",
            "\"\\ud83d\"",
            "\"\\ud83d\\u0041\"",
            "\"\\udc00\"",
            "\"tab\there\"",
            "'single'",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = parse(r#"{"a": 1,}"#).unwrap_err();
        assert_eq!(e.at, 8);
        assert_eq!(e.what, "expected a member name in double quotes");
        assert_eq!(
            parse("[1 2]").unwrap_err().what,
            "expected ',' or ']' in an array"
        );
        assert_eq!(
            parse("{} x").unwrap_err().what,
            "unexpected text after the value"
        );
        assert_eq!(parse("").unwrap_err().what, "unexpected end of text");
        assert_eq!(
            parse("{\"a\" 1}").unwrap_err().what,
            "expected ':' after a member name"
        );
        assert!(parse("[1,]").is_err());
        assert!(parse("tru").is_err());
    }

    #[test]
    fn limits_hold_without_recursion_trouble() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep).unwrap_err().what, "nested too deeply");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(parse(&ok).is_ok());
        let long = format!("\"{}\"", "a".repeat(MAX_INPUT));
        assert_eq!(parse(&long).unwrap_err().what, "text is too long");
    }

    #[test]
    fn writer_round_trips() {
        let nasty = "q\"b\\s\n\r\t\u{1}\u{1f}é😀</script>";
        let mut out = String::new();
        write_str(&mut out, nasty);
        assert_eq!(out, r#""q\"b\\s\n\r\t\u0001\u001fé😀</script>""#);
        assert_eq!(parse(&out).unwrap(), Json::Str(nasty.into()));
        let mut n = String::new();
        for v in [0.0, 7.0, 1_732_590_000_123.9, -5.0, f64::NAN] {
            write_uint(&mut n, v);
            n.push(' ');
        }
        assert_eq!(n, "0 7 1732590000123 0 0 ");
    }
}
