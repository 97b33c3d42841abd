//! `Engine`: a validated model, the shopper's profile (in memory) and the merchant's
//! rules, with one typed method per operation. The widget (widget.rs) owns one; the CLI ⇄
//! Wasm parity test constructs one under Node, where there is no DOM, through the two
//! exports (`new Engine(bytes)`, `recommendIds`, `itemId`). Every list comes from
//! attune-core's placement.rs, the code the CLI and the native tests run.

use attune_core::placement::{batch, pick, Placement, Request, DEFAULT_K, MAX_K};
use attune_core::profile::{
    parse_ms, Event, EventError, Profile, DAY_MS, MAX_EVENTS, RETENTION_DAYS,
};
use attune_core::rules::{Pick, Rules, BOOST, BURY, PIN, REBUY, UNAVAILABLE};
use attune_core::Model;
use wasm_bindgen::prelude::*;

use crate::interop::model_error;

#[wasm_bindgen]
pub struct Engine {
    model: Model,
    profile: Profile,
    rules: Rules,
    retention_days: f64,
    cap: usize,
}

fn alloc_zero() -> Vec<u32> {
    vec![0]
}

/// What a placement element (or `attune.recommend`) asks for.
pub struct Ask<'a> {
    pub placement: &'a str,
    pub item: &'a str,
    /// The basket's ids when the page states it; `None` = as the profile tells it.
    pub basket: Option<&'a [String]>,
    pub k: Option<usize>,
    /// `None` = the configured minimum score.
    pub min: Option<f32>,
    /// `""` = the placement's default, else a placement name or "none".
    pub fallback: &'a str,
    /// `false` while personalization is paused: the profile is not used.
    pub personal: bool,
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

    /// The external id of item index `item`; `undefined` past the last item.
    #[wasm_bindgen(js_name = itemId)]
    pub fn item_id(&self, item: u32) -> Option<String> {
        ((item as usize) < self.model.len()).then(|| self.model.id(item).into())
    }
}

impl Engine {
    /// An engine with no items yet: the widget keeps the profile and its settings while
    /// the model downloads ([`Engine::set_model`]).
    pub fn empty() -> Engine {
        let parts = attune_core::ModelParts {
            offsets: alloc_zero(),
            ..Default::default()
        };
        let model = Model::from_parts(parts).unwrap_or_else(|_| unreachable!());
        Engine {
            rules: Rules::new(0),
            model,
            profile: Profile::new(),
            retention_days: RETENTION_DAYS as f64,
            cap: MAX_EVENTS,
        }
    }

    /// The shop's model arrives: catalog facts start again from the model's own; the
    /// profile and the numeric settings stay.
    pub fn set_model(&mut self, bytes: &[u8]) -> Result<(), JsError> {
        self.set_files(&[bytes])
    }

    /// A single-file model, or a sharded model's head followed by the shards the page
    /// fetched (attune-core's `shard::merge`: their items in the whole model's order).
    pub fn set_files(&mut self, files: &[&[u8]]) -> Result<(), JsError> {
        let sharded = files.first().is_some_and(|f| {
            attune_core::model::section(f, attune_core::model::TAG_SHARD).is_some()
        });
        let model = if sharded {
            attune_core::shard::merge(files)
        } else {
            Model::from_bytes(files.first().copied().unwrap_or_default())
        }
        .map_err(|e| model_error(&e))?;
        let mut rules = Rules::new(model.len());
        rules.max_per_category = self.rules.max_per_category;
        rules.price_band = self.rules.price_band;
        rules.min_score = self.rules.min_score;
        rules.rebuy_all = self.rules.rebuy_all;
        self.rules = rules;
        self.model = model;
        Ok(())
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn retention_days(&self) -> f64 {
        self.retention_days
    }

    /// The catalog price of `item` in minor units (the page's own price if it gave one).
    pub fn price(&self, item: u32) -> Option<u32> {
        self.rules.price(&self.model, item)
    }

    /// Replaces the profile with `text` (the profile's text form; `merge`: keeps the
    /// in-memory events after the stored ones) and applies retention at `now_ms`. Returns
    /// the number of invalid lines left out.
    pub fn load(&mut self, text: &str, now_ms: f64, merge: bool) -> u32 {
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

    /// Records an event at `at_ms` and applies retention.
    pub fn track(&mut self, kind: &str, value: &str, at_ms: f64) -> Result<(), EventError> {
        let event = Event::new(kind, value, at_ms)?;
        self.profile.record(event);
        self.profile
            .retain_recent(at_ms, self.retention_days * DAY_MS);
        Ok(())
    }

    pub fn forget(&mut self) {
        self.profile.clear();
    }

    /// Catalog facts and merchant lists for the items in `ids` (space-separated; unknown
    /// ids are ignored): "unavailable", "available", "pin", "boost", "bury", "rebuy",
    /// "category" (named `value`) or "price" (`value` in minor units). Returns how many ids
    /// the model knows.
    pub fn rule(&mut self, kind: &str, value: &str, ids: &str) -> u32 {
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
    pub fn set(&mut self, name: &str, value: f64) {
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

    /// What a placement shows now, best first, each with its reason; `None` for an
    /// unknown placement name.
    pub fn pick(&self, ask: &Ask<'_>) -> Option<Vec<Pick>> {
        let m = &self.model;
        let placement = Placement::parse(ask.placement)?;
        let mut cart: Vec<u32> = Vec::new();
        for i in ask
            .basket
            .unwrap_or_default()
            .iter()
            .filter_map(|id| m.index_of(id))
        {
            if !cart.contains(&i) {
                cart.push(i);
            }
        }
        let fallback = match ask.fallback.trim() {
            "" => placement.default_fallback(),
            name => Placement::parse(name),
        };
        let empty = Profile::new();
        let profile = if ask.personal { &self.profile } else { &empty };
        let req = Request {
            placement,
            current: m.index_of(ask.item.trim()),
            cart: ask.basket.map(|_| &cart[..]),
            k: ask.k.map_or(DEFAULT_K, |k| k.clamp(1, MAX_K)),
            min_score: ask.min.unwrap_or(self.rules.min_score),
            fallback,
        };
        Some(pick(m, profile, &self.rules, &req))
    }

    /// The shopper's usual price band (minor units), when the history shows one.
    pub fn price_band(&self) -> Option<(u32, u32)> {
        let history = self.profile.history(&self.model);
        self.rules.price_band(&self.model, &history)
    }

    /// The basket as the events tell it (ids).
    pub fn basket(&self) -> Vec<String> {
        let m = &self.model;
        self.profile
            .cart(m)
            .into_iter()
            .map(|i| m.id(i).into())
            .collect()
    }

    /// Number of events in the profile.
    pub fn event_count(&self) -> usize {
        self.profile.len()
    }
}
