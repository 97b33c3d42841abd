//! Order-export import: a CSV (or .csv.gz) with a header → cleaned `Interactions`, the
//! item ids, a derived catalog (most frequent description, median unit price) and a count
//! of every line skipped and why. Also reads the optional `--catalog` CSV.
//!
//! Columns are found by name, case-insensitively; only user and item are required.
//! Orders: the order column when there is one; otherwise one user's lines with the same
//! timestamp form an order; otherwise (or for a line without a user) each line is its
//! own order. Without a time column, file position stands in for time.
//! Bad input is an error naming the file, line and column; nothing here panics on data.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::Path;

use anyhow::{bail, Context, Result};
use attune_core::build::{Interactions, Order};
use attune_core::model::NO_PRICE;

/// Accepted header names per role (compared lowercased, trimmed).
pub const USER_NAMES: &[&str] = &[
    "user",
    "user_id",
    "userid",
    "customer",
    "customerid",
    "customer_id",
];
pub const ITEM_NAMES: &[&str] = &[
    "item",
    "item_id",
    "itemid",
    "sku",
    "stockcode",
    "product_id",
    "productid",
];
pub const TIME_NAMES: &[&str] = &[
    "ts",
    "timestamp",
    "time",
    "date",
    "invoicedate",
    "order_date",
    "datetime",
];
pub const ORDER_NAMES: &[&str] = &[
    "order",
    "order_id",
    "orderid",
    "invoice",
    "invoiceno",
    "invoice_no",
];
pub const QUANTITY_NAMES: &[&str] = &["quantity", "qty"];
pub const TITLE_NAMES: &[&str] = &["description", "title", "name", "product_name"];
pub const PRICE_NAMES: &[&str] = &["price", "unitprice", "unit_price"];
pub const ID_NAMES: &[&str] = &[
    "id",
    "item",
    "item_id",
    "sku",
    "stockcode",
    "product_id",
    "productid",
];
pub const URL_NAMES: &[&str] = &["url", "link", "product_url"];
pub const IMAGE_NAMES: &[&str] = &["image", "image_url", "img", "picture"];

/// Stock codes that are not products in Online Retail-style exports (postage, discount,
/// manual adjustment, carriage, dotcom postage, charity, pads, samples, bad debt, bank
/// charges, Amazon fee, gift vouchers). Case-sensitive, so a shop whose SKUs are `b` or
/// `d` keeps them; a trailing `*` matches a prefix. Override with `--skip-items`.
pub const DEFAULT_SKIP_ITEMS: &[&str] = &[
    "POST",
    "D",
    "M",
    "m",
    "C2",
    "DOT",
    "CRUK",
    "PADS",
    "S",
    "B",
    "BANK CHARGES",
    "AMAZONFEE",
    "gift_*",
];

/// Column names given on the command line (override detection).
#[derive(Clone, Debug, Default)]
pub struct ColumnNames {
    pub user: Option<String>,
    pub item: Option<String>,
    pub time: Option<String>,
    pub order: Option<String>,
    pub quantity: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ImportOptions {
    pub columns: ColumnNames,
    /// Item id patterns to skip (see `DEFAULT_SKIP_ITEMS`).
    pub skip_items: Vec<String>,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            columns: ColumnNames::default(),
            skip_items: DEFAULT_SKIP_ITEMS.iter().map(|s| s.to_string()).collect(),
            progress: false,
        }
    }
}

/// Lines read, kept and skipped (by reason).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub lines: u64,
    pub kept: u64,
    /// Kept lines without a customer (guest checkouts).
    pub guest_lines: u64,
    pub skipped_cancelled: u64,
    pub skipped_quantity: u64,
    pub skipped_non_product: u64,
    pub skipped_missing_item: u64,
    pub skipped_bad_item_id: u64,
    pub skipped_missing_time: u64,
}

impl ImportStats {
    pub fn skipped(&self) -> u64 {
        self.skipped_cancelled
            + self.skipped_quantity
            + self.skipped_non_product
            + self.skipped_missing_item
            + self.skipped_bad_item_id
            + self.skipped_missing_time
    }
}

/// Which header each role was found under.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detected {
    pub user: String,
    pub item: String,
    pub time: Option<String>,
    pub order: Option<String>,
    pub quantity: Option<String>,
    pub title: Option<String>,
    pub price: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Imported {
    /// External item ids, in first-seen order: item `i` is `ids[i]`.
    pub ids: Vec<String>,
    pub interactions: Interactions,
    /// Derived titles (most frequent description); empty when the export has none.
    pub titles: Vec<String>,
    /// Derived prices (median unit price, minor units); empty when the export has none.
    pub prices: Vec<u32>,
    pub customers: usize,
    pub stats: ImportStats,
    pub columns: Detected,
}

