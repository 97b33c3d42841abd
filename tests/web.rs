//! Browser tests of the Rust front in real headless Chromium (wasm-bindgen-test): the
//! `Engine` (catalog fields, the profile's text form in and out with validation, retention
//! and merge, every placement with its reasons, the merchant's rules, the `recommendIds`
//! contract, bad models) and the `Widget`'s own DOM code: a placement rendered from nodes
//! (hostile titles as text, validated links, prices, reasons, "not interested"), the
//! privacy view, and storage faults (corrupt, newer, throwing localStorage). End-to-end
//! behaviour through the bootstrap is tested with Playwright (tests/*.test.mjs).
//! Run with `wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver`.
#![cfg(target_arch = "wasm32")]

use attune_core::model::NO_PRICE;
use attune_core::rules::Why;
use attune_core::Signal;
use attune_core::{Model, ModelParts};
use attune_web::{Ask, Engine, Widget};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    /// `String(value)`: how an Error reads ("Error: attune: …").
    #[wasm_bindgen(js_name = String)]
    fn js_string(v: &JsValue) -> String;
}

const DAY: f64 = 86_400_000.0;
const NOW: f64 = 1_732_590_000_000.0;

/// Seven items. Neighbours (best first):
///   85123A → 71053, 84406B, EVIL     71053 → 85123A, 22423     84406B → 85123A
///   22423 → 71053, IMG               LONELY → (none)           EVIL → 85123A
///   IMG → 22423
/// Popular: 22423, 85123A, 71053, IMG. Currency GBP.
fn engine() -> Engine {
    Engine::new(&model_bytes()).expect("engine from a valid model")
}

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
        "<img src=x onerror=alert(1)>Lamp",
        "",
    ];
    let parts = ModelParts {
        ids: ids.iter().map(|s| s.to_string()).collect(),
        titles: titles.iter().map(|s| s.to_string()).collect(),
        prices: vec![255, 339, 275, 1275, 100, 999, NO_PRICE],
        urls: [
            "",
            "",
            "",
            "",
            "",
            "javascript:x",
            "https://shop.example/p/IMG",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        images: vec![String::new(); 7],
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

/// (id, reason code, source id or search) per pick: w bought with, v/c/b because you
/// viewed/added/bought, s searched, p popular, r viewed, f featured.
fn pick_with(
    e: &Engine,
    placement: &str,
    item: &str,
    basket: Option<&[String]>,
    k: usize,
    min: Option<f32>,
    fallback: &str,
    personal: bool,
) -> Vec<(String, String, String)> {
    let ask = Ask {
        placement,
        item,
        basket,
        k: Some(k),
        min,
        fallback,
        personal,
    };
    let m = e.model();
    e.pick(&ask)
        .expect("a known placement")
        .iter()
        .map(|p| {
            let (code, src) = match p.why {
                Why::BoughtWith(s) => ("w", m.id(s).to_string()),
                Why::Because(s, Signal::View) => ("v", m.id(s).to_string()),
                Why::Because(s, Signal::Cart) => ("c", m.id(s).to_string()),
                Why::Because(s, Signal::Purchase) => ("b", m.id(s).to_string()),
                Why::Searched => (
                    "s",
                    e.profile().last_search().unwrap_or_default().to_string(),
                ),
                Why::Popular => ("p", String::new()),
                Why::Viewed => ("r", String::new()),
                Why::Featured => ("f", String::new()),
            };
            (m.id(p.item).to_string(), code.to_string(), src)
        })
        .collect()
}

fn pick(e: &Engine, placement: &str, item: &str, k: usize) -> Vec<(String, String, String)> {
    pick_with(e, placement, item, None, k, None, "", true)
}

fn ids(p: &[(String, String, String)]) -> Vec<&str> {
    p.iter().map(|x| x.0.as_str()).collect()
}

fn dump(e: &Engine) -> String {
    e.profile().to_text()
}

#[wasm_bindgen_test]
fn catalog_fields_and_ids() {
    let e = engine();
    let m = e.model();
    assert_eq!(e.item_id(1).as_deref(), Some("71053"));
    assert_eq!(e.item_id(7), None, "past the last item");
    assert_eq!(m.title(0), Some("WHITE HANGING HEART T-LIGHT HOLDER"));
    assert_eq!(m.url(6), Some("https://shop.example/p/IMG"));
    assert_eq!(e.price(3), Some(1275));
    assert_eq!(e.price(6), None, "no price");
    assert_eq!(m.index_of("22423"), Some(3));
    assert_eq!(m.meta("currency"), Some("GBP"));
}

#[wasm_bindgen_test]
fn events_in_and_out_in_the_text_form() {
    let mut e = engine();
    e.track("view", "85123A", NOW).unwrap();
    e.track("search", "red lamp", NOW + 1000.0).unwrap();
    e.track("not_interested", "EVIL", NOW + 2000.0).unwrap();
    assert_eq!(
        dump(&e),
        "view\t85123A\t1732590000000\nsearch\tred lamp\t1732590001000\nnot_interested\tEVIL\t1732590002000"
    );
    use attune_core::profile::EventError::*;
    for (kind, value, at, why) in [
        ("click", "A", NOW, UnknownType),
        ("view", "A B", NOW, BadItem),
        ("view", "", NOW, BadItem),
        ("search", " ", NOW, BadQuery),
        ("view", "A", f64::NAN, BadTime),
    ] {
        assert_eq!(
            e.track(kind, value, at).err(),
            Some(why),
            "{kind} {value:?}"
        );
    }
    assert_eq!(e.event_count(), 3, "refused events change nothing");
    e.forget();
    assert_eq!(dump(&e), "");
}

#[wasm_bindgen_test]
fn load_validates_applies_retention_and_merges() {
    let mut e = engine();
    e.track("view", "IMG", NOW).unwrap();
    let stored = [
        ["view", "85123A", &((NOW - 100.0 * DAY) as u64).to_string()].join("\t"),
        ["cart", "71053", &((NOW - DAY) as u64).to_string()].join("\t"),
        "teleport\t71053\t1".to_string(),
        "view\t71053\tyesterday".to_string(),
    ]
    .join("\n");
    assert_eq!(e.load(&stored, NOW, false), 2, "two invalid lines");
    assert_eq!(
        dump(&e),
        ["cart", "71053", &((NOW - DAY) as u64).to_string()].join("\t"),
        "older than 90 days dropped; the memory event replaced"
    );
    e.track("view", "IMG", NOW).unwrap();
    e.load(&stored, NOW, true);
    assert!(
        dump(&e).ends_with("view\tIMG\t1732590000000"),
        "merge keeps the memory events after the stored ones"
    );
    // Configurable, at least a day: with 0.5 the day-old cart event survives until it is
    // a day and an hour old.
    e.set("retentionDays", 0.5);
    e.load(&stored, NOW, false);
    assert!(dump(&e).starts_with("cart\t71053"));
    e.load(&stored, NOW + 3_600_000.0, false);
    assert_eq!(dump(&e), "");
    e.set("maxEvents", 2.0);
    for (i, id) in ["85123A", "71053", "22423"].iter().enumerate() {
        e.track("view", id, NOW + i as f64).unwrap();
    }
    assert_eq!(e.event_count(), 2, "bounded by maxEvents");
}

#[wasm_bindgen_test]
fn every_placement_answers_with_reasons() {
    let mut e = engine();
    let sim = pick(&e, "similar", "85123A", 4);
    assert_eq!(ids(&sim), ["71053", "84406B", "EVIL"]);
    assert!(sim.iter().all(|p| p.1 == "w" && p.2 == "85123A"));
    assert!(pick(&e, "similar", "LONELY", 4).is_empty());
    let fy = pick(&e, "for-you", "", 2);
    assert_eq!(
        fy,
        [
            ("22423".into(), "p".into(), "".into()),
            ("85123A".into(), "p".into(), "".into())
        ]
    );
    assert_eq!(
        ids(&pick(&e, "popular", "", 4)),
        ["22423", "85123A", "71053", "IMG"]
    );

    e.track("view", "84406B", NOW).unwrap();
    e.track("cart", "22423", NOW + 1.0).unwrap();
    let fy = pick(&e, "for-you", "", 3);
    assert_eq!(
        fy[0],
        ("71053".into(), "c".into(), "22423".into()),
        "{fy:?}"
    );
    assert!(
        fy.contains(&("85123A".into(), "v".into(), "84406B".into())),
        "{fy:?}"
    );
    assert!(!ids(&fy).contains(&"22423"), "not what is in the basket");
    assert_eq!(
        pick(&e, "recent", "", 4),
        [("84406B".into(), "r".into(), "".into())]
    );
    let bt = pick(&e, "bought-together", "", 4);
    assert_eq!(ids(&bt), ["71053", "IMG"], "the basket's neighbours");
    let cart = pick(&e, "cart", "", 4);
    assert_eq!(cart[0], ("71053".into(), "w".into(), "22423".into()));

    e.track("search", "lantern", NOW + 2.0).unwrap();
    let fy = pick(&e, "for-you", "", 6);
    // "lantern" matches 71053, whose neighbour 85123A now comes from the search.
    assert!(
        fy.contains(&("85123A".into(), "s".into(), "lantern".into())),
        "{fy:?}"
    );

    // Paused: the profile is not used.
    assert!(pick_with(&e, "recent", "", None, 4, None, "", false).is_empty());
    let ask = Ask {
        placement: "everything",
        item: "",
        basket: None,
        k: None,
        min: None,
        fallback: "",
        personal: true,
    };
    assert!(e.pick(&ask).is_none(), "an unknown placement");
}

#[wasm_bindgen_test]
fn merchant_rules_and_page_facts() {
    let mut e = engine();
    assert_eq!(
        e.rule("unavailable", "", "22423 NOPE"),
        1,
        "known ids counted"
    );
    e.rule("pin", "", "LONELY");
    let pop = pick(&e, "popular", "", 4);
    assert_eq!(ids(&pop), ["LONELY", "85123A", "71053", "IMG"]);
    assert_eq!(pop[0].1, "f");
    e.rule("available", "", "22423");
    e.rule("price", "499", "71053");
    assert_eq!(e.price(1), Some(499), "the page's price");
    e.rule("category", "Lights", "85123A 71053 LONELY");
    e.set("maxPerCategory", 1.0);
    assert_eq!(ids(&pick(&e, "popular", "", 4)), ["LONELY", "22423", "IMG"]);
    // min-score and an explicit fallback.
    let out = pick_with(&e, "similar", "85123A", None, 4, Some(0.9), "popular", true);
    assert!(
        !out.is_empty() && out.iter().all(|p| p.1 == "p" || p.1 == "f"),
        "{out:?}"
    );
    assert!(
        pick_with(&e, "similar", "85123A", None, 4, Some(0.9), "none", true).is_empty(),
        "nothing rather than noise"
    );
    // An explicit basket ("items") overrides the profile's; the pin leads.
    let basket = vec!["IMG".to_string()];
    let bt = pick_with(&e, "bought-together", "", Some(&basket), 4, None, "", true);
    assert_eq!(
        bt,
        [
            ("LONELY".into(), "f".into(), "".into()),
            ("22423".into(), "w".into(), "IMG".into())
        ]
    );
}

#[wasm_bindgen_test]
fn recommend_ids_follows_the_cli_contract_and_bad_models_are_errors() {
    let e = engine();
    assert_eq!(e.recommend_ids("", 3), "22423 85123A 71053");
    assert_eq!(e.recommend_ids("85123A", 2), "71053 84406B");
    assert!(!e
        .recommend_ids("85123A 71053", 10)
        .split(' ')
        .any(|id| id == "85123A" || id == "71053"));
    for (bytes, why) in [
        (&b"not a model"[..], "not an Attune model"),
        (&b"ATTN"[..], "truncated"),
    ] {
        let err = Engine::new(bytes).err().expect("bad model refused");
        let msg = js_string(&err.into());
        assert!(msg.contains("attune: ") && msg.contains(why), "{msg}");
    }
}

// ---- the widget's own DOM code --------------------------------------------------------

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

/// Lets the widget's render microtask run.
async fn tick() {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

/// A placement element in the page, handed to the widget as its custom-element class does.
fn placement(w: &Widget, attrs: &[(&str, &str)]) -> web_sys::Element {
    let el = document().create_element("attune-recs").unwrap();
    for (k, v) in attrs {
        el.set_attribute(k, v).unwrap();
    }
    document().body().unwrap().append_child(&el).unwrap();
    w.element(el.clone(), 0);
    el
}

/// The widget as the bootstrap starts it: first without, then with the model.
fn widget() -> Widget {
    let w = Widget::new(None);
    w.start(&model_bytes(), None, None).expect("a valid model");
    w
}

fn texts(root: &web_sys::ShadowRoot, selector: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| list.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}

#[wasm_bindgen_test]
async fn a_placement_is_built_from_nodes_with_reasons_prices_and_safe_links() {
    storage().clear().unwrap();
    let w = widget();
    let el = placement(&w, &[("placement", "similar"), ("item", "85123A")]);
    tick().await;
    let root = el.shadow_root().expect("a shadow root");
    assert_eq!(texts(&root, "[part=heading]"), ["Similar items"]);
    assert_eq!(
        texts(&root, "[part=title]"),
        [
            "WHITE METAL LANTERN",
            "CREAM CUPID HEARTS COAT HANGER",
            "<img src=x onerror=alert(1)>Lamp"
        ]
    );
    assert!(
        root.query_selector("[part=title] img").unwrap().is_none(),
        "a hostile title stays text"
    );
    assert_eq!(texts(&root, "[part=price]"), ["£3.39", "£2.75", "£9.99"]);
    assert!(texts(&root, "[part=reason]")
        .iter()
        .all(|r| r == "Often bought with WHITE HANGING HEART T-LIGHT HOLDER"));
    let links = root.query_selector_all("[part=link]").unwrap();
    let evil: web_sys::Element = links.item(2).unwrap().unchecked_into();
    let href = evil.get_attribute("href").unwrap();
    assert!(
        href.starts_with("http") && href.ends_with("?item=EVIL"),
        "javascript: refused: {href}"
    );
    assert_eq!(el.has_attribute("empty"), false);
    // "Not interested": the item goes, and the event is stored.
    let dismiss: web_sys::HtmlElement = root
        .query_selector("[part=dismiss]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    dismiss.click();
    tick().await;
    assert_eq!(
        texts(&root, "[part=title]")[..2],
        [
            "CREAM CUPID HEARTS COAT HANGER".to_string(),
            "<img src=x onerror=alert(1)>Lamp".to_string()
        ]
    );
    let stored = storage().get_item("attune").unwrap().unwrap();
    assert!(
        stored.contains(r#""type":"not_interested","item":"71053""#),
        "{stored}"
    );
    // Nothing to show: no header, and the `empty` attribute.
    let none = placement(&w, &[("placement", "similar"), ("item", "LONELY")]);
    tick().await;
    assert!(none.has_attribute("empty"));
    assert_eq!(none.shadow_root().unwrap().child_element_count(), 0);
    el.remove();
    none.remove();
}

#[wasm_bindgen_test]
async fn the_privacy_view_says_what_is_stored_and_erases_it() {
    storage().clear().unwrap();
    let w = widget();
    let ev = js_sys::JSON::parse(r#"{"type":"view","item":"85123A"}"#).unwrap();
    w.track(ev);
    let el = document().create_element("attune-privacy").unwrap();
    document().body().unwrap().append_child(&el).unwrap();
    w.element(el.clone(), 0);
    tick().await;
    let root = el.shadow_root().unwrap();
    let facts = texts(&root, "[part=facts] li");
    assert_eq!(facts[0], "1 × product view");
    assert!(
        facts
            .iter()
            .any(|f| f == "Recently interested in: WHITE HANGING HEART T-LIGHT HOLDER"),
        "{facts:?}"
    );
    let erase: web_sys::HtmlElement = root
        .query_selector("[data-a=erase]")
        .unwrap()
        .unwrap()
        .unchecked_into();
    erase.click();
    tick().await;
    assert_eq!(storage().get_item("attune").unwrap(), None, "erased");
    assert_eq!(
        texts(&root, "[part=status]"),
        ["Erased: nothing about you is kept in this browser."]
    );
    el.remove();
}

#[wasm_bindgen_test]
async fn storage_faults_lose_nothing_and_never_throw() {
    // Corrupt: a fresh valid profile replaces it.
    storage().clear().unwrap();
    storage().set_item("attune", "{not json").unwrap();
    let w = widget();
    w.track(js_sys::JSON::parse(r#"{"type":"cart","item":"22423"}"#).unwrap());
    let stored: serde_json_free::Stored =
        serde_json_free::parse(&storage().get_item("attune").unwrap().unwrap());
    assert_eq!(stored.v, 2.0);
    assert_eq!(stored.events, 1);
    // A newer format: used from memory, never overwritten.
    let newer = r#"{"v":3,"events":[],"future":true}"#;
    storage().set_item("attune", newer).unwrap();
    let w = widget();
    w.track(js_sys::JSON::parse(r#"{"type":"view","item":"71053"}"#).unwrap());
    assert_eq!(
        storage().get_item("attune").unwrap().as_deref(),
        Some(newer)
    );
    let cx = w.context();
    assert_eq!(
        js_sys::Reflect::get(&cx, &"stored".into()).unwrap(),
        JsValue::FALSE
    );
    // Hand-edited events: the valid ones load.
    storage().set_item("attune", r#"{"v":2,"events":[{"type":"view","item":"IMG","at":1},{"type":9},{"type":"cart","item":"LONELY","at":"x"}]}"#).unwrap();
    let w = widget();
    let ex = w.export_data();
    let events = js_sys::Reflect::get(&ex, &"events".into()).unwrap();
    assert_eq!(
        js_sys::Array::from(&events).length(),
        0,
        "the 1970 view is past retention; the others are invalid"
    );
    storage().clear().unwrap();
}

/// The stored JSON, read with the browser's parser.
mod serde_json_free {
    pub struct Stored {
        pub v: f64,
        pub events: u32,
    }
    pub fn parse(text: &str) -> Stored {
        let o = js_sys::JSON::parse(text).expect("valid JSON");
        let v = js_sys::Reflect::get(&o, &"v".into())
            .unwrap()
            .as_f64()
            .unwrap();
        let events =
            js_sys::Array::from(&js_sys::Reflect::get(&o, &"events".into()).unwrap()).length();
        Stored { v, events }
    }
}
