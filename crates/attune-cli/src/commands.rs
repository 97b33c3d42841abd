//! The `build`, `recommend`, `catalog` and `inspect` subcommands as library functions
//! (the binary only parses arguments and prints). `recommend` is a contract others
//! depend on: one output line per input line, see `recommend_stream`.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use attune_core::build::{BuildSettings, BuildStats};
use attune_core::score::{Query, Scorer, Signal};
use attune_core::Model;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::assemble::{attach_families, describe, hide_items, model_parts, similarity_text};
use crate::import::{
    export_currency, import_any, read_catalog_in, Format, ImportOptions, ImportStats,
};
use crate::tune::{TuneOptions, TuneReport};

#[derive(Clone, Debug)]
pub struct BuildArgs {
    pub interactions: PathBuf,
    pub out: PathBuf,
    pub catalog: Option<PathBuf>,
    pub settings: BuildSettings,
    pub currency: Option<String>,
    pub import: ImportOptions,
    pub format: Format,
    /// Tune β and the scoring blend on the training data (`None`: use `settings` as given).
    pub tune: Option<TuneOptions>,
}

/// What `attune build` did, for the stderr summary.
#[derive(Clone, Debug)]
pub struct BuildReport {
    pub import: ImportStats,
    pub build: BuildStats,
    pub customers: usize,
    pub items: usize,
    pub model_bytes: usize,
    pub catalog_rows: u64,
    pub catalog_unknown: u64,
    /// What the catalog was read as and what it changed (empty without `--catalog`).
    pub catalog_note: String,
    pub columns: crate::import::Detected,
    /// The settings the model was built with (after tuning).
    pub settings: BuildSettings,
    pub tune: Option<TuneReport>,
    pub elapsed: Duration,
}

impl BuildReport {
    pub fn summary(&self, out: &Path) -> String {
        let s = &self.import;
        let b = &self.build;
        let c = &self.columns;
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        let mut t = String::new();
        t += &format!(
            "columns: user={} item={} time={} order={} quantity={} title={} price={}\n",
            c.user,
            c.item,
            opt(&c.time),
            opt(&c.order),
            opt(&c.quantity),
            opt(&c.title),
            opt(&c.price)
        );
        if !c.layout.is_empty() {
            t += &format!(
                "layout:            {} (detected from the header)\n",
                c.layout
            );
        }
        t += &format!("lines read:        {:>9}\n", s.lines);
        t += &format!(
            "  kept:            {:>9}  ({} without a customer: guest orders)\n",
            s.kept, s.guest_lines
        );
        t += &format!("  skipped:         {:>9}\n", s.skipped());
        t += &format!("    cancellation:  {:>9}\n", s.skipped_cancelled);
        if !c.layout.is_empty() || s.skipped_status > 0 {
            t += &format!(
                "    order status:  {:>9}  (refunded, voided, cancelled or failed orders)\n",
                s.skipped_status
            );
        }
        t += &format!("    quantity <= 0: {:>9}\n", s.skipped_quantity);
        t += &format!(
            "    non-product:   {:>9}  (rules: {})\n",
            s.skipped_non_product, s.skip_rules.source
        );
        for (rule, n) in &s.skip_rules.counts {
            t += &format!("      {:<15} {:>7}\n", rule, n);
        }
        t += &format!("    no item id:    {:>9}\n", s.skipped_missing_item);
        t += &format!(
            "    bad item id:   {:>9}  (whitespace or control characters)\n",
            s.skipped_bad_item_id
        );
        t += &format!("    no time:       {:>9}\n", s.skipped_missing_time);
        if s.named_items > 0 {
            t += &format!(
                "no SKU:            {:>9}  (lines identified by the product name instead)\n",
                s.named_items
            );
        }
        if s.prices_other_currency > 0 {
            t += &format!(
                "other currency:    {:>9}  (lines whose price was not used)\n",
                s.prices_other_currency
            );
        }
        t += &format!("customers:         {:>9}\n", self.customers);
        t += &format!(
            "orders:            {:>9}  ({} guest)\n",
            b.orders, b.guest_orders
        );
        t += &format!(
            "items:             {:>9}  ({} with neighbours)\n",
            self.items, b.items_with_neighbors
        );
        t += &format!("pairs co-bought:   {:>9}\n", b.pairs_seen);
        t += &format!(
            "  dropped (support < min-support): {}\n",
            b.pairs_dropped_min_support
        );
        t += &format!(
            "  kept:            {:>9}  (neighbour edges after top-K)\n",
            b.edges_kept
        );
        if self.catalog_rows > 0 {
            t += &format!(
                "catalog rows:      {:>9}  ({} ids not in the orders, ignored)\n",
                self.catalog_rows, self.catalog_unknown
            );
            t += &format!("  read as:         {}\n", self.catalog_note);
        }
        t += &format!(
            "model:             {:>9} bytes  ({:.1} bytes/item) -> {}\n",
            self.model_bytes,
            self.model_bytes as f64 / self.items.max(1) as f64,
            out.display()
        );
        if b.next_pairs_seen > 0 {
            t += &format!(
                "next pairs:        {:>9}  ({} below min-support, {} edges kept)\n",
                b.next_pairs_seen, b.next_pairs_dropped_min_support, b.next_edges_kept
            );
        }
        if let Some(r) = &self.tune {
            t += &format!("tuning:            {}\n", r.summary());
        }
        t += &format!("settings:          {}\n", describe(&self.settings));
        t += &format!("time:              {:>9.2} s\n", self.elapsed.as_secs_f64());
        t
    }
}

