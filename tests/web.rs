//! Browser tests of the widget in real headless Chromium (wasm-bindgen-test): what the
//! placements render into Shadow DOM, how the profile survives storage trouble, and
//! that hostile catalog data stays inert. Run with
//! `wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver`.
//!
//! Each test builds a small model in memory (ModelParts → bytes → Engine) and asserts on
//! the DOM it produced, never on "did not crash".
#![cfg(target_arch = "wasm32")]

use attune_core::model::NO_PRICE;
use attune_core::{Model, ModelParts};
use attune_web::Engine;
use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

const KEY: &str = "attune:v1";
const HOSTILE: &str = "<img src=x onerror=\"window.__pwned=1\">Lamp";

/// Seven items. Neighbours (best first):
///   85123A → 71053, 84406B, EVIL     71053 → 85123A, 22423     84406B → 85123A
///   22423 → 71053, IMG               LONELY → (none)           EVIL → 85123A
///   IMG → 22423
/// Popular: 22423, 85123A, 71053, IMG. Currency GBP.
fn model_bytes() -> Vec<u8> {
    let ids = [
        "85123A", "71053", "84406B", "22423", "LONELY", "EVIL", "IMG",
    ];
    let titles = [
        "WHITE HANGING HEART T-LIGHT HOLDER",
        "WHITE METAL LANTERN",
        "CREAM CUPID HEARTS COAT HANGER",
        "REGENCY CAKESTAND 3 TIER",
        "A LONELY ITEM",
        HOSTILE,
        "",
    ];
    let urls = [
        "",
        "",
        "",
        "",
        "",
        "javascript:window.__pwned=2",
        "https://shop.example/p/IMG",
    ];
    let images = [
        "",
        "",
        "",
        "",
        "",
        "data:image/svg+xml,<svg onload=alert(1)>",
        "/img/p.png",
    ];
    let parts = ModelParts {
        ids: ids.iter().map(|s| s.to_string()).collect(),
        titles: titles.iter().map(|s| s.to_string()).collect(),
        prices: vec![255, 339, 275, 1275, 100, 999, NO_PRICE],
        urls: urls.iter().map(|s| s.to_string()).collect(),
        images: images.iter().map(|s| s.to_string()).collect(),
        offsets: vec![0, 3, 5, 6, 8, 8, 9, 10],
        targets: vec![1, 2, 5, 0, 3, 0, 1, 6, 0, 3],
        weights: vec![0.75, 0.5, 0.25, 0.75, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25],
        popular: vec![3, 0, 1, 6],
        popular_scores: vec![4.0, 3.0, 2.0, 1.0],
        meta: vec![("currency".into(), "GBP".into())],
        ..ModelParts::default()
    };
    Model::from_parts(parts)
        .expect("valid test model")
        .to_bytes()
}

fn engine() -> Engine {
    Engine::new(&model_bytes()).expect("engine from a valid model")
}

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// A fresh `<attune-recs>` in the page with the given attributes.
fn placement(attrs: &[(&str, &str)]) -> Element {
    let el = document().create_element("attune-recs").unwrap();
    for (k, v) in attrs {
        el.set_attribute(k, v).unwrap();
    }
    document().body().unwrap().append_child(&el).unwrap();
    el
}

fn root(el: &Element) -> ShadowRoot {
    el.shadow_root().expect("an open shadow root")
}

