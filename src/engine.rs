//! `Engine`, the one exported JS type: a validated model, the shopper's profile (in
//! memory) and the merchant's rules. Every operation is a thin call into placement.rs or
//! attune-core; errors come back as JS `Error`s (via interop.rs), never as panics.
//!
//! The Engine touches no DOM and no storage, so it runs the same under Node (the CLI ⇄
//! Wasm parity test) and in the page. Persistence, consent, page signals and rendering
//! live in js/attune.js: done in JS they cost a fraction of the Wasm bytes (JSON,
//! Storage and DOM bindings driven from Rust cost ~10 KB gzip, measured).
//!
//! Besides the constructor and `recommendIds`, the loader talks to the engine through ONE
//! method, `run(op, arg, n)`: each wasm-bindgen export costs glue and Wasm bytes (the ids
//! of the catalog come through `run('id', '', i)`).

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use attune_core::profile::{parse_ms, push_u64, Event, Profile, DAY_MS, MAX_EVENTS, RETENTION_DAYS};
use attune_core::rules::{Rules, Why, BOOST, BURY, PIN, REBUY, UNAVAILABLE};
use attune_core::{Model, Signal};
use wasm_bindgen::prelude::*;

use crate::interop::{error, event_error, model_error, UNKNOWN_OP, UNKNOWN_PLACEMENT};
use attune_core::placement::{batch, pick, Placement, Request, DEFAULT_K, MAX_K};

#[wasm_bindgen]
pub struct Engine {
    model: Model,
    profile: Profile,
    rules: Rules,
    retention_days: f64,
    cap: usize,
}

#[wasm_bindgen]
impl Engine {
    /// Parses and validates model bytes; the profile starts empty.
    #[wasm_bindgen(constructor)]
    pub fn new(model: &[u8]) -> Result<Engine, JsError> {
        let model = Model::from_bytes(model).map_err(|e| model_error(&e))?;
        let rules = Rules::new(model.len());
        Ok(Engine {
            model,
            profile: Profile::new(),
            rules,
            retention_days: RETENTION_DAYS as f64,
            cap: MAX_EVENTS,
        })
    }

    /// `attune recommend` for one history line: space-separated ids in and out.
    // Oldest first, each a purchase; unknown ids ignored, history items never returned,
    // popularity fill. Byte-identical to the CLI (tests/parity.test.mjs).
    #[wasm_bindgen(js_name = recommendIds)]
    pub fn recommend_ids(&self, history: &str, k: usize) -> String {
        batch(&self.model, history, k)
    }