/// Opens a file, transparently gunzipping when it starts with the gzip magic bytes.
pub fn open_input(path: &Path) -> Result<(Box<dyn Read>, u64)> {
    let mut f = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let size = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut magic = [0u8; 2];
    let got = read_fully(&mut f, &mut magic)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let head = std::io::Cursor::new(magic[..got].to_vec());
    let raw = head.chain(f);
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok((
            Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw))),
            size,
        ))
    } else {
        Ok((Box::new(raw), size))
    }
}

fn read_fully(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn progress_bar(total: u64, enabled: bool) -> indicatif::ProgressBar {
    if !enabled || total < (8 << 20) || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} reading {bytes}/{total_bytes} {wide_bar} {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    pb
}

fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_lowercase()
}

/// Finds a column: the explicit name if given (error if absent), else the first header
/// matching one of `names`.
fn find_column(
    headers: &[String],
    explicit: Option<&str>,
    names: &[&str],
    role: &str,
    file: &Path,
) -> Result<Option<usize>> {
    if let Some(want) = explicit {
        let w = normalise_header(want);
        return match headers.iter().position(|h| normalise_header(h) == w) {
            Some(i) => Ok(Some(i)),
            None => bail!(
                "{}: no column named {:?} for {role}; the header has: {}",
                file.display(),
                want,
                headers.join(", ")
            ),
        };
    }
    for name in names {
        if let Some(i) = headers.iter().position(|h| normalise_header(h) == *name) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn require(
    col: Option<usize>,
    headers: &[String],
    names: &[&str],
    role: &str,
    flag: &str,
    file: &Path,
) -> Result<usize> {
    col.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: no {role} column; the header has: {}; accepted names (case-insensitive): {} (or name it with {flag})",
            file.display(),
            headers.join(", "),
            names.join(", ")
        )
    })
}

/// True when `id` matches one of the skip patterns (exact, or prefix with a trailing `*`).
pub fn is_skipped_item(id: &str, patterns: &[String]) -> bool {
    patterns.iter().any(|p| match p.strip_suffix('*') {
        Some(prefix) => id.starts_with(prefix),
        None => id == p,
    })
}

/// An order id like `C536379`: a cancellation in Online Retail-style exports.
fn is_cancellation(order: &str) -> bool {
    let b = order.as_bytes();
    b.len() > 1 && (b[0] == b'C' || b[0] == b'c') && b[1..].iter().all(u8::is_ascii_digit)
}

/// Parses a timestamp: integer epoch (any unit), `YYYY-MM-DD[ HH:MM[:SS[.f]]]`,
/// ISO-8601 `YYYY-MM-DDTHH:MM:SS[.f][Z|±HH:MM]`, or US `M/D/YYYY[ H:MM[:SS]]`.
/// Date-times become seconds since 1970-01-01 (UTC unless an offset is given).
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(v) = s.parse::<i64>() {
        return Some(v);
    }
    if let Ok(v) = s.parse::<f64>() {
        if v.is_finite() && v.abs() < 9.0e15 {
            return Some(v.floor() as i64);
        }
        return None;
    }
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let (y, m, d) = if date.contains('-') {
        let mut it = date.split('-');
        let y = it.next()?.parse::<i64>().ok()?;
        let m = it.next()?.parse::<u32>().ok()?;
        let d = it.next()?.parse::<u32>().ok()?;
        if it.next().is_some() {
            return None;
        }
        (y, m, d)
    } else if date.contains('/') {
        let mut it = date.split('/');
        let m = it.next()?.parse::<u32>().ok()?;
        let d = it.next()?.parse::<u32>().ok()?;
        let y = it.next()?.parse::<i64>().ok()?;
        if it.next().is_some() {
            return None;
        }
        (y, m, d)
    } else {
        return None;
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1..=9999).contains(&y) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if rest.is_empty() {
        return Some(secs);
    }
    // Time zone suffix.
    let (clock, offset) = if let Some(c) = rest.strip_suffix('Z').or_else(|| rest.strip_suffix('z'))
    {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (c, tz) = (&rest[..i], &rest[i..]);
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let tz = tz[1..].replace(':', "");
        if tz.len() != 4 || !tz.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let h: i64 = tz[..2].parse().ok()?;
        let mm: i64 = tz[2..].parse().ok()?;
        (c, sign * (h * 3600 + mm * 60))
    } else {
        (rest, 0)
    };
    let mut it = clock.trim().split(':');
    let h = it.next()?.trim().parse::<i64>().ok()?;
    let mi = it.next()?.parse::<i64>().ok()?;
    let sec = match it.next() {
        Some(x) => x
            .parse::<f64>()
            .ok()
            .filter(|v| (0.0..61.0).contains(v))?
            .floor() as i64,
        None => 0,
    };
    if it.next().is_some() || !(0..=24).contains(&h) || !(0..60).contains(&mi) {
        return None;
    }
    secs += h * 3600 + mi * 60 + sec - offset;
    Some(secs)
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses a decimal price in major units into minor units (×100, rounded).
pub fn parse_price(s: &str) -> Option<u32> {
    let v: f64 = s
        .trim()
        .trim_start_matches(['£', '$', '€'])
        .trim()
        .parse()
        .ok()?;
    if !v.is_finite() || v < 0.0 || v * 100.0 >= u32::MAX as f64 {
        return None;
    }
    Some((v * 100.0).round() as u32)
}

