//! A small JavaScript lexer for the audit: enough to tell code from strings, comments,
//! template text and regular expressions, with line numbers, so the audit matches API names
//! only where they are code. It is not a parser; the audit's rules work on token sequences.
//!
//! Hostile or broken input never panics: an unterminated string or comment ends at the end
//! of the file, and unknown characters become one-character punctuation.

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    Ident(String),
    /// Operators and brackets; multi-character operators are one token (`===`, `=>`, `?.`).
    Punct(&'static str),
    /// A string literal's value (escapes decoded as far as the audit needs).
    Str(String),
    /// The literal text of a template (one token per chunk between substitutions).
    Template(String),
    Num,
    Regex,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub line: u32,
}

impl Token {
    pub fn ident(&self) -> Option<&str> {
        match &self.tok {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }
    pub fn is(&self, p: &str) -> bool {
        matches!(&self.tok, Tok::Punct(q) if *q == p)
    }
    pub fn is_ident(&self, name: &str) -> bool {
        self.ident() == Some(name)
    }
    pub fn string(&self) -> Option<&str> {
        match &self.tok {
            Tok::Str(s) => Some(s),
            // A template without substitutions is as literal as a string.
            Tok::Template(s) => Some(s),
            _ => None,
        }
    }
}

// Longest first, so `>>>=` wins over `>>>` over `>>` over `>`.
const PUNCT: &[&str] = &[
    ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=", "=>", "==", "!=",
    "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
    "**", "<<", ">>", "{", "}", "(", ")", "[", "]", ";", ",", "<", ">", "+", "-", "*", "/", "%",
    "&", "|", "^", "!", "~", "?", ":", "=", ".", "@", "#",
];

/// Keywords after which a `/` starts a regular expression rather than a division.
const REGEX_AFTER: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
];

pub fn lex(src: &str) -> Vec<Token> {
    let b: Vec<char> = src.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    // One entry per open `{`: true when it opened a template substitution `${`.
    let mut braces: Vec<bool> = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && b.get(i + 1) == Some(&'/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                if b[i] == '\n' {
                    line += 1;
                }
                i += 1;
            }
            i = (i + 2).min(b.len());
            continue;
        }
        let start_line = line;
        if c == '"' || c == '\'' {
            let (s, next, nl) = string(&b, i + 1, c);
            out.push(Token {
                tok: Tok::Str(s),
                line: start_line,
            });
            line += nl;
            i = next;
            continue;
        }
        if c == '`' || (c == '}' && braces.last() == Some(&true)) {
            if c == '}' {
                braces.pop();
            }
            let (s, next, nl, subst) = template(&b, i + 1);
            out.push(Token {
                tok: Tok::Template(s),
                line: start_line,
            });
            line += nl;
            i = next;
            if subst {
                braces.push(true);
            }
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == '.' || b[i] == '_') {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Num,
                line: start_line,
            });
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' || c == '\\' {
            let s = i;
            while i < b.len()
                && (b[i].is_alphanumeric() || b[i] == '_' || b[i] == '$' || b[i] == '\\')
            {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(b[s..i].iter().collect()),
                line: start_line,
            });
            continue;
        }
        if c == '/' && regex_allowed(out.last()) {
            i += 1;
            let mut in_class = false;
            while i < b.len() && b[i] != '\n' {
                match b[i] {
                    '\\' => i += 1,
                    '[' => in_class = true,
                    ']' => in_class = false,
                    '/' if !in_class => break,
                    _ => {}
                }
                i += 1;
            }
            i += 1;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Regex,
                line: start_line,
            });
            continue;
        }
        let rest: String = b[i..(i + 4).min(b.len())].iter().collect();
        let p = PUNCT
            .iter()
            .find(|p| rest.starts_with(**p))
            .copied()
            .unwrap_or("?");
        if p == "{" {
            braces.push(false);
        } else if p == "}" {
            braces.pop();
        }
        out.push(Token {
            tok: Tok::Punct(p),
            line: start_line,
        });
        i += p.chars().count().max(1);
    }
    out
}

fn regex_allowed(prev: Option<&Token>) -> bool {
    match prev.map(|t| &t.tok) {
        None => true,
        Some(Tok::Punct(p)) => !matches!(*p, ")" | "]"),
        Some(Tok::Ident(k)) => REGEX_AFTER.contains(&k.as_str()),
        Some(_) => false,
    }
}

