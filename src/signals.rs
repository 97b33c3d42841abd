//! What the page tells Attune, read and interpreted here: the tag's config
//! (`<script data-attune-config>`), GA4 `dataLayer` entries (pushed before and after load;
//! the bootstrap forwards later pushes), schema.org JSON-LD, `data-attune-*` attributes,
//! clicks and searches, and the consent frameworks on the page (Google Consent Mode through
//! the dataLayer, IAB TCF v2, Shopify's Customer Privacy API). docs/integration.md lists
//! every signal; precedence for the page's item: body attribute > JSON-LD > GA4 view_item.

use attune_dom as dom;
use dom::get;
use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, HtmlInputElement};

use crate::widget::{as_id, listener, with, Fact, State};

/// GA4 event → Attune event type.
const GA: [(&str, &str); 7] = [
    ("view_item", "view"),
    ("select_item", "view"),
    ("add_to_cart", "cart"),
    ("remove_from_cart", "remove_from_cart"),
    ("purchase", "purchase"),
    ("search", "search"),
    ("view_search_results", "search"),
];
/// GA4 event → the kind of page it says this is.
const PAGE: [(&str, &str); 4] = [
    ("view_item", "product"),
    ("purchase", "confirmation"),
    ("view_cart", "cart"),
    ("begin_checkout", "checkout"),
];

fn lookup(table: &[(&str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|e| e.0 == key).map(|e| e.1)
}

#[wasm_bindgen]
extern "C" {
    /// IAB TCF v2's API, called only where the page defines it.
    #[wasm_bindgen(js_name = __tcfapi, catch)]
    fn tcfapi(command: &str, version: u32, callback: &JsValue) -> Result<(), JsValue>;
    /// Shopify's Customer Privacy API (`Shopify.customerPrivacy`).
    type CustomerPrivacy;
    #[wasm_bindgen(method, catch, js_name = preferencesProcessingAllowed)]
    fn preferences_processing_allowed(this: &CustomerPrivacy) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch, js_name = currentVisitorConsent)]
    fn current_visitor_consent(this: &CustomerPrivacy) -> Result<JsValue, JsValue>;

    #[wasm_bindgen(js_name = String, catch)]
    fn string_of(v: &JsValue) -> Result<String, JsValue>;
    #[wasm_bindgen(js_name = Number, catch)]
    fn number_of(v: &JsValue) -> Result<f64, JsValue>;
}

/// `String(v)` ("" if that throws).
#[inline(never)]
pub fn js_string(v: &JsValue) -> String {
    match v.as_string() {
        Some(s) => s,
        None => string_of(v).unwrap_or_default(),
    }
}

/// `String(v)`, with `null` and `undefined` as "" (as `Array.join` writes them).
#[inline(never)]
pub fn js_string_or_empty(v: &JsValue) -> String {
    if v.is_undefined() || v.is_null() {
        String::new()
    } else {
        js_string(v)
    }
}

/// `Number(v)`, `None` when that is NaN.
#[inline(never)]
pub fn number(v: &JsValue) -> Option<f64> {
    let n = v
        .as_f64()
        .unwrap_or_else(|| number_of(v).unwrap_or(f64::NAN));
    (!n.is_nan()).then_some(n)
}

/// A search as it is kept: blanks folded, trimmed, at most 100 characters.
pub fn search_text(q: &str) -> String {
    let folded: Vec<&str> = q.split_whitespace().collect();
    folded.join(" ").chars().take(100).collect()
}

/// Space-separated ids of a list (or of one id).
#[inline(never)]
pub fn ids(v: &JsValue) -> String {
    if Array::is_array(v) {
        let all: Vec<String> = dom::items(v).iter().map(as_id).collect();
        all.join(" ")
    } else {
        as_id(v)
    }
}

#[inline(never)]
pub fn split(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

/// `{type, item}` for the prompts when the page passed no object.
#[inline(never)]
pub fn event_object(kind: &str, value: &str) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"type".into(), &kind.into());
    let _ = js_sys::Reflect::set(&o, &"item".into(), &value.into());
    o.into()
}

/// The page's `<script type="application/json" data-attune-config>`, or `{}`.
pub fn config() -> JsValue {
    let empty = || JsValue::from(js_sys::Object::new());
    let Some(el) = dom::query("script[data-attune-config]") else {
        return empty();
    };
    match js_sys::JSON::parse(&el.text_content().unwrap_or_default()) {
        Ok(v) if v.is_object() => v,
        Ok(_) => empty(),
        Err(e) => {
            dom::warn_err("data-attune-config is not valid JSON", &e);
            empty()
        }
    }
}