fn field<'r>(
    rec: &'r csv::ByteRecord,
    col: usize,
    file: &Path,
    line: u64,
    name: &str,
) -> Result<&'r str> {
    let raw = rec.get(col).unwrap_or(b"");
    std::str::from_utf8(raw).map(str::trim).map_err(|_| {
        anyhow::anyhow!(
            "{}: line {line}, column {name}: not valid UTF-8",
            file.display()
        )
    })
}

enum OrderKey {
    Named(usize),
    UserTime(u32),
    Line,
}

/// Reads an order export.
pub fn import_interactions(path: &Path, opts: &ImportOptions) -> Result<Imported> {
    let (reader, size) = open_input(path)?;
    let pb = progress_bar(size, opts.progress);
    let reader = pb.wrap_read(reader);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header line", path.display()))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    if headers.iter().all(|h| h.trim().is_empty()) {
        bail!(
            "{}: empty file or empty header line (a header is required)",
            path.display()
        );
    }
    let c = &opts.columns;
    let user_col = find_column(&headers, c.user.as_deref(), USER_NAMES, "user", path)?;
    let item_col = find_column(&headers, c.item.as_deref(), ITEM_NAMES, "item", path)?;
    let user_col = require(user_col, &headers, USER_NAMES, "user", "--user-col", path)?;
    let item_col = require(item_col, &headers, ITEM_NAMES, "item", "--item-col", path)?;
    let time_col = find_column(&headers, c.time.as_deref(), TIME_NAMES, "time", path)?;
    let order_col = find_column(&headers, c.order.as_deref(), ORDER_NAMES, "order", path)?;
    let qty_col = find_column(
        &headers,
        c.quantity.as_deref(),
        QUANTITY_NAMES,
        "quantity",
        path,
    )?;
    let title_col = find_column(&headers, None, TITLE_NAMES, "title", path)?;
    let price_col = find_column(&headers, None, PRICE_NAMES, "price", path)?;
    let name = |i: usize| headers[i].trim().to_string();
    let columns = Detected {
        user: name(user_col),
        item: name(item_col),
        time: time_col.map(name),
        order: order_col.map(name),
        quantity: qty_col.map(name),
        title: title_col.map(name),
        price: price_col.map(name),
    };
    let needed = [Some(user_col), Some(item_col), time_col, order_col, qty_col]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0);

    let mut stats = ImportStats::default();
    let mut item_index: HashMap<String, u32> = HashMap::new();
    let mut ids: Vec<String> = Vec::new();
    let mut customer_index: HashMap<String, u32> = HashMap::new();
    let mut order_named: HashMap<String, u32> = HashMap::new();
    let mut order_user_time: HashMap<(u32, i64), u32> = HashMap::new();
    let mut orders: Vec<Order> = Vec::new();
    let mut title_counts: Vec<HashMap<String, u32>> = Vec::new();
    let mut price_lists: Vec<Vec<u32>> = Vec::new();

    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(stats.lines + 2);
                bail!("{}: line {line}: malformed CSV: {e}", path.display());
            }
        }
        stats.lines += 1;
        let line = rec.position().map(|p| p.line()).unwrap_or(stats.lines + 1);
        if rec.len() == 1 && rec.get(0).is_some_and(|f| f.is_empty()) {
            stats.lines -= 1; // blank line
            continue;
        }
        if rec.len() <= needed {
            bail!(
                "{}: line {line}: {} fields, but the header has {} (column {} is missing)",
                path.display(),
                rec.len(),
                headers.len(),
                name(needed)
            );
        }
        let item = field(&rec, item_col, path, line, &columns.item)?;
        if let Some(oc) = order_col {
            if is_cancellation(field(&rec, oc, path, line, &name(oc))?) {
                stats.skipped_cancelled += 1;
                continue;
            }
        }
        if let Some(qc) = qty_col {
            let q = field(&rec, qc, path, line, &name(qc))?;
            let v: f64 = q.parse().map_err(|_| {
                anyhow::anyhow!(
                    "{}: line {line}, column {}: quantity {q:?} is not a number",
                    path.display(),
                    name(qc)
                )
            })?;
            if v.is_nan() || v <= 0.0 {
                stats.skipped_quantity += 1;
                continue;
            }
        }
        if item.is_empty() {
            stats.skipped_missing_item += 1;
            continue;
        }
        if is_skipped_item(item, &opts.skip_items) {
            stats.skipped_non_product += 1;
            continue;
        }
        if item.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
            stats.skipped_bad_item_id += 1;
            continue;
        }
        let ts = match time_col {
            Some(tc) => {
                let t = field(&rec, tc, path, line, &name(tc))?;
                if t.is_empty() {
                    stats.skipped_missing_time += 1;
                    continue;
                }
                parse_time(t).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: line {line}, column {}: cannot read time {t:?} (expected an integer, \
                         YYYY-MM-DD HH:MM:SS, ISO-8601 or M/D/YYYY H:MM)",
                        path.display(),
                        name(tc)
                    )
                })?
            }
            None => stats.lines as i64,
        };
        let user = field(&rec, user_col, path, line, &columns.user)?;
        let customer = if user.is_empty() {
            stats.guest_lines += 1;
            None
        } else {
            let next = customer_index.len() as u32;
            Some(*customer_index.entry(user.to_string()).or_insert(next))
        };
        let item_ix = match item_index.get(item) {
            Some(&i) => i,
            None => {
                let i = ids.len() as u32;
                item_index.insert(item.to_string(), i);
                ids.push(item.to_string());
                title_counts.push(HashMap::new());
                price_lists.push(Vec::new());
                i
            }
        };
        let key = match (order_col, customer) {
            (Some(oc), _) => OrderKey::Named(oc),
            (None, Some(cu)) if time_col.is_some() => OrderKey::UserTime(cu),
            _ => OrderKey::Line,
        };
        let order_ix = match key {
            OrderKey::Named(oc) => {
                let o = field(&rec, oc, path, line, &name(oc))?;
                match order_named.get(o) {
                    Some(&i) => i,
                    None => {
                        let i = orders.len() as u32;
                        order_named.insert(o.to_string(), i);
                        orders.push(Order {
                            customer,
                            ts,
                            items: Vec::new(),
                        });
                        i
                    }
                }
            }
            OrderKey::UserTime(cu) => {
                let next = orders.len() as u32;
                let i = *order_user_time.entry((cu, ts)).or_insert(next);
                if i == next {
                    orders.push(Order {
                        customer,
                        ts,
                        items: Vec::new(),
                    });
                }
                i
            }
            OrderKey::Line => {
                orders.push(Order {
                    customer,
                    ts,
                    items: Vec::new(),
                });
                orders.len() as u32 - 1
            }
        };
        let o = &mut orders[order_ix as usize];
        o.items.push(item_ix);
        o.ts = o.ts.min(ts);
        if o.customer.is_none() {
            o.customer = customer;
        }
        if let Some(tc) = title_col {
            let t = String::from_utf8_lossy(rec.get(tc).unwrap_or(b""));
            let t = t.trim();
            if !t.is_empty() {
                *title_counts[item_ix as usize]
                    .entry(t.to_string())
                    .or_insert(0) += 1;
            }
        }
        if let Some(pc) = price_col {
            if let Some(p) = rec
                .get(pc)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(parse_price)
            {
                if p > 0 {
                    price_lists[item_ix as usize].push(p);
                }
            }
        }
        stats.kept += 1;
    }
    pb.finish_and_clear();
    for o in &mut orders {
        o.items.sort_unstable();
        o.items.dedup();
    }
    let titles = if title_col.is_some() {
        title_counts
            .into_iter()
            .map(|counts| {
                // Most frequent; ties → lexicographically smallest, for reproducibility.
                counts
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                    .map(|(t, _)| t)
                    .unwrap_or_default()
            })
            .collect()
    } else {
        Vec::new()
    };
    let prices = if price_col.is_some() {
        price_lists
            .into_iter()
            .map(|mut p| {
                if p.is_empty() {
                    return NO_PRICE;
                }
                p.sort_unstable();
                // Lower median: always a price someone actually paid.
                p[(p.len() - 1) / 2]
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Imported {
        interactions: Interactions {
            n_items: ids.len(),
            orders,
        },
        ids,
        titles,
        prices,
        customers: customer_index.len(),
        stats,
        columns,
    })
}

/// The input layouts `attune eval` (and `attune build`) read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An order export: CSV with a header (`import_interactions`).
    Csv,
    /// One basket per line, item names separated by commas, no header (the Groceries
    /// layout). Each basket is its own customer with a single order.
    Baskets,
    /// One customer per line: `user item item …`, whitespace-separated, items oldest first
    /// (the Amazon Beauty layout of S3-Rec and its successors). Each item is its own order
    /// at time = position.
    Sequences,
}

