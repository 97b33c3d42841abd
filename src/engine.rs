//! `Engine`, the one exported JS type: a validated model, the shopper's profile and the
//! page's display settings. Every method is a thin call into placement.rs, storage.rs or
//! render.rs; errors come back as JS `Error`s (via interop.rs), never as panics.
//!
//! Constructing an `Engine` touches no DOM and no storage, so it also runs under Node
//! (the CLI ⇄ Wasm parity test); the browser opts into localStorage with
//! `useLocalStorage()`.

use attune_core::profile::Event;
use attune_core::Model;
use wasm_bindgen::prelude::*;
use web_sys::Element;

use crate::interop::{error, event_error, model_error};
use crate::placement::{batch, Placement, MAX_K};
use crate::render::{self, Look};
use crate::storage::Shopper;

#[wasm_bindgen]
pub struct Engine {
    model: Model,
    shopper: Shopper,
    look: Look,
}

#[wasm_bindgen]
impl Engine {
    /// Parses and validates model bytes; the profile starts empty, in memory.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8]) -> Result<Engine, JsError> {
        let model = Model::from_bytes(model).map_err(|e| model_error(&e))?;
        Ok(Engine {
            model,
            shopper: Shopper::in_memory(),
            look: Look::default(),
        })
    }

    /// Page settings: link template with `{id}`, currency code, default k (1–24).
    // From the loader's data-item-url, data-currency, data-k; `undefined` keeps a default.
    pub fn configure(
        &mut self,
        item_url: Option<String>,
        currency: Option<String>,
        k: Option<u32>,
    ) {
        self.look.item_url = item_url.filter(|t| !t.trim().is_empty());
        self.look.currency = currency;
        if let Some(k) = k {
            self.look.set_k(k as usize);
        }
    }

    /// Loads the profile from localStorage and persists changes there.
    // Never throws: trouble with storage is one console warning, then memory only.
    #[wasm_bindgen(js_name = useLocalStorage)]
    pub fn use_local_storage(&mut self) {
        self.shopper.open_local();
    }

    /// Re-reads the stored profile (after a `storage` event).
    pub fn reload(&mut self) {
        self.shopper.reload();
    }

    /// Records "view" | "cart" | "purchase" of `item` at `at_ms` (Date.now()).
    pub fn track(&mut self, kind: &str, item: &str, at_ms: f64) -> Result<(), JsError> {
        let event = Event::new(kind, item, at_ms).map_err(event_error)?;
        self.shopper.record(event);
        Ok(())
    }

    /// Forgets the profile, in memory and in storage.
    pub fn forget(&mut self) {
        self.shopper.forget();
    }

    /// `attune recommend` for one history line: space-separated ids in and out.
    // Oldest first, each a purchase; unknown ids ignored, history items never returned,
    // popularity fill. Byte-identical to the CLI (tests/parity.test.mjs).
    #[wasm_bindgen(js_name = recommendIds)]
    pub fn recommend_ids(&self, history: &str, k: usize) -> String {
        batch(&self.model, history, k)
    }

    /// Space-separated ids a placement would show now, best first.
    #[wasm_bindgen(js_name = placementIds)]
    pub fn placement_ids(
        &self,
        placement: &str,
        item: Option<String>,
        k: Option<u32>,
    ) -> Result<String, JsError> {
        let p =
            Placement::parse(placement).ok_or_else(|| error(crate::interop::UNKNOWN_PLACEMENT))?;
        let current = item
            .as_deref()
            .and_then(|id| self.model.index_of(id.trim()));
        let k = k.map_or(self.look.k, |k| (k as usize).clamp(1, MAX_K));
        let picks = crate::placement::pick(&self.model, self.shopper.profile(), p, current, k);
        let mut out = String::new();
        for pk in picks {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(self.model.id(pk.item));
        }
        Ok(out)
    }

    /// Renders `host`'s placement into its open shadow root.
    // Reads the attributes placement, item, k and heading; leaves the root empty when
    // there is nothing worth showing.
    pub fn render(&self, host: &Element) -> Result<(), JsError> {
        render::render(&self.model, &self.shopper, &self.look, host)
    }

    /// Number of items in the model.
    #[wasm_bindgen(getter, js_name = itemCount)]
    pub fn item_count(&self) -> u32 {
        self.model.len() as u32
    }

    /// External id of item index `item`.
    #[wasm_bindgen(js_name = idAt)]
    pub fn id_at(&self, item: u32) -> Option<String> {
        ((item as usize) < self.model.len()).then(|| self.model.id(item).to_owned())
    }
}

// Not exported to JS (every export costs glue and Wasm bytes); for Rust callers and tests.
impl Engine {
    /// Number of events in the profile.
    pub fn event_count(&self) -> usize {
        self.shopper.profile().len()
    }
}