    /// The loader's channel (fields of `arg` are TAB-separated):
    ///
    /// | op | arg | n | returns |
    /// |---|---|---|---|
    /// | `id` `title` `url` `image` `price` | | item index | the catalog field ("" = unknown; price in minor units, the page's if it gave one) |
    /// | `index` | id | | item index, or "" |
    /// | `meta` | key | | model metadata value |
    /// | `load` / `merge` | stored events (profile text form) | now (ms) | replaces the profile (`merge`: keeps the in-memory events after the stored ones), applies retention; the number of invalid lines |
    /// | `dump` | | | the profile's text form |
    /// | `track` | type, value | time (ms) | records an event |
    /// | `forget` | | | empties the profile |
    /// | `rule` | kind, value, ids | | catalog facts and merchant lists; the number of known ids |
    /// | `set` | option name | value | numeric options |
    /// | `pick` | placement, item, basket ids, k, fallback, personal (1/0) | minimum score (NaN = configured) | one line per item: `index TAB reason TAB source` |
    /// | `about` | | | price band "low high", newline, basket ids |
    pub fn run(&mut self, op: &str, arg: &str, n: f64) -> Result<String, JsError> {
        let mut f = arg.split('\t');
        let mut next = || f.next().unwrap_or_default();
        let mut out = String::new();
        let item = n as u32;
        let m = &self.model;
        match op {
            "id" | "title" | "url" | "image" | "price" if (item as usize) < m.len() => {
                let text = match op {
                    "id" => Some(m.id(item)),
                    "title" => m.title(item),
                    "url" => m.url(item),
                    "image" => m.image(item),
                    _ => {
                        if let Some(p) = self.rules.price(m, item) {
                            push_u64(&mut out, p as u64);
                        }
                        None
                    }
                };
                out.push_str(text.unwrap_or_default());
            }
            "id" | "title" | "url" | "image" | "price" => {}
            "index" => {
                if let Some(i) = m.index_of(arg.trim()) {
                    push_u64(&mut out, i as u64);
                }
            }
            "meta" => out.push_str(m.meta(arg).unwrap_or_default()),
            "load" | "merge" => push_u64(&mut out, self.load(arg, n, op == "merge") as u64),
            "dump" => out = self.profile.to_text(),
            "track" => {
                let event = Event::new(next(), next(), n).map_err(event_error)?;
                self.profile.record(event);
                self.profile.retain_recent(n, self.retention_days * DAY_MS);
            }
            "forget" => self.profile.clear(),
            "rule" => {
                let (kind, value) = (next(), next());
                push_u64(&mut out, self.rule(kind, value, next()) as u64);
            }
            "set" => self.set(arg, n),
            "pick" => {
                let (placement, item, items) = (next(), next(), next());
                let k = parse_ms(next());
                let (fallback, personal) = (next(), next() == "1");
                out = self.pick(placement, item, items, k, n, fallback, personal)?;
            }
            "about" => out = self.about(),
            _ => return Err(error(UNKNOWN_OP)),
        }
        Ok(out)
    }
}

// Not exported to JS (every export costs glue and Wasm bytes); for `run` and tests.
impl Engine {
    /// Number of items in the model.
    pub fn item_count(&self) -> u32 {
        self.model.len() as u32
    }

    /// External id of item index `item`.
    pub fn id_at(&self, item: u32) -> Option<String> {
        ((item as usize) < self.model.len()).then(|| self.model.id(item).to_owned())
    }

    /// Number of events in the profile.
    pub fn event_count(&self) -> usize {
        self.profile.len()
    }

    fn load(&mut self, text: &str, now_ms: f64, merge: bool) -> u32 {
        let earlier = core::mem::take(&mut self.profile);
        let (stored, dropped) = Profile::parse_text(text, self.cap);
        self.profile.set_cap(self.cap);
        for e in stored {
            self.profile.record(e);
        }
        if merge {
            for e in earlier.events() {
                self.profile.record(e.clone());
            }
        }
        self.profile
            .retain_recent(now_ms, self.retention_days * DAY_MS);
        dropped
    }

    /// Catalog facts and merchant lists for the items in `ids` (space-separated; unknown
    /// ids are ignored): "unavailable", "available", "pin", "boost", "bury", "rebuy",
    /// "category" (named `value`) or "price" (`value` in minor units).
    fn rule(&mut self, kind: &str, value: &str, ids: &str) -> u32 {
        let flag = match kind {
            "unavailable" | "available" => UNAVAILABLE,
            "pin" => PIN,
            "boost" => BOOST,
            "bury" => BURY,
            "rebuy" => REBUY,
            _ => 0,
        };
        let price = parse_ms(value.trim()).filter(|&p| p <= u32::MAX as f64);
        let mut known = 0;
        for id in ids.split_ascii_whitespace() {
            let Some(item) = self.model.index_of(id) else {
                continue;
            };
            known += 1;
            match kind {
                "category" => self.rules.set_category(item, value),
                "price" => {
                    if let Some(p) = price {
                        self.rules.set_price(item, p as u32);
                    }
                }
                _ => self.rules.set_flag(item, flag, kind != "available"),
            }
        }
        known
    }

