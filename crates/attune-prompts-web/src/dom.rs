//! The prompts' own web-sys and js-sys calls, beside attune-dom's shared ones (elements,
//! Shadow DOM, URLs, storage, listeners, timers, the console): events and their targets,
//! the page's location, media queries, focus, `JSON`, number formatting and the prompt's
//! DOM events. Thin on purpose: nothing here decides, and nothing throws into the page (a
//! call that fails gives a neutral value).

use alloc::string::String;
use attune_core::prompts::Value;
use attune_dom::{document, window};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CustomEvent, CustomEventInit, Event};

pub use attune_dom::{add, attr, attr_of, el, now, query, query_all, text_el};
pub use web_sys::Element;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl)]
    type NumberFormat;
    #[wasm_bindgen(constructor, js_namespace = Intl, catch)]
    fn new(locales: &JsValue, options: &JsValue) -> Result<NumberFormat, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn format(this: &NumberFormat, n: f64) -> Result<JsValue, JsValue>;
    /// `String(n)`: the page's own spelling of a number.
    #[wasm_bindgen(js_name = String)]
    fn js_string(n: f64) -> String;
}

/// `JSON.parse(text)` as a [`Value`]; `Err` carries the browser's message.
pub fn json(text: &str) -> Result<Value, String> {
    let v = js_sys::JSON::parse(text).map_err(|e| attune_dom::error_text(&e))?;
    to_value(&v).ok_or_else(|| String::from("nested too deeply"))
}

/// A page value (an event, a config object) as a [`Value`]; `None` if it cannot be read.
pub fn to_value(v: &JsValue) -> Option<Value> {
    crate::interop::to_value(v)
}

/// `JSON.stringify(v)`; `None` for what has no JSON text (undefined, a function, a cycle).
pub fn stringify(v: &JsValue) -> Option<String> {
    js_sys::JSON::stringify(v)
        .ok()
        .and_then(|s| JsValue::from(s).as_string())
}

/// `+s` (JS's own number parsing: "12.50", " 3 ", "1e3").
pub fn number(s: &str) -> f64 {
    JsValue::from_str(s).unchecked_into_f64()
}

/// `String(n)`.
pub fn number_text(n: f64) -> String {
    js_string(n)
}

/// `n` in the shopper's locale, as money in `currency` or with two decimals; `n.toFixed(2)`
/// if the browser refuses the currency.
pub fn money(n: f64, currency: &str) -> String {
    let mut opts = String::from("{\"minimumFractionDigits\":2}");
    if !currency.is_empty() {
        opts = String::from("{\"style\":\"currency\",\"currency\":");
        crate::store::quote(&mut opts, currency);
        opts.push('}');
    }
    let options = js_sys::JSON::parse(&opts).unwrap_or(JsValue::UNDEFINED);
    NumberFormat::new(&JsValue::UNDEFINED, &options)
        .and_then(|f| f.format(n))
        .ok()
        .and_then(|s| s.as_string())
        .or_else(|| {
            js_sys::Number::from(n)
                .to_fixed(2)
                .ok()
                .and_then(|s| JsValue::from(s).as_string())
        })
        .unwrap_or_default()
}

/// The page's path and query (what `on` and `neverOn` match).
pub fn page_url() -> String {
    let l = window().location();
    let mut s = l.pathname().unwrap_or_default();
    s.push_str(&l.search().unwrap_or_default());
    s
}

pub fn href() -> String {
    window().location().href().unwrap_or_default()
}

/// The device's primary pointer is coarse (a touch screen).
pub fn coarse() -> bool {
    matches!(window().match_media("(pointer: coarse)"), Ok(Some(m)) if m.matches())
}

pub fn hidden() -> bool {
    document().hidden()
}

pub fn scroll_y() -> f64 {
    window().scroll_y().unwrap_or(0.0)
}

pub fn body_or_root() -> Option<Element> {
    let d = document();
    d.body().map(Element::from).or_else(|| d.document_element())
}

pub fn is_body(e: &Element) -> bool {
    document()
        .body()
        .is_some_and(|b| b.unchecked_ref::<Element>() == e)
}

pub fn active_is(e: &Element) -> bool {
    document().active_element().as_ref() == Some(e)
}

/// Whether focus is inside `host`'s shadow root.
pub fn focus_inside(host: &Element) -> bool {
    host.shadow_root()
        .and_then(|r| r.active_element())
        .is_some()
}

