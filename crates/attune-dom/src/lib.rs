//! Every web-sys call of Attune's browser front in one thin place (as rust-dominator keeps
//! its bindings): building elements from DOM nodes and text (never HTML strings), one Shadow
//! DOM per host themed by a constructable stylesheet, URLs validated by the browser's own
//! parser, Web Storage, listeners, the clock and the console. Both Wasm modules (the widget,
//! src/, and the help prompts, crates/attune-prompts-web) build on it.
//!
//! Nothing here decides anything: the widget and the prompts own their logic. Nothing here
//! throws into the page either: a DOM call that fails is dropped (the caller sees `None` or
//! `false`), because Attune must never break the host page.
//!
//! Byte discipline: no `format!` (core::fmt costs kilobytes of Wasm); strings are joined
//! with [`concat`].

#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use web_sys::{
    AddEventListenerOptions, CssStyleSheet, Document, Element, EventTarget, HtmlElement, Node,
    ShadowRoot, ShadowRootInit, ShadowRootMode, Storage, Url, Window,
};

/// A value owned by the page's one thread. Wasm in the page is single-threaded, so a
/// `static` of this is sound; it lets event-listener closures reach the module's state.
pub struct Local<T>(RefCell<T>);

// SAFETY: the Wasm modules run on the page's single thread (no threads, no SharedArrayBuffer).
unsafe impl<T> Sync for Local<T> {}

impl<T> Local<T> {
    pub const fn new(value: T) -> Local<T> {
        Local(RefCell::new(value))
    }

    /// Runs `f` on the value, or returns `None` when it is already in use further up the
    /// stack (a listener reached again from inside the module's own DOM call, e.g. a
    /// synthetic click): re-entry is dropped rather than allowed to alias.
    pub fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut v = self.0.try_borrow_mut().ok()?;
        Some(f(&mut v))
    }
}

pub fn window() -> Window {
    web_sys::window().unwrap_throw()
}

pub fn document() -> Document {
    window().document().unwrap_throw()
}

/// Milliseconds since the Unix epoch (the page's clock; tests may install a fake one).
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// Joins string pieces (no `format!` in the Wasm).
#[inline(never)]
pub fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

// ---- the console ----------------------------------------------------------------------

static WARNED: Local<Vec<String>> = Local::new(Vec::new());

/// `console.warn("attune: " + msg)`, once per distinct text and page.
#[inline(never)]
pub fn warn(msg: &str) {
    let text = concat(&["attune: ", msg]);
    let fresh = WARNED
        .with(|seen| {
            let fresh = !seen.contains(&text);
            if fresh {
                seen.push(text.clone());
            }
            fresh
        })
        .unwrap_or(false);
    if fresh {
        web_sys::console::warn_1(&JsValue::from_str(&text));
    }
}

/// `warn(msg + " (" + the error's message + ")")`.
#[inline(never)]
pub fn warn_err(msg: &str, err: &JsValue) {
    let detail = error_text(err);
    warn(&concat(&[msg, " (", &detail, ")"]))
}

/// An exception's message (`err.message`, else `String(err)`).
#[inline(never)]
pub fn error_text(err: &JsValue) -> String {
    get(err, "message")
        .as_string()
        .or_else(|| err.as_string())
        .unwrap_or_else(|| String::from("error"))
}

// ---- reading page values --------------------------------------------------------------

/// `target[key]`, `undefined` when `target` is not an object or the getter throws.
#[inline(never)]
pub fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() && !target.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `target[i]` of an array-like.
#[inline(never)]
pub fn at(target: &JsValue, i: u32) -> JsValue {
    Reflect::get_u32(target, i).unwrap_or(JsValue::UNDEFINED)
}

/// The elements of a JS array; empty for anything else.
#[inline(never)]
pub fn items(v: &JsValue) -> Vec<JsValue> {
    if Array::is_array(v) {
        Array::from(v).iter().collect()
    } else {
        Vec::new()
    }
}

/// Calls `target[method](args…)`; `undefined` if it is not a function or throws.
#[inline(never)]
pub fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> JsValue {
    let f = get(target, method);
    let Some(f) = f.dyn_ref::<Function>() else {
        return JsValue::UNDEFINED;
    };
    let r = match args {
        [] => f.call0(target),
        [a] => f.call1(target, a),
        [a, b] => f.call2(target, a, b),
        [a, b, c, ..] => f.call3(target, a, b, c),
    };
    r.unwrap_or(JsValue::UNDEFINED)
}

// ---- elements -------------------------------------------------------------------------

#[inline(never)]
pub fn query(selector: &str) -> Option<Element> {
    document().query_selector(selector).ok().flatten()
}

#[inline(never)]
pub fn query_all(selector: &str) -> Vec<Element> {
    let mut out = Vec::new();
    if let Ok(list) = document().query_selector_all(selector) {
        for i in 0..list.length() {
            if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                out.push(e);
            }
        }
    }
    out
}

/// `<tag part="part">`; a button is `type="button"` (never submits the shop's form).
#[inline(never)]
pub fn el(tag: &str, part: &str) -> Element {
    let e = document().create_element(tag).unwrap_throw();
    if !part.is_empty() {
        attr(&e, "part", part);
    }
    if tag == "button" {
        attr(&e, "type", "button");
    }
    e
}

/// An element holding `text` as a text node (`textContent`, never parsed as HTML).
#[inline(never)]
pub fn text_el(tag: &str, part: &str, text: &str) -> Element {
    let e = el(tag, part);
    e.set_text_content(Some(text));
    e
}