fn texts(el: &Element, part: &str) -> Vec<String> {
    let list = root(el)
        .query_selector_all(&["[part=", part, "]"].concat())
        .unwrap();
    (0..list.length())
        .map(|i| list.get(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

fn attrs(el: &Element, part: &str, attr: &str) -> Vec<String> {
    let list = root(el)
        .query_selector_all(&["[part=", part, "]"].concat())
        .unwrap();
    (0..list.length())
        .map(|i| {
            list.get(i)
                .unwrap()
                .unchecked_into::<Element>()
                .get_attribute(attr)
                .unwrap_or_default()
        })
        .collect()
}

fn js(body: &str) -> JsValue {
    Function::new_no_args(body).call0(&JsValue::NULL).unwrap()
}

/// Collects console.warn calls until dropped (then restores the original).
struct Warnings {
    original: JsValue,
}

impl Warnings {
    fn capture() -> Warnings {
        let original = js("return console.warn");
        js("window.__attuneWarns = []; console.warn = (...a) => window.__attuneWarns.push(a.join(' '));");
        Warnings { original }
    }
    fn list(&self) -> Vec<String> {
        let arr: js_sys::Array = js("return window.__attuneWarns").unchecked_into();
        arr.iter()
            .map(|v| v.as_string().unwrap_or_default())
            .collect()
    }
}

impl Drop for Warnings {
    fn drop(&mut self) {
        let console = Reflect::get(&js_sys::global(), &"console".into()).unwrap();
        Reflect::set(&console, &"warn".into(), &self.original).unwrap();
    }
}

fn clear_storage() {
    storage().remove_item(KEY).unwrap();
}

#[wasm_bindgen_test]
fn similar_renders_the_neighbours_in_order_with_titles_prices_links_and_reasons() {
    let mut e = engine();
    e.configure(Some("/product.html?id={id}".into()), None, None);
    let el = placement(&[("placement", "similar"), ("item", "85123A")]);
    e.render(&el).unwrap();

    assert_eq!(texts(&el, "heading"), vec!["Similar items"]);
    assert_eq!(
        texts(&el, "title"),
        vec![
            "WHITE METAL LANTERN",
            "CREAM CUPID HEARTS COAT HANGER",
            HOSTILE
        ]
    );
    let prices = texts(&el, "price");
    assert_eq!(prices.len(), 3);
    assert!(
        prices[0].contains('£') && prices[0].contains("3.39"),
        "{prices:?}"
    );
    assert!(prices[1].contains("2.75"), "{prices:?}");
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    let hrefs = attrs(&el, "link", "href");
    assert_eq!(
        hrefs[0],
        [origin.as_str(), "/product.html?id=71053"].concat()
    );
    assert_eq!(
        hrefs[1],
        [origin.as_str(), "/product.html?id=84406B"].concat()
    );
    let reasons = texts(&el, "reason");
    assert_eq!(
        reasons,
        vec!["Often bought with WHITE HANGING HEART T-LIGHT HOLDER"; 3]
    );
    // Placeholder tiles carry initials; styles are adopted, not inlined.
    assert_eq!(texts(&el, "tile")[0], "WM");
    assert_eq!(root(&el).adopted_style_sheets().length(), 1);
    assert!(root(&el).query_selector("style").unwrap().is_none());

    // The same list through the id API, and `k` limits it.
    assert_eq!(
        e.placement_ids("similar", Some("85123A".into()), Some(3))
            .unwrap(),
        "71053 84406B EVIL"
    );
    el.set_attribute("k", "2").unwrap();
    e.render(&el).unwrap();
    assert_eq!(
        texts(&el, "title"),
        vec!["WHITE METAL LANTERN", "CREAM CUPID HEARTS COAT HANGER"]
    );
    el.remove();
}

#[wasm_bindgen_test]
fn nothing_worth_showing_renders_nothing_not_even_a_header() {
    let e = engine();
    let el = placement(&[("placement", "similar"), ("item", "71053")]);
    e.render(&el).unwrap();
    assert_eq!(texts(&el, "title").len(), 2);

    // The same element switched to an item without neighbours empties completely.
    for item in ["LONELY", "NO-SUCH-ITEM"] {
        el.set_attribute("item", item).unwrap();
        e.render(&el).unwrap();
        assert_eq!(root(&el).child_element_count(), 0, "item {item}");
        assert_eq!(root(&el).text_content().unwrap_or_default(), "");
    }
    el.remove_attribute("item").unwrap();
    e.render(&el).unwrap();
    assert_eq!(root(&el).child_element_count(), 0);

    // `recent` with no views renders nothing either.
    let recent = placement(&[("placement", "recent")]);
    e.render(&recent).unwrap();
    assert_eq!(root(&recent).child_element_count(), 0);
    el.remove();
    recent.remove();
}

#[wasm_bindgen_test]
fn recent_shows_views_most_recent_first_without_the_page_item() {
    let mut e = engine();
    e.track("view", "85123A", 1_000.0).unwrap();
    e.track("view", "71053", 2_000.0).unwrap();
    e.track("cart", "22423", 3_000.0).unwrap();
    e.track("view", "84406B", 4_000.0).unwrap();
    e.track("view", "UNKNOWN-SKU", 5_000.0).unwrap();
    e.track("view", "85123A", 6_000.0).unwrap();
    let el = placement(&[("placement", "recent")]);
    e.render(&el).unwrap();
    assert_eq!(texts(&el, "heading"), vec!["Recently viewed"]);
    assert_eq!(
        texts(&el, "title"),
        vec![
            "WHITE HANGING HEART T-LIGHT HOLDER",
            "CREAM CUPID HEARTS COAT HANGER",
            "WHITE METAL LANTERN"
        ]
    );
    assert!(
        texts(&el, "reason").is_empty(),
        "recent needs no reason line"
    );

    el.set_attribute("item", "84406B").unwrap();
    e.render(&el).unwrap();
    assert_eq!(
        texts(&el, "title"),
        vec!["WHITE HANGING HEART T-LIGHT HOLDER", "WHITE METAL LANTERN"]
    );
    el.remove();
}

#[wasm_bindgen_test]
fn for_you_is_popular_without_history_then_follows_the_shopper() {
    let mut e = engine();
    let el = placement(&[("placement", "for-you"), ("k", "3")]);
    e.render(&el).unwrap();
    assert_eq!(texts(&el, "heading"), vec!["Picked for you"]);
    assert_eq!(
        texts(&el, "title"),
        vec![
            "REGENCY CAKESTAND 3 TIER",
            "WHITE HANGING HEART T-LIGHT HOLDER",
            "WHITE METAL LANTERN"
        ]
    );
    assert_eq!(texts(&el, "reason"), vec!["Popular in this shop"; 3]);

    e.track("view", "84406B", 1.0).unwrap();
    e.render(&el).unwrap();
    let titles = texts(&el, "title");
    assert_eq!(titles[0], "WHITE HANGING HEART T-LIGHT HOLDER");
    assert_eq!(
        texts(&el, "reason")[0],
        "Because you viewed CREAM CUPID HEARTS COAT HANGER"
    );

    // In the cart: not recommended any more, and it now explains the next picks.
    e.track("cart", "85123A", 2.0).unwrap();
    e.render(&el).unwrap();
    let ids = e.placement_ids("for-you", None, Some(10)).unwrap();
    assert!(!ids.split(' ').any(|i| i == "85123A"), "{ids}");
    assert_eq!(ids, "71053 84406B EVIL 22423 IMG");
    assert_eq!(ids.split(' ').next(), Some("71053"));
    assert_eq!(
        texts(&el, "reason")[0],
        "Because you added WHITE HANGING HEART T-LIGHT HOLDER to your cart"
    );

    // The page item is excluded too.
    el.set_attribute("item", "71053").unwrap();
    e.render(&el).unwrap();
    assert!(!texts(&el, "title").contains(&"WHITE METAL LANTERN".to_string()));
    el.remove();
}

#[wasm_bindgen_test]
fn heading_attribute_overrides_and_unknown_placement_is_an_error_with_empty_root() {
    let e = engine();
    let el = placement(&[
        ("placement", "similar"),
        ("item", "85123A"),
        ("heading", "Goes well with"),
    ]);
    e.render(&el).unwrap();
    assert_eq!(texts(&el, "heading"), vec!["Goes well with"]);
    el.set_attribute("placement", "bestsellers").unwrap();
    let err = e.render(&el).unwrap_err();
    let msg: JsValue = err.into();
    let msg = Reflect::get(&msg, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(msg.contains("unknown placement"), "{msg}");
    assert_eq!(root(&el).child_element_count(), 0);
    el.remove();
}

#[wasm_bindgen_test]
fn hostile_title_is_text_and_unsafe_urls_are_dropped() {
    js("window.__pwned = undefined;");
    let e = engine();
    let el = placement(&[("placement", "similar"), ("item", "85123A")]);
    e.render(&el).unwrap();
    let r = root(&el);
    // The markup-looking title is a text node, not an element.
    assert_eq!(texts(&el, "title")[2], HOSTILE);
    assert_eq!(
        r.query_selector_all("img").unwrap().length(),
        0,
        "the data: image must be dropped"
    );
    let evil_link = attrs(&el, "link", "href")[2].clone();
    assert!(evil_link.starts_with("http"), "{evil_link}");
    assert!(
        evil_link.ends_with("?item=EVIL"),
        "javascript: url must fall back to the default link: {evil_link}"
    );
    assert!(js("return window.__pwned").is_undefined());

    // A safe catalog URL and a relative image are used as given (resolved).
    let el2 = placement(&[("placement", "similar"), ("item", "22423")]);
    e.render(&el2).unwrap();
    assert_eq!(attrs(&el2, "link", "href")[1], "https://shop.example/p/IMG");
    let img = attrs(&el2, "image", "src");
    assert_eq!(img.len(), 1);
    assert!(
        img[0].starts_with("http") && img[0].ends_with("/img/p.png"),
        "{img:?}"
    );
    // No title in the catalog: the id stands in.
    assert_eq!(texts(&el2, "title")[1], "IMG");
    el.remove();
    el2.remove();
}

#[wasm_bindgen_test]
fn unsafe_link_template_falls_back_to_the_default_link() {
    let mut e = engine();
    e.configure(Some("javascript:alert('{id}')".into()), None, None);
    let el = placement(&[("placement", "similar"), ("item", "84406B")]);
    e.render(&el).unwrap();
    let href = attrs(&el, "link", "href")[0].clone();
    assert!(
        href.starts_with("http") && href.ends_with("?item=85123A"),
        "{href}"
    );
    // Ids are URL-encoded into templates.
    e.configure(Some("/p/{id}?again={id}".into()), None, None);
    let el2 = placement(&[("placement", "similar"), ("item", "EVIL")]);
    e.render(&el2).unwrap();
    assert!(attrs(&el2, "link", "href")[0].ends_with("/p/85123A?again=85123A"));
    el.remove();
    el2.remove();
}

#[wasm_bindgen_test]
fn currency_override_and_unknown_currency() {
    let mut e = engine();
    e.configure(None, Some("JPY".into()), None);
    let el = placement(&[("placement", "similar"), ("item", "84406B")]);
    e.render(&el).unwrap();
    let p = texts(&el, "price")[0].clone();
    // 255 minor units of a zero-decimal currency: 255 yen, no fraction.
    assert!(
        p.contains("255") && !p.contains('.') && (p.contains('¥') || p.contains('￥')),
        "{p}"
    );

    let warns = Warnings::capture();
    let mut e = engine();
    e.configure(None, Some("NOT A CODE".into()), None);
    e.render(&el).unwrap();
    assert_eq!(texts(&el, "price")[0], "2.55");
    assert_eq!(warns.list().len(), 1, "{:?}", warns.list());
    el.remove();
}

#[wasm_bindgen_test]
fn profile_persists_in_one_versioned_key() {
    clear_storage();
    let mut a = engine();
    a.use_local_storage();
    a.track("view", "85123A", 1_000.0).unwrap();
    a.track("purchase", "71053", 2_000.0).unwrap();
    assert_eq!(
        storage().get_item(KEY).unwrap().unwrap(),
        r#"{"v":1,"events":[{"type":"view","item":"85123A","at":1000},{"type":"purchase","item":"71053","at":2000}]}"#
    );
    // A new page (engine) sees the same profile.
    let mut b = engine();
    b.use_local_storage();
    assert_eq!(b.event_count(), 2);
    assert_eq!(b.placement_ids("recent", None, None).unwrap(), "85123A");
    // Another tab's write is merged on the next track.
    a.track("view", "84406B", 3_000.0).unwrap();
    b.track("view", "22423", 4_000.0).unwrap();
    assert_eq!(b.event_count(), 4);
    assert_eq!(
        b.placement_ids("recent", None, None).unwrap(),
        "22423 84406B 85123A"
    );
    b.forget();
    assert_eq!(b.event_count(), 0);
    assert!(storage().get_item(KEY).unwrap().is_none());
}

#[wasm_bindgen_test]
fn profile_keeps_only_the_most_recent_500_events() {
    clear_storage();
    let mut e = engine();
    e.use_local_storage();
    for i in 0..510 {
        e.track(
            "view",
            if i % 2 == 0 { "85123A" } else { "71053" },
            i as f64,
        )
        .unwrap();
    }
    assert_eq!(e.event_count(), 500);
    let stored = js_sys::JSON::parse(&storage().get_item(KEY).unwrap().unwrap()).unwrap();
    let events: js_sys::Array = Reflect::get(&stored, &"events".into())
        .unwrap()
        .unchecked_into();
    assert_eq!(events.length(), 500);
    let first_at = Reflect::get(&events.get(0), &"at".into()).unwrap().as_f64();
    assert_eq!(first_at, Some(10.0));
    clear_storage();
}

#[wasm_bindgen_test]
fn corrupt_storage_warns_once_and_keeps_working() {
    for junk in [
        "{not json",
        "null",
        "[]",
        "42",
        r#"{"v":1,"events":"nope"}"#,
        r#"{"events":[]}"#,
    ] {
        storage().set_item(KEY, junk).unwrap();
        let warns = Warnings::capture();
        let mut e = engine();
        e.use_local_storage();
        e.track("view", "71053", 1.0).unwrap();
        e.track("view", "85123A", 2.0).unwrap();
        let el = placement(&[("placement", "recent")]);
        e.render(&el).unwrap();
        assert_eq!(
            texts(&el, "title"),
            vec!["WHITE HANGING HEART T-LIGHT HOLDER", "WHITE METAL LANTERN"],
            "{junk}"
        );
        assert_eq!(warns.list().len(), 1, "{junk}: {:?}", warns.list());
        assert!(
            warns.list()[0].starts_with("attune: "),
            "{:?}",
            warns.list()
        );
        // The damaged value was replaced by a valid profile.
        let stored = storage().get_item(KEY).unwrap().unwrap();
        assert!(
            stored.starts_with(r#"{"v":1,"events":[{"type":"view","item":"71053""#),
            "{junk}: {stored}"
        );
        el.remove();
    }
    clear_storage();
}

#[wasm_bindgen_test]
fn invalid_stored_events_are_skipped_with_one_warning() {
    storage()
        .set_item(
            KEY,
            r#"{"v":1,"events":[{"type":"view","item":"85123A","at":1},{"type":"teleport","item":"71053","at":2},{"type":"view","item":"","at":3},7,{"type":"view","item":"84406B","at":4}]}"#,
        )
        .unwrap();
    let warns = Warnings::capture();
    let mut e = engine();
    e.use_local_storage();
    assert_eq!(e.event_count(), 2);
    assert_eq!(
        e.placement_ids("recent", None, None).unwrap(),
        "84406B 85123A"
    );
    assert_eq!(warns.list().len(), 1);
    assert!(
        warns.list()[0].contains("ignored 3 invalid"),
        "{:?}",
        warns.list()
    );
    clear_storage();
}

#[wasm_bindgen_test]
fn newer_stored_version_is_never_overwritten() {
    let newer = r#"{"v":2,"events":[],"future":true}"#;
    storage().set_item(KEY, newer).unwrap();
    let warns = Warnings::capture();
    let mut e = engine();
    e.use_local_storage();
    e.track("view", "71053", 1.0).unwrap();
    assert_eq!(storage().get_item(KEY).unwrap().unwrap(), newer);
    assert_eq!(e.placement_ids("recent", None, None).unwrap(), "71053");
    assert_eq!(warns.list().len(), 1);
    clear_storage();
}

#[wasm_bindgen_test]
fn throwing_storage_keeps_working_in_memory_with_one_warning() {
    clear_storage();
    js("window.__attuneSaved = [Storage.prototype.getItem, Storage.prototype.setItem];
        Storage.prototype.getItem = function () { throw new DOMException('denied', 'SecurityError'); };
        Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };");
    let warns = Warnings::capture();
    let mut e = engine();
    e.use_local_storage();
    e.track("view", "71053", 1.0).unwrap();
    e.track("view", "84406B", 2.0).unwrap();
    let result = e.placement_ids("recent", None, None);
    let count = warns.list().len();
    js("[Storage.prototype.getItem, Storage.prototype.setItem] = window.__attuneSaved;");
    assert_eq!(result.unwrap(), "84406B 71053");
    assert_eq!(count, 1, "{:?}", warns.list());

    // Only setItem failing (quota): also memory-only after one warning.
    js("window.__attuneSaved = Storage.prototype.setItem;
        Storage.prototype.setItem = function () { throw new DOMException('full', 'QuotaExceededError'); };");
    let warns = Warnings::capture();
    let mut e = engine();
    e.use_local_storage();
    e.track("view", "71053", 1.0).unwrap();
    e.track("view", "22423", 2.0).unwrap();
    let ids = e.placement_ids("recent", None, None);
    let count = warns.list().len();
    js("Storage.prototype.setItem = window.__attuneSaved;");
    assert_eq!(ids.unwrap(), "22423 71053");
    assert_eq!(count, 1, "{:?}", warns.list());
    assert!(storage().get_item(KEY).unwrap().is_none());
}

#[wasm_bindgen_test]
fn bad_events_and_bad_models_are_errors_not_panics() {
    let mut e = engine();
    assert!(e.track("click", "85123A", 1.0).is_err());
    assert!(e.track("view", "", 1.0).is_err());
    assert!(e.track("view", "two ids", 1.0).is_err());
    assert!(e.track("view", "85123A", f64::NAN).is_err());
    assert_eq!(e.event_count(), 0);

    assert!(Engine::new(b"").is_err());
    assert!(Engine::new(b"not a model at all").is_err());
    let mut bytes = model_bytes();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    assert!(Engine::new(&bytes).is_err());
    let bytes = model_bytes();
    assert!(Engine::new(&bytes[..bytes.len() - 1]).is_err());
}

#[wasm_bindgen_test]
fn recommend_ids_follows_the_cli_contract() {
    let e = engine();
    assert_eq!(e.recommend_ids("85123A", 5), "71053 84406B EVIL 22423 IMG");
    assert_eq!(e.recommend_ids("", 4), "22423 85123A 71053 IMG");
    assert_eq!(e.recommend_ids("  NOPE   ", 2), "22423 85123A");
    let out = e.recommend_ids("85123A 71053 NOPE", 10);
    assert!(
        out.split(' ').all(|id| id != "85123A" && id != "71053"),
        "{out}"
    );
    assert_eq!(e.recommend_ids("85123A", 0), "");
    assert_eq!(e.item_count(), 7);
    assert_eq!(e.id_at(6).as_deref(), Some("IMG"));
    assert_eq!(e.id_at(7), None);
}