/// Everything the page says at load: the dataLayer so far, JSON-LD, `data-attune-*`, the
/// purchases of a confirmation page and the page's own item (a view).
pub fn read_page(s: &mut State) {
    let cfg = s.cfg_value();
    let w: JsValue = dom::window().into();
    let mut dl = get(&w, "dataLayer");
    if dl.is_undefined() || dl.is_null() {
        dl = Array::new().into();
        let _ = js_sys::Reflect::set(&w, &"dataLayer".into(), &dl);
    }
    for m in dom::items(&dl) {
        layer(s, &m);
    }
    for el in dom::query_all("script[type=\"application/ld+json\"]") {
        if let Ok(j) = js_sys::JSON::parse(&el.text_content().unwrap_or_default()) {
            ld(s, &j, true);
        }
    }
    for el in dom::query_all("[data-attune-item]") {
        let a = |n: &str| {
            el.get_attribute(n)
                .map(JsValue::from)
                .unwrap_or(JsValue::UNDEFINED)
        };
        let id = as_id(&a("data-attune-item"));
        fact(
            s,
            &id,
            &a("data-attune-available"),
            &a("data-attune-price"),
            &a("data-attune-category"),
        );
    }
    let attr = |sel: &str, name: &str| dom::query(sel).and_then(|e| e.get_attribute(name));
    if let Some(p) = attr("[data-attune-page]", "data-attune-page").filter(|p| !p.is_empty()) {
        s.page.kind = p;
    }
    let body = dom::document()
        .body()
        .map(Into::<web_sys::Element>::into)
        .or_else(|| dom::document().document_element());
    let own = body
        .and_then(|b| b.get_attribute("data-attune-item"))
        .map(|v| String::from(v.trim()))
        .unwrap_or_default();
    let item = [own, s.auto_item.clone(), s.page.item.clone()]
        .into_iter()
        .find(|v| !v.is_empty())
        .unwrap_or_default();
    s.page.item = item.clone();
    s.auto_item = item;
    if let Some(basket) = attr("[data-attune-cart-items]", "data-attune-cart-items") {
        s.page.cart = Some(split(&basket));
    }
    for i in split(&attr("[data-attune-purchase]", "data-attune-purchase").unwrap_or_default()) {
        s.record("purchase", &i, JsValue::UNDEFINED);
    }
    if !s.auto_item.is_empty() && get(&cfg, "autoView") != JsValue::FALSE {
        let item = s.auto_item.clone();
        s.record("view", &item, JsValue::UNDEFINED);
    }
}

/// One `dataLayer` entry: a gtag() call (`arguments`: "event"/"consent", …) or a GTM-style
/// object (`{event, ecommerce}`; `{ecommerce: null}` clears what a bare event reuses).
pub fn layer(s: &mut State, m: &JsValue) {
    if !m.is_object() {
        return;
    }
    let first = dom::at(m, 0);
    if let Some(command) = first.as_string() {
        let p = dom::at(m, 2);
        let p = if p.is_truthy() {
            p
        } else {
            js_sys::Object::new().into()
        };
        if command == "event" {
            ga(s, &js_string(&dom::at(m, 1)), &|k| get(&p, k));
        }
        let c = get(&p, "personalization_storage");
        if command == "consent" && c.is_truthy() {
            let granted = c.as_string().as_deref() == Some("granted");
            // A denied default means "not asked yet"; an update decides.
            let update = dom::at(m, 1).as_string().as_deref() == Some("update");
            s.set_source("gcm", (granted || update).then_some(granted));
            s.sync();
        }
        return;
    }
    if js_sys::Reflect::has(m, &"ecommerce".into()).unwrap_or(false) {
        s.ecommerce = get(m, "ecommerce");
    }
    if let Some(event) = get(m, "event").as_string() {
        let eco = s.ecommerce.clone();
        ga(s, &event, &|k| {
            let v = get(&eco, k);
            if v.is_undefined() {
                get(m, k)
            } else {
                v
            }
        });
    }
}