pub fn run_build(args: &BuildArgs) -> Result<BuildReport> {
    let start = Instant::now();
    // Prices are stored with the currency's own minor unit (ISO 4217): ¥1500 as 1500.
    // A shop export names its currency (Shopify `Currency`, WooCommerce `order_currency`):
    // used when --currency is not given.
    let mut currency = match (&args.currency, args.format) {
        (Some(c), _) => Some(c.clone()),
        (None, Format::Csv) => export_currency(&args.interactions)?,
        (None, _) => None,
    };
    let price_digits = crate::price::digits(currency.as_deref());
    let import = ImportOptions {
        price_digits,
        currency: currency.clone(),
        ..args.import.clone()
    };
    let imported = import_any(&args.interactions, args.format, &import)?;
    let (mut parts, stats, chosen, tune) = model_parts(
        &imported,
        &imported.interactions,
        &args.settings,
        args.tune.as_ref(),
    )?;
    let mut catalog_rows = 0;
    let mut catalog_unknown = 0;
    let mut catalog_note = String::new();
    if let Some(path) = &args.catalog {
        let cat = read_catalog_in(path, &parts.ids, price_digits, currency.as_deref())?;
        catalog_rows = cat.rows;
        catalog_unknown = cat.unknown_ids;
        if let (None, Some(named)) = (&currency, &cat.currency) {
            // The feed names the currency nothing else did: fine while the prices read so
            // far were stored with its exponent.
            if crate::price::digits(Some(named)) != price_digits {
                anyhow::bail!(
                    "{}: the prices are in {named}; give --currency {named} so they are \
                     stored with its minor unit",
                    path.display()
                );
            }
            currency = Some(named.clone());
        }
        catalog_note = format!(
            "{}; {} out of stock (never recommended), {} sale prices, {} variants \
             (item_group_id: read, not yet used)",
            cat.format.name(),
            cat.out_of_stock.iter().filter(|&&o| o).count(),
            cat.sale_prices,
            cat.variants
        );
        hide_items(&mut parts, &cat.out_of_stock);
        if let Some(v) = cat.titles {
            parts.titles = v;
        }
        if let Some(v) = cat.prices {
            parts.prices = v;
        }
        if let Some(v) = cat.urls {
            parts.urls = v;
        }
        if let Some(v) = cat.images {
            parts.images = v;
        }
    }
    attach_families(&mut parts, &imported.interactions, &chosen);
    // No timestamps or paths in the meta: the same input gives the same bytes.
    if let Some(c) = &currency {
        parts.meta.push(("currency".into(), c.clone()));
    }
    if !parts.prices.is_empty() {
        // Prices are `major × 10^price_digits` (the widget falls back to 2 without it).
        parts
            .meta
            .push(("price_digits".into(), price_digits.to_string()));
    }
    let source = args
        .interactions
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    parts.meta.push(("source".into(), source));
    parts.meta.push((
        "builder".into(),
        concat!("attune ", env!("CARGO_PKG_VERSION")).into(),
    ));
    parts
        .meta
        .push(("similarity".into(), similarity_text(&chosen)));
    parts
        .meta
        .push(("min_support".into(), chosen.min_support.to_string()));
    parts
        .meta
        .push(("neighbors".into(), chosen.neighbors.to_string()));
    if !parts.next_offsets.is_empty() {
        parts.meta.push((
            "next".into(),
            format!(
                "{} per item, {} later orders, step decay {}",
                chosen.next.neighbors, chosen.next.steps, chosen.next.step_decay
            ),
        ));
    }
    if let Some(dp) = &chosen.dp {
        // The guarantee's parameters, never the noise seed.
        parts.meta.push((
            "dp".into(),
            format!(
                "epsilon {}, max items per customer {}",
                dp.epsilon, dp.max_items
            ),
        ));
    }
    if let Some(r) = &tune {
        parts.meta.push(("tuning".into(), r.summary()));
    }
    let items = parts.ids.len();
    let model = Model::from_parts(parts).context("the built model failed validation")?;
    let bytes = model.to_bytes();
    write_atomically(&args.out, &bytes)?;
    Ok(BuildReport {
        import: imported.stats.clone(),
        build: stats,
        customers: imported.customers,
        items,
        model_bytes: bytes.len(),
        catalog_rows,
        catalog_unknown,
        catalog_note,
        columns: imported.columns.clone(),
        settings: chosen,
        tune,
        elapsed: start.elapsed(),
    })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp-attune");
    std::fs::write(&tmp, bytes).with_context(|| format!("{}: cannot write", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
}

/// Splits the model at `model` into `dir`/head.bin and `dir`/shard-K.bin (K = 0 … N−1,
/// decimal); with `shards` 0, the fewest shards (a power of two) for which the head plus
/// the largest shard are at most 40 KB gzip. Returns the summary lines.
pub fn write_shards(model: &Path, dir: &Path, shards: u32) -> Result<String> {
    let m = load_model(model)?;
    let gz = |b: &[u8]| -> usize {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = e.write_all(b);
        e.finish().map(|v| v.len()).unwrap_or(usize::MAX)
    };
    let mut s = if shards == 0 { 1 } else { shards };
    let split = loop {
        let split = attune_core::shard::split(&m, s);
        let largest = split.shards.iter().map(|b| b.len()).max().unwrap_or(0);
        let big = split
            .shards
            .iter()
            .find(|b| b.len() == largest)
            .map(|b| gz(b));
        if shards != 0 || s >= 1 << 16 || gz(&split.head) + big.unwrap_or(0) <= 40_000 {
            break split;
        }
        s *= 2;
    };
    // Files of an earlier split with more shards would be stale: remove them.
    for e in std::fs::read_dir(dir)?.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("shard-") && name.ends_with(".bin") {
            std::fs::remove_file(e.path())?;
        }
    }
    write_atomically(&dir.join("head.bin"), &split.head)?;
    let mut sizes: Vec<(usize, usize)> = Vec::with_capacity(split.shards.len());
    for (k, b) in split.shards.iter().enumerate() {
        write_atomically(&dir.join(format!("shard-{k}.bin")), b)?;
        sizes.push((b.len(), gz(b)));
    }
    sizes.sort_unstable();
    let (med, max) = (sizes[sizes.len() / 2], sizes[sizes.len() - 1]);
    Ok(format!(
        "sharded:             {} shards in {}: head.bin {} bytes ({} gzip); shards median {} ({} gzip), largest {} ({} gzip)\n",
        split.shards.len(),
        dir.display(),
        split.head.len(),
        gz(&split.head),
        med.0,
        med.1,
        max.0,
        max.1
    ))
}

/// A sharded model directory (head.bin and every shard-K.bin) merged into one model.
fn load_sharded(dir: &Path) -> Result<Model> {
    let read = |name: String| {
        let p = dir.join(name);
        std::fs::read(&p).with_context(|| format!("{}: cannot read", p.display()))
    };
    let head = read("head.bin".into())?;
    let h = Model::from_bytes(&head).context("head.bin: not a usable Attune model")?;
    let sec = attune_core::model::section(&head, attune_core::model::TAG_SHARD)
        .context("head.bin: not the head of a sharded model")?;
    let info = attune_core::shard::ShardInfo::read(sec, h.len()).context("head.bin")?;
    let mut files = vec![head];
    for k in 0..info.shards {
        files.push(read(format!("shard-{k}.bin"))?);
    }
    let refs: Vec<&[u8]> = files.iter().map(Vec::as_slice).collect();
    attune_core::shard::merge(&refs)
        .with_context(|| format!("{}: the shards do not merge", dir.display()))
}

pub fn load_model(path: &Path) -> Result<Model> {
    if path.is_dir() {
        return load_sharded(path);
    }
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let model = Model::from_bytes(&bytes)
        .with_context(|| format!("{}: not a usable Attune model", path.display()))?;
    // The widget decodes a packed list when it needs it; the CLI checks every one.
    model
        .verify()
        .with_context(|| format!("{}: not a usable Attune model", path.display()))?;
    Ok(model)
}

/// The `recommend` contract: each input line is one shopper's history (item ids separated
/// by whitespace, oldest first); each produces exactly one output line of up to `k` ids,
/// best first, never an id of that history. Unknown ids are ignored; an empty or
/// all-unknown history gets the popularity fallback. Returns the number of lines.
pub fn recommend_stream(
    model: &Model,
    k: usize,
    mut input: impl BufRead,
    mut output: impl Write,
) -> Result<u64> {
    let mut scorer = Scorer::new();
    let mut line = Vec::new();
    let mut history: Vec<(u32, Signal)> = Vec::new();
    let mut exclude: Vec<u32> = Vec::new();
    let mut lines = 0u64;
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .context("reading stdin")?
            == 0
        {
            break;
        }
        lines += 1;
        history.clear();
        exclude.clear();
        // Ids are ASCII-whitespace separated; invalid UTF-8 can only make an id unknown.
        for tok in line
            .split(|b| b.is_ascii_whitespace())
            .filter(|t| !t.is_empty())
        {
            if let Some(i) = std::str::from_utf8(tok)
                .ok()
                .and_then(|s| model.index_of(s))
            {
                history.push((i, Signal::Purchase));
                exclude.push(i);
            }
        }
        let recs = scorer.recommend(
            model,
            &Query {
                history: &history,
                exclude: &exclude,
                k,
                fill_popular: true,
            },
        );
        for (n, r) in recs.iter().enumerate() {
            if n > 0 {
                output.write_all(b" ")?;
            }
            output.write_all(model.id(r.item).as_bytes())?;
        }
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(lines)
}

/// One `attune catalog` entry; `url` and `image` only when the model has them.
#[derive(Serialize)]
struct CatalogEntry<'a> {
    id: &'a str,
    title: Option<&'a str>,
    /// Major units as an exact decimal (`12.50`, `1500`, `1.234`), never a rounded float.
    price: Option<Box<RawValue>>,
    currency: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
}