/// Reads `path` in the given layout (`Csv` uses `opts`).
pub fn import_any(path: &Path, format: Format, opts: &ImportOptions) -> Result<Imported> {
    match format {
        Format::Csv => import_interactions(path, opts),
        Format::Baskets => import_baskets(path),
        Format::Sequences => import_sequences(path),
    }
}

fn read_lines(path: &Path) -> Result<String> {
    let (mut r, _) = open_input(path)?;
    let mut text = String::new();
    r.read_to_string(&mut text)
        .with_context(|| format!("{}: cannot read (not UTF-8 text?)", path.display()))?;
    Ok(text)
}

struct Ids {
    index: HashMap<String, u32>,
    ids: Vec<String>,
}

impl Ids {
    fn new() -> Self {
        Ids {
            index: HashMap::new(),
            ids: Vec::new(),
        }
    }
    fn get(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.index.insert(id.to_string(), i);
        self.ids.push(id.to_string());
        i
    }
}

/// Groceries-style baskets. Whitespace inside an item name becomes `_` (model ids carry
/// no whitespace: a history line is a space-separated list of ids); a name repeated in a
/// basket counts once; blank lines are skipped.
pub fn import_baskets(path: &Path) -> Result<Imported> {
    let text = read_lines(path)?;
    let mut ids = Ids::new();
    let mut orders = Vec::new();
    let mut stats = ImportStats::default();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        stats.lines += 1;
        let mut items: Vec<u32> = Vec::new();
        for name in line.split(',') {
            let name = name.split_whitespace().collect::<Vec<_>>().join("_");
            let name = name.trim_matches('"');
            if name.is_empty() || name.chars().any(char::is_control) {
                stats.skipped_missing_item += u64::from(!name.is_empty());
                continue;
            }
            items.push(ids.get(name));
            stats.kept += 1;
        }
        items.sort_unstable();
        items.dedup();
        if items.is_empty() {
            continue;
        }
        orders.push(Order {
            customer: Some(orders.len() as u32),
            ts: 0,
            items,
        });
    }
    if orders.is_empty() {
        bail!(
            "{}: no baskets (expected one comma-separated basket per line)",
            path.display()
        );
    }
    Ok(Imported {
        interactions: Interactions {
            n_items: ids.ids.len(),
            orders,
        },
        customers: stats.lines as usize,
        ids: ids.ids,
        stats,
        columns: Detected {
            user: "(line)".into(),
            item: "(basket)".into(),
            ..Default::default()
        },
        ..Default::default()
    })
}