/// A GA4 ecommerce event with its parameters.
fn ga(s: &mut State, name: &str, p: &dyn Fn(&str) -> JsValue) {
    let items: Vec<String> = dom::items(&p("items"))
        .iter()
        .map(|i| {
            let id = get(i, "item_id");
            as_id(&if id.is_undefined() || id.is_null() {
                get(i, "id")
            } else {
                id
            })
        })
        .filter(|i| !i.is_empty())
        .collect();
    if let Some(kind) = lookup(&PAGE, name) {
        s.page.kind = kind.into();
    }
    if name == "view_item" && s.page.item.is_empty() {
        s.page.item = items.first().cloned().unwrap_or_default();
    }
    if name == "view_item_list" && s.page.kind.is_empty() {
        s.page.kind = "listing".into();
    }
    if name == "view_cart" || name == "begin_checkout" {
        s.page.cart = Some(items.clone());
    }
    match lookup(&GA, name) {
        Some("search") => {
            let o = js_sys::Object::new();
            for (k, v) in [
                ("type", JsValue::from("search")),
                ("search_term", p("search_term")),
                ("results", p("results")),
            ] {
                let _ = js_sys::Reflect::set(&o, &k.into(), &v);
            }
            s.track(&o.into());
        }
        Some(kind) => {
            for i in &items {
                s.record(kind, i, event_object(kind, i));
            }
        }
        None => {}
    }
    crate::render::refresh(); // a stated basket or page type changes what placements show
}

/// JSON-LD: a top-level Product is the page's item; every Product gives catalog facts.
fn ld(s: &mut State, j: &JsValue, top: bool) {
    if Array::is_array(j) {
        for x in dom::items(j) {
            ld(s, &x, top);
        }
        return;
    }
    if !j.is_object() {
        return;
    }
    ld(s, &get(j, "@graph"), top);
    let list = get(j, "itemListElement");
    if Array::is_array(&list) {
        for e in dom::items(&list) {
            let item = get(&e, "item");
            ld(s, if item.is_truthy() { &item } else { &e }, false);
        }
    }
    let types = get(j, "@type");
    let is_product = if Array::is_array(&types) {
        dom::items(&types)
            .iter()
            .any(|t| t.as_string().as_deref() == Some("Product"))
    } else {
        types.as_string().as_deref() == Some("Product")
    };
    if !is_product {
        return;
    }
    let offers = get(j, "offers");
    let o = if Array::is_array(&offers) {
        dom::at(&offers, 0)
    } else {
        offers
    };
    let o = if o.is_truthy() {
        o
    } else {
        js_sys::Object::new().into()
    };
    let first = |vs: [JsValue; 3]| {
        vs.into_iter()
            .find(|v| !v.is_undefined() && !v.is_null())
            .unwrap_or(JsValue::UNDEFINED)
    };
    let id = as_id(&first([get(j, "sku"), get(j, "productID"), get(&o, "sku")]));
    if top && !id.is_empty() && s.page.item.is_empty() {
        s.page.item = id.clone();
        s.auto_item = id.clone();
        if s.page.kind.is_empty() {
            s.page.kind = "product".into();
        }
    }
    let price = get(&o, "price");
    let price = if price.is_undefined() || price.is_null() {
        get(&o, "lowPrice")
    } else {
        price
    };
    let cat = get(j, "category");
    let cat = if cat.is_truthy() {
        let name = get(&cat, "name");
        if name.is_truthy() {
            name
        } else {
            cat
        }
    } else {
        cat
    };
    fact(s, &id, &get(&o, "availability"), &price, &cat);
}

/// What the page says about an item's availability, price (major units) and category.
#[inline(never)]
fn fact(s: &mut State, id: &str, avail: &JsValue, price: &JsValue, cat: &JsValue) {
    if id.is_empty() {
        return;
    }
    if !avail.is_undefined() && !avail.is_null() {
        let a = js_string(avail).to_ascii_lowercase();
        let gone = ["outofstock", "soldout", "discontinued", "false"]
            .iter()
            .any(|w| a.ends_with(w));
        s.facts.push((
            if gone { "unavailable" } else { "available" },
            Fact::Text(String::new()),
            id.into(),
        ));
    }
    if !price.is_undefined() && !price.is_null() && price.as_string().as_deref() != Some("") {
        if let Some(p) = number(price).filter(|p| p.is_finite()) {
            s.facts.push(("price", Fact::Price(p), id.into()));
        }
    }
    if let Some(c) = cat.as_string() {
        s.facts.push(("category", Fact::Text(c), id.into()));
    }
}

