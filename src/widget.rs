//! `Widget`, the page's one Attune instance: the shopper's profile and where it is kept
//! (localStorage with consent, else memory), every consent source, the visit, and the
//! public API that the bootstrap (js/attune.js) forwards `window.attune` to. Page signals
//! are read in signals.rs, placements and the privacy view are drawn in render.rs.
//!
//! State lives in one `static` (the page has one thread), so the listeners' closures reach
//! it; a listener reached again from inside the widget's own DOM call is dropped rather
//! than allowed to alias (`attune_dom::Local`). Calls into the help-prompts module, which
//! may dispatch page events whose handlers call `window.attune` again, are made only after
//! the state is released (the outbox).

use attune_dom as dom;
use dom::{concat, get, Local};
use js_sys::{Array, Function};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, StorageEvent};

use crate::engine::{Ask, Engine};
use crate::{render, signals};

/// The profile's localStorage key, and the key of the first stored format (migrated).
pub const KEY: &str = "attune";
const OLD: &str = "attune:v1";
/// Set and removed at once when the shopper withdraws consent: other tabs follow.
const WITHDRAWN: &str = "attune:withdrawn";
/// A gap longer than this between two events starts a new visit.
const VISIT_GAP_MS: f64 = 30.0 * 60_000.0;
/// Events queued before the model loaded, at most.
pub const QUEUE_MAX: usize = 500;