/// S3-Rec-style sequences: `user item item …` per line, oldest first. A user on several
/// lines continues one sequence.
pub fn import_sequences(path: &Path) -> Result<Imported> {
    let text = read_lines(path)?;
    let mut ids = Ids::new();
    let mut users = Ids::new();
    let mut next_pos: Vec<i64> = Vec::new();
    let mut orders = Vec::new();
    let mut stats = ImportStats::default();
    for (n, line) in text.lines().enumerate() {
        let mut tokens = line.split_whitespace();
        let Some(user) = tokens.next() else {
            continue;
        };
        stats.lines += 1;
        let u = users.get(user);
        if u as usize == next_pos.len() {
            next_pos.push(0);
        }
        let mut any = false;
        for item in tokens {
            if item.chars().any(char::is_control) {
                bail!(
                    "{}: line {}: item id {item:?} contains a control character",
                    path.display(),
                    n + 1
                );
            }
            let i = ids.get(item);
            let ts = next_pos[u as usize];
            next_pos[u as usize] += 1;
            orders.push(Order {
                customer: Some(u),
                ts,
                items: vec![i],
            });
            stats.kept += 1;
            any = true;
        }
        if !any {
            bail!(
                "{}: line {}: user {user:?} has no items (expected `user item item ...`)",
                path.display(),
                n + 1
            );
        }
    }
    if orders.is_empty() {
        bail!(
            "{}: no sequences (expected `user item item ...` per line)",
            path.display()
        );
    }
    Ok(Imported {
        interactions: Interactions {
            n_items: ids.ids.len(),
            orders,
        },
        customers: users.ids.len(),
        ids: ids.ids,
        stats,
        columns: Detected {
            user: "(first token)".into(),
            item: "(sequence)".into(),
            ..Default::default()
        },
        ..Default::default()
    })
}

