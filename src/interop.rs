//! Every error string the Wasm side produces, and the conversion of core errors to JS
//! `Error`s.
//!
//! Kept in one place so the boundary stays thin and the messages stay consistent. No
//! `format!` here or anywhere in the widget: the formatting machinery costs kilobytes
//! of Wasm, and these messages only need concatenation.

use alloc::string::String;
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
        EventError::UnknownType => {
            "track: type must be view, cart, remove_from_cart, purchase, search or not_interested"
        }
        EventError::BadItem => {
            "track: item must be a non-empty id without spaces (at most 200 bytes)"
        }
        EventError::BadQuery => "track: a search needs its text (at most 200 bytes)",
        EventError::BadTime => "track: time must be a finite number of milliseconds",
    })
}

pub const UNKNOWN_PLACEMENT: &str = "unknown placement; expected similar, bought-together, for-you, recent, cart or popular";

pub const UNKNOWN_OP: &str = "unknown engine operation";

pub fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_joins() {
        assert_eq!(concat(&["a", "", "bc"]), "abc");
    }
}