    /// Numeric options: "maxPerCategory", "priceBand", "minScore", "rebuyAll" (0/1),
    /// "retentionDays", "maxEvents". Negative or non-finite values are ignored.
    fn set(&mut self, name: &str, value: f64) {
        if !(value >= 0.0 && value.is_finite()) {
            return;
        }
        match name {
            "maxPerCategory" => self.rules.max_per_category = value as usize,
            "priceBand" => self.rules.price_band = value as f32,
            "minScore" => self.rules.min_score = value as f32,
            "rebuyAll" => self.rules.rebuy_all = value != 0.0,
            "retentionDays" => self.retention_days = value.max(1.0),
            "maxEvents" => {
                self.cap = value as usize;
                self.profile.set_cap(self.cap);
            }
            _ => {}
        }
    }

    /// What a placement shows now, one line per item, best first:
    /// `index TAB reason TAB source`. Reasons: `w` often bought with (source = item
    /// index), `v` / `c` / `b` because you viewed / added / bought (source index), `s`
    /// because you searched (source = the search text), `p` popular, `r` you viewed it,
    /// `f` featured by the shop. `items` is the basket (space-separated ids) when the
    /// page knows it, `-` when it does not; `min` NaN = the configured minimum score;
    /// `fallback` "" = the placement's default, else a placement name or "none"; with
    /// `personal` false (paused) the profile is not used.
    #[allow(clippy::too_many_arguments)]
    pub fn pick(
        &self,
        placement: &str,
        item: &str,
        items: &str,
        k: Option<f64>,
        min: f64,
        fallback: &str,
        personal: bool,
    ) -> Result<String, JsError> {
        let m = &self.model;
        let placement = Placement::parse(placement).ok_or_else(|| error(UNKNOWN_PLACEMENT))?;
        let mut cart: Vec<u32> = Vec::new();
        for i in items.split_ascii_whitespace().filter_map(|id| m.index_of(id)) {
            if !cart.contains(&i) {
                cart.push(i);
            }
        }
        let fallback = match fallback.trim() {
            "" => placement.default_fallback(),
            name => Placement::parse(name),
        };
        let empty = Profile::new();
        let profile = if personal { &self.profile } else { &empty };
        let req = Request {
            placement,
            current: m.index_of(item.trim()),
            cart: (items != "-").then_some(&cart[..]),
            k: k.map_or(DEFAULT_K, |k| (k as usize).clamp(1, MAX_K)),
            min_score: if min.is_nan() { self.rules.min_score } else { min as f32 },
            fallback,
        };
        let mut out = String::new();
        for p in pick(m, profile, &self.rules, &req) {
            if !out.is_empty() {
                out.push('\n');
            }
            push_u64(&mut out, p.item as u64);
            out.push('\t');
            let (code, src) = match p.why {
                Why::BoughtWith(s) => ('w', Some(s)),
                Why::Because(s, Signal::View) => ('v', Some(s)),
                Why::Because(s, Signal::Cart) => ('c', Some(s)),
                Why::Because(s, Signal::Purchase) => ('b', Some(s)),
                Why::Searched => {
                    out.push_str("s\t");
                    out.push_str(profile.last_search().unwrap_or_default());
                    continue;
                }
                Why::Popular => ('p', None),
                Why::Viewed => ('r', None),
                Why::Featured => ('f', None),
            };
            out.push(code);
            out.push('\t');
            if let Some(s) = src {
                push_u64(&mut out, s as u64);
            }
        }
        Ok(out)
    }

    /// What Attune infers from the profile, for the shopper's privacy view and the page's
    /// context: line 1 the usual price band "low high" (minor units; empty when the
    /// history shows none), line 2 the basket as the events tell it (ids).
    pub fn about(&self) -> String {
        let m = &self.model;
        let history = self.profile.history(m);
        let mut out = String::new();
        if let Some((lo, hi)) = self.rules.price_band(m, &history) {
            push_u64(&mut out, lo as u64);
            out.push(' ');
            push_u64(&mut out, hi as u64);
        }
        out.push('\n');
        for (n, i) in self.profile.cart(m).into_iter().enumerate() {
            if n > 0 {
                out.push(' ');
            }
            out.push_str(m.id(i));
        }
        out
    }
}
