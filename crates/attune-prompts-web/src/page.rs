//! The page side of the help prompts: what js/attune-prompts.js did, in Rust. It turns the
//! page's events and the shop's tracked events into engine signals, runs the engine's
//! timer, keeps its memory in `localStorage` (written only when the loader allows storage),
//! and shows the prompt the engine picks (render.rs). Every DOM call goes through dom.rs.
//!
//! Never throws into the page and never moves focus unless the shopper is already in the
//! prompt. Sends nothing anywhere: answers and actions become DOM events only. Effects that
//! can call back into this code (focus moves, the prompt's DOM events) run after the
//! state is released (`Effect`), so a page listener may call `signal` from inside them.

use crate::dom::{self, Element};
use crate::render;
use crate::store::{self, Answer, Item, Stored, MAX_ANSWERS, MAX_ITEMS};
use alloc::string::String;
use alloc::vec::Vec;
use attune_core::prompts::{self, Config, ConfigError, Problem, Prompts, Signal, Value};
use wasm_bindgen::JsCast;

pub const KEY: &str = "attune:prompts";

/// Something to do once the state is no longer borrowed.
pub enum Effect {
    /// A DOM event on the host: name, detail as JSON text.
    Emit(&'static str, String),
    Focus(Element),
    Blur(Element),
}

#[derive(Default)]
pub struct Page {
    pub engine: Option<Prompts>,
    cfg_text: Option<String>,
    persist: bool,
    timer: i32,
    pub host: Option<Element>,
    pub live: Option<Element>,
    /// The rule (index in the config's rules) whose prompt is on screen, and its element.
    pub open: Option<(usize, Element)>,
    /// Where focus was before it entered the prompt.
    back: Option<Element>,
    pub items: Vec<Item>,
    answers: Vec<Answer>,
    last_move: f64,
    /// The instance's one listener function (events and the timer).
    pub handler: Option<js_sys::Function>,
    pub effects: Vec<Effect>,
    /// The instance was freed: its listeners do nothing.
    pub dead: bool,
}

/// Reads and validates a config given as JSON text (as the page's JSON.parse reads it).
pub fn config_from_text(text: &str) -> Config {
    // JS counts UTF-16 units; a byte count is never smaller.
    if text.len() > prompts::config::MAX_CONFIG_TEXT
        && text.encode_utf16().count() > prompts::config::MAX_CONFIG_TEXT
    {
        return Config::failed(Problem::TooLong);
    }
    match dom::json(text) {
        Ok(v) => prompts::parse(&v),
        Err(e) => Config::failed(Problem::Syntax(e)),
    }
}

/// `String(v).trim()` for a string or a number, else "" (what the page may show).
pub fn str_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::Str(s)) => String::from(s.trim()),
        Some(Value::Num(n)) => dom::number_text(*n),
        _ => String::new(),
    }
}

/// JS truthiness of a value.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Num(n)) => *n != 0.0 && !n.is_nan(),
        Some(Value::Str(s)) => !s.is_empty(),
        _ => true,
    }
}

/// `a ?? b`.
fn either<'a>(a: Option<&'a Value>, b: Option<&'a Value>) -> Option<&'a Value> {
    match a {
        None | Some(Value::Null) => b,
        _ => a,
    }
}

impl Page {
    /// startPrompts(): `text` is the config's JSON text (given, or the page's script).
    pub fn start(&mut self, text: String, now: f64, store: bool) {
        self.persist = store;
        // The same config again (the loader restarting on a consent change): only `store`
        // changed.
        if self.cfg_text.as_deref() != Some(text.as_str()) {
            let c = config_from_text(&text);
            self.cfg_text = Some(text);
            for e in &c.errors {
                attune_dom::warn(&attune_dom::concat(&[
                    "help prompts: ",
                    &ConfigError::message(e),
                ]));
            }
            match &mut self.engine {
                Some(engine) => engine.set_config(c),
                None => {
                    let memory = self.load();
                    self.engine = Some(Prompts::new(
                        c,
                        memory,
                        now,
                        &dom::page_url(),
                        dom::coarse(),
                    ));
                }
            }
        }
        if self.host.is_none() {
            self.listen();
        }
        if dom::hidden() {
            self.signal(Signal::Hidden, now);
        }
        // A page that states the basket (docs/integration.md) corrects what the events implied.
        if let Some(b) = dom::query("[data-attune-cart-items]") {
            let ids = dom::attr_of(&b, "data-attune-cart-items").unwrap_or_default();
            let ids = ids
                .split(['\t', '\n', '\x0c', '\r', ' '])
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            self.signal(Signal::Basket(ids), now);
        }
        self.save();
        self.schedule(now);
    }

