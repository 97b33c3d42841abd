//! The fuzzed entry points, as plain functions so a crash artifact can be replayed from a
//! test or a debugger without libFuzzer. Each must never panic on any input; the
//! assertions inside are invariants (a parse that succeeds must round-trip), so a failed
//! assertion is a finding too.

use std::io::Write;
use std::path::PathBuf;

use attune_core::model::crc32;
use attune_core::score::{recommend, Query};
use attune_core::{Model, Signal};

/// Model bytes → `Model::from_bytes`. An odd first byte means "repair the trailing CRC-32
/// first", so the fuzzer also explores the section validation behind the checksum instead
/// of being stopped by it on almost every input.
pub fn model_bytes(data: &[u8]) {
    let mut owned;
    let bytes = match data.first() {
        Some(b) if b & 1 == 1 && data.len() > 5 => {
            owned = data[1..].to_vec();
            let n = owned.len() - 4;
            let crc = crc32(&owned[..n]);
            owned[n..].copy_from_slice(&crc.to_le_bytes());
            &owned[..]
        }
        Some(_) => &data[1..],
        None => data,
    };
    let Ok(model) = Model::from_bytes(bytes) else {
        return;
    };
    // A model that parses must re-encode to bytes that parse to the same model.
    let again = model.to_bytes();
    let model2 = Model::from_bytes(&again).expect("a parsed model re-encodes to a valid file");
    assert_eq!(model2.to_bytes(), again, "encoding is not stable");
    exercise(&model);
}

/// Scores a few histories against the model: every index the model hands out must be
/// usable, and no list may contain an excluded item.
fn exercise(model: &Model) {
    let n = model.len() as u32;
    for i in 0..n.min(16) {
        let _ = (
            model.id(i),
            model.title(i),
            model.price(i),
            model.url(i),
            model.image(i),
        );
        let (targets, weights) = model.neighbors(i);
        assert_eq!(targets.len(), weights.len());
        assert!(targets.iter().all(|&t| t < n));
        assert_eq!(model.index_of(model.id(i)), Some(i));
        let history = [(i, Signal::Purchase), ((i * 7 + 3) % n, Signal::View)];
        let exclude = [i];
        let recs = recommend(
            model,
            &Query {
                history: &history,
                exclude: &exclude,
                k: 10,
                fill_popular: true,
            },
        );
        assert!(recs.len() <= 10);
        assert!(recs.iter().all(|r| r.item < n && r.item != i));
    }
}

/// An order export → the importer (as `attune build --interactions` reads it), the catalog
/// reader on the same bytes, and the builder on what was imported.
pub fn order_export(data: &[u8]) {
    let path = scratch_file(data);
    let opts = attune_cli::import::ImportOptions::default();
    let imported = attune_cli::import::import_interactions(&path, &opts);
    if let Ok(imp) = &imported {
        let _ = attune_cli::import::read_catalog(&path, &imp.ids);
        let inter = &imp.interactions;
        assert_eq!(inter.n_items, imp.ids.len());
        assert!(inter
            .orders
            .iter()
            .all(|o| o.items.iter().all(|&i| (i as usize) < inter.n_items)));
        let settings = attune_core::build::BuildSettings::default();
        if let Ok(built) = attune_core::build::build(inter, &settings) {
            let parts = built.into_parts(imp.ids.clone());
            if let Ok(model) = Model::from_parts(parts) {
                let bytes = model.to_bytes();
                Model::from_bytes(&bytes).expect("a built model parses");
            }
        }
    } else {
        let _ = attune_cli::import::read_catalog(&path, &[]);
    }
}