#[wasm_bindgen]
extern "C" {
    /// The help-prompts module's instance (crates/attune-prompts-web), handed over by the
    /// bootstrap on pages that configure prompts.
    pub type Prompter;
    #[wasm_bindgen(method, catch)]
    fn start(this: &Prompter, config: &JsValue, now: f64, store: bool) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn signal(this: &Prompter, event: &JsValue, at: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    fn forget(this: &Prompter) -> Result<(), JsValue>;

    /// `Intl.NumberFormat`: prices in the page's locale.
    #[wasm_bindgen(js_namespace = Intl, js_name = NumberFormat)]
    pub type NumberFormat;
    #[wasm_bindgen(js_namespace = Intl, js_name = NumberFormat, catch)]
    fn number_format(locales: &JsValue, options: &JsValue) -> Result<NumberFormat, JsValue>;
    #[wasm_bindgen(method)]
    fn format(this: &NumberFormat, n: f64) -> String;
    #[wasm_bindgen(method, js_name = resolvedOptions)]
    fn resolved_options(this: &NumberFormat) -> JsValue;
}

/// The visit: the n-th visit of this shopper, when it started, the latest event.
#[derive(Clone, Copy, Serialize)]
pub struct Session {
    pub count: u32,
    pub start: f64,
    pub last: f64,
}

/// What the page says about itself: its kind, its item and the basket it states.
#[derive(Default)]
pub struct Page {
    pub kind: String,
    pub item: String,
    /// The basket the page states (`None`: the page did not say; the profile tells it).
    pub cart: Option<Vec<String>>,
}

/// Prices: the page's number format and the model's minor units per major unit.
pub struct Money {
    format: Option<NumberFormat>,
    pub per_major: f64,
}

impl Money {
    pub fn show(&self, minor: u32) -> String {
        self.format
            .as_ref()
            .map(|f| f.format(minor as f64 / self.per_major))
            .unwrap_or_default()
    }
}

/// Per-tag settings from the `<script>` tag's data attributes.
pub struct Tag {
    pub item_url: Option<String>,
    pub images: bool,
    pub k: Option<usize>,
    /// `data-currency`: the page's currency over the model's.
    pub currency: Option<String>,
}

/// A catalog fact the page stated before the model arrived.
pub enum Fact {
    Text(String),
    /// A price in major units (minor units need the model's `price_digits`).
    Price(f64),
}

enum PromptCall {
    Start(JsValue, f64, bool),
    Signal(JsValue, f64),
    Forget,
}

pub struct State {
    pub engine: Engine,
    pub tag: Tag,
    pub money: Money,
    pub page: Page,
    pub session: Session,
    pub paused: bool,
    /// The profile is written to localStorage (consent, and storage works).
    pub persist: bool,
    /// localStorage failed or holds a newer format: memory only for this page.
    broken: bool,
    /// The model is in ([`Widget::start`]).
    pub started: bool,
    /// The model could not be had: placements stay empty, nothing is recorded.
    pub failed: bool,
    pub days: f64,
    /// Consent by source (page, gpc, gcm, tcf, shopify).
    consent: Vec<(&'static str, bool)>,
    /// A framework on the page will answer; until then nothing is stored.
    waiting: bool,
    /// The tag's `data-consent` (or the config's `consent`).
    mode: String,
    /// Views recorded on this page (one per item and page).
    seen: Vec<String>,
    /// Events recorded while the widget starts, applied once consent is known.
    queue: Option<Vec<(String, String, f64, JsValue)>>,
    /// Catalog facts from the page, applied once the model is in: (kind, value, id).
    pub facts: Vec<(&'static str, Fact, String)>,
    /// The page's config (`<script data-attune-config>`).
    cfg: JsValue,
    /// The page's item (JSON-LD, body attribute): recorded as a view.
    pub auto_item: String,
    /// GA4: the last `ecommerce` object, which a bare event reuses (like GTM).
    pub ecommerce: JsValue,
    prompter: Option<Prompter>,
    prompt_config: JsValue,
    outbox: Vec<PromptCall>,
    /// Status lines of privacy views (after an action).
    pub notes: Vec<(Element, String)>,
    /// Placements whose heading takes focus after their next render ("not interested").
    pub refocus: Vec<Element>,
    /// The page's language's labels, and the config's `labels` overrides.
    pub labels: &'static crate::labels::Set,
    label_overrides: JsValue,
}

static STATE: Local<Option<State>> = Local::new(None);

/// Runs `f` on the widget's state (None before it started, or when re-entered), then makes
/// the calls into the prompts module that `f` left in the outbox.
pub fn with<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    let r = STATE.with(|s| s.as_mut().map(f))??;
    send_prompts();
    Some(r)
}

/// The calls into the prompts module that the last `with` left in the outbox, made with
/// the state released (not generic: one copy, whatever `with` ran).
#[inline(never)]
fn send_prompts() {
    let Some((calls, p)) = STATE
        .with(|s| {
            let s = s.as_mut()?;
            let p: Prompter = AsRef::<JsValue>::as_ref(s.prompter.as_ref()?)
                .clone()
                .unchecked_into();
            Some((core::mem::take(&mut s.outbox), p))
        })
        .flatten()
    else {
        return;
    };
    for c in calls {
        let done = match &c {
            PromptCall::Start(cfg, now, store) => p.start(cfg, *now, *store),
            PromptCall::Signal(ev, at) => p.signal(ev, *at),
            PromptCall::Forget => p.forget(),
        };
        if let Err(e) = done {
            dom::warn_err("help prompts are off", &e);
        }
    }
}

/// The page's Attune: `window.attune` forwards here (js/attune.js).
#[wasm_bindgen]
pub struct Widget {
    _private: (),
}

#[wasm_bindgen]
impl Widget {
    /// Attune on this page, before its model arrives: reads the tag, the config, the
    /// consent the page states and the page's signals (kept until [`Widget::start`]), so
    /// that `attune.context()` and `attune.track()` work while the model downloads.
    #[wasm_bindgen(constructor)]
    pub fn new(tag: Option<Element>) -> Widget {
        let data = |name: &str| tag.as_ref().and_then(|t| t.get_attribute(name));
        let cfg = signals::config();
        let opt = |name: &str| get(&cfg, name);
        let mode = data("data-consent")
            .or_else(|| opt("consent").as_string())
            .unwrap_or_default();
        let mut consent = Vec::new();
        if mode == "granted" || mode == "denied" {
            consent.push(("page", mode == "granted"));
        }
        let gpc = get(&dom::window().navigator().into(), "globalPrivacyControl");
        let gpc_mode = data("data-gpc")
            .or_else(|| opt("gpc").as_string())
            .unwrap_or_default();
        if gpc == JsValue::TRUE && gpc_mode != "ignore" {
            consent.push(("gpc", false));
        }
        let days = signals::number(&opt("retentionDays"))
            .filter(|d| *d > 0.0)
            .unwrap_or(90.0);
        let tag_settings = Tag {
            item_url: data("data-item-url"),
            images: data("data-images").as_deref() != Some("off"),
            k: data("data-k")
                .map(|k| js_sys::parse_int(&k, 10))
                .filter(|k| *k > 0.0)
                .map(|k| k as usize),
            currency: data("data-currency"),
        };
        let now = dom::now();
        let state = State {
            engine: Engine::empty(),
            tag: tag_settings,
            money: money("", None),
            page: Page::default(),
            session: Session {
                count: 1,
                start: now,
                last: 0.0,
            },
            paused: false,
            persist: false,
            broken: false,
            started: false,
            failed: false,
            days,
            consent,
            waiting: false,
            mode,
            seen: Vec::new(),
            queue: Some(Vec::new()),
            facts: Vec::new(),
            cfg: cfg.clone(),
            auto_item: String::new(),
            ecommerce: JsValue::UNDEFINED,
            prompter: None,
            prompt_config: JsValue::UNDEFINED,
            outbox: Vec::new(),
            notes: Vec::new(),
            refocus: Vec::new(),
            labels: crate::labels::set_for(
                &opt("lang")
                    .as_string()
                    .or_else(|| {
                        dom::document()
                            .document_element()
                            .map(|e| e.get_attribute("lang").unwrap_or_default())
                    })
                    .unwrap_or_default(),
            ),
            label_overrides: opt("labels"),
        };
        STATE.with(|s| *s = Some(state));
        with(|s| {
            s.engine.set("retentionDays", days);
            s.configure_options();
            signals::read_page(s);
        });
        signals::listen();
        Widget { _private: () }
    }

    /// The model arrived: validates it, applies the merchant's lists and the page's
    /// catalog facts, settles consent, loads the stored profile and records what happened
    /// meanwhile. `prompter`: the help-prompts module, when the page configures prompts.
    /// `shard`: with a sharded model (`model` is its head.bin), the shard of the page's own
    /// item, which the bootstrap chose from the page alone (docs/privacy.md).
    pub fn start(
        &self,
        model: &[u8],
        prompter: Option<Prompter>,
        shard: Option<Box<[u8]>>,
    ) -> Result<(), JsError> {
        let files: Vec<&[u8]> = core::iter::once(model).chain(shard.as_deref()).collect();
        if let Err(e) = with(|s| s.engine.set_files(&files)).unwrap_or(Ok(())) {
            self.fail();
            return Err(e);
        }
        with(|s| {
            s.started = true;
            let currency = s
                .tag
                .currency
                .clone()
                .or_else(|| s.engine.model().meta("currency").map(String::from))
                .unwrap_or_default();
            let digits = s
                .engine
                .model()
                .meta("price_digits")
                .and_then(|d| d.parse::<i32>().ok());
            s.money = money(&currency, digits);
            s.configure_lists();
            for (kind, value, id) in core::mem::take(&mut s.facts) {
                let value = match value {
                    Fact::Text(t) => t,
                    Fact::Price(major) => num((major * s.money.per_major).round().max(0.0) as u64),
                };
                s.engine.rule(kind, &value, &id);
            }
        });
        // Consent frameworks on the page answer for themselves (docs/integration.md); their
        // callbacks may come at once, so they are asked with the state released.
        signals::consent_frameworks();
        with(|s| s.sync());
        with(|s| {
            if let Some(p) = prompter {
                s.prompter = Some(p);
                s.start_prompts();
            }
        });
        // Prompts first, so that they see the page's own events too.
        with(|s| {
            for (kind, value, at, ev) in s.queue.take().unwrap_or_default() {
                s.apply(&kind, &value, at, ev);
            }
        });
        render::refresh();
        Ok(())
    }

    /// Attune is off on this page (the model or the Wasm could not be had): placements
    /// show nothing (with `empty`), nothing is recorded.
    pub fn fail(&self) {
        with(|s| {
            s.failed = true;
            s.queue = Some(Vec::new());
        });
        render::refresh();
    }

    /// `attune.track(event)`: what the shopper did. Never throws.
    pub fn track(&self, event: JsValue) {
        with(|s| s.track(&event));
    }

    /// `attune.recommend(options)`: the ids a placement would show (or the
    /// `attune recommend` contract for `{history}`).
    pub fn recommend(&self, options: JsValue) -> Vec<String> {
        with(|s| s.recommend(&options)).unwrap_or_default()
    }

    /// `attune.forget()` / `attune.erase()`: erases everything Attune keeps.
    pub fn forget(&self) {
        with(|s| s.forget());
        render::refresh();
    }

    /// `attune.consent(granted)`: the page's own consent answer.
    pub fn consent(&self, granted: JsValue) {
        with(|s| s.set_consent(granted.is_truthy()));
    }

    /// `attune.pause(on = true)`: stop (or resume) personalization.
    pub fn pause(&self, on: JsValue) {
        with(|s| s.pause(on.is_undefined() || on.is_truthy()));
    }

    /// `attune.context()`: what Attune knows about this page and visit.
    pub fn context(&self) -> JsValue {
        with(|s| s.context()).unwrap_or(JsValue::UNDEFINED)
    }

    /// `attune.export()`: everything stored and inferred, as the shopper downloads it.
    #[wasm_bindgen(js_name = export)]
    pub fn export_data(&self) -> JsValue {
        with(|s| s.export()).unwrap_or(JsValue::UNDEFINED)
    }

    /// `attune.prompts(config)`: help prompts configured from page code.
    pub fn prompts(&self, config: JsValue) {
        with(|s| {
            s.prompt_config = config;
            s.start_prompts();
        });
    }

    /// The prompts module, loaded after `attune.prompts(config)`.
    #[wasm_bindgen(js_name = setPrompter)]
    pub fn set_prompter(&self, prompter: Prompter) {
        with(|s| {
            if s.prompter.is_none() {
                s.prompter = Some(prompter);
                s.start_prompts();
            }
        });
    }

    /// A GA4 `dataLayer` entry pushed after load (the bootstrap forwards each argument).
    pub fn layer(&self, entry: JsValue) {
        with(|s| signals::layer(s, &entry));
    }

    /// A placement or privacy element was connected (0), disconnected (1) or had an
    /// observed attribute changed (2).
    pub fn element(&self, el: Element, change: u8) {
        render::element(el, change);
    }
}

/// The page's number format for `currency` ("" = plain numbers with two decimals); prices
/// in the model are minor units of `10^digits` per major unit (the model's `price_digits`,
/// else the currency's own digits).
fn money(currency: &str, digits: Option<i32>) -> Money {
    let options = js_sys::Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&options, &JsValue::from_str(k), &v);
    };
    let mut format = None;
    let code = currency.trim();
    if !code.is_empty() {
        set("style", JsValue::from_str("currency"));
        set("currency", JsValue::from_str(code));
        match number_format(&JsValue::UNDEFINED, &options) {
            Ok(f) => format = Some(f),
            Err(_) => dom::warn("unknown currency code; prices are shown without a currency"),
        }
    }
    if format.is_none() {
        let plain = js_sys::Object::new();
        let _ = js_sys::Reflect::set(
            &plain,
            &JsValue::from_str("minimumFractionDigits"),
            &JsValue::from_f64(2.0),
        );
        format = number_format(&JsValue::UNDEFINED, &plain).ok();
    }
    let resolved = format
        .as_ref()
        .map(|f| f.resolved_options())
        .unwrap_or(JsValue::UNDEFINED);
    let shown = get(&resolved, "minimumFractionDigits")
        .as_f64()
        .unwrap_or(2.0) as i32;
    Money {
        format,
        per_major: 10f64.powi(digits.unwrap_or(shown).clamp(0, 6)),
    }
}

