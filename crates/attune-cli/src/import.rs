//! Order-export import: a CSV (or .csv.gz) with a header → cleaned `Interactions`, the
//! item ids, a derived catalog (most frequent description, median unit price) and a count
//! of every line skipped and why. Also reads the optional `--catalog`: a CSV, or a Google
//! Merchant Center product feed as TSV or RSS 2.0 XML ([`read_catalog_in`]).
//!
//! A Shopify orders export and a WooCommerce order export (WebToffee's "Order Export &
//! Order Import for WooCommerce") are recognised by their headers ([`detect_layout`]) and
//! read as they come: their rows are turned into one normalised line per line item
//! ([`ShopRows`]) before the same cleaning as any other export.
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

use crate::price::parse_price;

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

/// The UCI Online Retail export's own non-product stock codes (postage, discount, manual
/// adjustment, carriage, dotcom postage, charity, pads, samples, bad debt, bank charges,
/// Amazon fee, gift vouchers): the `online-retail` preset. Case-sensitive; a trailing `*`
/// matches a prefix. Never a global default: in another shop `M` or `S` is a size.
pub const ONLINE_RETAIL_SKIP: &[&str] = &[
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

/// The Online Retail export's header (any order, case-insensitive): when a file has
/// exactly these columns the `online-retail` preset applies unless told otherwise.
pub const ONLINE_RETAIL_HEADER: &[&str] = &[
    "invoiceno",
    "stockcode",
    "description",
    "quantity",
    "invoicedate",
    "unitprice",
    "customerid",
    "country",
];

/// Named lists of non-product item ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipPreset {
    /// [`ONLINE_RETAIL_SKIP`].
    OnlineRetail,
}

impl SkipPreset {
    pub const NAMES: &'static [&'static str] = &["online-retail"];

    pub fn from_name(name: &str) -> Option<SkipPreset> {
        match name.trim().to_ascii_lowercase().as_str() {
            "online-retail" => Some(SkipPreset::OnlineRetail),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SkipPreset::OnlineRetail => "online-retail",
        }
    }

    pub fn patterns(self) -> &'static [&'static str] {
        match self {
            SkipPreset::OnlineRetail => ONLINE_RETAIL_SKIP,
        }
    }
}

/// Which item ids are not products and are skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SkipItems {
    /// The `online-retail` preset when the header is that export's
    /// ([`ONLINE_RETAIL_HEADER`]), otherwise nothing.
    Detect,
    /// Exactly these: an optional preset and a list of patterns (both may be empty).
    Given {
        preset: Option<SkipPreset>,
        patterns: Vec<String>,
    },
}

/// The skip rules in force for one file, and where they came from (build summary).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkipRules {
    /// How the rules were chosen, e.g. "online-retail preset (detected from the header)".
    pub source: String,
    /// (pattern, lines it skipped), in the order given.
    pub counts: Vec<(String, u64)>,
}

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
    /// Which item ids are not products (see [`SkipItems`]).
    pub skip_items: SkipItems,
    /// Decimals of the currency's minor unit (ISO 4217, `price::digits`): prices are
    /// stored as `major × 10^price_digits`.
    pub price_digits: u32,
    /// The model's currency (ISO 4217), when known: a shop export's lines priced in
    /// another currency keep their co-purchases but not their prices.
    pub currency: Option<String>,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            columns: ColumnNames::default(),
            skip_items: SkipItems::Detect,
            price_digits: crate::price::DEFAULT_DIGITS,
            currency: None,
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
    /// What each non-product rule skipped.
    pub skip_rules: SkipRules,
    pub skipped_missing_item: u64,
    pub skipped_bad_item_id: u64,
    pub skipped_missing_time: u64,
    /// Lines of refunded, voided, cancelled or failed orders (shop exports' order status).
    pub skipped_status: u64,
    /// Shopify lines without a `Lineitem sku`, identified by their `Lineitem name`.
    pub named_items: u64,
    /// Kept lines whose price is in another currency than the model's (price not used).
    pub prices_other_currency: u64,
}