    /// promptSignal(): a tracked event ({type, item, …}, GA4 names too) at `at`.
    pub fn track(&mut self, e: &Value, at: f64) {
        if self.engine.is_none() || !matches!(e, Value::Obj(_)) {
            return;
        }
        let kind = if truthy(e.get("type")) {
            e.get("type")
        } else {
            e.get("event")
        };
        let kind = kind.and_then(Value::as_str).unwrap_or_default();
        let id = str_of(either(e.get("item"), e.get("item_id")));
        let signal = match kind {
            "view" | "view_item" => {
                let category = self.facts(&id, e);
                Signal::View(id, category)
            }
            "cart" | "add_to_cart" => Signal::Cart(id),
            "remove_from_cart" => Signal::Remove(id),
            "purchase" => Signal::Purchase(id),
            "search" | "view_search_results" => {
                Signal::Search(match (e.get("results"), e.get("items")) {
                    (Some(Value::Num(n)), _) => *n,
                    (_, Some(Value::List(l))) => l.len() as f64,
                    _ => -1.0,
                })
            }
            "variant" => {
                let name = if truthy(e.get("name")) {
                    e.get("name")
                } else {
                    e.get("option")
                };
                let mut name = str_of(name);
                if name.is_empty() {
                    name = String::from("option");
                }
                Signal::Variant(name, str_of(e.get("value")))
            }
            _ => return,
        };
        self.signal(signal, at);
        self.save();
    }

    /// forgetPrompts(): the shopper erased their data.
    pub fn forget(&mut self) {
        self.items.clear();
        self.answers.clear();
        if let Some(e) = &mut self.engine {
            e.forget();
        }
        if let Ok(s) = attune_dom::storage(false) {
            let _ = s.remove_item(KEY);
        }
    }

    /// The instance is freed: no timer, no prompt, listeners that do nothing.
    pub fn stop(&mut self) {
        self.dead = true;
        attune_dom::clear_timeout(self.timer);
        if let Some(h) = self.host.take() {
            dom::remove(&h);
        }
    }

    // ---- the engine: the page's clock goes in here -----------------------------------

    pub fn signal(&mut self, s: Signal, at: f64) {
        let Some(engine) = &mut self.engine else {
            return;
        };
        if let Some(i) = engine.signal(s, at) {
            self.show(i);
        }
        self.schedule(at);
    }

    /// The timer came due.
    pub fn tick(&mut self) {
        let t = dom::now();
        let Some(engine) = &mut self.engine else {
            return;
        };
        if let Some(i) = engine.tick(t) {
            self.show(i);
        }
        self.schedule(t);
    }

    fn schedule(&mut self, now: f64) {
        attune_dom::clear_timeout(self.timer);
        self.timer = 0;
        let (Some(engine), Some(f)) = (&self.engine, &self.handler) else {
            return;
        };
        if let Some(next) = engine.next_tick(now) {
            // A cooldown may end months away: setTimeout overflows past 24.8 days.
            let ms = (next - now).clamp(0.0, 3_600_000.0);
            self.timer = attune_dom::timeout(f, ms as i32);
        }
    }