/// The N most popular items as a JSON array of {id, title, price, currency}, price in
/// major units (null when unknown), one item per line, for storefronts and the demo shop.
pub fn catalog_json(model: &Model, top: usize) -> Result<String> {
    let (popular, _) = model.popular();
    let currency = model.meta("currency");
    let digits = crate::price::model_digits(model);
    // Most popular first, then every other item in index order, so a shop page can
    // resolve any item a placement may link to.
    let mut listed = vec![false; model.len()];
    for &i in popular {
        listed[i as usize] = true;
    }
    let rest = (0..model.len() as u32).filter(|&i| !listed[i as usize]);
    let order: Vec<u32> = popular.iter().copied().chain(rest).take(top).collect();
    let mut lines = Vec::with_capacity(order.len());
    for &i in &order {
        let price = match model.price(i) {
            Some(p) => Some(RawValue::from_string(crate::price::major_text(p, digits))?),
            None => None,
        };
        lines.push(serde_json::to_string(&CatalogEntry {
            id: model.id(i),
            title: model.title(i),
            price,
            currency,
            url: model.url(i),
            image: model.image(i),
        })?);
    }
    Ok(if lines.is_empty() {
        "[]\n".to_string()
    } else {
        format!("[\n  {}\n]\n", lines.join(",\n  "))
    })
}