impl ImportStats {
    pub fn skipped(&self) -> u64 {
        self.skipped_cancelled
            + self.skipped_status
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
    /// The shop export recognised from the header; empty for any other CSV.
    pub layout: String,
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
    /// Derived prices (median unit price in minor units, `ImportOptions::price_digits`);
    /// empty when the export has none.
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

/// The first skip pattern `id` matches (exact, or prefix with a trailing `*`).
pub fn skip_rule<S: AsRef<str>>(id: &str, patterns: &[S]) -> Option<usize> {
    patterns.iter().position(|p| {
        let p = p.as_ref();
        match p.strip_suffix('*') {
            Some(prefix) => id.starts_with(prefix),
            None => id == p,
        }
    })
}

/// True when `id` matches one of the skip patterns.
pub fn is_skipped_item<S: AsRef<str>>(id: &str, patterns: &[S]) -> bool {
    skip_rule(id, patterns).is_some()
}

/// Whether a header is the Online Retail export's (exactly its eight columns).
pub fn is_online_retail_header(headers: &[String]) -> bool {
    let mut h: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    h.sort_unstable();
    let mut want: Vec<&str> = ONLINE_RETAIL_HEADER.to_vec();
    want.sort_unstable();
    h.len() == want.len() && h.iter().zip(&want).all(|(a, b)| a == b)
}

/// The patterns in force for a file with `headers`, and how they were chosen.
fn skip_rules(opts: &SkipItems, headers: &[String]) -> (Vec<String>, String) {
    let (preset, patterns, how) = match opts {
        SkipItems::Detect if is_online_retail_header(headers) => (
            Some(SkipPreset::OnlineRetail),
            Vec::new(),
            "detected from the Online Retail header; --skip-items \"\" keeps everything",
        ),
        SkipItems::Detect => (None, Vec::new(), ""),
        SkipItems::Given { preset, patterns } => (*preset, patterns.clone(), "as given"),
    };
    let mut all: Vec<String> = preset
        .map(|p| p.patterns().iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    all.extend(patterns.iter().cloned());
    let source = match (preset, patterns.is_empty()) {
        (None, true) => "none".to_string(),
        (Some(p), true) => format!("{} preset ({how})", p.name()),
        (None, false) => format!("--skip-items ({how})"),
        (Some(p), false) => format!("{} preset and --skip-items ({how})", p.name()),
    };
    (all, source)
}

/// An order id like `C536379`: a cancellation in Online Retail-style exports.
fn is_cancellation(order: &str) -> bool {
    let b = order.as_bytes();
    b.len() > 1 && (b[0] == b'C' || b[0] == b'c') && b[1..].iter().all(u8::is_ascii_digit)
}

/// Parses a timestamp: integer epoch (any unit, kept as is), a decimal epoch (floored),
/// `YYYY-MM-DD[ HH:MM[:SS[.f]]]`, ISO-8601 / RFC 3339 `YYYY-MM-DDTHH:MM:SS[.f][Z|±HH:MM]`,
/// or the Online Retail export's US `M/D/YYYY[ H:MM[:SS]]`. Date-times become seconds since
/// 1970-01-01 (UTC unless an offset is given), fractions of a second dropped. Dates and
/// times are read and checked by jiff, so `2024-02-31` or `25:00` is an error (the
/// reason), never a neighbouring day.
pub fn parse_time(s: &str) -> std::result::Result<i64, String> {
    use jiff::civil::{Date, DateTime};
    let s = s.trim();
    if s.is_empty() {
        return Err("empty".into());
    }
    if let Ok(v) = s.parse::<i64>() {
        return Ok(v);
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        if let Ok(v) = s.parse::<f64>() {
            if v.is_finite() && v.abs() < 9.0e15 {
                return Ok(v.floor() as i64);
            }
            return Err("epoch out of range".into());
        }
    }
    let utc = |dt: DateTime| -> std::result::Result<i64, String> {
        let ts = jiff::tz::Offset::UTC
            .to_timestamp(dt)
            .map_err(|e| e.to_string())?;
        Ok(seconds(ts))
    };
    if s.contains('/') {
        // Leading zeros are optional in jiff's strptime: 12/1/2010 8:26 and 12/01/2010 08:26.
        let mut first_error = None;
        for f in ["%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%YT%H:%M:%S"] {
            match DateTime::strptime(f, s) {
                Ok(dt) => return utc(dt),
                Err(e) => {
                    first_error.get_or_insert(e.to_string());
                }
            }
        }
        return match Date::strptime("%m/%d/%Y", s) {
            Ok(d) => utc(d.to_datetime(jiff::civil::Time::midnight())),
            Err(_) => Err(first_error.unwrap_or_default()),
        };
    }
    if has_offset(s) {
        // RFC 3339 wants no space before the offset; older exports write one.
        let joined;
        let t = match s.rfind(' ') {
            Some(i) if i > 10 && s[i + 1..].starts_with(['+', '-']) => {
                joined = format!("{}{}", &s[..i], &s[i + 1..]);
                joined.as_str()
            }
            _ => s,
        };
        return t
            .parse::<jiff::Timestamp>()
            .map(seconds)
            .map_err(|e| e.to_string());
    }
    match s.parse::<DateTime>() {
        Ok(dt) => utc(dt),
        // jiff's ISO grammar wants two-digit hours; `2010-12-01 8:26` was always accepted.
        Err(e) => ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
            .iter()
            .find_map(|f| DateTime::strptime(f, s).ok())
            .map_or(Err(e.to_string()), utc),
    }
}

/// Whole seconds since the epoch, rounded down (also before 1970).
fn seconds(ts: jiff::Timestamp) -> i64 {
    ts.as_second() - i64::from(ts.subsec_nanosecond() < 0)
}

/// A `Z` or `±HH[:MM]` after the time of day (not the date's own dashes).
fn has_offset(s: &str) -> bool {
    let Some(i) = s.find([' ', 'T', 't']) else {
        return false;
    };
    let clock = &s[i + 1..];
    clock.ends_with(['Z', 'z']) || clock.contains(['+', '-'])
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

/// A shop platform's order export, recognised by its header (no column flags needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Any other CSV: columns found by name ([`USER_NAMES`], [`ITEM_NAMES`], …).
    Generic,
    /// Shopify admin → Orders → Export: one row per line item; the order-level columns
    /// (Email, Financial Status, Created at, Cancelled at, Currency) are written only on
    /// an order's first row and carried here to its other rows (same `Name`).
    Shopify,
    /// WooCommerce orders exported by WebToffee's "Order Export & Order Import for
    /// WooCommerce" plugin: one row per order, each item in a `line_item_N` column
    /// (`name:…|product_id:…|sku:…|quantity:…|total:…|sub_total:…`).
    WooCommerce,
}

/// Headers a Shopify orders export always has (lowercased).
pub const SHOPIFY_HEADER: &[&str] = &[
    "name",
    "email",
    "financial status",
    "created at",
    "lineitem quantity",
    "lineitem name",
    "lineitem price",
    "lineitem sku",
];

/// Headers a WebToffee WooCommerce order export always has (besides `line_item_1`, …).
pub const WOOCOMMERCE_HEADER: &[&str] = &[
    "order_id",
    "order_number",
    "order_date",
    "status",
    "order_currency",
];

/// Shopify financial statuses whose orders are not purchases.
const SHOPIFY_DROPPED: &[&str] = &["refunded", "voided"];
/// WooCommerce order statuses whose orders are not purchases (`wc-` prefix optional).
const WOOCOMMERCE_DROPPED: &[&str] = &["cancelled", "refunded", "failed"];

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Generic => "",
            Layout::Shopify => "Shopify orders export",
            Layout::WooCommerce => "WooCommerce order export (WebToffee)",
        }
    }

    /// The source columns behind each normalised field, for the summary and errors.
    fn field_names(self) -> [&'static str; SHOP_FIELDS] {
        match self {
            Layout::Shopify => [
                "Name",
                "Email",
                "Created at",
                "Lineitem sku",
                "Lineitem quantity",
                "Lineitem name",
                "Lineitem price",
                "Financial Status/Cancelled at",
                "Currency",
            ],
            _ => [
                "order_id",
                "billing_email",
                "order_date",
                "line_item sku",
                "line_item quantity",
                "line_item name",
                "line_item sub_total/quantity",
                "status",
                "order_currency",
            ],
        }
    }
}

/// Which shop export a header is ([`Layout::Generic`] for anything else).
pub fn detect_layout(headers: &[String]) -> Layout {
    let h: Vec<String> = headers.iter().map(|h| normalise_header(h)).collect();
    let has_all = |want: &[&str]| want.iter().all(|w| h.iter().any(|x| x == w));
    if has_all(SHOPIFY_HEADER) {
        Layout::Shopify
    } else if has_all(WOOCOMMERCE_HEADER) && h.iter().any(|x| line_item_column(x)) {
        Layout::WooCommerce
    } else {
        Layout::Generic
    }
}

