//! The JSON value the prompt code reads: the merchant's config and the page's events and
//! stored data, as the browser's `JSON.parse` (or a page object) hands them over. Objects
//! keep their members in order, as `(name, value)` pairs, so that a validation error can
//! name fields in document order. Deserialised through serde from whatever format is at
//! hand (serde-wasm-bindgen's JS values in the browser, serde_json in tests and fuzzing);
//! this file owns no parser and must not format (no `core::fmt` in the Wasm).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Deeper values are refused (one stack frame per level; a real config nests 4 deep).
pub const MAX_DEPTH: u32 = 64;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, and whatever has no JSON form (undefined, a function, a symbol).
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Value>),
    /// Members in document order; a repeated name stays repeated (serde_json passes it
    /// on; `JSON.parse` has already kept only the last).
    Obj(Vec<(String, Value)>),
}

impl Value {
    /// The first member called `key` (of an object).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Obj(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// `v ?? other` in JS terms: this value unless it is null, else `other`'s.
    pub fn or<'a>(&'a self, other: Option<&'a Value>) -> Option<&'a Value> {
        if self.is_null() {
            other
        } else {
            Some(self)
        }
    }
}

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        Level(0).deserialize(d)
    }
}

/// One nesting level of a value being read (the depth guard).
#[derive(Clone, Copy)]
struct Level(u32);

impl<'de> DeserializeSeed<'de> for Level {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Level {
    fn inner<E: de::Error>(self) -> Result<Level, E> {
        if self.0 >= MAX_DEPTH {
            Err(E::custom("nested too deeply"))
        } else {
            Ok(Level(self.0 + 1))
        }
    }
}

// Every visit_* a deserializer may call is implemented, so that serde's default
// "invalid type" errors (which format) are never instantiated: whatever is not JSON
// becomes `Null`, as `JSON.stringify` would drop it.
impl<'de> Visitor<'de> for Level {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Num(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Num(v as f64))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Num(v as f64))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Num(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Num(v))
    }
    fn visit_char<E>(self, v: char) -> Result<Value, E> {
        let mut s = String::new();
        s.push(v);
        Ok(Value::Str(s))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(String::from(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E>(self, _: &[u8]) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut list = Vec::new();
        while let Some(v) = a.next_element_seed(inner)? {
            list.push(v);
        }
        Ok(Value::List(list))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut members = Vec::new();
        while let Some(k) = a.next_key_seed(inner)? {
            let v = a.next_value_seed(inner)?;
            // A member name is a string in JSON; a page object's symbol keys are not
            // enumerated, and anything else is read as no name.
            let k = match k {
                Value::Str(s) => s,
                _ => String::new(),
            };
            members.push((k, v));
        }
        Ok(Value::Obj(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn members_keep_their_order_and_repeats() {
        let v = read(r#"{"b": [1, true, null], "a": {"x": "y"}, "b": -2.5}"#);
        let Value::Obj(m) = &v else { panic!() };
        let names: Vec<&str> = m.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["b", "a", "b"]);
        assert_eq!(
            v.get("b"),
            Some(&Value::List(vec![
                Value::Num(1.0),
                Value::Bool(true),
                Value::Null
            ]))
        );
        assert_eq!(
            v.get("a").and_then(|a| a.get("x")).and_then(Value::as_str),
            Some("y")
        );
        assert_eq!(m[2].1.as_f64(), Some(-2.5));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let ok = "[".repeat(60) + &"]".repeat(60);
        assert!(serde_json::from_str::<Value>(&ok).is_ok());
        // serde_json stops at 128 itself; the guard must hold below that.
        let deep = "[".repeat(100) + &"]".repeat(100);
        let e = serde_json::from_str::<Value>(&deep).unwrap_err();
        assert!(e.to_string().contains("nested too deeply"), "{e}");
    }
}
