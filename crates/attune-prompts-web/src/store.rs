//! What the prompts keep in `localStorage["attune:prompts"]`, as JSON text:
//! `{"v":1,"memory":"<the engine's text form>","items":[[id,title,price,url,{field:value}],…],
//! "answers":[[rule,answer,at],…]}` — the shape js/attune-prompts.js stored, so a memory
//! stored by it (or by the first Rust engine) still loads. Pure: the text is written here by
//! hand (no serializer in the Wasm) and read back from the page's `JSON.parse` as a
//! [`Value`]; a damaged or foreign value gives an empty store, never an error.

use alloc::string::String;
use alloc::vec::Vec;
use attune_core::prompts::{write_uint, Value};

/// Facts kept for comparisons (the engine remembers 12 items per session).
pub const MAX_ITEMS: usize = 12;
pub const MAX_ANSWERS: usize = 20;

/// What the page told about an item, for the comparison table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    pub id: String,
    pub title: String,
    pub price: String,
    pub url: String,
    pub fields: Vec<(String, String)>,
}

impl Item {
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

/// A survey answer: rule id, answer, when (ms).
#[derive(Clone, Debug, PartialEq)]
pub struct Answer(pub String, pub String, pub f64);

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stored {
    /// The engine's memory in its text form, if one was stored.
    pub memory: Option<String>,
    pub items: Vec<Item>,
    pub answers: Vec<Answer>,
}

fn text(v: Option<&Value>) -> String {
    v.and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_default()
}

/// Reads what `JSON.parse` made of the stored text (anything else: nothing stored).
pub fn read(v: &Value) -> Stored {
    let list = |k: &str| v.get(k).and_then(Value::as_array).unwrap_or_default();
    let mut s = Stored {
        memory: v.get("memory").and_then(Value::as_str).map(String::from),
        ..Stored::default()
    };
    for x in list("items").iter().filter_map(Value::as_array) {
        let fields = match x.get(4) {
            Some(Value::Obj(m)) => m
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), String::from(v))))
                .collect(),
            _ => Vec::new(),
        };
        s.items.push(Item {
            id: text(x.first()),
            title: text(x.get(1)),
            price: text(x.get(2)),
            url: text(x.get(3)),
            fields,
        });
    }
    let n = s.items.len();
    s.items.drain(..n.saturating_sub(MAX_ITEMS));
    for x in list("answers").iter().filter_map(Value::as_array) {
        let at = x.get(2).and_then(Value::as_f64).unwrap_or(0.0);
        s.answers.push(Answer(text(x.first()), text(x.get(1)), at));
    }
    let n = s.answers.len();
    s.answers.drain(..n.saturating_sub(MAX_ANSWERS));
    s
}

/// The stored JSON text.
pub fn write(memory: &str, items: &[Item], answers: &[Answer]) -> String {
    let mut o = String::with_capacity(256 + memory.len());
    o.push_str("{\"v\":1,\"memory\":");
    quote(&mut o, memory);
    o.push_str(",\"items\":[");
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push('[');
        for t in [&it.id, &it.title, &it.price, &it.url] {
            quote(&mut o, t);
            o.push(',');
        }
        o.push('{');
        for (j, (k, v)) in it.fields.iter().enumerate() {
            if j > 0 {
                o.push(',');
            }
            quote(&mut o, k);
            o.push(':');
            quote(&mut o, v);
        }
        o.push_str("}]");
    }
    o.push_str("],\"answers\":[");
    for (i, a) in answers.iter().enumerate() {
        if i > 0 {
            o.push(',');
        }
        o.push('[');
        quote(&mut o, &a.0);
        o.push(',');
        quote(&mut o, &a.1);
        o.push(',');
        write_uint(&mut o, a.2);
        o.push(']');
    }
    o.push_str("]}");
    o
}

/// `s` as a JSON string literal, escaped as `JSON.stringify` does (byte for byte the text
/// js/attune-prompts.js stored).
pub fn quote(o: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            '\r' => o.push_str("\\r"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                o.push_str("\\u00");
                o.push(HEX[(c as usize) >> 4] as char);
                o.push(HEX[(c as usize) & 15] as char);
            }
            c => o.push(c),
        }
    }
    o.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn the_stored_form_round_trips() {
        let items = vec![Item {
            id: "85123A".into(),
            title: "Heart \"holder\"\n".into(),
            price: "£2.55".into(),
            url: "https://shop.example/p/85123A".into(),
            fields: vec![("material".into(), "tin\\zinc\u{1}".into())],
        }];
        let answers = vec![Answer("exit".into(), "price".into(), 1_732_590_001_000.0)];
        let text = write("attune-prompts 1\np\t1\t2\t0\t0", &items, &answers);
        let back = read(&parse(&text));
        assert_eq!(
            back.memory.as_deref(),
            Some("attune-prompts 1\np\t1\t2\t0\t0")
        );
        assert_eq!((back.items, back.answers), (items, answers));
    }

    #[test]
    fn strings_are_escaped_as_json_stringify_does() {
        let mut o = String::new();
        quote(&mut o, "a\"b\\c\n\t\r\u{8}\u{c}\u{1}\u{1f}é\u{2028}");
        assert_eq!(o, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001fé\u{2028}\"");
    }

    #[test]
    fn what_js_attune_prompts_stored_still_reads() {
        let js = r#"{"v":1,"memory":"attune-prompts 1\np\t3\t1732590001000\t1\t1","items":[["A","Mug","£3.00","https://s.example/a",{"fit":"slim"}],"junk",["B","","","",{}]],"answers":[["exit","price",1732590001000]]}"#;
        let s = read(&parse(js));
        assert_eq!(
            s.memory.as_deref(),
            Some("attune-prompts 1\np\t3\t1732590001000\t1\t1")
        );
        assert_eq!(s.items.len(), 2, "a non-array entry is skipped");
        assert_eq!(
            (s.items[0].field("fit"), s.items[1].id.as_str()),
            ("slim", "B")
        );
        assert_eq!(
            s.answers,
            [Answer("exit".into(), "price".into(), 1_732_590_001_000.0)]
        );
        // Foreign or damaged values are an empty store.
        for v in ["null", "[1]", "\"x\"", r#"{"items": 3, "memory": 4}"#] {
            assert_eq!(read(&parse(v)), Stored::default(), "{v}");
        }
    }

    #[test]
    fn lists_are_bounded_on_the_way_in() {
        let many: Vec<String> = (0..40)
            .map(|i| ["[\"", &i.to_string(), "\"]"].concat())
            .collect();
        let text = [
            "{\"items\":[",
            &many.join(","),
            "],\"answers\":[",
            &many.join(","),
            "]}",
        ]
        .concat();
        let s = read(&parse(&text));
        assert_eq!((s.items.len(), s.answers.len()), (MAX_ITEMS, MAX_ANSWERS));
        assert_eq!(
            (s.items[0].id.as_str(), s.answers[0].0.as_str()),
            ("28", "20"),
            "the latest"
        );
    }
}