    // The stored memory, or a blank one: a damaged or foreign value is ignored.
    fn load(&mut self) -> prompts::Memory {
        let text = attune_dom::storage(false)
            .ok()
            .and_then(|s| s.get_item(KEY).ok().flatten());
        let stored = text
            .and_then(|t| dom::json(&t).ok())
            .map(|v| store::read(&v))
            .unwrap_or_default();
        let Stored {
            memory,
            items,
            answers,
        } = stored;
        self.items = items;
        self.answers = answers;
        memory
            .and_then(|m| prompts::Memory::from_text(&m))
            .unwrap_or_default()
    }

    pub fn save(&self) {
        let (true, Some(engine)) = (self.persist, &self.engine) else {
            return;
        };
        let text = store::write(&engine.memory().to_text(), &self.items, &self.answers);
        if let Ok(s) = attune_dom::storage(false) {
            let _ = s.set_item(KEY, &text);
        }
    }

    // What the page told about an item (its `view` event, else the page's schema.org
    // Product), kept for the comparison table. Returns its category.
    fn facts(&mut self, id: &str, e: &Value) -> String {
        let mut p = Value::Null;
        if either(e.get("title"), None).is_none() && either(e.get("item_name"), None).is_none() {
            for s in dom::query_all("script[type=\"application/ld+json\"]") {
                let Ok(j) = dom::json(&dom::text_of(&s)) else {
                    continue;
                };
                let graph = j.get("@graph").filter(|g| truthy(Some(g))).cloned();
                let list = match graph.unwrap_or(j) {
                    Value::List(l) => l,
                    one => alloc::vec![one],
                };
                for x in list {
                    let product = match x.get("@type") {
                        Some(Value::Str(t)) => t == "Product",
                        Some(Value::List(l)) => l.iter().any(|t| t.as_str() == Some("Product")),
                        _ => false,
                    };
                    if product && str_of(either(x.get("sku"), x.get("productID"))) == id {
                        p = x;
                    }
                }
            }
        }
        let offer = match p.get("offers") {
            Some(Value::List(l)) => l.first(),
            o => o,
        };
        let offer = |k: &str| offer.and_then(|o| o.get(k));
        let cat = either(
            either(e.get("category"), e.get("item_category")),
            p.get("category"),
        );
        let cat = match cat {
            Some(c @ Value::Obj(_)) => c.get("name"),
            c => c,
        };
        let price = either(e.get("price"), offer("price"));
        let currency = either(e.get("currency"), offer("priceCurrency"));
        let mut url = str_of(either(e.get("url"), p.get("url")));
        if url.is_empty() && truthy(p.get("name")) {
            url = dom::href();
        }
        let mut item = Item {
            id: String::from(id),
            title: str_of(either(
                either(e.get("title"), e.get("item_name")),
                p.get("name"),
            )),
            price: self.money(price, currency),
            url,
            fields: Vec::new(),
        };
        let src = match e.get("fields") {
            Some(f @ Value::Obj(_)) => f,
            _ => e,
        };
        if let Some(engine) = &self.engine {
            for r in &engine.config().rules {
                for f in &r.fields {
                    if let Some(v) = either(src.get(f), None) {
                        if !item.fields.iter().any(|(k, _)| k == f) {
                            item.fields.push((f.clone(), str_of(Some(v))));
                        }
                    }
                }
            }
        }
        self.items.retain(|x| x.id != id);
        self.items.push(item);
        let n = self.items.len();
        self.items.drain(..n.saturating_sub(MAX_ITEMS));
        str_of(cat)
    }

    fn money(&self, v: Option<&Value>, currency: Option<&Value>) -> String {
        let n = match v {
            None | Some(Value::Null) => return String::new(),
            Some(Value::Str(s)) if s.is_empty() => return String::new(),
            Some(Value::Str(s)) => {
                let n = dom::number(s);
                if !n.is_finite() {
                    return String::from(s.trim());
                }
                n
            }
            Some(Value::Num(n)) => *n,
            Some(Value::Bool(b)) => *b as u8 as f64,
            _ => return String::new(),
        };
        if !n.is_finite() {
            return String::new();
        }
        let cfg = self
            .engine
            .as_ref()
            .and_then(|e| e.config().currency.clone());
        let code = if truthy(currency) {
            str_of(currency)
        } else {
            cfg.unwrap_or_default()
        };
        dom::money(n, &code)
    }