/// The document's click and search listeners and the storage listener (other tabs).
pub fn listen() {
    let f = listener();
    let d = dom::document();
    dom::listen(&d, "click", &f, true, false);
    dom::listen(&d, "submit", &f, true, false);
    dom::listen(&dom::window(), "storage", &f, false, false);
}

/// A click on `[data-attune-cart]`, `[data-attune-remove]` or a link with
/// `data-attune-item`; a submitted `[data-attune-search]` form.
pub fn page_event(e: &Event) {
    let Some(target) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return;
    };
    if e.type_() == "submit" {
        let Some(form) = target.closest("[data-attune-search]").ok().flatten() else {
            return;
        };
        let input = form
            .query_selector("input[type=search],input[name=q],input:not([type])")
            .ok()
            .flatten();
        let q = input
            .and_then(|i| i.dyn_into::<HtmlInputElement>().ok())
            .map(|i| i.value())
            .unwrap_or_default();
        if !q.trim().is_empty() {
            with(|s| s.record("search", &search_text(&q), JsValue::UNDEFINED));
        }
        return;
    }
    let Some(el) = target
        .closest("[data-attune-cart],[data-attune-remove],a[data-attune-item]")
        .ok()
        .flatten()
    else {
        return;
    };
    let a = |n: &str| {
        el.get_attribute(n)
            .map(|v| String::from(v.trim()))
            .unwrap_or_default()
    };
    let (kind, id) = if !a("data-attune-cart").is_empty() {
        ("cart", a("data-attune-cart"))
    } else if !a("data-attune-remove").is_empty() {
        ("remove_from_cart", a("data-attune-remove"))
    } else {
        ("view", a("data-attune-item"))
    };
    with(|s| s.record(kind, &id, JsValue::UNDEFINED));
}

/// IAB TCF v2 (`__tcfapi`) and Shopify's Customer Privacy API, where the page has them:
/// until they answer, nothing is stored.
pub fn consent_frameworks() {
    let w: JsValue = dom::window().into();
    if get(&w, "__tcfapi").is_function() {
        with(|s| s.set_source("tcf", None));
        let cb = Closure::<dyn FnMut(JsValue, JsValue)>::new(|t: JsValue, ok: JsValue| {
            let status = get(&t, "eventStatus").as_string().unwrap_or_default();
            if ok.is_truthy()
                && t.is_truthy()
                && (status == "tcloaded" || status == "useractioncomplete")
            {
                let purpose1 = dom::at(&get(&get(&t, "purpose"), "consents"), 1).is_truthy();
                let granted = get(&t, "gdprApplies") == JsValue::FALSE || purpose1;
                with(|s| {
                    s.set_source("tcf", Some(granted));
                    s.sync();
                });
            }
        });
        let _ = tcfapi("addEventListener", 2, &cb.into_js_value());
    }
    if shopify().is_some() {
        with(|s| s.set_source("shopify", None));
        dom::listen(
            &dom::document(),
            "visitorConsentCollected",
            &listener(),
            false,
            false,
        );
        shopify_consent(None);
    }
}

fn shopify() -> Option<JsValue> {
    let sp = get(&get(&dom::window().into(), "Shopify"), "customerPrivacy");
    sp.is_truthy().then_some(sp)
}

/// Shopify's answer, from its event or by asking its API.
pub fn shopify_consent(e: Option<&Event>) {
    let Some(sp) = shopify() else {
        return;
    };
    let detail = e.map(|e| get(e, "detail")).unwrap_or(JsValue::UNDEFINED);
    let v = if detail.is_truthy() {
        get(&detail, "preferencesAllowed")
    } else {
        let sp: &CustomerPrivacy = sp.unchecked_ref();
        let allowed = sp
            .preferences_processing_allowed()
            .unwrap_or(JsValue::UNDEFINED);
        if allowed.is_truthy() {
            allowed
        } else {
            let prefs = get(
                &sp.current_visitor_consent().unwrap_or(JsValue::UNDEFINED),
                "preferences",
            );
            if prefs.as_string().as_deref() == Some("no") {
                JsValue::FALSE
            } else {
                JsValue::UNDEFINED
            }
        }
    };
    with(|s| {
        if let Some(b) = v.as_bool() {
            s.set_source("shopify", Some(b));
        }
        s.sync();
    });
}