/// A catalog file → `import::read_catalog_in` (CSV, or a Google Merchant Center feed as
/// TSV or RSS XML: the first byte `<` picks XML), with and without a model currency.
/// Invariants: every field read is one value per model item; rows ≥ unknown ids.
pub fn product_feed(data: &[u8]) {
    let path = scratch_file(data);
    let ids: Vec<String> = ["FERN-1", "TOTE-1", "MUG-1", "Linen_Napkin_Set"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for currency in [None, Some("USD")] {
        if let Ok(c) = attune_cli::import::read_catalog_in(&path, &ids, 2, currency) {
            let n = ids.len();
            assert!(c.titles.as_ref().is_none_or(|v| v.len() == n));
            assert!(c.prices.as_ref().is_none_or(|v| v.len() == n));
            assert!(c.urls.as_ref().is_none_or(|v| v.len() == n));
            assert!(c.images.as_ref().is_none_or(|v| v.len() == n));
            assert!(c.out_of_stock.is_empty() || c.out_of_stock.len() == n);
            assert!(c.rows >= c.unknown_ids);
        }
    }
}

/// The stored profile's text form (what the loader hands the Wasm from localStorage, which
/// any page script or a hand edit can change) → `Profile::parse_text`, then the lists the
/// placements read. The first byte sets the cap. Invariants: no more events than the cap;
/// every line is either an event or counted as dropped; and `to_text` of what was parsed
/// parses back to the same events with nothing dropped.
pub fn profile_text(data: &[u8]) {
    use attune_core::profile::{Profile, MAX_EVENTS_LIMIT};
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let cap = (1 + first as usize * 20).min(MAX_EVENTS_LIMIT);
    let text = String::from_utf8_lossy(rest);
    let (events, dropped) = Profile::parse_text(&text, cap);
    let lines = text.split('\n').filter(|l| !l.is_empty()).count();
    assert!(events.len() <= cap);
    assert!(events.len() + dropped as usize <= lines);
    let mut p = Profile::new();
    p.set_cap(cap);
    for e in events {
        p.record(e);
    }
    let again = p.to_text();
    let (events2, dropped2) = Profile::parse_text(&again, cap);
    assert_eq!(
        dropped2, 0,
        "to_text wrote a line parse_text refuses: {again:?}"
    );
    assert_eq!(
        events2.as_slice(),
        p.events(),
        "to_text/parse_text round trip changed events"
    );
    let model = profile_model();
    let _ = (
        p.history(model),
        p.cart(model),
        p.purchased(model),
        p.dismissed(model),
        p.last_search(),
    );
    let _ = p.recently_viewed(model, Some(0), 24);
}

/// A small model whose ids the fuzzer can hit ("1".."9", "A", "B").
fn profile_model() -> &'static Model {
    static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        use attune_core::build::{build, BuildSettings, Interactions, Order};
        let orders = (0..30u32)
            .map(|k| Order {
                customer: Some(k % 10),
                ts: k as i64,
                items: vec![k % 11, (k * 3 + 2) % 11],
            })
            .collect();
        let inter = Interactions {
            n_items: 11,
            orders,
        };
        let settings = BuildSettings {
            min_support: 2,
            ..BuildSettings::default()
        };
        let ids = (1..=9)
            .map(|i| i.to_string())
            .chain(["A".into(), "B".into()])
            .collect();
        Model::from_parts(build(&inter, &settings).expect("build").into_parts(ids)).expect("model")
    })
}

/// The importer reads files (it sniffs gzip by magic bytes), so each input goes through one
/// file per process and thread (tests call this from several threads) in RAM-backed
/// storage when there is one.
fn scratch_file(data: &[u8]) -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let thread = format!("{:?}", std::thread::current().id())
        .replace(|c: char| !c.is_ascii_alphanumeric(), "");
    let path = dir.join(format!("attune-fuzz-{}-{thread}.csv", std::process::id()));
    let mut f = std::fs::File::create(&path).expect("scratch file");
    f.write_all(data).expect("write scratch file");
    path
}

/// A help-prompt configuration (JSON, written by the merchant or pasted into a page) → the
/// config validator and the rules engine, and the prompts' stored memory (its text form,
/// which any page script can change) → `Memory::from_text`. The first byte picks which.
/// JSON is read with serde_json into the `Value` the browser's `JSON.parse` would give.
/// Invariants: every error names its field (`path: problem`) unless it is about the whole
/// config, which then has no rules; the engine shows only the config's rules and schedules
/// ticks only in the future; a memory read back from its own text is the same memory.
pub fn prompt_config(data: &[u8]) {
    use attune_core::prompts::{self, Memory, Prompts, Signal, Value};
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if mode & 1 == 1 {
        if let Some(m) = Memory::from_text(text) {
            let again = Memory::from_text(&m.to_text()).expect("its own text is a memory");
            assert_eq!(again, m, "a memory reads back from its own text");
        }
        return;
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let config = prompts::parse(&value);
    for e in &config.errors {
        let line = e.message();
        if e.path.is_empty() {
            assert!(
                config.rules.is_empty() && config.errors.len() == 1,
                "{line}"
            );
        } else {
            assert!(
                line.starts_with(&e.path) && line[e.path.len()..].starts_with(": "),
                "{line}"
            );
        }
    }
    assert!(config.per_page <= 3 && config.per_session <= 20);
    let n = config.rules.len();
    assert!(n <= prompts::config::MAX_RULES);
    let t0 = 1_732_590_000_000.0;
    let mut p = Prompts::new(
        config,
        Memory::default(),
        t0,
        "/product?id=1",
        mode & 2 == 2,
    );
    let signals = [
        Signal::View("A".into(), "mugs".into()),
        Signal::Variant("size".into(), "S".into()),
        Signal::Variant("size".into(), "M".into()),
        Signal::Variant("size".into(), "S".into()),
        Signal::Cart("A".into()),
        Signal::Search(0.0),
        Signal::Scroll(2000.0),
        Signal::Scroll(0.0),
        Signal::Hidden,
        Signal::Visible,
        Signal::PointerLeftTop,
        Signal::View("B".into(), "mugs".into()),
    ];
    let mut now = t0;
    for (k, s) in signals.into_iter().enumerate() {
        now += 1000.0 * (rest.get(k).copied().unwrap_or(7) as f64);
        if let Some(i) = p.signal(s, now) {
            assert!(i < n, "only the config's rules show");
            p.closed(k % 2 == 0);
        }
        if let Some(next) = p.next_tick(now) {
            assert!(next > now, "ticks are scheduled in the future");
            assert!(p.tick(next).is_none_or(|i| i < n));
        }
    }
    let m = p.memory().clone();
    assert_eq!(Memory::from_text(&m.to_text()), Some(m));
}