fn line_item_column(h: &str) -> bool {
    h.strip_prefix("line_item_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The normalised record a shop export's line item becomes.
const SHOP_FIELDS: usize = 9;
const F_ORDER: usize = 0;
const F_USER: usize = 1;
const F_TIME: usize = 2;
const F_ITEM: usize = 3;
const F_QTY: usize = 4;
const F_TITLE: usize = 5;
const F_PRICE: usize = 6;
const F_STATUS: usize = 7;
const F_CURRENCY: usize = 8;

/// Turns a shop export's rows into normalised line-item records (fields `F_*`), one
/// source row at a time; every record keeps its source line for errors.
struct ShopRows {
    layout: Layout,
    /// Source column of each normalised field (Shopify; `None` = absent).
    cols: [Option<usize>; SHOP_FIELDS],
    /// Shopify: the source column of `Cancelled at`.
    cancelled_col: Option<usize>,
    /// WooCommerce: the `line_item_N` columns, in order, and the e-mail fallback.
    line_items: Vec<usize>,
    customer_email_col: Option<usize>,
    /// Shopify: the current order's `Name` and its order-level values.
    order: Vec<u8>,
    carried: [Vec<u8>; SHOP_FIELDS],
    pending: std::collections::VecDeque<(csv::ByteRecord, u64)>,
    raw: csv::ByteRecord,
    price_digits: u32,
    named_items: u64,
}

/// Shopify's order-level fields: only on an order's first row.
const CARRIED: &[usize] = &[F_USER, F_TIME, F_STATUS, F_CURRENCY];

impl ShopRows {
    fn new(layout: Layout, headers: &[String], price_digits: u32) -> ShopRows {
        let col = |name: &str| headers.iter().position(|h| normalise_header(h) == name);
        let mut cols = [None; SHOP_FIELDS];
        let mut line_items = Vec::new();
        match layout {
            Layout::Shopify => {
                for (f, name) in [
                    (F_ORDER, "name"),
                    (F_USER, "email"),
                    (F_TIME, "created at"),
                    (F_ITEM, "lineitem sku"),
                    (F_QTY, "lineitem quantity"),
                    (F_TITLE, "lineitem name"),
                    (F_PRICE, "lineitem price"),
                    (F_STATUS, "financial status"),
                    (F_CURRENCY, "currency"),
                ] {
                    cols[f] = col(name);
                }
            }
            _ => {
                cols[F_ORDER] = col("order_id");
                cols[F_USER] = col("billing_email");
                cols[F_TIME] = col("order_date");
                cols[F_STATUS] = col("status");
                cols[F_CURRENCY] = col("order_currency");
                line_items = (0..headers.len())
                    .filter(|&i| line_item_column(&normalise_header(&headers[i])))
                    .collect();
            }
        }
        ShopRows {
            layout,
            cols,
            cancelled_col: col("cancelled at"),
            line_items,
            customer_email_col: col("customer_email"),
            order: Vec::new(),
            carried: Default::default(),
            pending: Default::default(),
            raw: csv::ByteRecord::new(),
            price_digits,
            named_items: 0,
        }
    }

    /// The next normalised record and its source line; `None` at the end of the file.
    fn next<R: Read>(
        &mut self,
        rdr: &mut csv::Reader<R>,
        rec: &mut csv::ByteRecord,
        path: &Path,
    ) -> Result<Option<u64>> {
        loop {
            if let Some((r, line)) = self.pending.pop_front() {
                *rec = r;
                return Ok(Some(line));
            }
            match rdr.read_byte_record(&mut self.raw) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    bail!("{}: line {line}: malformed CSV: {e}", path.display());
                }
            }
            let line = self.raw.position().map(|p| p.line()).unwrap_or(0);
            if self
                .raw
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue; // blank line
            }
            match self.layout {
                Layout::Shopify => self.shopify_row(line),
                _ => self.woocommerce_row(line),
            }
        }
    }

    fn get(&self, col: Option<usize>) -> &[u8] {
        col.and_then(|c| self.raw.get(c))
            .unwrap_or(b"")
            .trim_ascii()
    }

    fn shopify_row(&mut self, line: u64) {
        let mut f: [Vec<u8>; SHOP_FIELDS] = Default::default();
        for (i, v) in f.iter_mut().enumerate() {
            *v = self.get(self.cols[i]).to_vec();
        }
        // Cancelled at (order-level too) turns the status into "cancelled".
        let cancelled = self.get(self.cancelled_col);
        if !cancelled.is_empty() {
            f[F_STATUS] = b"cancelled".to_vec();
        }
        if f[F_ORDER] != self.order {
            self.order = f[F_ORDER].clone();
            for &c in CARRIED {
                self.carried[c] = f[c].clone();
            }
        } else {
            for &c in CARRIED {
                if f[c].is_empty() {
                    f[c] = self.carried[c].clone();
                } else if c == F_STATUS {
                    self.carried[c] = f[c].clone();
                }
            }
        }
        if f[F_ITEM].is_empty() && !f[F_TITLE].is_empty() {
            // No SKU: the product's name stands in (whitespace → `_`: ids carry none).
            let name = String::from_utf8_lossy(&f[F_TITLE]);
            f[F_ITEM] = name
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("_")
                .into_bytes();
            self.named_items += 1;
        }
        self.pending
            .push_back((csv::ByteRecord::from(f.to_vec()), line));
    }

    fn woocommerce_row(&mut self, line: u64) {
        let mut user = self.get(self.cols[F_USER]).to_vec();
        if user.is_empty() {
            user = self.get(self.customer_email_col).to_vec();
        }
        let status = self.get(self.cols[F_STATUS]);
        let status = status.strip_prefix(b"wc-").unwrap_or(status).to_vec();
        let order = self.get(self.cols[F_ORDER]).to_vec();
        let time = self.get(self.cols[F_TIME]).to_vec();
        let currency = self.get(self.cols[F_CURRENCY]).to_vec();
        let mut any = false;
        for &c in &self.line_items {
            let cell = String::from_utf8_lossy(self.raw.get(c).unwrap_or(b"")).into_owned();
            if cell.trim().is_empty() {
                continue;
            }
            any = true;
            let item = WooItem::parse(&cell);
            let id = if !item.sku.is_empty() {
                item.sku
            } else if item.product_id.trim_start_matches('0').is_empty() {
                ""
            } else {
                item.product_id
            };
            let price = unit_price(item.sub_total, item.quantity, self.price_digits);
            let mut f: [Vec<u8>; SHOP_FIELDS] = Default::default();
            f[F_ORDER] = order.clone();
            f[F_USER] = user.clone();
            f[F_TIME] = time.clone();
            f[F_ITEM] = id.as_bytes().to_vec();
            f[F_QTY] = item.quantity.as_bytes().to_vec();
            f[F_TITLE] = item.name.as_bytes().to_vec();
            f[F_PRICE] = price.into_bytes();
            f[F_STATUS] = status.clone();
            f[F_CURRENCY] = currency.clone();
            self.pending
                .push_back((csv::ByteRecord::from(f.to_vec()), line));
        }
        if !any {
            // An order without items: one record without an item id (counted as such).
            let mut f: [Vec<u8>; SHOP_FIELDS] = Default::default();
            f[F_ORDER] = order;
            f[F_USER] = user;
            f[F_TIME] = time;
            f[F_QTY] = b"1".to_vec();
            f[F_STATUS] = status;
            self.pending
                .push_back((csv::ByteRecord::from(f.to_vec()), line));
        }
    }
}

