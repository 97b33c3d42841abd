//! Browser tests of the Wasm boundary in real headless Chromium (wasm-bindgen-test): the
//! `Engine` the loader drives through `run(op, arg, n)` — catalog fields, the profile's
//! text form in and out (validation, retention, merge), event validation as JS errors,
//! every placement's output lines with their reason codes, the merchant's rules — and the
//! public `recommendIds` contract. Rendering, storage and page signals are the loader's
//! and are tested with Playwright (tests/*.test.mjs).
//! Run with `wasm-pack test --headless --chrome --chromedriver /usr/bin/chromedriver`.
#![cfg(target_arch = "wasm32")]

use attune_core::model::NO_PRICE;
use attune_core::{Model, ModelParts};
use attune_web::Engine;
use wasm_bindgen::prelude::*;
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
    let ids = ["85123A", "71053", "84406B", "22423", "LONELY", "EVIL", "IMG"];
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
        urls: ["", "", "", "", "", "javascript:x", "https://shop.example/p/IMG"]
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
    let bytes = Model::from_parts(parts).expect("valid test model").to_bytes();
    Engine::new(&bytes).expect("engine from a valid model")
}

fn run(e: &mut Engine, op: &str, arg: &str, n: f64) -> String {
    e.run(op, arg, n).unwrap_or_else(|err| panic!("{op}: {}", js_string(&err.into())))
}

fn error(e: &mut Engine, op: &str, arg: &str, n: f64) -> String {
    match e.run(op, arg, n) {
        Ok(v) => panic!("{op} {arg:?} should fail, gave {v:?}"),
        Err(err) => js_string(&err.into()),
    }
}

/// `pick` with the loader's argument layout; returns (id, reason, source) per line.
fn pick(e: &mut Engine, placement: &str, item: &str, k: u32) -> Vec<(String, String, String)> {
    let arg = [placement, item, "-", &k.to_string(), "", "1"].join("\t");
    let out = run(e, "pick", &arg, f64::NAN);
    out.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 3, "{l:?}");
            let id = run(e, "id", "", f[0].parse().unwrap());
            let src = match f[1] {
                "w" | "v" | "c" | "b" => run(e, "id", "", f[2].parse().unwrap()),
                _ => f[2].to_string(),
            };
            (id, f[1].to_string(), src)
        })
        .collect()
}

fn ids(p: &[(String, String, String)]) -> Vec<&str> {
    p.iter().map(|x| x.0.as_str()).collect()
}

#[wasm_bindgen_test]
fn catalog_fields_index_and_meta() {
    let mut e = engine();
    assert_eq!(run(&mut e, "id", "", 1.0), "71053");
    assert_eq!(run(&mut e, "title", "", 0.0), "WHITE HANGING HEART T-LIGHT HOLDER");
    assert_eq!(run(&mut e, "title", "", 6.0), "", "no title");
    assert_eq!(run(&mut e, "url", "", 6.0), "https://shop.example/p/IMG");
    assert_eq!(run(&mut e, "price", "", 3.0), "1275");
    assert_eq!(run(&mut e, "price", "", 6.0), "", "no price");
    assert_eq!(run(&mut e, "title", "", 99.0), "", "out of range is empty, not a panic");
    assert_eq!(run(&mut e, "index", " 22423 ", 0.0), "3");
    assert_eq!(run(&mut e, "index", "NOPE", 0.0), "");
    assert_eq!(run(&mut e, "meta", "currency", 0.0), "GBP");
    assert_eq!(e.item_count(), 7);
    assert_eq!(e.id_at(4).as_deref(), Some("LONELY"));
    assert_eq!(e.id_at(7), None);
    assert!(error(&mut e, "explode", "", 0.0).contains("attune: unknown engine operation"));
}