/// A quoted string from `i` (after the quote): (value, index after it, newlines inside).
fn string(b: &[char], mut i: usize, quote: char) -> (String, usize, u32) {
    let mut s = String::new();
    let mut nl = 0;
    while i < b.len() && b[i] != quote {
        if b[i] == '\n' {
            // An unterminated string: stop at the line end, as a JS engine would refuse it.
            return (s, i, nl);
        }
        if b[i] == '\\' {
            i += 1;
            match b.get(i) {
                Some('n') => s.push('\n'),
                Some('t') => s.push('\t'),
                Some('x') => {
                    let hex: String = b
                        .get(i + 1..i + 3)
                        .map(|h| h.iter().collect())
                        .unwrap_or_default();
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        s.push(ch);
                        i += 2;
                    }
                }
                Some('u') => {
                    let hex: String = b
                        .get(i + 1..i + 5)
                        .map(|h| h.iter().collect())
                        .unwrap_or_default();
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        s.push(ch);
                        i += 4;
                    }
                }
                Some('\n') => nl += 1,
                Some(&c) => s.push(c),
                None => {}
            }
            i += 1;
            continue;
        }
        s.push(b[i]);
        i += 1;
    }
    (s, (i + 1).min(b.len()), nl)
}

/// Template text from `i` up to the closing backtick or a `${`:
/// (text, index after it, newlines, whether a substitution follows).
fn template(b: &[char], mut i: usize) -> (String, usize, u32, bool) {
    let mut s = String::new();
    let mut nl = 0;
    while i < b.len() {
        match b[i] {
            '`' => return (s, i + 1, nl, false),
            '$' if b.get(i + 1) == Some(&'{') => return (s, i + 2, nl, true),
            '\\' => {
                if let Some(&c) = b.get(i + 1) {
                    s.push(c);
                }
                i += 2;
                continue;
            }
            '\n' => {
                nl += 1;
                s.push('\n');
            }
            c => s.push(c),
        }
        i += 1;
    }
    (s, i, nl, false)
}

/// Index of the token closing the bracket opened at `open` (`(`, `[` or `{`), or the last
/// token when the file ends first.
pub fn matching(toks: &[Token], open: usize) -> usize {
    let mut depth = 0i32;
    for (k, t) in toks.iter().enumerate().skip(open) {
        if let Tok::Punct(p) = t.tok {
            match p {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => {
                    depth -= 1;
                    if depth == 0 {
                        return k;
                    }
                }
                _ => {}
            }
        }
    }
    toks.len().saturating_sub(1)
}

/// The arguments of a call whose `(` is at `open`: token ranges split at top-level commas.
pub fn call_args(toks: &[Token], open: usize) -> Vec<std::ops::Range<usize>> {
    let close = matching(toks, open);
    let mut args = Vec::new();
    let mut start = open + 1;
    let mut depth = 0i32;
    for (k, t) in toks.iter().enumerate().take(close).skip(open + 1) {
        if let Tok::Punct(p) = t.tok {
            match p {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => depth -= 1,
                "," if depth == 0 => {
                    args.push(start..k);
                    start = k + 1;
                }
                _ => {}
            }
        }
    }
    if start < close {
        args.push(start..close);
    }
    args
}

/// A function in the file: its name (when it has one), its parameters (the first name
/// of each; `None` for a destructured one) and its body's token range.
#[derive(Clone, Debug)]
pub struct Func {
    pub name: Option<String>,
    pub params: Vec<Option<String>>,
    pub body: std::ops::Range<usize>,
}