// Events and flags through property reads (Reflect, already imported): each typed web-sys
// accessor or `instanceof` check is one more import and glue function. Focus and blur are
// typed calls: a generic `Function.call` would let the Wasm call any function it can read,
// which the audit cannot pass.
pub fn focus(e: &Element) {
    attune_dom::focus(e);
}

pub fn blur(e: &Element) {
    let _ = e.unchecked_ref::<web_sys::HtmlElement>().blur();
}

pub fn connected(e: &Element) -> bool {
    e.is_connected()
}

pub fn closest(e: &Element, selector: &str) -> Option<Element> {
    e.closest(selector).ok().flatten()
}

pub fn find(e: &Element, selector: &str) -> Option<Element> {
    e.query_selector(selector).ok().flatten()
}

/// Replaces `old` by `new` where it stands.
pub fn replace(old: &Element, new: &Element) {
    let _ = old.replace_with_with_node_1(new);
}

/// Empties `parent`, then puts `child` (if any) in it.
pub fn set_only(parent: &Element, child: Option<&Element>) {
    attune_dom::clear_except(parent, None);
    if let Some(c) = child {
        add(parent, c);
    }
}

pub fn remove(e: &Element) {
    e.remove();
}

pub fn text_of(e: &Element) -> String {
    e.text_content().unwrap_or_default()
}

/// A string property of an element (`type`, `name`, `value`), "" if it has none.
pub fn prop(e: &Element, name: &str) -> String {
    attune_dom::get(e, name).as_string().unwrap_or_default()
}

pub fn editable(e: &Element) -> bool {
    attune_dom::get(e, "isContentEditable").as_bool() == Some(true)
}

// ---- events ---------------------------------------------------------------------------

/// An event (the listener's argument), or `None` (the timer calls it with nothing).
pub fn as_event(v: &JsValue) -> Option<&Event> {
    v.is_object().then(|| v.unchecked_ref::<Event>())
}

pub fn kind(e: &Event) -> String {
    attune_dom::get(e, "type").as_string().unwrap_or_default()
}

/// The event's target if it is an element (it has a tag name).
pub fn target(e: &Event) -> Option<Element> {
    let t = attune_dom::get(e, "target");
    attune_dom::get(&t, "tagName")
        .is_string()
        .then(|| t.unchecked_into::<Element>())
}

/// The pointer left the window through its top edge (a `mouseout` to nowhere).
pub fn left_through_top(e: &Event) -> bool {
    attune_dom::get(e, "relatedTarget").is_null()
        && attune_dom::get(e, "clientY")
            .as_f64()
            .is_some_and(|y| y <= 0.0)
}

/// An Escape key press that no page handler has taken.
pub fn escape(e: &Event) -> bool {
    attune_dom::get(e, "key").as_string().as_deref() == Some("Escape")
        && attune_dom::get(e, "defaultPrevented").as_bool() != Some(true)
}

/// Dispatches `name` (bubbling, composed) on `host` with `detail` (JSON text).
pub fn emit(host: &Element, name: &str, detail: &str) {
    let init = CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&js_sys::JSON::parse(detail).unwrap_or(JsValue::NULL));
    if let Ok(ev) = CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = host.dispatch_event(&ev);
    }
}

/// The one listener function of a Prompts instance, for every event and the timer. `Fn`,
/// not `FnMut`: the page may re-enter it (our own focus move or DOM change fires focusin,
/// focusout…) and wasm-bindgen throws into the page when an `FnMut` closure is re-entered;
/// the state's borrow drops such a nested call instead (lib.rs `with`).
pub fn handler(f: impl Fn(JsValue) + 'static) -> js_sys::Function {
    let c = Closure::<dyn Fn(JsValue)>::new(f);
    let f = c.as_ref().unchecked_ref::<js_sys::Function>().clone();
    // Lives as long as the page: the listeners hold it (a dropped closure would throw).
    c.forget();
    f
}

pub fn listen(
    target: &web_sys::EventTarget,
    kind: &str,
    f: &js_sys::Function,
    capture: bool,
    passive: bool,
) {
    attune_dom::listen(target, kind, f, capture, passive)
}

pub fn doc_target() -> web_sys::EventTarget {
    document().into()
}

pub fn win_target() -> web_sys::EventTarget {
    window().into()
}

pub fn text_node(text: &str) -> web_sys::Node {
    document().create_text_node(text).into()
}