    // ---- the page's signals ------------------------------------------------------------

    fn listen(&mut self) {
        let Some(f) = self.handler.clone() else {
            return;
        };
        let Some((host, live)) = render::host(&f) else {
            return;
        };
        self.host = Some(host);
        self.live = Some(live);
        let (d, w) = (dom::doc_target(), dom::win_target());
        for kind in [
            "mouseout",
            "visibilitychange",
            "pointerdown",
            // `beforeinput`, not `input`: the same typing, and the module then holds no
            // "input" literal that `attune audit` would have to assume an element name
            // (with "src", an <input type=image> could load a URL).
            "beforeinput",
            "pointermove",
            "focusin",
            "focusout",
            "change",
        ] {
            dom::listen(&d, kind, &f, true, true);
        }
        dom::listen(&w, "scroll", &f, true, true);
        dom::listen(&w, "pagehide", &f, true, true);
        // Bubbling and not passive: a page handler that took Escape first wins.
        dom::listen(&d, "keydown", &f, false, false);
    }

    /// One page event (or the shadow root's click).
    pub fn event(&mut self, e: &web_sys::Event) {
        let t = dom::now();
        let target = dom::target(e);
        let is_host = target.is_some() && target == self.host;
        match dom::kind(e).as_str() {
            "mouseout" => {
                if dom::left_through_top(e) {
                    self.signal(Signal::PointerLeftTop, t)
                }
            }
            "scroll" => self.signal(Signal::Scroll(dom::scroll_y()), t),
            "visibilitychange" => {
                let hidden = dom::hidden();
                self.signal(
                    if hidden {
                        Signal::Hidden
                    } else {
                        Signal::Visible
                    },
                    t,
                );
                if hidden {
                    self.save();
                }
            }
            "pagehide" => self.save(),
            "pointermove" => {
                if t - self.last_move > 1000.0 {
                    self.last_move = t;
                    self.signal(Signal::Activity, t);
                }
            }
            "focusin" => {
                if !is_host {
                    let field = target.as_ref().is_some_and(is_field);
                    self.back = target;
                    self.signal(Signal::Field(field), t);
                }
            }
            "focusout" => {
                if !is_host && target.as_ref().is_some_and(is_field) {
                    self.signal(Signal::Field(false), t);
                }
            }
            "change" => {
                let Some(el) = target else { return };
                if let Some(v) = dom::closest(&el, "[data-attune-variant]") {
                    let mut name = dom::attr_of(&v, "data-attune-variant").unwrap_or_default();
                    if name.is_empty() {
                        name = dom::prop(&el, "name");
                    }
                    if name.is_empty() {
                        name = String::from("option");
                    }
                    let value = String::from(dom::prop(&el, "value").trim());
                    self.signal(Signal::Variant(name, value), t);
                }
            }
            "keydown" => {
                if self.open.is_some() && dom::escape(e) {
                    self.close("close");
                } else {
                    self.signal(Signal::Activity, t);
                }
            }
            "click" => self.act(target),
            _ => self.signal(Signal::Activity, t),
        }
    }

    // ---- the prompt --------------------------------------------------------------------

    fn show(&mut self, i: usize) {
        let (Some(engine), Some(live)) = (&self.engine, &self.live) else {
            if let Some(e) = &mut self.engine {
                e.closed(false);
            }
            return;
        };
        let Some(rule) = engine.config().rules.get(i) else {
            return;
        };
        let box_ = render::prompt(rule, engine.config(), &self.items, &engine.compared());
        dom::set_only(live, Some(&box_));
        self.open = Some((i, box_));
        self.save();
        self.emit("attune:prompt", Some("show"), None);
    }