/// Every function, method and arrow function the token stream declares.
pub fn functions(toks: &[Token]) -> Vec<Func> {
    let mut out = Vec::new();
    for k in 0..toks.len() {
        // `(params) {` or `(params) => …`
        if toks[k].is("(") {
            let close = matching(toks, k);
            let after = toks.get(close + 1);
            let arrow = after.is_some_and(|t| t.is("=>"));
            let block = after.is_some_and(|t| t.is("{"));
            if !(arrow || block) {
                continue;
            }
            let before = if k > 0 { toks.get(k - 1) } else { None };
            // A block after `)` is a function only after `function`, `function NAME` or a
            // method name; `if (…) {`, `for (…) {`, `while (…) {` are not.
            let name = match before.and_then(|t| t.ident()) {
                Some("if" | "for" | "while" | "switch" | "catch" | "with") => continue,
                Some("function") => binding_name(toks, k - 1),
                Some(n) if block => {
                    if k >= 2 && toks[k - 2].is_ident("function") {
                        Some(n.to_string())
                    } else if k >= 2 && (toks[k - 2].is(".") || toks[k - 2].is("?.")) {
                        continue; // a call followed by a block: `x.then(…) {` cannot happen
                    } else {
                        Some(n.to_string()) // a method `name(…) {`
                    }
                }
                Some(_) => continue,
                None if arrow => binding_name(toks, k),
                None => continue,
            };
            if block && before.is_none_or(|t| t.ident().is_none()) {
                continue;
            }
            let params = params(toks, k, close);
            let body = if block {
                close + 1..matching(toks, close + 1) + 1
            } else {
                close + 2..expr_end(toks, close + 2)
            };
            out.push(Func { name, params, body });
        } else if toks[k].ident().is_some() && toks.get(k + 1).is_some_and(|t| t.is("=>")) {
            // `p => …`
            let params = vec![toks[k].ident().map(String::from)];
            let body = if toks.get(k + 2).is_some_and(|t| t.is("{")) {
                k + 2..matching(toks, k + 2) + 1
            } else {
                k + 2..expr_end(toks, k + 2)
            };
            out.push(Func {
                name: binding_name(toks, k),
                params,
                body,
            });
        }
    }
    out
}

/// `const NAME = (…) =>`, `NAME = function`, `NAME: (…) =>`, `function NAME(`: the NAME
/// for the function whose first token is at `at`.
fn binding_name(toks: &[Token], at: usize) -> Option<String> {
    if toks[at].is_ident("function") {
        if let Some(n) = toks.get(at + 1).and_then(|t| t.ident()) {
            return Some(n.to_string());
        }
    }
    let mut j = at;
    if j >= 1 && toks[j - 1].is_ident("async") {
        j -= 1;
    }
    if j >= 2 && (toks[j - 1].is("=") || toks[j - 1].is(":")) {
        return toks[j - 2].ident().map(String::from);
    }
    None
}

fn params(toks: &[Token], open: usize, close: usize) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut first = true;
    for t in &toks[open + 1..close] {
        match t.tok {
            Tok::Punct("(" | "[" | "{") => {
                if depth == 0 && first {
                    out.push(None);
                    first = false;
                }
                depth += 1;
            }
            Tok::Punct(")" | "]" | "}") => depth -= 1,
            Tok::Punct(",") if depth == 0 => {
                if first {
                    out.push(None);
                }
                first = true;
            }
            Tok::Ident(ref n) if depth == 0 && first => {
                out.push(Some(n.clone()));
                first = false;
            }
            _ => {}
        }
    }
    out
}

/// End (exclusive) of an expression body starting at `start`: the first `;`, or `,`/`)`/`]`
/// /`}` that closes a bracket opened before it.
pub fn expr_end(toks: &[Token], start: usize) -> usize {
    let mut depth = 0i32;
    let mut k = start;
    while k < toks.len() {
        match toks[k].tok {
            Tok::Punct("(" | "[" | "{") => depth += 1,
            Tok::Punct(")" | "]" | "}") => {
                if depth == 0 {
                    return k;
                }
                depth -= 1;
            }
            Tok::Punct(";") if depth == 0 => return k,
            Tok::Punct(",") if depth == 0 => return k,
            _ => {}
        }
        k += 1;
    }
    k
}