/// Catalog fields read from `--catalog FILE`, aligned with the model's item ids.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub titles: Option<Vec<String>>,
    pub prices: Option<Vec<u32>>,
    pub urls: Option<Vec<String>>,
    pub images: Option<Vec<String>>,
    /// Rows whose id is not in the model (ignored).
    pub unknown_ids: u64,
    pub rows: u64,
}

/// Reads a catalog CSV (id plus any of title/price/url/image, found by name).
pub fn read_catalog(path: &Path, ids: &[String]) -> Result<Catalog> {
    let (reader, _) = open_input(path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header line", path.display()))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let id_col = find_column(&headers, None, ID_NAMES, "id", path)?;
    let id_col = require(id_col, &headers, ID_NAMES, "id", "an id column", path)?;
    let title_col = find_column(&headers, None, TITLE_NAMES, "title", path)?;
    let price_col = find_column(&headers, None, PRICE_NAMES, "price", path)?;
    let url_col = find_column(&headers, None, URL_NAMES, "url", path)?;
    let image_col = find_column(&headers, None, IMAGE_NAMES, "image", path)?;
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let n = ids.len();
    let mut cat = Catalog {
        titles: title_col.map(|_| vec![String::new(); n]),
        prices: price_col.map(|_| vec![NO_PRICE; n]),
        urls: url_col.map(|_| vec![String::new(); n]),
        images: image_col.map(|_| vec![String::new(); n]),
        ..Default::default()
    };
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                bail!("{}: line {line}: malformed CSV: {e}", path.display());
            }
        }
        cat.rows += 1;
        let line = rec.position().map(|p| p.line()).unwrap_or(cat.rows + 1);
        let id = field(&rec, id_col, path, line, headers[id_col].trim())?;
        let Some(&i) = index.get(id) else {
            cat.unknown_ids += 1;
            continue;
        };
        if let (Some(c), Some(v)) = (title_col, cat.titles.as_mut()) {
            v[i] = field(&rec, c, path, line, headers[c].trim())?.to_string();
        }
        if let (Some(c), Some(v)) = (price_col, cat.prices.as_mut()) {
            let p = field(&rec, c, path, line, headers[c].trim())?;
            v[i] = if p.is_empty() {
                NO_PRICE
            } else {
                parse_price(p).ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: line {line}, column {}: price {p:?} is not a non-negative number",
                        path.display(),
                        headers[c].trim()
                    )
                })?
            };
        }
        if let (Some(c), Some(v)) = (url_col, cat.urls.as_mut()) {
            v[i] = field(&rec, c, path, line, headers[c].trim())?.to_string();
        }
        if let (Some(c), Some(v)) = (image_col, cat.images.as_mut()) {
            v[i] = field(&rec, c, path, line, headers[c].trim())?.to_string();
        }
    }
    Ok(cat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::atomic::{AtomicU32, Ordering};

    static N: AtomicU32 = AtomicU32::new(0);

    /// A fresh file under the system temp dir (no tempfile crate needed).
    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "attune-import-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    const RETAIL: &str = "\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom
536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850,United Kingdom
536366,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,2010-12-02 09:00:00,2.95,,United Kingdom
536366,21705,\"RECORD FRAME 7\"\" SINGLE SIZE\",2,2010-12-02 09:00:00,2.10,,United Kingdom
536366,gift_0001_20,Dotcomgiftshop Gift Voucher £20.00,1,2010-12-02 09:00:00,17.02,,United Kingdom
C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,2010-12-03 09:41:00,2.55,14527,United Kingdom
536380,71053,\"LANTERN, WHITE METAL\",-3,2010-12-03 09:45:00,0,14527,United Kingdom
536381,85123A,white hanging heart,1,2010-12-04 10:00:00,2.75,14527,United Kingdom
536381,BANK CHARGES,Bank Charges,1,2010-12-04 10:00:00,15,14527,United Kingdom
";

    #[test]
    fn baskets_and_sequences() {
        let p = temp_file(
            "g.csv",
            b"whole milk,  rolls/buns ,whole milk\n\nsoda\n\"yogurt\",soda\n",
        );
        let imp = import_baskets(&p).unwrap();
        assert_eq!(imp.ids, vec!["whole_milk", "rolls/buns", "soda", "yogurt"]);
        let o = &imp.interactions.orders;
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].items, vec![0, 1]);
        assert_eq!(o[2].items, vec![2, 3]);
        assert_eq!(o[2].customer, Some(2));
        let p = temp_file("s.txt", b"u1 10 11 12\nu2 11 13\nu1 14\n");
        let imp = import_sequences(&p).unwrap();
        assert_eq!(imp.ids, vec!["10", "11", "12", "13", "14"]);
        assert_eq!(imp.customers, 2);
        let o = &imp.interactions.orders;
        assert_eq!(o.len(), 6);
        assert_eq!(
            (o[3].customer, o[3].ts, o[3].items.clone()),
            (Some(1), 0, vec![1])
        );
        assert_eq!(
            (o[5].customer, o[5].ts, o[5].items.clone()),
            (Some(0), 3, vec![4])
        );
        let bad = temp_file("b.txt", b"u1 10\nu2\n");
        let e = import_sequences(&bad).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("no items"), "{e}");
        let empty = temp_file("e.txt", b"\n\n");
        assert!(import_baskets(&empty)
            .unwrap_err()
            .to_string()
            .contains("no baskets"));
        assert!(import_sequences(&empty)
            .unwrap_err()
            .to_string()
            .contains("no sequences"));
    }

    #[test]
    fn reads_online_retail_as_is() {
        let p = temp_file("retail.csv", RETAIL.as_bytes());
        let imp = import_interactions(&p, &ImportOptions::default()).unwrap();
        let s = &imp.stats;
        assert_eq!(s.lines, 10);
        assert_eq!(s.kept, 5);
        assert_eq!(s.skipped_cancelled, 1);
        assert_eq!(s.skipped_quantity, 1);
        assert_eq!(s.skipped_non_product, 3);
        assert_eq!(s.guest_lines, 2);
        assert_eq!(s.kept + s.skipped(), s.lines);
        assert_eq!(imp.ids, vec!["85123A", "71053", "21705"]);
        assert_eq!(imp.customers, 2);
        let orders = &imp.interactions.orders;
        assert_eq!(orders.len(), 3);
        assert_eq!(orders[0].customer, Some(0));
        assert_eq!(orders[0].items, vec![0, 1]);
        assert_eq!(orders[1].customer, None); // guest order keeps its co-purchase
        assert_eq!(orders[1].items, vec![0, 2]);
        assert_eq!(orders[2].customer, Some(1));
        assert_eq!(orders[0].ts, parse_time("2010-12-01 08:26:00").unwrap());
        // Derived catalog: the most frequent description, the lower median price.
        assert_eq!(imp.titles[0], "WHITE HANGING HEART T-LIGHT HOLDER");
        assert_eq!(imp.titles[2], "RECORD FRAME 7\" SINGLE SIZE");
        assert_eq!(imp.prices, vec![275, 339, 210]);
        assert_eq!(imp.columns.order.as_deref(), Some("InvoiceNo"));
        assert_eq!(imp.columns.user, "CustomerID");
    }

    #[test]
    fn gzip_input_is_detected_by_content() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(RETAIL.as_bytes()).unwrap();
        let p = temp_file("retail.csv.gz", &enc.finish().unwrap());
        let imp = import_interactions(&p, &ImportOptions::default()).unwrap();
        assert_eq!(imp.stats.kept, 5);
        assert_eq!(imp.ids.len(), 3);
    }

    #[test]
    fn user_item_ts_only() {
        let p = temp_file(
            "uit.csv",
            b"user,item,ts\nu1,a,100\nu1,b,100\nu1,c,200\nu2,a,5\nu2,b,7\n",
        );
        let imp = import_interactions(&p, &ImportOptions::default()).unwrap();
        assert_eq!(imp.stats.kept, 5);
        // u1's two lines at ts 100 form one order; other lines their own.
        let o = &imp.interactions.orders;
        assert_eq!(o.len(), 4);
        assert_eq!(o[0].items, vec![0, 1]);
        assert_eq!(o[0].ts, 100);
        assert_eq!(o[1].items, vec![2]);
        assert!(imp.titles.is_empty() && imp.prices.is_empty());
        assert_eq!(imp.columns.time.as_deref(), Some("ts"));
        // Date-time flavours are accepted too.
        let p = temp_file(
            "uit2.csv",
            b"Customer_Id,SKU,Timestamp\n1,a,2010-12-01T08:26:00Z\n1,b,12/1/2010 8:26\n2,a,2010-12-01 08:26:00\n",
        );
        let imp = import_interactions(&p, &ImportOptions::default()).unwrap();
        assert_eq!(imp.interactions.orders.len(), 2);
        assert_eq!(imp.interactions.orders[0].items, vec![0, 1]);
    }

    #[test]
    fn user_item_only_and_explicit_columns() {
        let p = temp_file("ui.csv", b"who,what\nx,a\nx,b\n");
        let err = import_interactions(&p, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("no user column"), "{err}");
        assert!(err.contains("the header has: who, what"), "{err}");
        assert!(err.contains("customerid"), "{err}");
        let mut opts = ImportOptions::default();
        opts.columns.user = Some("WHO".into());
        opts.columns.item = Some("what".into());
        let imp = import_interactions(&p, &opts).unwrap();
        assert_eq!(imp.interactions.orders.len(), 2); // each line its own order
        assert_eq!(imp.interactions.orders[1].ts, 2); // file position stands in for time
        opts.columns.time = Some("when".into());
        let err = import_interactions(&p, &opts).unwrap_err().to_string();
        assert!(err.contains("no column named \"when\" for time"), "{err}");
    }

    #[test]
    fn malformed_rows_name_file_line_and_column() {
        let p = temp_file("bad.csv", b"user,item,qty\nu,a,1\nu,b,lots\n");
        let err = import_interactions(&p, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.csv: line 3, column qty"), "{err}");
        assert!(err.contains("\"lots\""), "{err}");
        let p = temp_file("badts.csv", b"user,item,ts\nu,a,1\nu,b,yesterday\n");
        let err = import_interactions(&p, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("badts.csv: line 3, column ts"), "{err}");
        let p = temp_file("short.csv", b"user,item,ts\nu,a,1\nu,b\n");
        let err = import_interactions(&p, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("short.csv: line 3"), "{err}");
        assert!(err.contains("column ts is missing"), "{err}");
        let err = import_interactions(Path::new("/nonexistent/x.csv"), &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/x.csv: cannot open"), "{err}");
        let p = temp_file("empty.csv", b"");
        let err = import_interactions(&p, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty file"), "{err}");
    }

    #[test]
    fn skip_patterns() {
        let pats: Vec<String> = DEFAULT_SKIP_ITEMS.iter().map(|s| s.to_string()).collect();
        for id in [
            "POST",
            "M",
            "m",
            "C2",
            "BANK CHARGES",
            "gift_0001_20",
            "AMAZONFEE",
        ] {
            assert!(is_skipped_item(id, &pats), "{id}");
        }
        for id in [
            "85123A", "POSTAGE", "post", "b", "d", "DCGSSBOY", "gif", "C22", "GIFT_x", "é",
        ] {
            assert!(!is_skipped_item(id, &pats), "{id}");
        }
        assert!(is_cancellation("C536379"));
        assert!(!is_cancellation("C"));
        assert!(!is_cancellation("CA-12"));
        assert!(!is_cancellation("536379"));
    }

    #[test]
    fn times() {
        assert_eq!(parse_time("0"), Some(0));
        assert_eq!(parse_time("1291191960"), Some(1_291_191_960));
        assert_eq!(parse_time("2010-12-01 08:26:00"), Some(1_291_191_960));
        assert_eq!(parse_time("2010-12-01T08:26:00Z"), Some(1_291_191_960));
        assert_eq!(parse_time("2010-12-01T09:26:00+01:00"), Some(1_291_191_960));
        assert_eq!(parse_time("2010-12-01T08:26:00.250Z"), Some(1_291_191_960));
        assert_eq!(parse_time("12/1/2010 8:26"), Some(1_291_191_960));
        assert_eq!(parse_time("2010-12-01"), Some(1_291_161_600));
        assert_eq!(parse_time("1970-01-01 00:00"), Some(0));
        assert_eq!(parse_time("2000-02-29 00:00:00"), Some(951_782_400));
        for bad in [
            "",
            "yesterday",
            "2010-13-01",
            "2010-12-01 25:00",
            "12/1",
            "2010-12-01 08:26:00 +5",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn prices() {
        assert_eq!(parse_price("2.55"), Some(255));
        assert_eq!(parse_price("0.29"), Some(29));
        assert_eq!(parse_price("£1.10"), Some(110));
        assert_eq!(parse_price("-1"), None);
        assert_eq!(parse_price("abc"), None);
    }

    #[test]
    fn catalog_file_overrides() {
        let ids: Vec<String> = vec!["a".into(), "b\"q".into()];
        let p = temp_file(
            "cat.csv",
            "id,title,price,url,image\na,Apple,1.50,/p/a,/i/a.png\nzzz,Nope,1,,\n\"b\"\"q\",\"Bee, \"\"quoted\"\"\",,/p/b,\n".as_bytes(),
        );
        let c = read_catalog(&p, &ids).unwrap();
        assert_eq!(c.rows, 3);
        assert_eq!(c.unknown_ids, 1);
        assert_eq!(c.titles.unwrap(), vec!["Apple", "Bee, \"quoted\""]);
        assert_eq!(c.prices.unwrap(), vec![150, NO_PRICE]);
        assert_eq!(c.urls.unwrap(), vec!["/p/a", "/p/b"]);
        assert_eq!(c.images.unwrap(), vec!["/i/a.png", ""]);
        let p = temp_file("cat2.csv", b"id,price\na,cheap\n");
        let err = read_catalog(&p, &ids).unwrap_err().to_string();
        assert!(err.contains("cat2.csv: line 2, column price"), "{err}");
    }
}