    fn act(&mut self, target: Option<Element>) {
        let Some(b) = target.and_then(|t| dom::closest(&t, "[data-a]")) else {
            return;
        };
        let Some((_, box_)) = self.open.clone() else {
            return;
        };
        match dom::attr_of(&b, "data-a").unwrap_or_default().as_str() {
            a @ ("close" | "never") => self.close(if a == "close" { "close" } else { "never" }),
            "link" => {
                let href = dom::attr_of(&b, "href").unwrap_or_default();
                self.emit("attune:prompt", Some("link"), Some(("href", &href)));
            }
            "answer" => {
                let answer = dom::attr_of(&b, "data-v").unwrap_or_default();
                let rule = self.open_rule().map(|r| r.0).unwrap_or_default();
                self.answers.push(Answer(rule, answer.clone(), dom::now()));
                let n = self.answers.len();
                self.answers.drain(..n.saturating_sub(MAX_ANSWERS));
                self.save();
                let focused = self.host.as_ref().is_some_and(dom::focus_inside);
                if let (Some(group), Some(engine)) =
                    (dom::find(&box_, "[part~=choices]"), &self.engine)
                {
                    dom::replace(&group, &render::thanks(engine.config()));
                }
                if focused {
                    if let Some(c) = dom::find(&box_, "[part~=close]") {
                        self.effects.push(Effect::Focus(c));
                    }
                }
                self.emit("attune:prompt", Some("answer"), Some(("answer", &answer)));
                self.emit("attune:survey", None, Some(("answer", &answer)));
            }
            _ => {}
        }
    }

    /// The open rule's id and kind.
    fn open_rule(&self) -> Option<(String, &'static str)> {
        let (i, _) = self.open.as_ref()?;
        let r = self.engine.as_ref()?.config().rules.get(*i)?;
        Some((r.id.clone(), r.show.name()))
    }

    pub fn close(&mut self, action: &'static str) {
        let Some(rule) = self.open_rule() else { return };
        let inside = self.host.as_ref().is_some_and(dom::active_is);
        if let Some(e) = &mut self.engine {
            e.closed(action == "never");
        }
        if let Some(live) = &self.live {
            dom::set_only(live, None);
        }
        self.open = None;
        if inside {
            match &self.back {
                Some(b) if dom::connected(b) && !dom::is_body(b) => {
                    self.effects.push(Effect::Focus(b.clone()))
                }
                _ => {
                    if let Some(h) = &self.host {
                        self.effects.push(Effect::Blur(h.clone()));
                    }
                }
            }
        }
        self.save();
        self.emit_for(&rule, "attune:prompt", Some(action), None);
        self.schedule(dom::now());
    }

    fn emit(&mut self, name: &'static str, action: Option<&str>, extra: Option<(&str, &str)>) {
        if let Some(rule) = self.open_rule() {
            self.emit_for(&rule, name, action, extra);
        }
    }

    fn emit_for(
        &mut self,
        rule: &(String, &'static str),
        name: &'static str,
        action: Option<&str>,
        extra: Option<(&str, &str)>,
    ) {
        let mut d = String::from("{\"rule\":");
        store::quote(&mut d, &rule.0);
        d.push_str(",\"kind\":");
        store::quote(&mut d, rule.1);
        if let Some(a) = action {
            d.push_str(",\"action\":");
            store::quote(&mut d, a);
        }
        if let Some((k, v)) = extra {
            d.push(',');
            store::quote(&mut d, k);
            d.push(':');
            store::quote(&mut d, v);
        }
        d.push('}');
        self.effects.push(Effect::Emit(name, d));
    }
}

/// Focus in this element means the shopper is typing (no prompt may interrupt).
fn is_field(e: &Element) -> bool {
    let tag = e.tag_name();
    if tag == "TEXTAREA" || tag == "SELECT" || dom::editable(e) {
        return true;
    }
    let t = dom::prop(e, "type").to_ascii_lowercase();
    e.dyn_ref::<web_sys::HtmlInputElement>().is_some()
        && !matches!(
            t.as_str(),
            "button"
                | "submit"
                | "reset"
                | "checkbox"
                | "radio"
                | "range"
                | "color"
                | "file"
                | "image"
                | "hidden"
        )
}