#[wasm_bindgen_test]
fn events_in_and_out_in_the_text_form() {
    let mut e = engine();
    run(&mut e, "track", "view\t85123A", NOW);
    run(&mut e, "track", "search\tred lamp", NOW + 1000.0);
    run(&mut e, "track", "not_interested\tEVIL", NOW + 2000.0);
    assert_eq!(
        run(&mut e, "dump", "", 0.0),
        "view\t85123A\t1732590000000\nsearch\tred lamp\t1732590001000\nnot_interested\tEVIL\t1732590002000"
    );
    for (arg, why) in [
        ("click\tA", "type must be view, cart, remove_from_cart"),
        ("view\tA B", "item must be a non-empty id"),
        ("view\t", "item must be a non-empty id"),
        ("search\t ", "a search needs its text"),
        ("view", "item must be a non-empty id"),
    ] {
        let msg = error(&mut e, "track", arg, NOW);
        assert!(msg.starts_with("Error: attune: track: "), "{msg}");
        assert!(msg.contains(why), "{arg:?}: {msg}");
    }
    assert!(error(&mut e, "track", "view\tA", f64::NAN).contains("time must be a finite number"));
    assert_eq!(e.event_count(), 3, "refused events change nothing");
    run(&mut e, "forget", "", 0.0);
    assert_eq!(run(&mut e, "dump", "", 0.0), "");
}

#[wasm_bindgen_test]
fn load_validates_applies_retention_and_merges() {
    let mut e = engine();
    run(&mut e, "track", "view\tIMG", NOW);
    let stored = [
        ["view", "85123A", &((NOW - 100.0 * DAY) as u64).to_string()].join("\t"),
        ["cart", "71053", &((NOW - DAY) as u64).to_string()].join("\t"),
        "teleport\t71053\t1".to_string(),
        "view\t71053\tyesterday".to_string(),
    ]
    .join("\n");
    assert_eq!(run(&mut e, "load", &stored, NOW), "2", "two invalid lines");
    assert_eq!(
        run(&mut e, "dump", "", 0.0),
        ["cart", "71053", &((NOW - DAY) as u64).to_string()].join("\t"),
        "older than 90 days dropped; the memory event replaced"
    );
    run(&mut e, "track", "view\tIMG", NOW);
    run(&mut e, "merge", &stored, NOW);
    assert!(run(&mut e, "dump", "", 0.0).ends_with("view\tIMG\t1732590000000"), "merge keeps the memory events after the stored ones");
    // Configurable, at least a day: with 0.5 the day-old cart event survives until it is
    // a day and an hour old.
    run(&mut e, "set", "retentionDays", 0.5);
    run(&mut e, "load", &stored, NOW);
    assert!(run(&mut e, "dump", "", 0.0).starts_with("cart\t71053"));
    run(&mut e, "load", &stored, NOW + 3_600_000.0);
    assert_eq!(run(&mut e, "dump", "", 0.0), "");
    run(&mut e, "set", "maxEvents", 2.0);
    for (i, id) in ["85123A", "71053", "22423"].iter().enumerate() {
        run(&mut e, "track", &["view", id].join("\t"), NOW + i as f64);
    }
    assert_eq!(e.event_count(), 2, "bounded by maxEvents");
}