/// One WebToffee `line_item_N` cell: `key:value` pairs separated by `|`, `name` first and
/// `product_id` second (the exporter's fixed order), then sku, quantity, total, sub_total,
/// tax and the item's meta. A `|` inside the product's name is kept: the name runs to
/// `|product_id:`.
#[derive(Debug, Default, PartialEq, Eq)]
struct WooItem<'a> {
    name: &'a str,
    product_id: &'a str,
    sku: &'a str,
    quantity: &'a str,
    sub_total: &'a str,
}

impl<'a> WooItem<'a> {
    fn parse(cell: &'a str) -> WooItem<'a> {
        let mut it = WooItem::default();
        let rest = match cell.trim_start().strip_prefix("name:") {
            Some(after) => {
                let end = after
                    .find("|product_id:")
                    .or_else(|| after.find('|'))
                    .unwrap_or(after.len());
                it.name = after[..end].trim();
                &after[end..]
            }
            None => cell,
        };
        for part in rest.split('|') {
            let Some((k, v)) = part.split_once(':') else {
                continue;
            };
            let v = v.trim();
            match k.trim() {
                "product_id" => it.product_id = v,
                "sku" => it.sku = v,
                "quantity" => it.quantity = v,
                "sub_total" => it.sub_total = v,
                _ => {}
            }
        }
        it
    }
}

/// A line's unit price as a decimal (`sub_total / quantity`, before coupons, rounded half
/// up in minor units); empty when either is not a number.
fn unit_price(sub_total: &str, quantity: &str, digits: u32) -> String {
    let (Some(total), Ok(q)) = (parse_price(sub_total, digits), quantity.parse::<u32>()) else {
        return String::new();
    };
    if q == 0 {
        return String::new();
    }
    let unit = (u64::from(total) * 2 + u64::from(q)) / (2 * u64::from(q));
    crate::price::major_text(unit as u32, digits)
}

/// The currency of a shop export (Shopify `Currency`, WooCommerce `order_currency`): the
/// first order's, uppercased; `None` for other layouts or when the column is empty.
/// Reads only as far as the first value.
pub fn export_currency(path: &Path) -> Result<Option<String>> {
    let (reader, _) = open_input(path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(reader);
    let Ok(headers) = rdr.byte_headers() else {
        return Ok(None);
    };
    let headers: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let want = match detect_layout(&headers) {
        Layout::Generic => return Ok(None),
        Layout::Shopify => "currency",
        Layout::WooCommerce => "order_currency",
    };
    let Some(col) = headers.iter().position(|h| normalise_header(h) == want) else {
        return Ok(None);
    };
    let mut rec = csv::ByteRecord::new();
    while let Ok(true) = rdr.read_byte_record(&mut rec) {
        let v = String::from_utf8_lossy(rec.get(col).unwrap_or(b""));
        let v = v.trim();
        if !v.is_empty() {
            return Ok(Some(v.to_ascii_uppercase()));
        }
    }
    Ok(None)
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
    let explicit = c.user.is_some()
        || c.item.is_some()
        || c.time.is_some()
        || c.order.is_some()
        || c.quantity.is_some();
    // Column flags turn the shop-export detection off: the file is read as named.
    let layout = if explicit {
        Layout::Generic
    } else {
        detect_layout(&headers)
    };
    let (skip_patterns, skip_source) = skip_rules(&opts.skip_items, &headers);
    let mut shop = None;
    let headers: Vec<String> = if layout == Layout::Generic {
        headers
    } else {
        shop = Some(ShopRows::new(layout, &headers, opts.price_digits));
        layout.field_names().iter().map(|s| s.to_string()).collect()
    };
    // (user, item, time, order, quantity, title, price, status, currency) columns.
    let (
        user_col,
        item_col,
        time_col,
        order_col,
        qty_col,
        title_col,
        price_col,
        status_col,
        currency_col,
    ) = if shop.is_some() {
        (
            F_USER,
            F_ITEM,
            Some(F_TIME),
            Some(F_ORDER),
            Some(F_QTY),
            Some(F_TITLE),
            Some(F_PRICE),
            Some(F_STATUS),
            Some(F_CURRENCY),
        )
    } else {
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
        (
            user_col, item_col, time_col, order_col, qty_col, title_col, price_col, None, None,
        )
    };
    let name = |i: usize| headers[i].trim().to_string();
    let columns = Detected {
        layout: layout.name().to_string(),
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

    let mut stats = ImportStats {
        skip_rules: SkipRules {
            source: skip_source,
            counts: skip_patterns.iter().map(|p| (p.clone(), 0)).collect(),
        },
        ..ImportStats::default()
    };
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
        let shop_line = match shop.as_mut() {
            Some(rows) => match rows.next(&mut rdr, &mut rec, path)? {
                Some(line) => Some(line),
                None => break,
            },
            None => {
                match rdr.read_byte_record(&mut rec) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => {
                        let line = e.position().map(|p| p.line()).unwrap_or(stats.lines + 2);
                        bail!("{}: line {line}: malformed CSV: {e}", path.display());
                    }
                }
                None
            }
        };
        stats.lines += 1;
        let line = shop_line
            .or_else(|| rec.position().map(|p| p.line()))
            .unwrap_or(stats.lines + 1);
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
        if let Some(oc) = order_col.filter(|_| shop.is_none()) {
            if is_cancellation(field(&rec, oc, path, line, &name(oc))?) {
                stats.skipped_cancelled += 1;
                continue;
            }
        }
        if let Some(sc) = status_col {
            let status = field(&rec, sc, path, line, &name(sc))?.to_ascii_lowercase();
            let dropped = match layout {
                Layout::Shopify => {
                    SHOPIFY_DROPPED.contains(&status.as_str()) || status == "cancelled"
                }
                _ => WOOCOMMERCE_DROPPED.contains(&status.as_str()),
            };
            if dropped {
                stats.skipped_status += 1;
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
        if let Some(r) = skip_rule(item, &skip_patterns) {
            stats.skipped_non_product += 1;
            stats.skip_rules.counts[r].1 += 1;
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
                parse_time(t).map_err(|why| {
                    anyhow::anyhow!(
                        "{}: line {line}, column {}: cannot read time {t:?}: {why} (expected an \
                         integer, YYYY-MM-DD HH:MM:SS, ISO-8601 or M/D/YYYY H:MM)",
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
        let other_currency = match (currency_col, opts.currency.as_deref()) {
            (Some(cc), Some(model)) => {
                let c = field(&rec, cc, path, line, &name(cc))?;
                !c.is_empty() && !c.eq_ignore_ascii_case(model.trim())
            }
            _ => false,
        };
        if other_currency {
            stats.prices_other_currency += 1;
        }
        if let Some(pc) = price_col.filter(|_| !other_currency) {
            if let Some(p) = rec
                .get(pc)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(|p| parse_price(p, opts.price_digits))
            {
                if p > 0 {
                    price_lists[item_ix as usize].push(p);
                }
            }
        }
        stats.kept += 1;
    }
    pb.finish_and_clear();
    if let Some(rows) = &shop {
        stats.named_items = rows.named_items;
    }
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
    /// Per item: the feed says `out_of_stock` (never recommended). Empty when the file
    /// has no availability.
    pub out_of_stock: Vec<bool>,
    /// The currency the prices name (`15.00 USD`), when they name one.
    pub currency: Option<String>,
    /// What the file was read as ([`CatalogFormat`]).
    pub format: CatalogFormat,
    /// Rows whose id is not in the model (ignored).
    pub unknown_ids: u64,
    pub rows: u64,
    /// Model items whose `sale_price` was used instead of `price`.
    pub sale_prices: u64,
    /// Model items with an `item_group_id` (variants: read, not yet used by the model).
    pub variants: u64,
}

/// The layouts `--catalog` reads, told apart by their first bytes and header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CatalogFormat {
    /// A CSV with a header: id plus any of title, price, url, image.
    #[default]
    Csv,
    /// A Google Merchant Center product feed as a tab-separated file with a header row
    /// (also a CSV with the feed's own column names, e.g. `image_link`).
    FeedTable,
    /// A Google Merchant Center product feed as RSS 2.0 XML, `g:` fields per `<item>`.
    FeedXml,
}

impl CatalogFormat {
    pub fn name(self) -> &'static str {
        match self {
            CatalogFormat::Csv => "CSV",
            CatalogFormat::FeedTable => "Google Merchant Center feed (TSV)",
            CatalogFormat::FeedXml => "Google Merchant Center feed (RSS 2.0 XML)",
        }
    }
}

/// The Google Merchant Center namespace of the `g:` fields.
pub const GOOGLE_NS: &str = "http://base.google.com/ns/1.0";

/// Reads a catalog CSV (id plus any of title/price/url/image, found by name), prices with
/// 2 decimals (see [`read_catalog_priced`]).
pub fn read_catalog(path: &Path, ids: &[String]) -> Result<Catalog> {
    read_catalog_priced(path, ids, crate::price::DEFAULT_DIGITS)
}

/// Reads a catalog; prices in minor units with `price_digits` decimals.
pub fn read_catalog_priced(path: &Path, ids: &[String], price_digits: u32) -> Result<Catalog> {
    read_catalog_in(path, ids, price_digits, None)
}

/// Reads a catalog CSV or a Google Merchant Center feed (TSV, or RSS 2.0 XML when the
/// file starts with `<`). A price naming its currency (`15.00 USD`) must name `currency`
/// when one is given; all must name the same one.
pub fn read_catalog_in(
    path: &Path,
    ids: &[String],
    price_digits: u32,
    currency: Option<&str>,
) -> Result<Catalog> {
    let (mut reader, _) = open_input(path)?;
    let mut head = vec![0u8; 4096];
    let got = read_fully(&mut reader, &mut head)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    head.truncate(got);
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or(b"");
    let tab = first_line.contains(&b'\t');
    let reader = std::io::Cursor::new(head.clone()).chain(reader);
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    let mut sink = CatalogSink {
        cat: Catalog::default(),
        index,
        n: ids.len(),
        price_digits,
        currency,
    };
    if first == Some(b'<') {
        sink.cat.format = CatalogFormat::FeedXml;
        read_feed_xml(reader, path, &mut sink)?;
    } else {
        read_catalog_table(reader, tab, path, &mut sink)?;
    }
    Ok(sink.cat)
}

/// One catalog row's fields, whichever layout it came from.
#[derive(Default)]
struct Entry<'a> {
    id: &'a str,
    title: Option<&'a str>,
    price: Option<&'a str>,
    sale_price: Option<&'a str>,
    /// A `sale_price_effective_date` is given: the sale is dated.
    sale_dated: bool,
    url: Option<&'a str>,
    image: Option<&'a str>,
    availability: Option<&'a str>,
    item_group: Option<&'a str>,
}

struct CatalogSink<'i, 'c> {
    cat: Catalog,
    index: HashMap<&'i str, usize>,
    n: usize,
    price_digits: u32,
    currency: Option<&'c str>,
}

impl CatalogSink<'_, '_> {
    /// Adds one row; `at(field)` names where it came from for errors.
    fn add(&mut self, e: &Entry, at: &dyn Fn(&str) -> String) -> Result<()> {
        self.cat.rows += 1;
        let Some(&i) = self.index.get(e.id) else {
            self.cat.unknown_ids += 1;
            return Ok(());
        };
        let n = self.n;
        if let Some(t) = e.title {
            self.cat
                .titles
                .get_or_insert_with(|| vec![String::new(); n])[i] = t.to_string();
        }
        if let Some(p) = e.price {
            let mut v = self.price(p, &at("price"))?;
            if let Some(s) = e.sale_price.filter(|s| !s.is_empty()) {
                let sale = self.price(s, &at("sale_price"))?;
                // A dated sale may be over by the time the model is served, and a build
                // must not depend on the day it runs: the regular price then.
                if !e.sale_dated && sale != NO_PRICE {
                    v = sale;
                    self.cat.sale_prices += 1;
                }
            }
            self.cat.prices.get_or_insert_with(|| vec![NO_PRICE; n])[i] = v;
        }
        if let Some(u) = e.url {
            self.cat.urls.get_or_insert_with(|| vec![String::new(); n])[i] = u.to_string();
        }
        if let Some(u) = e.image {
            self.cat
                .images
                .get_or_insert_with(|| vec![String::new(); n])[i] = u.to_string();
        }
        if let Some(a) = e.availability {
            if self.cat.out_of_stock.is_empty() {
                self.cat.out_of_stock = vec![false; n];
            }
            let a = a.trim().to_ascii_lowercase().replace(' ', "_");
            // in_stock, preorder and backorder can be bought: kept.
            self.cat.out_of_stock[i] = a == "out_of_stock";
        }
        if e.item_group.is_some_and(|g| !g.is_empty()) {
            self.cat.variants += 1;
        }
        Ok(())
    }

    /// A price in minor units: empty → `NO_PRICE`; `15.00`, `15.00 USD` or `USD 15.00`.
    fn price(&mut self, p: &str, at: &str) -> Result<u32> {
        if p.is_empty() {
            return Ok(NO_PRICE);
        }
        let (number, code) = split_currency(p);
        if let Some(code) = code {
            match (self.currency, &self.cat.currency) {
                (Some(model), _) if !model.trim().eq_ignore_ascii_case(code) => bail!(
                    "{at}: price {p:?} is in {code}, but the model's currency is {} \
                     (--currency, or the order export's currency column)",
                    model.trim().to_ascii_uppercase()
                ),
                (None, Some(seen)) if !seen.eq_ignore_ascii_case(code) => bail!(
                    "{at}: price {p:?} is in {code}, earlier prices in {seen}: one model \
                     has one currency"
                ),
                _ => {
                    self.cat
                        .currency
                        .get_or_insert_with(|| code.to_ascii_uppercase());
                }
            }
        }
        parse_price(number, self.price_digits)
            .ok_or_else(|| anyhow::anyhow!("{at}: price {p:?} is not a non-negative number"))
    }
}

/// `15.00 USD` → (`15.00`, `USD`); `USD 15.00` likewise; `15.00` → (`15.00`, none).
fn split_currency(p: &str) -> (&str, Option<&str>) {
    let is_code = |s: &str| s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic());
    let mut parts = p.split_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), None) if is_code(b) => (a, Some(b)),
        (Some(a), Some(b), None) if is_code(a) => (b, Some(a)),
        _ => (p, None),
    }
}