#[inline(never)]
pub fn attr(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

#[inline(never)]
pub fn attr_of(e: &Element, name: &str) -> Option<String> {
    e.get_attribute(name)
}

#[inline(never)]
pub fn toggle(e: &Element, name: &str, on: bool) {
    let _ = e.toggle_attribute_with_force(name, on);
}

#[inline(never)]
pub fn add(parent: &Node, child: &Node) {
    let _ = parent.append_child(child);
}

/// Appends every child, in order.
#[inline(never)]
pub fn add_all(parent: &Node, children: &[&Node]) {
    for c in children {
        add(parent, c);
    }
}

/// Removes every child of `parent` except `keep`.
#[inline(never)]
pub fn clear_except(parent: &Node, keep: Option<&Node>) {
    let kids = parent.child_nodes();
    for i in (0..kids.length()).rev() {
        if let Some(c) = kids.item(i) {
            if keep != Some(&c) {
                let _ = parent.remove_child(&c);
            }
        }
    }
}

#[inline(never)]
pub fn focus(e: &Element) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        let _ = h.focus();
    }
}

#[inline(never)]
pub fn set_style(e: &Element, property: &str, value: &str) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        let _ = h.style().set_property(property, value);
    }
}

/// The element an event is about: its target, or for events retargeted across a shadow
/// boundary, the first node of its composed path.
#[inline(never)]
pub fn event_element(event: &web_sys::Event) -> Option<Element> {
    let path = event.composed_path();
    let first = if path.length() > 0 {
        path.get(0)
    } else {
        JsValue::UNDEFINED
    };
    first
        .dyn_into::<Element>()
        .ok()
        .or_else(|| event.target().and_then(|t| t.dyn_into::<Element>().ok()))
}

// ---- Shadow DOM and the stylesheet ----------------------------------------------------

/// A module's stylesheet, made once and adopted by every shadow root it themes
/// (constructable stylesheets: no inline `<style>` that a strict CSP would need to allow;
/// a `<style>` element only where the browser has no `CSSStyleSheet()`).
pub struct Sheet {
    css: &'static str,
    made: RefCell<Option<Option<CssStyleSheet>>>,
}

// SAFETY: as for `Local`: one thread.
unsafe impl Sync for Sheet {}

impl Sheet {
    pub const fn new(css: &'static str) -> Sheet {
        Sheet {
            css,
            made: RefCell::new(None),
        }
    }

    fn adopt(&self, root: &ShadowRoot) {
        let mut made = self.made.borrow_mut();
        let sheet = made.get_or_insert_with(|| {
            let s = CssStyleSheet::new().ok()?;
            s.replace_sync(self.css).ok()?;
            Some(s)
        });
        match sheet {
            Some(s) => {
                if root.adopted_style_sheets().length() == 0 {
                    root.set_adopted_style_sheets(&Array::of1(s));
                }
            }
            None => {
                if root.query_selector("style").ok().flatten().is_none() {
                    add(root, &text_el("style", "", self.css));
                }
            }
        }
    }
}

/// `host`'s open shadow root (attached on first use), themed by `sheet`.
#[inline(never)]
pub fn shadow(host: &Element, sheet: &Sheet) -> Option<ShadowRoot> {
    let root = match host.shadow_root() {
        Some(r) => r,
        None => host
            .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
            .ok()?,
    };
    sheet.adopt(&root);
    Some(root)
}

// ---- URLs -----------------------------------------------------------------------------

/// `raw` resolved against the page by the browser's URL parser, if it is http(s); else
/// `None` (javascript:, data:, blob: and anything unparsable never reach an attribute).
#[inline(never)]
pub fn safe_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let base = document().base_uri().ok().flatten().unwrap_or_default();
    let u = Url::new_with_base(raw, &base).ok()?;
    let p = u.protocol();
    (p == "https:" || p == "http:").then(|| u.href())
}

// ---- storage --------------------------------------------------------------------------

/// `localStorage` (`session` false) or `sessionStorage`; `Err` when the browser refuses
/// it (blocked storage, a sandboxed frame, a getter that throws).
#[inline(never)]
pub fn storage(session: bool) -> Result<Storage, JsValue> {
    let w = window();
    let s = if session {
        w.session_storage()
    } else {
        w.local_storage()
    };
    s?.ok_or(JsValue::NULL)
}

/// Every key of a storage area (empty if it cannot be read).
#[inline(never)]
pub fn storage_keys(s: &Storage) -> Vec<String> {
    let n = s.length().unwrap_or(0);
    (0..n).filter_map(|i| s.key(i).ok().flatten()).collect()
}

// ---- listeners and timers -------------------------------------------------------------

/// `target.addEventListener(kind, f, {capture, passive})`.
#[inline(never)]
pub fn listen(target: &EventTarget, kind: &str, f: &Function, capture: bool, passive: bool) {
    let o = AddEventListenerOptions::new();
    o.set_capture(capture);
    o.set_passive(passive);
    let _ = target.add_event_listener_with_callback_and_add_event_listener_options(kind, f, &o);
}

/// `queueMicrotask(f)`.
#[inline(never)]
pub fn microtask(f: &Function) {
    window().queue_microtask(f);
}

#[wasm_bindgen(inline_js = "export function after(f, ms) { return setTimeout(() => f(), ms); }")]
extern "C" {
    // A timer that can only run a function: `setTimeout` itself also runs a string as code,
    // so the audit cannot pass a Wasm that imports it (docs/privacy.md).
    #[wasm_bindgen(js_name = after)]
    fn after(f: &Function, ms: i32) -> i32;
}

/// `setTimeout(() => f(), ms)`; the timer's id.
#[inline(never)]
pub fn timeout(f: &Function, ms: i32) -> i32 {
    after(f, ms)
}

#[inline(never)]
pub fn clear_timeout(id: i32) {
    window().clear_timeout_with_handle(id);
}