/// Source-like text of a token range, for messages and simple pattern checks.
pub fn text(toks: &[Token]) -> String {
    let mut s = String::new();
    for t in toks {
        match &t.tok {
            Tok::Ident(x) => {
                if s.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
                    s.push(' ');
                }
                s.push_str(x);
            }
            Tok::Punct(p) => s.push_str(p),
            Tok::Str(x) => {
                s.push('\'');
                s.push_str(x);
                s.push('\'');
            }
            Tok::Template(x) => {
                s.push('`');
                s.push_str(x);
                s.push('`');
            }
            Tok::Num => s.push('0'),
            Tok::Regex => s.push_str("/…/"),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(src: &str) -> Vec<String> {
        lex(src)
            .into_iter()
            .filter_map(|t| t.ident().map(String::from))
            .collect()
    }

    #[test]
    fn strings_comments_and_regexes_hide_names() {
        let src = "a('fetch'); // fetch\n/* XMLHttpRequest */ b(/fetch\\//g); c = 4 / fetchy / 2;";
        assert_eq!(idents(src), ["a", "b", "c", "fetchy"]);
        let toks = lex(src);
        assert_eq!(toks.iter().filter(|t| t.tok == Tok::Regex).count(), 1);
        assert_eq!(toks.iter().find_map(|t| t.string()), Some("fetch"));
    }

    #[test]
    fn templates_lex_their_substitutions_as_code() {
        let toks = lex("x = `a ${fetch(`u${b}`)} c`; y");
        let names: Vec<_> = toks.iter().filter_map(|t| t.ident()).collect();
        assert_eq!(names, ["x", "fetch", "b", "y"]);
        let chunks: Vec<_> = toks
            .iter()
            .filter_map(|t| match &t.tok {
                Tok::Template(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(chunks, ["a ", "u", "", " c"]);
    }

    #[test]
    fn lines_are_counted_through_comments_and_templates() {
        let toks = lex("a\n/* 1\n2 */ b `x\ny` c\n'd'");
        let lines: Vec<u32> = toks.iter().map(|t| t.line).collect();
        assert_eq!(lines, [1, 3, 3, 4, 5]);
    }

    #[test]
    fn escapes_are_decoded() {
        let toks = lex(r#"'\x66etch' "\u0066" 'a\'b'"#);
        let s: Vec<_> = toks.iter().filter_map(|t| t.string()).collect();
        assert_eq!(s, ["fetch", "f", "a'b"]);
    }

    #[test]
    fn operators_are_whole() {
        let toks = lex("a === b; c => d; e ?. f; g >>>= 1; h = i");
        let p: Vec<_> = toks
            .iter()
            .filter_map(|t| match t.tok {
                Tok::Punct(p) => Some(p),
                _ => None,
            })
            .collect();
        assert_eq!(p, ["===", ";", "=>", ";", "?.", ";", ">>>=", ";", "="]);
    }

    #[test]
    fn call_args_split_at_top_level_commas() {
        let toks = lex("f(a, g(b, c), {d: 1, e}, [h, i])");
        let args = call_args(&toks, 1);
        let texts: Vec<_> = args.iter().map(|r| text(&toks[r.clone()])).collect();
        assert_eq!(texts, ["a", "g(b,c)", "{d:0,e}", "[h,i]"]);
    }

    #[test]
    fn functions_and_their_parameters() {
        let src = "function el(tag, part = 'x') { return d.createElement(tag); }\n\
                   const mk = (a, {b}, c) => a + c;\n\
                   class X { paint(el) { if (el) { go(); } } }\n\
                   list.map(v => v * 2); h = async function named(q) {};";
        let toks = lex(src);
        let fs = functions(&toks);
        let sig: Vec<(Option<&str>, Vec<Option<&str>>)> = fs
            .iter()
            .map(|f| {
                (
                    f.name.as_deref(),
                    f.params.iter().map(|p| p.as_deref()).collect(),
                )
            })
            .collect();
        assert_eq!(
            sig,
            vec![
                (Some("el"), vec![Some("tag"), Some("part")]),
                (Some("mk"), vec![Some("a"), None, Some("c")]),
                (Some("paint"), vec![Some("el")]),
                (None, vec![Some("v")]),
                (Some("named"), vec![Some("q")]),
            ]
        );
        let el = &fs[0];
        let create = toks
            .iter()
            .position(|t| t.is_ident("createElement"))
            .unwrap();
        assert!(el.body.contains(&create));
    }

    #[test]
    fn broken_input_does_not_panic() {
        for src in [
            "'abc", "`abc ${", "/* never", "a = /[/", "}}}}", "\\u", "${`", "'\\x4",
        ] {
            let _ = lex(src);
        }
        let toks = lex("(((");
        assert_eq!(matching(&toks, 0), 2);
        assert!(call_args(&toks, 0).len() <= 1);
    }
}
