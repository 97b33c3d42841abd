//! A JS value (what `JSON.parse` returns, or a page's event object) read into attune-core's
//! [`Value`] through serde, by a deserializer over `JsValue` of a few dozen lines.
//!
//! Why not serde-wasm-bindgen: its 0.6 release needs std (serde, js-sys and wasm-bindgen
//! with their std features), which rules out the trapping panic handler of a no_std
//! module, and its errors format with `core::fmt` (float printing, `Debug`): measured, the
//! prompts module was 58 KB gzip with it. This reader only needs `deserialize_any`, its
//! error carries no message (nothing formats), and it reads like `JSON.stringify` would:
//! own enumerable string keys, arrays by index, anything without a JSON form as null.

use alloc::string::String;
use attune_core::prompts::Value;
use core::fmt;
use js_sys::{Array, Object, Reflect};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};

/// `v` as a [`Value`]; `None` when it nests deeper than `MAX_DEPTH` or a getter throws.
pub fn to_value(v: &JsValue) -> Option<Value> {
    Value::deserialize(Reader(v.clone())).ok()
}

/// The reader's one error: the value could not be read (no message, nothing to format).
#[derive(Debug)]
pub struct Unreadable;

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unreadable value")
    }
}

impl de::StdError for Unreadable {}

impl de::Error for Unreadable {
    fn custom<T: fmt::Display>(_: T) -> Unreadable {
        Unreadable
    }
}

struct Reader(JsValue);

impl<'de> de::Deserializer<'de> for Reader {
    type Error = Unreadable;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Unreadable> {
        let x = self.0;
        if let Some(b) = x.as_bool() {
            v.visit_bool(b)
        } else if let Some(n) = x.as_f64() {
            v.visit_f64(n)
        } else if let Some(s) = x.as_string() {
            v.visit_string(s)
        } else if Array::is_array(&x) {
            let len = Reflect::get(&x, &JsValue::from_str("length"))
                .ok()
                .and_then(|n| n.as_f64())
                .unwrap_or(0.0) as u32;
            v.visit_seq(Items {
                list: x,
                at: 0,
                len,
            })
        } else if x.is_object() {
            let keys = Object::keys(x.unchecked_ref::<Object>());
            v.visit_map(Members {
                obj: x,
                keys,
                at: 0,
                value: None,
            })
        } else {
            v.visit_unit()
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct Items {
    list: JsValue,
    at: u32,
    len: u32,
}

impl<'de> SeqAccess<'de> for Items {
    type Error = Unreadable;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Unreadable> {
        if self.at >= self.len {
            return Ok(None);
        }
        let x = Reflect::get_u32(&self.list, self.at).map_err(|_| Unreadable)?;
        self.at += 1;
        seed.deserialize(Reader(x)).map(Some)
    }
}

struct Members {
    obj: JsValue,
    keys: Array,
    at: u32,
    value: Option<JsValue>,
}

impl<'de> MapAccess<'de> for Members {
    type Error = Unreadable;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Unreadable> {
        if self.at >= self.keys.length() {
            return Ok(None);
        }
        let k = Reflect::get_u32(&self.keys, self.at).map_err(|_| Unreadable)?;
        self.at += 1;
        self.value = Some(Reflect::get(&self.obj, &k).map_err(|_| Unreadable)?);
        let k: String = k.as_string().unwrap_or_default();
        seed.deserialize(Reader(JsValue::from(k))).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Unreadable> {
        seed.deserialize(Reader(self.value.take().unwrap_or(JsValue::NULL)))
    }
}
