//! Every JS ⇄ Rust conversion and every error or warning string the widget produces.
//!
//! Kept in one place so the boundary stays thin and the messages stay consistent. No
//! `format!` here or anywhere in the widget: the formatting machinery costs kilobytes
//! of Wasm, and these messages only need concatenation.

use attune_core::profile::EventError;
use attune_core::ModelError;
use wasm_bindgen::prelude::*;

pub const PREFIX: &str = "attune: ";

/// A JS `Error` with the widget's prefix.
pub fn error(msg: &str) -> JsError {
    JsError::new(&concat(&[PREFIX, msg]))
}

pub fn model_error(e: &ModelError) -> JsError {
    let detail: &str = match e {
        ModelError::BadMagic => "not an Attune model (wrong magic bytes)",
        ModelError::UnsupportedVersion(_) => {
            "model format version not supported by this widget; rebuild the model or update attune.js"
        }
        ModelError::BadChecksum => "model checksum mismatch (damaged or altered file)",
        ModelError::Truncated => "model file is truncated",
        ModelError::Invalid(why) => return error(&concat(&["invalid model: ", why])),
    };
    error(detail)
}

pub fn event_error(e: EventError) -> JsError {
    error(match e {
        EventError::UnknownType => "track: type must be \"view\", \"cart\" or \"purchase\"",
        EventError::BadItem => {
            "track: item must be a non-empty id without spaces (at most 200 bytes)"
        }
        EventError::BadTime => "track: time must be a finite number of milliseconds",
    })
}

pub const UNKNOWN_PLACEMENT: &str =
    "unknown placement; expected placement=\"similar\", \"for-you\" or \"recent\"";

/// Wraps a JS exception from a DOM call into the widget's error type.
pub fn js(what: &str) -> impl Fn(JsValue) -> JsError + '_ {
    move |_| error(what)
}

/// One console warning, with the prefix.
pub fn warn(msg: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&concat(&[PREFIX, msg])));
}

pub fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// Decimal digits of `n`, without pulling in `core::fmt`.
pub fn itoa(mut n: u32) -> String {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf[i..].iter().map(|&b| b as char).collect()
}

/// Parses a positive count attribute ("4"); anything else is `None`.
pub fn parse_count(s: &str) -> Option<usize> {
    s.trim().parse::<usize>().ok().filter(|&n| n > 0)
}

/// `Intl.NumberFormat`, bound with `catch` because an unknown currency code makes the
/// constructor throw, and a JS exception must not unwind through Rust frames.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl)]
    pub type NumberFormat;

    #[wasm_bindgen(constructor, js_namespace = Intl, catch)]
    pub fn new(locales: &JsValue, options: &js_sys::Object) -> Result<NumberFormat, JsValue>;

    #[wasm_bindgen(method)]
    pub fn format(this: &NumberFormat, value: f64) -> String;

    #[wasm_bindgen(method, js_name = resolvedOptions)]
    pub fn resolved_options(this: &NumberFormat) -> js_sys::Object;
}

/// Reads `obj[key]` without throwing (a getter that throws gives `undefined`).
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itoa_matches_display() {
        for n in [0u32, 7, 10, 359, 65_535, u32::MAX] {
            assert_eq!(itoa(n), n.to_string());
        }
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("4"), Some(4));
        assert_eq!(parse_count(" 12 "), Some(12));
        assert_eq!(parse_count("0"), None);
        assert_eq!(parse_count("-3"), None);
        assert_eq!(parse_count("many"), None);
        assert_eq!(parse_count(""), None);
    }

    #[test]
    fn concat_joins() {
        assert_eq!(concat(&["a", "", "bc"]), "abc");
    }
}
