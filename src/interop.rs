//! Every error string the widget produces, and the conversion of core errors to JS
//! `Error`s. Kept in one place so the messages stay consistent; no `format!` (the
//! formatting machinery costs kilobytes of Wasm): concatenation only.

use attune_core::profile::EventError;
use attune_core::ModelError;
use attune_dom::concat;
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

/// Why `track` refused an event.
pub fn event_error(e: EventError) -> &'static str {
    match e {
        EventError::UnknownType => {
            "track: type must be view, cart, remove_from_cart, purchase, search or not_interested"
        }
        EventError::BadItem => {
            "track: item must be a non-empty id without spaces (at most 200 bytes)"
        }
        EventError::BadQuery => "track: a search needs its text (at most 200 bytes)",
        EventError::BadTime => "track: time must be a finite number of milliseconds",
    }
}

pub const UNKNOWN_PLACEMENT: &str =
    "unknown placement; expected similar, bought-together, for-you, recent, cart or popular";
