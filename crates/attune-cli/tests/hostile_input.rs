//! The fuzz targets' entry points (fuzz/src/lib.rs, included as is) under property tests,
//! so CI exercises the same code paths on every build without libFuzzer: model bytes
//! (mutated real models, with and without a repaired checksum), order exports (mutated
//! CSV, Shopify and WooCommerce fixtures), product feeds (mutated Merchant Center TSV and
//! XML fixtures), the stored profile's text form, and help-prompt configurations (mutated
//! JSON) and memories. Each entry point asserts its own invariants (a parsed model re-encodes to the
//! same bytes; a built model parses; a profile's text form reads back; a prompt config's
//! errors name their fields; a prompt memory reads back); here it must also never panic. Inputs the fuzzer
//! found interesting can be kept in fuzz/regressions/<target>/ and are replayed too.

#[path = "../../../fuzz/src/lib.rs"]
mod entry;

use std::path::Path;

use proptest::prelude::*;

/// A fixture of tests/fixtures/ (shop exports and product feeds with their real headers).
fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn sample_model() -> Vec<u8> {
    use attune_core::build::{build, BuildSettings, Interactions, Order};
    let orders = (0..40u32)
        .map(|k| Order {
            customer: Some(k % 13),
            ts: k as i64,
            items: vec![k % 7, (k * 3 + 1) % 7, (k + 5) % 9],
        })
        .collect();
    let inter = Interactions { n_items: 9, orders };
    let settings = BuildSettings {
        min_support: 2,
        ..BuildSettings::default()
    };
    let parts = build(&inter, &settings)
        .unwrap()
        .into_parts((0..9).map(|i| format!("SKU{i}")).collect());
    attune_core::Model::from_parts(parts).unwrap().to_bytes()
}

const CSV: &str = "customer,item,quantity,order,title,price\n\
1,P1,1,o1,Mug,1.50\n1,P2,2,o1,Cup,2\n2,P1,1,o2,Mug,1.5\n2,P2,1,o2,Cup,2\n3,P1,1,o3,Mug,1\n3,P2,1,o3,Cup,2\n3,P3,1,o3,Plate,3\n";

/// Cap byte, then the profile's text form: `type TAB value TAB at` per line.
const PROFILE: &str =
    "\x19view\t1\t1732590000000\ncart\t2\t1732590042000\nsearch\tred mug\t1732590050000\n\
not_interested\t3\t1732590060000\npurchase\tA\t1732590070000\nremove_from_cart\t2\t1732590080000";

const CONFIG: &str = r#"{"perPage": 1, "perSession": 3, "neverOn": ["/checkout"],
 "rules": [{"id": "size", "when": "dwell", "seconds": 30, "show": "help", "title": "Size?",
            "link": {"text": "Guide", "href": "/size"}},
           {"id": "cmp", "when": "compare", "items": 2, "show": "compare", "title": "Comparing?"},
           {"id": "none", "when": "no_results", "show": "survey", "cooldownHours": 0}]}"#;

const MEMORY: &str = "\x01attune-prompts 1\np\t3\t1732590001000\t1\t1\nr\tsize\t1732590001000\t1\n\
v\t85123A\t2\t3\nc\t22457\ns\t85123A\tHearts";

/// Byte-level mutations: flips, overwrites, truncation, insertion.
fn mutate(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len().max(1);
    prop::collection::vec((0..len, any::<u8>(), 0u8..4), 1..12).prop_map(move |edits| {
        let mut b = base.clone();
        for (at, v, kind) in edits {
            if b.is_empty() {
                b.push(v);
                continue;
            }
            let at = at % b.len();
            match kind {
                0 => b[at] ^= v | 1,
                1 => b[at] = v,
                2 => b.truncate(at),
                _ => b.insert(at, v),
            }
        }
        b
    })
}

proptest! {
    // No failure-persistence files: a failing case is printed, and belongs in fuzz/regressions/.
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn model_bytes_never_panic(b in mutate(sample_model()), repair in any::<bool>()) {
        // First byte selects the mode in the fuzz entry: odd = repair the CRC.
        let mut input = vec![if repair { 1 } else { 0 }];
        input.extend(b);
        entry::model_bytes(&input);
    }

    #[test]
    fn random_bytes_as_a_model_never_panic(b in prop::collection::vec(any::<u8>(), 0..256)) {
        entry::model_bytes(&b);
    }

    #[test]
    fn order_exports_never_panic(b in mutate(CSV.as_bytes().to_vec())) {
        entry::order_export(&b);
    }

    #[test]
    fn shop_exports_never_panic(
        b in mutate(fixture("shopify-orders.csv")),
        w in mutate(fixture("woocommerce-orders.csv")),
    ) {
        entry::order_export(&b);
        entry::order_export(&w);
    }

    #[test]
    fn product_feeds_never_panic(
        x in mutate(fixture("merchant-center-feed.xml")),
        t in mutate(fixture("merchant-center-feed.tsv")),
    ) {
        entry::product_feed(&x);
        entry::product_feed(&t);
    }

    #[test]
    fn profile_texts_never_panic(b in mutate(PROFILE.as_bytes().to_vec())) {
        entry::profile_text(&b);
    }

    #[test]
    fn prompt_configs_never_panic(b in mutate([b"\0", CONFIG.as_bytes()].concat())) {
        entry::prompt_config(&b);
    }

    #[test]
    fn prompt_memories_never_panic(b in mutate(MEMORY.as_bytes().to_vec())) {
        entry::prompt_config(&b);
    }
}

#[test]
fn the_entry_points_accept_their_seeds() {
    let m = sample_model();
    assert!(attune_core::Model::from_bytes(&m).is_ok());
    let mut input = vec![0];
    input.extend(&m);
    entry::model_bytes(&input);
    entry::order_export(CSV.as_bytes());
    entry::product_feed(&fixture("merchant-center-feed.xml"));
    entry::profile_text(PROFILE.as_bytes());
    entry::prompt_config(&[b"\0", CONFIG.as_bytes()].concat());
    entry::prompt_config(MEMORY.as_bytes());
    let value: attune_core::prompts::Value = serde_json::from_str(CONFIG).unwrap();
    let c = attune_core::prompts::parse(&value);
    assert_eq!(
        (c.rules.len(), c.errors.len()),
        (3, 0),
        "the seed config is valid"
    );
    let (events, dropped) = attune_core::profile::Profile::parse_text(&PROFILE[1..], 500);
    assert_eq!((events.len(), dropped), (6, 0));
    // The CSV seed really imports (so mutations start from a valid export).
    let path = std::env::temp_dir().join(format!("attune-hostile-{}.csv", std::process::id()));
    std::fs::write(&path, CSV).unwrap();
    let imp = attune_cli::import::import_interactions(&path, &Default::default()).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(imp.ids, ["P1", "P2", "P3"]);
    assert_eq!(imp.interactions.orders.len(), 3);
}

#[test]
fn fuzz_regressions_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut n = 0;
    for (target, f) in [
        ("model_parse", entry::model_bytes as fn(&[u8])),
        ("order_import", entry::order_export),
        ("product_feed", entry::product_feed),
        ("prompt_config", entry::prompt_config),
        ("profile_text", entry::profile_text),
    ] {
        let Ok(files) = std::fs::read_dir(dir.join(target)) else {
            continue;
        };
        for file in files.flatten() {
            f(&std::fs::read(file.path()).unwrap());
            n += 1;
        }
    }
    eprintln!("replayed {n} fuzz regression inputs");
}