/// A CSV catalog or a feed's TSV: columns by name, a `g:` prefix ignored.
fn read_catalog_table(
    reader: impl Read,
    tab: bool,
    path: &Path,
    sink: &mut CatalogSink,
) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(if tab { b'\t' } else { b',' })
        .from_reader(reader);
    let headers: Vec<String> = rdr
        .byte_headers()
        .with_context(|| format!("{}: cannot read the header line", path.display()))?
        .iter()
        .map(|h| {
            let h = String::from_utf8_lossy(h);
            let t = h.trim().trim_start_matches('\u{feff}');
            t.strip_prefix("g:").unwrap_or(t).to_string()
        })
        .collect();
    let has = |name: &str| headers.iter().any(|h| normalise_header(h) == name);
    let feed = tab || has("image_link");
    if feed {
        sink.cat.format = CatalogFormat::FeedTable;
    }
    let col = |names: &[&str]| find_column(&headers, None, names, "", path);
    let id_col = col(ID_NAMES)?;
    let id_col = require(id_col, &headers, ID_NAMES, "id", "an id column", path)?;
    // A feed's `description` is prose; its `title` is the name.
    let title_col = if feed {
        col(&["title"])?
    } else {
        col(TITLE_NAMES)?
    };
    let price_col = col(PRICE_NAMES)?;
    let url_col = col(URL_NAMES)?;
    let image_col = if feed {
        col(&["image_link"])?
    } else {
        col(IMAGE_NAMES)?
    };
    let sale_col = col(&["sale_price"])?.filter(|_| feed);
    let sale_date_col = col(&["sale_price_effective_date"])?.filter(|_| feed);
    let avail_col = col(&["availability"])?.filter(|_| feed);
    let group_col = col(&["item_group_id"])?.filter(|_| feed);
    let n = sink.n;
    // A column present gives every item a value (empty when its row is missing).
    if title_col.is_some() {
        sink.cat.titles = Some(vec![String::new(); n]);
    }
    if price_col.is_some() {
        sink.cat.prices = Some(vec![NO_PRICE; n]);
    }
    if url_col.is_some() {
        sink.cat.urls = Some(vec![String::new(); n]);
    }
    if image_col.is_some() {
        sink.cat.images = Some(vec![String::new(); n]);
    }
    let mut rec = csv::ByteRecord::new();
    let mut row = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                bail!("{}: line {line}: malformed CSV: {e}", path.display());
            }
        }
        row += 1;
        let line = rec.position().map(|p| p.line()).unwrap_or(row + 1);
        let get = |c: Option<usize>| -> Result<Option<&str>> {
            match c {
                Some(c) => field(&rec, c, path, line, headers[c].trim()).map(Some),
                None => Ok(None),
            }
        };
        let e = Entry {
            id: field(&rec, id_col, path, line, headers[id_col].trim())?,
            title: get(title_col)?,
            price: get(price_col)?,
            sale_price: get(sale_col)?,
            sale_dated: get(sale_date_col)?.is_some_and(|d| !d.is_empty()),
            url: get(url_col)?,
            image: get(image_col)?,
            availability: get(avail_col)?,
            item_group: get(group_col)?,
        };
        let at = |name: &str| {
            let column = match name {
                "sale_price" => sale_col,
                _ => price_col,
            }
            .map_or(name, |c| headers[c].trim());
            format!("{}: line {line}, column {column}", path.display())
        };
        sink.add(&e, &at)?;
    }
    Ok(())
}