/// A whole number in decimal (no `core::fmt`).
pub fn num(n: u64) -> String {
    let mut s = String::new();
    attune_core::profile::push_u64(&mut s, n);
    s
}

/// `typeof v === "string" || "number"` → the trimmed id, else "".
#[inline(never)]
pub fn as_id(v: &JsValue) -> String {
    if let Some(s) = v.as_string() {
        return s.trim().into();
    }
    if v.as_f64().is_some() {
        return signals::js_string(v).trim().into();
    }
    String::new()
}

#[derive(Serialize)]
struct StoredEvent<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    query: Option<&'a str>,
    at: f64,
}

#[derive(Serialize)]
struct Stored<'a> {
    v: u32,
    events: Vec<StoredEvent<'a>>,
    session: Session,
    paused: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Context<'a> {
    page: &'a str,
    item: Option<&'a str>,
    cart: Vec<String>,
    session_count: u32,
    session_start: f64,
    session_ms: f64,
    consent: &'static str,
    stored: bool,
    paused: bool,
}

#[derive(Serialize)]
struct Inferred {
    #[serde(rename = "priceBand")]
    price_band: Option<[u32; 2]>,
    basket: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Export<'a> {
    exported: String,
    storage: &'static str,
    retention_days: f64,
    paused: bool,
    session: Session,
    events: Vec<StoredEvent<'a>>,
    inferred: Inferred,
}