/// Human-readable description of a model file.
pub fn inspect(bytes: &[u8], model: &Model) -> String {
    let p = model.to_parts();
    let n = model.len();
    let mut t = String::new();
    t += &format!(
        "format: ATTN version {}, {} bytes, crc32 ok\n",
        u16::from_le_bytes([bytes[4], bytes[5]]),
        bytes.len()
    );
    let count = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    t += "sections:\n";
    for e in 0..count {
        let at = 12 + 12 * e;
        let tag = String::from_utf8_lossy(&bytes[at..at + 4]).into_owned();
        let off = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        let len =
            u32::from_le_bytes([bytes[at + 8], bytes[at + 9], bytes[at + 10], bytes[at + 11]]);
        t += &format!(
            "  {tag}  offset {off:>8}  {len:>9} bytes  ({:.1} bytes/item)\n",
            len as f64 / n.max(1) as f64
        );
    }
    let degrees: Vec<usize> = (0..n)
        .map(|i| (p.offsets[i + 1] - p.offsets[i]) as usize)
        .collect();
    let with = degrees.iter().filter(|&&d| d > 0).count();
    let mut sorted = degrees.clone();
    sorted.sort_unstable();
    let median = sorted.get(n / 2).copied().unwrap_or(0);
    t += &format!("items: {n}\n");
    t += &format!(
        "neighbours: {} edges; {} items with neighbours ({:.1}%); per item mean {:.1}, median {}, max {}\n",
        p.targets.len(),
        with,
        100.0 * with as f64 / n.max(1) as f64,
        p.targets.len() as f64 / n.max(1) as f64,
        median,
        sorted.last().copied().unwrap_or(0)
    );
    if !p.weights.is_empty() {
        let mut w = p.weights.clone();
        w.sort_unstable_by(f32::total_cmp);
        t += &format!(
            "weights: min {:.5}, median {:.5}, max {:.5}\n",
            w[0],
            w[w.len() / 2],
            w[w.len() - 1]
        );
    }
    t += &format!("bytes/item: {:.1}\n", bytes.len() as f64 / n.max(1) as f64);
    let has = |v: bool| if v { "yes" } else { "no" };
    t += &format!(
        "catalog: titles {}, prices {}, urls {}, images {}\n",
        has(!p.titles.is_empty()),
        has(!p.prices.is_empty()),
        has(!p.urls.is_empty()),
        has(!p.images.is_empty())
    );
    t += &format!("popular: {} items", p.popular.len());
    for (&i, &s) in p.popular.iter().zip(&p.popular_scores).take(5) {
        t += &format!(", {} ({})", model.id(i), s);
    }
    t += "\nmeta:\n";
    for (k, v) in &p.meta {
        t += &format!("  {k} = {v}\n");
    }
    t
}
