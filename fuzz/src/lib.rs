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