/// Plain objects (never ES Maps), `null` for a missing value.
#[inline(never)]
pub fn to_js<T: Serialize>(v: &T) -> JsValue {
    let s = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
    v.serialize(&s).unwrap_or(JsValue::UNDEFINED)
}

impl State {
    /// A label in the page's language (labels.rs), or the config's own.
    pub fn label(&self, k: crate::labels::Key) -> String {
        crate::labels::label(self.labels, &self.label_overrides, k)
    }

    /// The engine's numeric options from the page's config.
    fn configure_options(&mut self) {
        let cfg = self.cfg.clone();
        for k in ["maxPerCategory", "priceBand", "minScore", "maxEvents"] {
            let v = get(&cfg, k);
            if !v.is_undefined() && !v.is_null() {
                self.engine.set(k, signals::number(&v).unwrap_or(f64::NAN));
            }
        }
        self.engine.set(
            "rebuyAll",
            if get(&cfg, "rebuy") == JsValue::TRUE {
                1.0
            } else {
                0.0
            },
        );
    }

    /// The merchant's lists from the page's config (they name the model's items).
    fn configure_lists(&mut self) {
        let cfg = self.cfg.clone();
        for k in ["unavailable", "pin", "boost", "bury", "rebuy"] {
            let list = get(&cfg, k);
            if Array::is_array(&list) {
                self.engine.rule(k, "", &signals::ids(&list));
            }
        }
        let cats = get(&cfg, "categories");
        if cats.is_object() {
            for name in js_sys::Object::keys(cats.unchecked_ref::<js_sys::Object>()).iter() {
                let name = name.as_string().unwrap_or_default();
                self.engine
                    .rule("category", &name, &signals::ids(&get(&cats, &name)));
            }
        }
    }