#[wasm_bindgen_test]
fn every_placement_answers_with_reason_codes() {
    let mut e = engine();
    let sim = pick(&mut e, "similar", "85123A", 4);
    assert_eq!(ids(&sim), ["71053", "84406B", "EVIL"]);
    assert!(sim.iter().all(|p| p.1 == "w" && p.2 == "85123A"));
    assert!(pick(&mut e, "similar", "LONELY", 4).is_empty());
    let fy = pick(&mut e, "for-you", "", 2);
    assert_eq!(fy, [("22423".into(), "p".into(), "".into()), ("85123A".into(), "p".into(), "".into())]);
    assert_eq!(ids(&pick(&mut e, "popular", "", 4)), ["22423", "85123A", "71053", "IMG"]);

    run(&mut e, "track", "view\t84406B", NOW);
    run(&mut e, "track", "cart\t22423", NOW + 1.0);
    let fy = pick(&mut e, "for-you", "", 3);
    assert_eq!(fy[0], ("71053".into(), "c".into(), "22423".into()), "{fy:?}");
    assert!(fy.contains(&("85123A".into(), "v".into(), "84406B".into())), "{fy:?}");
    assert!(!ids(&fy).contains(&"22423"), "not what is in the basket");
    assert_eq!(pick(&mut e, "recent", "", 4), [("84406B".into(), "r".into(), "".into())]);
    let bt = pick(&mut e, "bought-together", "", 4);
    assert_eq!(ids(&bt), ["71053", "IMG"], "the basket's neighbours");
    let cart = pick(&mut e, "cart", "", 4);
    assert_eq!(cart[0], ("71053".into(), "w".into(), "22423".into()));

    run(&mut e, "track", "search\tlantern", NOW + 2.0);
    let fy = pick(&mut e, "for-you", "", 6);
    // "lantern" matches 71053, whose neighbour 85123A now comes from the search.
    assert!(fy.contains(&("85123A".into(), "s".into(), "lantern".into())), "{fy:?}");

    // Paused: the profile is not used.
    let out = run(&mut e, "pick", "recent\t\t-\t4\t\t0", f64::NAN);
    assert_eq!(out, "");
    assert!(error(&mut e, "pick", "everything\t\t-\t4\t\t1", f64::NAN).contains("unknown placement"));
}

#[wasm_bindgen_test]
fn merchant_rules_and_page_facts() {
    let mut e = engine();
    assert_eq!(run(&mut e, "rule", "unavailable\t\t22423 NOPE", 0.0), "1", "known ids counted");
    run(&mut e, "rule", "pin\t\tLONELY", 0.0);
    let pop = pick(&mut e, "popular", "", 4);
    assert_eq!(ids(&pop), ["LONELY", "85123A", "71053", "IMG"]);
    assert_eq!(pop[0].1, "f");
    run(&mut e, "rule", "available\t\t22423", 0.0);
    run(&mut e, "rule", "price\t499\t71053", 0.0);
    assert_eq!(run(&mut e, "price", "", 1.0), "499", "the page's price");
    run(&mut e, "rule", "category\tLights\t85123A 71053 LONELY", 0.0);
    run(&mut e, "set", "maxPerCategory", 1.0);
    assert_eq!(ids(&pick(&mut e, "popular", "", 4)), ["LONELY", "22423", "IMG"]);
    // min-score (n) and an explicit fallback.
    let arg = ["similar", "85123A", "-", "4", "popular", "1"].join("\t");
    let out = run(&mut e, "pick", &arg, 0.9);
    assert!(out.lines().all(|l| l.split('\t').nth(1) == Some("p") || l.split('\t').nth(1) == Some("f")), "{out}");
    let arg = ["similar", "85123A", "-", "4", "none", "1"].join("\t");
    assert_eq!(run(&mut e, "pick", &arg, 0.9), "", "nothing rather than noise");
    // An explicit basket ("items") overrides the profile's; the pin leads.
    let arg = ["bought-together", "", "IMG", "4", "", "1"].join("\t");
    assert_eq!(run(&mut e, "pick", &arg, f64::NAN), "4\tf\t\n3\tw\t6");
}

#[wasm_bindgen_test]
fn recommend_ids_follows_the_cli_contract_and_bad_models_are_errors() {
    let e = engine();
    assert_eq!(e.recommend_ids("", 3), "22423 85123A 71053");
    assert_eq!(e.recommend_ids("85123A", 2), "71053 84406B");
    assert!(!e.recommend_ids("85123A 71053", 10).split(' ').any(|id| id == "85123A" || id == "71053"));
    for (bytes, why) in [
        (&b"not a model"[..], "not an Attune model"),
        (&b"ATTN"[..], "truncated"),
    ] {
        let err = Engine::new(bytes).err().expect("bad model refused");
        let msg = js_string(&err.into());
        assert!(msg.contains("attune: ") && msg.contains(why), "{msg}");
    }
}