/// A feed's RSS 2.0 XML: each `<item>` holds its fields as direct
/// children, `g:` ones in [`GOOGLE_NS`] and RSS's own `title`, `link`, `description`
/// without a namespace; `g:title`/`g:link` win over the RSS ones. Nested fields
/// (`g:shipping`) and other namespaces are ignored.
fn read_feed_xml(reader: impl Read, path: &Path, sink: &mut CatalogSink) -> Result<()> {
    use quick_xml::events::Event;
    use quick_xml::name::{Namespace, ResolveResult};
    let mut xml = quick_xml::NsReader::from_reader(BufReader::new(reader));
    let mut buf = Vec::new();
    // Inside an item: depth below it, the open field and its text, the fields so far.
    let mut in_item = false;
    let mut depth = 0usize;
    let mut key: Option<(String, bool)> = None;
    let mut text = String::new();
    let mut fields: Vec<(String, bool, String)> = Vec::new();
    let mut items = 0u64;
    let bad = |e: &dyn std::fmt::Display, pos: u64| {
        anyhow::anyhow!("{}: byte {pos}: malformed XML: {e}", path.display())
    };
    loop {
        let pos = xml.buffer_position();
        let (ns, event) = xml
            .read_resolved_event_into(&mut buf)
            .map_err(|e| bad(&e, pos))?;
        let google = matches!(ns, ResolveResult::Bound(Namespace(n)) if n == GOOGLE_NS);
        let plain = matches!(ns, ResolveResult::Unbound);
        match event {
            Event::Start(e) => {
                let local = e.local_name();
                let local: &str = local.as_ref();
                let local = local.to_string();
                if !in_item {
                    if local == "item" && (plain || google) {
                        in_item = true;
                        depth = 0;
                        fields.clear();
                    }
                } else {
                    depth += 1;
                    if depth == 1 && (google || plain) {
                        key = Some((local, google));
                        text.clear();
                    }
                }
            }
            Event::End(_) if in_item => {
                if depth == 0 {
                    in_item = false;
                    items += 1;
                    add_xml_item(&fields, items, path, sink)?;
                } else {
                    if depth == 1 {
                        if let Some((k, g)) = key.take() {
                            fields.push((k, g, text.trim().to_string()));
                        }
                    }
                    depth -= 1;
                }
            }
            Event::Text(t) if key.is_some() && depth == 1 => text.push_str(&t.xml10_content()),
            Event::CData(t) if key.is_some() && depth == 1 => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if key.is_some() && depth == 1 => {
                let name = r.xml10_content();
                match r.resolve_char_ref().map_err(|e| bad(&e, pos))? {
                    Some(ch) => text.push(ch),
                    None => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => text.push_str(s),
                        None => bail!(
                            "{}: byte {pos}: unknown XML entity &{name};",
                            path.display()
                        ),
                    },
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if in_item {
        bail!("{}: the XML ends inside an <item>", path.display());
    }
    Ok(())
}

fn add_xml_item(
    fields: &[(String, bool, String)],
    item: u64,
    path: &Path,
    sink: &mut CatalogSink,
) -> Result<()> {
    // The g: field when there is one, else RSS's own element of that name.
    let get = |name: &str| -> Option<&str> {
        fields
            .iter()
            .find(|f| f.1 && f.0 == name)
            .or_else(|| fields.iter().find(|f| !f.1 && f.0 == name))
            .map(|f| f.2.as_str())
    };
    let Some(id) = get("id").filter(|id| !id.is_empty()) else {
        bail!("{}: item {item} has no g:id", path.display());
    };
    let e = Entry {
        id,
        title: get("title"),
        price: get("price"),
        sale_price: get("sale_price"),
        sale_dated: get("sale_price_effective_date").is_some_and(|d| !d.is_empty()),
        url: get("link"),
        image: get("image_link"),
        availability: get("availability"),
        item_group: get("item_group_id"),
    };
    let at = |name: &str| format!("{}: item {item} (g:id {id}), g:{name}", path.display());
    sink.add(&e, &at)
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
        let pats = ONLINE_RETAIL_SKIP;
        for id in [
            "POST",
            "M",
            "m",
            "C2",
            "BANK CHARGES",
            "gift_0001_20",
            "AMAZONFEE",
        ] {
            assert!(is_skipped_item(id, pats), "{id}");
        }
        for id in [
            "85123A", "POSTAGE", "post", "b", "d", "DCGSSBOY", "gif", "C22", "GIFT_x", "é",
        ] {
            assert!(!is_skipped_item(id, pats), "{id}");
        }
        assert!(is_cancellation("C536379"));
        assert!(!is_cancellation("C"));
        assert!(!is_cancellation("CA-12"));
        assert!(!is_cancellation("536379"));
    }

    #[test]
    fn times() {
        let ok = |s: &str| parse_time(s).ok();
        assert_eq!(ok("0"), Some(0));
        assert_eq!(ok("1291191960"), Some(1_291_191_960));
        assert_eq!(ok("1291191960.75"), Some(1_291_191_960));
        assert_eq!(ok("2010-12-01 08:26:00"), Some(1_291_191_960));
        assert_eq!(ok("2010-12-01T08:26:00Z"), Some(1_291_191_960));
        assert_eq!(ok("2010-12-01T09:26:00+01:00"), Some(1_291_191_960));
        assert_eq!(ok("2010-12-01T09:26:00+0100"), Some(1_291_191_960));
        assert_eq!(ok("2010-12-01 09:26:00 +01:00"), Some(1_291_191_960));
        // Shopify's `Created at`: a space, then the offset without a colon.
        assert_eq!(ok("2010-12-01 03:26:00 -0500"), Some(1_291_191_960));
        assert_eq!(ok("2024-03-05 14:22:10 -0500"), ok("2024-03-05T19:22:10Z"));
        assert_eq!(ok("2010-12-01T08:26:00.250Z"), Some(1_291_191_960));
        assert_eq!(ok("12/1/2010 8:26"), Some(1_291_191_960));
        assert_eq!(ok("12/01/2010 08:26:00"), Some(1_291_191_960));
        assert_eq!(ok("12/1/2010"), Some(1_291_161_600));
        assert_eq!(ok("2010-12-01"), Some(1_291_161_600));
        assert_eq!(ok("2010-12-01 8:26"), Some(1_291_191_960));
        assert_eq!(ok("2010-12-01T08:26"), Some(1_291_191_960));
        assert_eq!(ok("1970-01-01 00:00"), Some(0));
        assert_eq!(ok("2000-02-29 00:00:00"), Some(951_782_400));
        assert_eq!(ok("1969-12-31T23:59:59.5Z"), Some(-1));
        for bad in [
            "",
            "yesterday",
            "2010-13-01",
            "2010-12-01 25:00",
            "12/1",
            "2010-12-01 08:26:00 +5",
        ] {
            assert_eq!(ok(bad), None, "{bad}");
        }
    }

    /// Issue 12: an impossible date was read as a neighbouring day (2024-02-31 → 2 March).
    #[test]
    fn impossible_dates_and_times_are_errors() {
        for bad in [
            "2024-02-31",
            "2023-02-29 10:00:00",
            "2024-04-31T00:00:00Z",
            "2/30/2011 8:26",
            "2010-12-01 24:30",
            "2010-12-01 08:60",
            "13/1/2010 8:26",
        ] {
            assert!(parse_time(bad).is_err(), "{bad} was accepted");
        }
        assert_eq!(parse_time("2024-02-29").ok(), Some(1_709_164_800));
        let p = temp_file("feb.csv", b"user,item,ts\nu,a,2024-02-28\nu,b,2024-02-31\n");
        let err = import_interactions(&p, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("feb.csv: line 3, column ts"), "{err}");
        assert!(err.contains("\"2024-02-31\""), "{err}");
    }

    #[test]
    fn prices_use_the_currency_digits() {
        let p = temp_file(
            "yen.csv",
            b"user,item,price\nu,a,1500\nu,b,12.50\nv,b,12.5\n",
        );
        let mut opts = ImportOptions {
            price_digits: crate::price::digits(Some("JPY")),
            ..ImportOptions::default()
        };
        assert_eq!(import_interactions(&p, &opts).unwrap().prices[0], 1500);
        opts.price_digits = crate::price::digits(Some("GBP"));
        assert_eq!(
            import_interactions(&p, &opts).unwrap().prices,
            vec![150_000, 1250]
        );
        let ids: Vec<String> = vec!["a".into()];
        let c = temp_file("kwd.csv", b"id,price\na,1.234\n");
        let cat = read_catalog_priced(&c, &ids, crate::price::digits(Some("KWD"))).unwrap();
        assert_eq!(cat.prices.unwrap(), vec![1234]);
    }

    /// Issue 12: the Online Retail export's codes were skipped everywhere, so a shop whose
    /// SKUs include sizes `M` and `S` silently lost them.
    #[test]
    fn non_product_codes_are_that_exports_own() {
        let shop = temp_file(
            "sizes.csv",
            b"order_id,customer,sku,qty\n1,u,M,1\n1,u,S,2\n2,v,M,1\n2,v,POST,1\n",
        );
        let imp = import_interactions(&shop, &ImportOptions::default()).unwrap();
        assert_eq!(imp.ids, vec!["M", "S", "POST"]);
        assert_eq!(imp.stats.skipped_non_product, 0);
        assert_eq!(imp.stats.skip_rules.source, "none");
        // The Online Retail layout is recognised by its header: its codes are skipped and
        // counted per rule.
        let retail = temp_file("retail.csv", RETAIL.as_bytes());
        let imp = import_interactions(&retail, &ImportOptions::default()).unwrap();
        let r = &imp.stats.skip_rules;
        assert!(
            r.source.starts_with("online-retail preset (detected"),
            "{}",
            r.source
        );
        let count = |p: &str| r.counts.iter().find(|c| c.0 == p).map(|c| c.1);
        assert_eq!(count("POST"), Some(1));
        assert_eq!(count("gift_*"), Some(1));
        assert_eq!(count("BANK CHARGES"), Some(1));
        assert_eq!(count("M"), Some(0));
        assert_eq!(
            r.counts.iter().map(|c| c.1).sum::<u64>(),
            imp.stats.skipped_non_product
        );
        // Explicit rules replace the detection: an empty list keeps everything...
        let mut opts = ImportOptions {
            skip_items: SkipItems::Given {
                preset: None,
                patterns: Vec::new(),
            },
            ..ImportOptions::default()
        };
        let imp = import_interactions(&retail, &opts).unwrap();
        assert_eq!(imp.stats.skipped_non_product, 0);
        assert!(imp.ids.iter().any(|i| i == "POST"));
        // ...and the preset can be asked for by name on any layout.
        opts.skip_items = SkipItems::Given {
            preset: SkipPreset::from_name("online-retail"),
            patterns: vec!["S".into()],
        };
        let imp = import_interactions(&shop, &opts).unwrap();
        assert!(imp.ids.is_empty(), "{:?}", imp.ids);
        assert_eq!(imp.stats.skipped_non_product, 4);
        let c = &imp.stats.skip_rules.counts;
        assert_eq!(c.iter().find(|c| c.0 == "M").map(|c| c.1), Some(2));
        assert_eq!(c.last(), Some(&("S".to_string(), 0)));
        assert!(is_online_retail_header(
            &RETAIL
                .lines()
                .next()
                .unwrap()
                .split(',')
                .map(String::from)
                .collect::<Vec<_>>()
        ));
    }

    #[test]
    fn woocommerce_line_items() {
        let it = WooItem::parse(
            "name:Mug | Blue: Large|product_id:13|sku:MUG-1B|quantity:3|total:30.00|\
             sub_total:31.00|tax:2.00|tax_data:{\"total\":{\"1\":\"2\"}}|pa_colour:blue",
        );
        assert_eq!(
            it,
            WooItem {
                name: "Mug | Blue: Large",
                product_id: "13",
                sku: "MUG-1B",
                quantity: "3",
                sub_total: "31.00",
            }
        );
        assert_eq!(WooItem::parse("").name, "");
        assert_eq!(WooItem::parse("name:Solo").name, "Solo");
        // sub_total / quantity in minor units, half up: 31.00 / 3 = 10.333… → 10.33.
        assert_eq!(unit_price("31.00", "3", 2), "10.33");
        assert_eq!(unit_price("0.05", "2", 2), "0.03");
        assert_eq!(unit_price("1500", "2", 0), "750");
        assert_eq!(unit_price("10.00", "0", 2), "");
        assert_eq!(unit_price("", "1", 2), "");
        assert_eq!(unit_price("10.00", "1.5", 2), "");
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