    /// Where consent stands: denied if any source denies, granted if one grants or no
    /// framework is expected to answer, else pending.
    pub fn consent_state(&self) -> &'static str {
        if self.consent.iter().any(|c| !c.1) {
            "denied"
        } else if self.consent.iter().any(|c| c.1) || !(self.waiting || self.mode == "pending") {
            "granted"
        } else {
            "pending"
        }
    }

    /// A consent source answered (`None`: it is expected to answer later).
    pub fn set_source(&mut self, source: &'static str, granted: Option<bool>) {
        match granted {
            Some(g) => {
                self.consent.retain(|c| c.0 != source);
                self.consent.push((source, g));
            }
            None => self.waiting = true,
        }
    }

    fn set_consent(&mut self, granted: bool) {
        self.set_source("page", Some(granted));
        self.sync();
        if !granted {
            // Other open tabs stop writing at once and drop what they hold: they hear it as
            // a storage event of a key that is removed again at once (nothing stays).
            if let Ok(s) = dom::storage(false) {
                let _ = s.set_item(WITHDRAWN, "withdrawn");
                let _ = s.remove_item(WITHDRAWN);
            }
        }
    }

    /// Another tab's shopper withdrew consent through `attune.consent(false)`.
    pub fn withdrawn_elsewhere(&mut self) {
        self.set_source("page", Some(false));
        self.engine.forget();
        self.sync();
    }

    fn fault(&mut self, msg: &str, err: Option<&JsValue>) {
        self.broken = true;
        self.persist = false;
        match err {
            Some(e) => dom::warn_err(msg, e),
            None => dom::warn(msg),
        }
    }

    /// The stored profile (a parsed object), a blank one, or `None` when storage cannot be
    /// used for this page.
    #[inline(never)]
    fn read(&mut self) -> Option<JsValue> {
        let raw = dom::storage(false).and_then(|s| match s.get_item(KEY)? {
            Some(v) => Ok(Some(v)),
            None => s.get_item(OLD),
        });
        let raw = match raw {
            Ok(r) => r,
            Err(e) => {
                self.fault("localStorage is unavailable; the shopper profile lives in memory for this page", Some(&e));
                return None;
            }
        };
        let blank = || js_sys::JSON::parse(r#"{"v":2,"events":[]}"#).unwrap_or(JsValue::NULL);
        let Some(raw) = raw else {
            return Some(blank());
        };
        let o = js_sys::JSON::parse(&raw).unwrap_or(JsValue::UNDEFINED);
        let v = get(&o, "v").as_f64();
        if v.is_some_and(|v| v > 2.0) {
            self.fault("the stored shopper profile is from a newer Attune; using memory, not overwriting it", None);
            return None;
        }
        if matches!(v, Some(v) if v == 1.0 || v == 2.0) && Array::is_array(&get(&o, "events")) {
            return Some(o);
        }
        dom::warn("the stored shopper profile is unreadable; starting a new one");
        Some(blank())
    }

    /// Takes the stored profile `o` (a parsed object) into the engine; `merge` keeps the
    /// in-memory events after the stored ones.
    #[inline(never)]
    fn load(&mut self, o: &JsValue, merge: bool) {
        let mut text = String::new();
        for (n, e) in dom::items(&get(o, "events")).iter().enumerate() {
            if n > 0 {
                text.push('\n');
            }
            let kind = signals::js_string_or_empty(&get(e, "type"));
            let value = get(e, if kind == "search" { "query" } else { "item" });
            let at = signals::number(&get(e, "at")).map(f64::floor);
            text.push_str(&kind);
            text.push('\t');
            text.push_str(&signals::js_string_or_empty(&value));
            text.push('\t');
            match at {
                Some(at) if at >= 0.0 => text.push_str(&num(at as u64)),
                _ => text.push_str("NaN"),
            }
        }
        let bad = self.engine.load(&text, dom::now(), merge);
        if bad > 0 {
            dom::warn(&concat(&[
                "ignored ",
                &num(bad as u64),
                " invalid event(s) in the stored shopper profile",
            ]));
        }
        let s = get(o, "session");
        let n = |k: &str| signals::number(&get(&s, k)).unwrap_or(0.0);
        if n("count") > 0.0 && n("start") > 0.0 && n("last") > 0.0 {
            self.session = Session {
                count: n("count") as u32,
                start: n("start"),
                last: n("last"),
            };
        }
        self.paused = get(o, "paused") == JsValue::TRUE || (merge && self.paused);
    }

    fn events(&self) -> Vec<StoredEvent<'_>> {
        self.engine
            .profile()
            .events()
            .iter()
            .map(|e| {
                let kind = e.kind.name();
                let search = kind == "search";
                StoredEvent {
                    kind,
                    item: (!search).then_some(e.value.as_str()),
                    query: search.then_some(e.value.as_str()),
                    at: e.at_ms,
                }
            })
            .collect()
    }

    #[inline(never)]
    fn save(&mut self) {
        if !self.persist {
            return;
        }
        let stored = Stored {
            v: 2,
            events: self.events(),
            session: self.session,
            paused: self.paused,
        };
        let text = js_sys::JSON::stringify(&to_js(&stored))
            .map(String::from)
            .unwrap_or_default();
        let done = dom::storage(false).and_then(|s| {
            s.set_item(KEY, &text)?;
            s.remove_item(OLD)
        });
        if let Err(e) = done {
            self.fault(
                "localStorage refused to save the shopper profile; keeping it in memory",
                Some(&e),
            );
        }
    }

    /// Removes every Attune key (`attune`, `attune:*`) from local and session storage.
    fn wipe(&self) {
        for session in [false, true] {
            if let Ok(s) = dom::storage(session) {
                for k in dom::storage_keys(&s) {
                    if k == KEY || k.starts_with("attune:") {
                        let _ = s.remove_item(&k);
                    }
                }
            }
        }
    }

    /// Follows the consent state: with consent, the stored profile is loaded (and what
    /// happened before consent is saved); a denial erases what was stored.
    #[inline(never)]
    pub fn sync(&mut self) {
        if !self.started {
            return; // the model's arrival syncs
        }
        if self.consent_state() == "granted" {
            if !self.persist && !self.broken {
                let mine = self.engine.event_count();
                if let Some(o) = self.read() {
                    self.persist = true;
                    self.load(&o, true);
                    let stored = dom::items(&get(&o, "events")).len();
                    // Save what changed: events before consent, a migration, retention, the bound.
                    if mine > 0
                        || get(&o, "v").as_f64() == Some(1.0)
                        || self.engine.event_count() != stored
                    {
                        self.save();
                    }
                }
            }
        } else {
            if self.consent_state() == "denied" {
                self.wipe(); // withdrawal erases what was stored
            }
            self.persist = false;
        }
        self.start_prompts(); // the prompt memory follows the same consent
        render::refresh();
    }

    /// Another tab changed the stored profile: follow it.
    pub fn storage_changed(&mut self, e: &StorageEvent) {
        let key = e.key();
        if key.as_deref() == Some(WITHDRAWN) && e.new_value().is_some() {
            self.withdrawn_elsewhere();
            return;
        }
        if self.persist && (key.is_none() || key.as_deref() == Some(KEY)) {
            if let Some(o) = self.read() {
                self.load(&o, false);
                render::refresh();
            }
        }
    }

    fn start_prompts(&mut self) {
        if self.prompter.is_some() {
            self.outbox.push(PromptCall::Start(
                self.prompt_config.clone(),
                dom::now(),
                self.persist,
            ));
        }
    }

    /// Records an event at `at` (or keeps it until the widget has started).
    #[inline(never)]
    fn apply(&mut self, kind: &str, value: &str, at: f64, ev: JsValue) {
        if self.prompter.is_some() {
            let ev = if ev.is_object() {
                ev
            } else {
                signals::event_object(kind, value)
            };
            self.outbox.push(PromptCall::Signal(ev, at));
        }
        if self.paused || kind == "variant" {
            return; // option switches are for the prompts only
        }
        if self.persist {
            if let Some(o) = self.read() {
                self.load(&o, false); // what other tabs stored meanwhile
            }
        }
        if let Err(e) = self.engine.track(kind, value, at) {
            dom::warn(&concat(&[
                "track ignored an event (attune: ",
                crate::interop::event_error(e),
                ")",
            ]));
            return;
        }
        if at - self.session.last > VISIT_GAP_MS {
            if self.session.last > 0.0 {
                self.session.count += 1;
            }
            self.session.start = at;
        }
        self.session.last = at;
        self.save();
    }

    /// One event from the page or the shopper; `ev` is what the page passed, if anything.
    #[inline(never)]
    pub fn record(&mut self, kind: &str, value: &str, ev: JsValue) {
        if self.failed {
            return;
        }
        let at = dom::now();
        if kind == "view" {
            if self.seen.iter().any(|s| s == value) {
                return;
            }
            self.seen.push(value.into());
        }
        if let Some(q) = &mut self.queue {
            if q.len() < QUEUE_MAX {
                q.push((kind.into(), value.into(), at, ev));
            }
            return;
        }
        self.apply(kind, value, at, ev);
        render::refresh();
    }

    /// `track({type, item | query | search_term, …})`.
    #[inline(never)]
    pub fn track(&mut self, event: &JsValue) {
        let kind = signals::js_string(&get(event, "type"));
        let kind = if kind == "add_to_cart" {
            String::from("cart")
        } else {
            kind
        };
        let value = if kind == "search" {
            let q = get(event, "query");
            let q = if q.is_undefined() || q.is_null() {
                get(event, "search_term")
            } else {
                q
            };
            signals::search_text(&signals::js_string_or_empty(&q))
        } else {
            as_id(&get(event, "item"))
        };
        let ev = if event.is_object() {
            event.clone()
        } else {
            JsValue::UNDEFINED
        };
        self.record(&kind, &value, ev);
    }

    /// What a placement shows: `Ask` from the element's or the caller's words, with the
    /// page's item and basket where they are not given.
    pub fn rows(
        &self,
        placement: &str,
        item: &str,
        items: Option<Vec<String>>,
        k: Option<usize>,
        min: Option<f32>,
        fallback: &str,
    ) -> Option<Vec<attune_core::rules::Pick>> {
        let basket = items.or_else(|| self.page.cart.clone());
        let ask = Ask {
            placement,
            item,
            basket: basket.as_deref(),
            k: k.or(self.tag.k),
            min,
            fallback,
            personal: !self.paused,
        };
        self.engine.pick(&ask)
    }

    fn recommend(&mut self, o: &JsValue) -> Vec<String> {
        if !self.started || self.failed {
            return Vec::new();
        }
        let k = get(o, "k");
        let k = if k.is_undefined() || k.is_null() {
            None
        } else {
            Some(signals::number(&k).map_or(1.0, f64::floor).max(1.0) as usize)
        };
        let history = get(o, "history");
        if !history.is_undefined() && !history.is_null() {
            let line = if Array::is_array(&history) {
                signals::ids(&history)
            } else {
                signals::js_string(&history)
            };
            let out = self.engine.recommend_ids(&line, k.unwrap_or(10));
            return out
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
        let placement = get(o, "placement");
        let placement = if placement.is_undefined() || placement.is_null() {
            String::from("for-you")
        } else {
            signals::js_string(&placement)
        };
        let item = get(o, "item");
        let item = if item.is_undefined() || item.is_null() {
            self.page.item.clone()
        } else {
            as_id(&item)
        };
        let items = get(o, "items");
        let items = (!items.is_undefined() && !items.is_null())
            .then(|| signals::split(&signals::ids(&items)));
        match self.rows(&placement, &item, items, k, None, "") {
            Some(rows) => rows
                .iter()
                .map(|p| self.engine.model().id(p.item).into())
                .collect(),
            None => {
                dom::warn(&concat(&[
                    "recommend failed (attune: ",
                    crate::interop::UNKNOWN_PLACEMENT,
                    ")",
                ]));
                Vec::new()
            }
        }
    }

    pub fn forget(&mut self) {
        self.paused = false;
        self.session = Session {
            count: 1,
            start: dom::now(),
            last: 0.0,
        };
        self.engine.forget();
        self.wipe();
        if self.prompter.is_some() {
            self.outbox.push(PromptCall::Forget);
        }
    }

    pub fn pause(&mut self, on: bool) {
        self.paused = on;
        self.save();
        render::refresh();
    }

    pub fn cfg_value(&self) -> JsValue {
        self.cfg.clone()
    }

    /// The basket: as the page states it, else as the events tell it.
    pub fn basket(&self) -> Vec<String> {
        self.page
            .cart
            .clone()
            .unwrap_or_else(|| self.engine.basket())
    }

    fn context(&self) -> JsValue {
        let now = dom::now();
        to_js(&Context {
            page: if self.page.kind.is_empty() {
                "other"
            } else {
                &self.page.kind
            },
            item: (!self.page.item.is_empty()).then_some(self.page.item.as_str()),
            cart: self.basket(),
            session_count: self.session.count,
            session_start: self.session.start,
            session_ms: now - self.session.start,
            consent: self.consent_state(),
            stored: self.persist,
            paused: self.paused,
        })
    }

    pub fn export(&self) -> JsValue {
        let exported = String::from(js_sys::Date::new_0().to_iso_string());
        to_js(&Export {
            exported,
            storage: if self.persist {
                "localStorage \"attune\""
            } else {
                "memory only"
            },
            retention_days: self.days,
            paused: self.paused,
            session: self.session,
            events: self.events(),
            inferred: Inferred {
                price_band: self.engine.price_band().map(|(lo, hi)| [lo, hi]),
                basket: self.engine.basket(),
            },
        })
    }
}

/// The one listener of the widget: page clicks and searches, storage changes from other
/// tabs, consent messages, and the shopper's buttons inside placements.
pub fn on_event(e: Event) {
    let kind = e.type_();
    match kind.as_str() {
        "storage" => {
            if let Some(se) = e.dyn_ref::<StorageEvent>() {
                with(|s| s.storage_changed(se));
            }
        }
        "visitorConsentCollected" => signals::shopify_consent(Some(&e)),
        "close" => render::dialog_closed(&e),
        _ => {
            let on_page =
                e.current_target().map(JsValue::from) == Some(JsValue::from(dom::document()));
            if on_page {
                signals::page_event(&e);
            } else {
                render::action(&e);
            }
        }
    }
}

/// The listener as a JS function, made once.
pub fn listener() -> Function {
    static F: Local<Option<Function>> = Local::new(None);
    F.with(|f| {
        f.get_or_insert_with(|| {
            Closure::<dyn FnMut(Event)>::new(on_event)
                .into_js_value()
                .unchecked_into()
        })
        .clone()
    })
    .unwrap_throw()
}
