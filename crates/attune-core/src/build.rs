//! The offline model builder: from cleaned interactions (orders of items by customers)
//! to `ModelParts` — item-to-item similarity from co-purchases, "what comes next" from
//! each customer's order sequence, top-K pruning, min-support filtering and the
//! popularity fallback. Pure: no file or CSV handling, no clock, no randomness here.
//!
//! Neighbours (`NBRS`): a weighted co-occurrence on the customer × item incidence matrix,
//! normalised by the two items' popularity:
//!
//! ```text
//! sim(i, j) = co(i, j) / (n_i^(1-β) · n_j^β),   co(i, j) = Σ_u b_u·[i∈u]·[j∈u],
//! n_i = Σ_u b_u·[i∈u],   b_u = 1 / ln(e + m_u)
//! ```
//!
//! where `u` ranges over customers (a guest order is its own pseudo-customer) and `m_u` is
//! the number of distinct items `u` bought. β = 0.5 is the cosine (popularity divided out
//! on both sides); β = 0 is the confidence P(j | i) (popular completions rank first, which
//! is what basket completion wants); because co ≤ min(n_i, n_j) every weight stays in
//! (0, 1]. `b_u` keeps a wholesaler with a 1,000-item history from outweighing hundreds of
//! ordinary baskets. Co-purchases in one order and by one customer over time both count.
//!
//! What comes next (`NEXT`): for each customer's orders in time order o_0, o_1, …, every
//! item `a` of o_p and `c` of o_(p+d), 1 ≤ d ≤ `steps`, a ≠ c, adds
//! `step_decay^(d-1) / sqrt(|o_p|·|o_(p+d)|)` to T[a → c] (a large order spreads one unit
//! over its pairs). Raw (not row-normalised) sums: an item that is often followed by
//! something carries more evidence. Stored divided by the largest value, the scale going
//! into the model's `next_weight`.
//!
//! Privacy: a pair is kept only when at least `min_support` distinct customers bought
//! both (neighbours) or bought `c` after `a` (next), so no single shopper's history is ever
//! echoed back.
//!
//! Determinism: dense per-item buffers, no hash maps; f64 sums in a fixed order; ties by
//! lower item index.

use crate::model::{snap_weight, ModelParts, Scoring};
use crate::random::{Noise, NoiseSeed, Rate};

/// One order (invoice, basket): items bought together by one customer at one time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Order {
    /// Dense customer index; `None` for a guest checkout.
    pub customer: Option<u32>,
    /// Order time (any monotone unit, e.g. epoch seconds): a customer's orders are taken
    /// in time order (ties in input order) for "what comes next" and by the evaluation.
    pub ts: i64,
    /// Dense item indices `< n_items`; duplicates are ignored.
    pub items: Vec<u32>,
}

/// Cleaned interactions: what the CLI's import produces from an order export.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Interactions {
    pub n_items: usize,
    pub orders: Vec<Order>,
}

/// Neighbours by regression instead of a normalised co-occurrence: a
/// neighbourhood-restricted EASE (Steck, "Embarrassingly Shallow Autoencoders", WWW 2019).
/// For each item `j`, the weights that best predict "bought `j`" from the other items a
/// customer bought, with a ridge penalty, over `j`'s `candidates` most co-bought items:
///
/// ```text
/// b = (G_SS + λI)⁻¹ G_Sj,   G = XᵀX (customers × items, binary),   λ = ridge · mean_i G_ii
/// ```
///
/// The full EASE solves one n × n system; restricted to the candidates it is one small
/// system per item (measured on Online Retail: 50 candidates reach the full model's
/// NDCG@10 within noise, at 1/1000 of the arithmetic). Regression explains away items
/// that are co-bought only because both go with a third, which a pairwise similarity
/// cannot. Only positive weights are kept (`s` → `j` with weight `b_s`).
#[derive(Clone, Debug, PartialEq)]
pub struct Regression {
    /// λ relative to the mean number of buyers per item (scale-free across catalogues).
    pub ridge: f64,
    /// Most co-bought items per target that enter its regression.
    pub candidates: usize,
}

impl Default for Regression {
    fn default() -> Self {
        Regression {
            ridge: 3.0,
            candidates: 100,
        }
    }
}

/// "What comes next" settings.
#[derive(Clone, Debug, PartialEq)]
pub struct NextSettings {
    /// Next items kept per item; 0 = no `NEXT` section.
    pub neighbors: usize,
    /// How many later orders of the same customer count as "next".
    pub steps: usize,
    /// Weight of the d-th later order: `step_decay^(d-1)`.
    pub step_decay: f64,
    /// α in [0, 1]: each item's transition sums are divided by (their total)^α. 1 gives
    /// P(next = c | a), on the same scale as a regression coefficient or a similarity;
    /// 0 keeps raw evidence (an item often followed by something speaks louder).
    pub row_exponent: f64,
}

/// Builder settings. Defaults are the measured choice (docs/model-format.md, "Defaults").
#[derive(Clone, Debug, PartialEq)]
pub struct BuildSettings {
    /// Minimum number of distinct customers behind a kept pair (≥ 2).
    pub min_support: u32,
    /// Neighbours kept per item (at least; see `edge_budget`).
    pub neighbors: usize,
    /// On a small catalogue pruning saves no bytes worth having: each item may then keep up
    /// to `edge_budget / n_items` neighbours, and the regression reads as many candidates,
    /// when that is more than `neighbors` / `candidates` (see [`sized_for`]). 0 = off.
    pub edge_budget: usize,
    /// Length of the popularity fallback list.
    pub popular: usize,
    /// β in [0, 1]: how much the neighbour's own popularity is divided out (0.5 = cosine).
    /// Used when `regression` is `None`.
    pub popularity_exponent: f64,
    /// Neighbours by regression (EASE restricted to candidates) instead of co-occurrence.
    pub regression: Option<Regression>,
    pub next: NextSettings,
    /// Title similarity that makes two items near-duplicates (`families_from_titles`; the
    /// CLI applies it when the catalogue has titles and `scoring.family_cap` > 0).
    pub family_similarity: f64,
    /// The scoring blend, in the builder's units: the decays are per *order* (the
    /// builder turns them into the per-event decays the scorer applies, `d^(1/s)` for a
    /// mean of `s` items per order, so one setting means the same on a catalogue of
    /// single-item orders and on one of 20-line invoices); `next_weight` is the weight of
    /// one unit of transition evidence relative to a neighbour weight of 1 (the builder
    /// multiplies it by the `NEXT` scale it divided out).
    pub scoring: Scoring,
    /// Differential privacy on every published count (see [`Dp`]); `None` = exact counts.
    pub dp: Option<Dp>,
}

/// Differential privacy for the published model: the builder bounds what one customer can
/// contribute, adds two-sided geometric noise (the discrete Laplace mechanism) to every count
/// the model is derived from, and prunes on the *noisy* counts. The unit of privacy is one
/// customer's whole history (a guest order is its own customer); neighbouring data sets
/// differ by one customer added or removed; the catalogue (the item ids) is public.
///
/// 1. Bounding: each customer keeps at most `max_items` distinct items, their most recent
///    ones (ties: lower index); their other purchases are dropped before anything is counted.
/// 2. Three count tables over the bounded data, each customer counted once per cell:
///    buyers per item (L1 sensitivity `L`), customers per unordered co-bought pair
///    (`L(L-1)/2`), customers per directed "bought `c` within `steps` orders after `a`" pair
///    (`L(L-1)`), with `L = max_items`.
/// 3. The tables get `ε_k` = 0.4 ε, 0.4 ε and 0.2 ε ([`DP_SHARES`]; without the next
///    table, `next.neighbors` = 0 or `steps` = 0, half and half) and every one of their
///    cells — the pairs nobody bought included — noise `X − Y`,
///    `X, Y ~ Geometric(1 − α_k)`, `α_k = exp(−ε_k / Δ_k)`: `ε_k`-DP per table, `ε`-DP
///    for the three together (sequential composition).
/// 4. A pair is kept only when its noisy count is at least `τ = max(min_support, t)`,
///    where `t` is the least count at which the expected number of never-bought pairs the
///    noise lifts over `τ` is at most [`DP_SPURIOUS_PER_ITEM`] per item
///    (`α^t / (1 + α) · cells ≤ 0.01 · n_items`):
///    data-independent, so it costs no budget. Never-bought pairs over the threshold are
///    drawn directly from that tail (they are as likely as under cell-by-cell noise).
/// 5. Everything else — regression weights, top-K, popularity, scales — is computed from
///    the noisy counts only (post-processing keeps the guarantee). The per-order decays are
///    applied per event (the mean order size would be one more released statistic) and
///    self-tuning is off (it reads the raw data).
///
/// The noise is drawn exactly (integer arithmetic, [`crate::random::Noise`]) from a
/// ChaCha20 stream keyed with `seed`; the CLI reads the key from the operating system. A
/// known key lets anyone recompute the noise and voids the guarantee: fixed keys
/// ([`crate::random::fixed_noise_seed`]) are for tests and benchmarks only. ε is used
/// rounded down to a multiple of 2⁻³² (so each rate is an exact fraction; a smaller ε only
/// adds noise) and must be at least 2⁻³².
#[derive(Clone, Debug, PartialEq)]
pub struct Dp {
    pub epsilon: f64,
    pub max_items: usize,
    pub seed: NoiseSeed,
}

/// How ε is split between the buyer, co-purchase and next count tables (without a next
/// table: half and half). Measured on validation (Online Retail next basket and Amazon
/// Beauty, ε 1/4/16, two seeds each): 2:2:1 beats the split in proportion to the
/// sensitivities (one noise scale for all, 1:2:4 for L = 5) at ε 4 and 16 on both (Beauty
/// ε 16: 0.0118 vs 0.0104; Online Retail ε 16: 0.156 vs 0.138) and ties it at ε 1: the
/// buyer counts (popularity, the regression's diagonal) are worth more budget than their
/// small sensitivity gives them, the next table less.
pub const DP_SHARES: [u64; 3] = [2, 2, 1];

/// The largest `Dp::max_items`: the pair tables' sensitivity grows with its square (at 100,
/// 4,950 pairs per customer), and every customer's pairs are materialised.
pub const DP_MAX_ITEMS_LIMIT: usize = 100;

/// Distinct items one customer may contribute under differential privacy: the sensitivity
/// of the pair tables grows with its square, so a small bound keeps the noise small.
pub const DEFAULT_DP_MAX_ITEMS: usize = 5;

/// Measured (docs/model-format.md, validation): on the sparse Amazon Beauty data a floor
/// of 3 customers drops most real pairs (NDCG@10 0.0708 → 0.0634), on Online Retail it
/// changes nothing; 2 is also the least that keeps one shopper's history out of the model.
pub const DEFAULT_MIN_SUPPORT: u32 = 2;
/// Neighbours kept per item: 10 loses ~1% on Online Retail, 30 gains nothing.
pub const DEFAULT_NEIGHBORS: usize = 20;
/// Neighbour edges a small catalogue may keep in all (4 bytes each in `NBRS`, so at most
/// 64 KiB): on a catalogue under 820 items every item keeps more than 20 neighbours. The
/// pruning is a size measure; measured on Groceries (169 items, validation NDCG@10),
/// keeping every positive regression weight instead of 20 changes nothing within noise
/// (0.2116 → 0.2119), so where it costs little the model keeps what EASE keeps.
pub const DEFAULT_EDGE_BUDGET: usize = 16_384;
/// Next items kept per item: 10 is within noise of 20 (Beauty 0.0705 vs 0.0708, Online
/// Retail next basket 0.1086 vs 0.1080) at a quarter less model (the NEXT lists are the
/// largest section of a retail model); 5 loses 2% on Beauty.
pub const DEFAULT_NEXT_NEIGHBORS: usize = 10;
/// Per-order history decay of the neighbour signal; measured on validation
/// (docs/model-format.md): Online Retail wants slow decay (0.9–1.0 per 20-line invoice),
/// Amazon Beauty is flat from 0.7 to 0.9 because its next signal carries the recency.
pub const DEFAULT_HISTORY_DECAY: f32 = 0.9;
/// Per-order decay of the next signal: what comes next depends on the latest order.
pub const DEFAULT_NEXT_DECAY: f32 = 0.2;
/// Weight of P(next | item) against the neighbours: 1–10 is flat on both ordered
/// datasets (validation), 0 loses 13% on Amazon Beauty.
pub const DEFAULT_NEXT_WEIGHT: f32 = 3.0;
/// At most this many near-duplicates (one family) in a list.
pub const DEFAULT_FAMILY_CAP: u32 = 2;
/// Long enough for a storefront's "best sellers" listing; 8 bytes per entry.
pub const DEFAULT_POPULAR: usize = 300;

impl Default for NextSettings {
    fn default() -> Self {
        NextSettings {
            neighbors: DEFAULT_NEXT_NEIGHBORS,
            steps: 3,
            step_decay: 0.5,
            row_exponent: 1.0,
        }
    }
}

impl Default for BuildSettings {
    fn default() -> Self {
        BuildSettings {
            min_support: DEFAULT_MIN_SUPPORT,
            neighbors: DEFAULT_NEIGHBORS,
            edge_budget: DEFAULT_EDGE_BUDGET,
            popular: DEFAULT_POPULAR,
            popularity_exponent: 0.5,
            regression: Some(Regression::default()),
            next: NextSettings::default(),
            family_similarity: DEFAULT_FAMILY_SIMILARITY,
            scoring: Scoring {
                history_decay: DEFAULT_HISTORY_DECAY,
                neighbor_weight: 1.0,
                next_decay: DEFAULT_NEXT_DECAY,
                next_weight: DEFAULT_NEXT_WEIGHT,
                family_cap: DEFAULT_FAMILY_CAP,
                repeat_once: true,
                popularity_weight: 0.0,
            },
            dp: None,
        }
    }
}

/// `settings` with the neighbour count and the regression's candidates raised for a
/// catalogue of `n_items` under the edge budget: `max(neighbors, edge_budget / n_items)`,
/// never more than the `n_items - 1` other items.
pub fn sized_for(settings: &BuildSettings, n_items: usize) -> BuildSettings {
    let mut s = settings.clone();
    if settings.edge_budget == 0 || n_items < 2 {
        return s;
    }
    let room = (settings.edge_budget / n_items).min(n_items - 1);
    s.neighbors = s.neighbors.max(room);
    if let Some(r) = &mut s.regression {
        r.candidates = r.candidates.max(room);
    }
    s
}

/// What the builder saw and kept, for the CLI summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildStats {
    /// Distinct registered customers with at least one item.
    pub customers: usize,
    /// Guest orders (each counted as its own pseudo-customer).
    pub guest_orders: usize,
    /// Orders with at least one item.
    pub orders: usize,
    /// Items bought by at least one customer.
    pub items_bought: usize,
    /// Unordered item pairs bought together by at least one customer.
    pub pairs_seen: u64,
    /// Of those, pairs below `min_support`.
    pub pairs_dropped_min_support: u64,
    /// Directed neighbour edges in the model (after top-K).
    pub edges_kept: usize,
    /// Items with at least one neighbour.
    pub items_with_neighbors: usize,
    /// Directed "a then c" pairs seen in customers' order sequences.
    pub next_pairs_seen: u64,
    /// Of those, pairs below `min_support`.
    pub next_pairs_dropped_min_support: u64,
    /// "What comes next" edges in the model (after top-K).
    pub next_edges_kept: usize,
}

/// The builder's output: neighbour and next lists, popularity and the scoring blend;
/// `into_parts` adds the ids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Built {
    pub offsets: Vec<u32>,
    pub targets: Vec<u32>,
    pub weights: Vec<f32>,
    /// Empty when `next.neighbors` is 0.
    pub next_offsets: Vec<u32>,
    pub next_targets: Vec<u32>,
    pub next_weights: Vec<f32>,
    /// Largest raw transition sum (what the stored next weights were divided by).
    pub next_scale: f64,
    /// What the stored neighbour weights were divided by (regression: the largest
    /// coefficient; co-occurrence: 1).
    pub neighbor_scale: f64,
    /// Mean number of distinct items per customer order (what the per-order decays were
    /// converted with).
    pub order_size: f64,
    pub popular: Vec<u32>,
    pub popular_scores: Vec<f32>,
    /// The settings' blend as the scorer applies it: per-event decays, `next_weight`
    /// rescaled to the stored weights (see [`Built::scoring_for`]).
    pub scoring: Scoring,
    pub stats: BuildStats,
}

/// Mean distinct items per order of registered customers (all orders when there are
/// none), at least 1.
pub fn mean_order_size(inter: &Interactions) -> f64 {
    let customers = inter.orders.iter().any(|o| o.customer.is_some());
    let (mut items, mut orders) = (0usize, 0usize);
    for o in &inter.orders {
        if !o.items.is_empty() && (o.customer.is_some() || !customers) {
            items += o.items.len();
            orders += 1;
        }
    }
    if orders == 0 {
        1.0
    } else {
        (items as f64 / orders as f64).max(1.0)
    }
}

/// Settings-unit scoring (per-order decays, relative next weight) → what the scorer
/// applies (per-event decays, next weight × scale). A per-event decay is rounded to f32
/// once here, so the scorer's running products stay platform-independent.
pub fn stored_scoring(
    s: &Scoring,
    neighbor_scale: f64,
    next_scale: f64,
    order_size: f64,
) -> Scoring {
    let per_event = |d: f32| {
        let e = f64::from(d).powf(1.0 / order_size.max(1.0)) as f32;
        // Stays in (0, 1] (a tiny per-order decay cannot round to 0).
        e.clamp(f32::MIN_POSITIVE, 1.0)
    };
    Scoring {
        history_decay: per_event(s.history_decay),
        next_decay: per_event(s.next_decay),
        neighbor_weight: (f64::from(s.neighbor_weight) * neighbor_scale) as f32,
        next_weight: (f64::from(s.next_weight) * next_scale) as f32,
        ..*s
    }
}

impl Built {
    /// The stored scoring for other settings-unit scoring (for trying blends without a
    /// rebuild).
    pub fn scoring_for(&self, s: &Scoring) -> Scoring {
        stored_scoring(s, self.neighbor_scale, self.next_scale, self.order_size)
    }

    /// Model parts with these lists and ids; catalog fields and meta left empty.
    pub fn into_parts(self, ids: Vec<String>) -> ModelParts {
        ModelParts {
            ids,
            offsets: self.offsets,
            targets: self.targets,
            weights: self.weights,
            next_offsets: self.next_offsets,
            next_targets: self.next_targets,
            next_weights: self.next_weights,
            scoring: self.scoring,
            popular: self.popular,
            popular_scores: self.popular_scores,
            ..Default::default()
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// An order names an item index `>= n_items`.
    ItemOutOfRange,
    /// `min_support` below 2 would let one customer's history become neighbours.
    MinSupportTooLow,
    /// A setting outside its range (popularity exponent, step decay, scoring blend,
    /// privacy budget).
    BadSetting(&'static str),
}

impl core::fmt::Display for BuildError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BuildError::ItemOutOfRange => f.write_str("an order names an item index out of range"),
            BuildError::MinSupportTooLow => f.write_str("min_support must be at least 2"),
            BuildError::BadSetting(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for BuildError {}

/// Down-weights customers with huge baskets: 1 / ln(e + m).
fn basket_weight(m: usize) -> f64 {
    1.0 / (core::f64::consts::E + m as f64).ln()
}

/// CSR of units (customers and guest orders) → distinct items, sorted.
struct Units {
    offsets: Vec<u32>,
    items: Vec<u32>,
    weight: Vec<f64>,
    customers: usize,
    guest_orders: usize,
    orders: usize,
}

impl Units {
    fn items(&self, unit: usize) -> &[u32] {
        &self.items[self.offsets[unit] as usize..self.offsets[unit + 1] as usize]
    }
}

fn check(inter: &Interactions, settings: &BuildSettings) -> Result<(), BuildError> {
    if settings.min_support < 2 {
        return Err(BuildError::MinSupportTooLow);
    }
    let b = settings.popularity_exponent;
    if !(0.0..=1.0).contains(&b) {
        return Err(BuildError::BadSetting(
            "popularity exponent must be in [0, 1]",
        ));
    }
    if let Some(r) = &settings.regression {
        if !(r.ridge.is_finite() && r.ridge > 0.0) {
            return Err(BuildError::BadSetting("regression ridge must be > 0"));
        }
        if r.candidates == 0 {
            return Err(BuildError::BadSetting(
                "regression needs at least one candidate",
            ));
        }
    }
    if !(0.0..=1.0).contains(&settings.next.row_exponent) {
        return Err(BuildError::BadSetting(
            "next row exponent must be in [0, 1]",
        ));
    }
    if let Some(dp) = &settings.dp {
        if !(dp.epsilon.is_finite() && dp.epsilon > 0.0) {
            return Err(BuildError::BadSetting("dp epsilon must be finite and > 0"));
        }
        if !(2..=DP_MAX_ITEMS_LIMIT).contains(&dp.max_items) {
            return Err(BuildError::BadSetting(
                "dp max items must be in 2..=100 (one item has no pairs; the noise grows with its square)",
            ));
        }
        if settings.regression.is_none() {
            return Err(BuildError::BadSetting(
                "differential privacy needs the regression neighbours (ridge > 0)",
            ));
        }
    }
    let d = settings.next.step_decay;
    if !(d > 0.0 && d <= 1.0) {
        return Err(BuildError::BadSetting("next step decay must be in (0, 1]"));
    }
    let s = &settings.scoring;
    let unit = |x: f32| x.is_finite() && x > 0.0 && x <= 1.0;
    if !unit(s.history_decay) || !unit(s.next_decay) {
        return Err(BuildError::BadSetting("scoring decays must be in (0, 1]"));
    }
    let weight = |x: f32| x.is_finite() && x >= 0.0;
    if !weight(s.neighbor_weight) || !weight(s.next_weight) || !weight(s.popularity_weight) {
        return Err(BuildError::BadSetting(
            "scoring weights must be finite and >= 0",
        ));
    }
    if s.family_cap > crate::model::MAX_FAMILY_CAP {
        return Err(BuildError::BadSetting("family cap too large"));
    }
    let n = inter.n_items;
    if inter
        .orders
        .iter()
        .any(|o| o.items.iter().any(|&i| i as usize >= n))
    {
        return Err(BuildError::ItemOutOfRange);
    }
    Ok(())
}

fn units(inter: &Interactions) -> Units {
    // Registered customers first (dense by customer index), then one unit per guest order.
    let n_cust = customer_count(inter);
    let mut per_customer: Vec<Vec<u32>> = vec![Vec::new(); n_cust];
    let mut guests: Vec<Vec<u32>> = Vec::new();
    let mut orders = 0;
    for o in &inter.orders {
        if o.items.is_empty() {
            continue;
        }
        orders += 1;
        match o.customer {
            Some(c) => per_customer[c as usize].extend_from_slice(&o.items),
            None => guests.push(o.items.clone()),
        }
    }
    let mut u = Units {
        offsets: vec![0],
        items: Vec::new(),
        weight: Vec::new(),
        customers: 0,
        guest_orders: guests.len(),
        orders,
    };
    for (k, mut list) in per_customer.into_iter().chain(guests).enumerate() {
        list.sort_unstable();
        list.dedup();
        if list.is_empty() {
            continue;
        }
        if k < n_cust {
            u.customers += 1;
        }
        u.weight.push(basket_weight(list.len()));
        u.items.extend_from_slice(&list);
        u.offsets.push(u.items.len() as u32);
    }
    u
}

fn customer_count(inter: &Interactions) -> usize {
    inter
        .orders
        .iter()
        .filter_map(|o| o.customer)
        .max()
        .map_or(0, |c| c as usize + 1)
}

/// Each registered customer's non-empty orders (indices into `inter.orders`) in time
/// order, ties in input order. Guests have no sequence.
pub fn customer_sequences(inter: &Interactions) -> Vec<Vec<u32>> {
    let mut seqs: Vec<Vec<u32>> = vec![Vec::new(); customer_count(inter)];
    for (i, o) in inter.orders.iter().enumerate() {
        if let (Some(c), false) = (o.customer, o.items.is_empty()) {
            seqs[c as usize].push(i as u32);
        }
    }
    for s in &mut seqs {
        s.sort_by_key(|&i| (inter.orders[i as usize].ts, i));
    }
    seqs
}

/// Transposes a CSR (rows → column ids) into column → rows (rows ascending).
fn transpose(n_cols: usize, offsets: &[u32], cols: &[u32]) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n_cols + 1];
    for &c in cols {
        start[c as usize + 1] += 1;
    }
    for i in 0..n_cols {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut rows = vec![0u32; cols.len()];
    for r in 0..offsets.len() - 1 {
        for &c in &cols[offsets[r] as usize..offsets[r + 1] as usize] {
            rows[fill[c as usize] as usize] = r as u32;
            fill[c as usize] += 1;
        }
    }
    (start, rows)
}

/// Top `k` of `cand` (weight, item) by weight desc, ties by lower item, appended to the
/// CSR lists; returns how many were kept. Weights are `f32` (stored) or `f64` (raw).
fn keep_top<W: Weight>(
    cand: &mut Vec<(W, u32)>,
    k: usize,
    targets: &mut Vec<u32>,
    weights: &mut Vec<W>,
) -> usize {
    let order = |a: &(W, u32), b: &(W, u32)| b.0.total(&a.0).then(a.1.cmp(&b.1));
    if cand.len() > k {
        if k > 0 {
            cand.select_nth_unstable_by(k - 1, order);
        }
        cand.truncate(k);
    }
    cand.sort_unstable_by(order);
    for &(w, j) in cand.iter() {
        targets.push(j);
        weights.push(w);
    }
    cand.len()
}

/// The float types `keep_top` ranks by (IEEE total order, so NaN cannot break the sort).
trait Weight: Copy {
    fn total(&self, other: &Self) -> std::cmp::Ordering;
}
impl Weight for f32 {
    fn total(&self, other: &Self) -> std::cmp::Ordering {
        self.total_cmp(other)
    }
}
impl Weight for f64 {
    fn total(&self, other: &Self) -> std::cmp::Ordering {
        self.total_cmp(other)
    }
}

/// Builds neighbour lists, "what comes next" lists and the popularity fallback.
pub fn build(inter: &Interactions, settings: &BuildSettings) -> Result<Built, BuildError> {
    check(inter, settings)?;
    let sized = sized_for(settings, inter.n_items);
    let settings = &sized;
    if let Some(dp) = &settings.dp {
        return build_dp(inter, settings, dp);
    }
    let n = inter.n_items;
    let u = units(inter);
    let (item_off, item_units) = transpose(n, &u.offsets, &u.items);
    let norm: Vec<f64> = (0..n)
        .map(|i| {
            item_units[item_off[i] as usize..item_off[i + 1] as usize]
                .iter()
                .map(|&unit| u.weight[unit as usize])
                .sum()
        })
        .collect();

    let mut stats = BuildStats {
        customers: u.customers,
        guest_orders: u.guest_orders,
        orders: u.orders,
        items_bought: (0..n).filter(|&i| item_off[i + 1] > item_off[i]).count(),
        ..Default::default()
    };

    // Neighbours: dense accumulation per item, over its units, over their items.
    let beta = settings.popularity_exponent;
    let pow = |x: f64, e: f64| {
        if e == 0.0 {
            1.0
        } else if e == 1.0 {
            x
        } else {
            x.powf(e)
        }
    };
    let mut acc = vec![0f64; n];
    let mut support = vec![0u32; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut cand: Vec<(f32, u32)> = Vec::new();
    let mut offsets = Vec::with_capacity(n + 1);
    let mut targets = Vec::new();
    let mut weights = Vec::new();
    offsets.push(0u32);
    // With regression: the full co-occurrence counts (customers who bought both), CSR
    // with sorted columns; the pairwise similarity below is then not needed.
    let regression = settings.regression.as_ref();
    let mut row_pairs: Vec<(u32, u32)> = Vec::new();
    let mut co = CoCounts {
        offsets: vec![0],
        items: Vec::new(),
        counts: Vec::new(),
    };
    for i in 0..n {
        let own_units = &item_units[item_off[i] as usize..item_off[i + 1] as usize];
        // An item with fewer buyers than min_support cannot have a supported pair, but
        // its pairs still count in the summary.
        let supported = own_units.len() >= settings.min_support as usize;
        for &unit in own_units {
            let w = u.weight[unit as usize];
            for &j in u.items(unit as usize) {
                let j = j as usize;
                if j == i {
                    continue;
                }
                if support[j] == 0 {
                    touched.push(j as u32);
                }
                support[j] += 1;
                if supported {
                    acc[j] += w;
                }
            }
        }
        cand.clear();
        if let Some(r) = regression {
            // Memory stays O(n · cap) on any catalogue: a row keeps its most co-bought
            // items only (the regression reads pairs among an item's top candidates).
            let cap = r.candidates.saturating_mul(CO_ROW_FACTOR).max(CO_ROW_MIN);
            let start = co.items.len();
            if touched.len() > cap {
                row_pairs.clear();
                row_pairs.extend(touched.iter().map(|&j| (support[j as usize], j)));
                row_pairs.select_nth_unstable_by(cap - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                co.items.extend(row_pairs[..cap].iter().map(|p| p.1));
            } else {
                co.items.extend_from_slice(&touched);
            }
            co.items[start..].sort_unstable();
            for k in start..co.items.len() {
                co.counts.push(support[co.items[k] as usize]);
            }
            co.offsets.push(co.items.len() as u32);
        }
        for &j in &touched {
            let j = j as usize;
            if j > i {
                stats.pairs_seen += 1;
                if support[j] < settings.min_support {
                    stats.pairs_dropped_min_support += 1;
                }
            }
            if regression.is_none() && supported && support[j] >= settings.min_support {
                // β = 0.5 keeps the plain cosine's exact arithmetic.
                let den = if beta == 0.5 {
                    (norm[i] * norm[j]).sqrt()
                } else {
                    pow(norm[i], 1.0 - beta) * pow(norm[j], beta)
                };
                let sim = acc[j] / den;
                // ≤ 1 up to rounding; the model format requires (0, 1].
                cand.push((snap_weight(sim.min(1.0) as f32), j as u32));
            }
            support[j] = 0;
            acc[j] = 0.0;
        }
        touched.clear();
        if keep_top(&mut cand, settings.neighbors, &mut targets, &mut weights) > 0 {
            stats.items_with_neighbors += 1;
        }
        offsets.push(targets.len() as u32);
    }
    // Regression weights are stored divided by the largest; the blend restores the units.
    let mut neighbor_scale = 1.0;
    // Distinct buyers per item (customers and guest orders).
    let buyers: Vec<u32> = (0..n).map(|i| item_off[i + 1] - item_off[i]).collect();
    if let Some(r) = regression {
        (offsets, targets, weights, neighbor_scale) = regression_lists(&co, &buyers, r, settings);
        stats.items_with_neighbors = offsets.windows(2).filter(|w| w[1] > w[0]).count();
    }
    stats.edges_kept = targets.len();

    let mut next = NextLists::default();
    if settings.next.neighbors > 0 && settings.next.steps > 0 {
        next = next_lists(inter, settings, &mut stats);
    }
    if next.targets.is_empty() {
        // No customer has a sequence (e.g. one basket each): no NEXT section at all.
        next = NextLists {
            scale: 1.0,
            ..NextLists::default()
        };
    }
    let order_size = mean_order_size(inter);
    let scoring = stored_scoring(&settings.scoring, neighbor_scale, next.scale, order_size);

    // Popularity: distinct buyers (customers and guest orders), ties by lower index. The
    // list publishes those counts, so like a pair an item needs min-support buyers: a
    // listed "bought by 1" would say that one customer bought it (docs/privacy.md).
    let (popular, popular_scores) = popularity(&buyers, settings.min_support, settings.popular);
    Ok(Built {
        offsets,
        targets,
        weights,
        next_offsets: next.offsets,
        next_targets: next.targets,
        next_weights: next.weights,
        next_scale: next.scale,
        neighbor_scale,
        order_size,
        popular,
        popular_scores,
        scoring,
        stats,
    })
}

/// The `top` most bought items with at least `floor` buyers (most first, ties by lower index)
/// and their buyer counts, as POPL publishes them.
fn popularity(buyers: &[u32], floor: u32, top: usize) -> (Vec<u32>, Vec<f32>) {
    let floor = floor.max(1);
    let mut pop: Vec<(u32, u32)> = (0u32..)
        .zip(buyers)
        .filter(|&(_, &c)| c >= floor)
        .map(|(i, &c)| (c, i))
        .collect();
    pop.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    pop.truncate(top);
    pop.into_iter().map(|(c, i)| (i, c as f32)).unzip()
}

/// A co-occurrence row keeps at most `max(CO_ROW_FACTOR · candidates, CO_ROW_MIN)` items.
const CO_ROW_FACTOR: usize = 10;
const CO_ROW_MIN: usize = 1000;

/// Co-occurrence counts: row `i` lists the items co-bought with `i` (ascending) and the
/// number of customers (units) who bought both (at most the row cap, the most co-bought).
struct CoCounts {
    offsets: Vec<u32>,
    items: Vec<u32>,
    counts: Vec<u32>,
}

impl CoCounts {
    fn row(&self, i: usize) -> (&[u32], &[u32]) {
        let (a, b) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
        (&self.items[a..b], &self.counts[a..b])
    }
}

/// Neighbourhood-restricted EASE (see [`Regression`]): one ridge regression per target
/// item over its most co-bought candidates; positive weights become edges candidate →
/// target, then each item keeps its top `neighbors`, divided by the largest weight.
fn regression_lists(
    co: &CoCounts,
    buyers: &[u32],
    r: &Regression,
    settings: &BuildSettings,
) -> (Vec<u32>, Vec<u32>, Vec<f32>, f64) {
    let n = buyers.len();
    let bought = buyers.iter().filter(|&&b| b > 0).count().max(1);
    let lambda = r.ridge * buyers.iter().map(|&b| f64::from(b)).sum::<f64>() / bought as f64;
    // Edges as (source, target, weight), gathered per target.
    let mut edges: Vec<(u32, u32, f64)> = Vec::new();
    let mut pos = vec![u32::MAX; n];
    let mut cand: Vec<(u32, u32)> = Vec::new();
    let mut a: Vec<f64> = Vec::new();
    let mut rhs: Vec<f64> = Vec::new();
    for j in 0..n {
        let (items, counts) = co.row(j);
        cand.clear();
        cand.extend(
            items
                .iter()
                .zip(counts)
                .filter(|(_, &c)| c >= settings.min_support)
                .map(|(&i, &c)| (c, i)),
        );
        if cand.is_empty() {
            continue;
        }
        // Most co-bought first, ties by lower index.
        let order = |x: &(u32, u32), y: &(u32, u32)| y.0.cmp(&x.0).then(x.1.cmp(&y.1));
        let m = r.candidates.min(cand.len());
        if cand.len() > m {
            cand.select_nth_unstable_by(m - 1, order);
            cand.truncate(m);
        }
        cand.sort_unstable_by(order);
        for (k, &(_, s)) in cand.iter().enumerate() {
            pos[s as usize] = k as u32;
        }
        a.clear();
        a.resize(m * m, 0.0);
        rhs.clear();
        rhs.extend(cand.iter().map(|&(c, _)| f64::from(c)));
        for (k, &(_, s)) in cand.iter().enumerate() {
            a[k * m + k] = f64::from(buyers[s as usize]) + lambda;
            let (its, cts) = co.row(s as usize);
            for (&t, &c) in its.iter().zip(cts) {
                let p = pos[t as usize];
                if p != u32::MAX {
                    a[k * m + p as usize] = f64::from(c);
                }
            }
        }
        for &(_, s) in cand.iter() {
            pos[s as usize] = u32::MAX;
        }
        if cholesky_solve(&mut a, m, &mut rhs) {
            for (k, &(_, s)) in cand.iter().enumerate() {
                if rhs[k] > 0.0 {
                    edges.push((s, j as u32, rhs[k]));
                }
            }
        }
    }
    // Group by source (stable within a source: targets ascending).
    edges.sort_by_key(|e| e.0);
    let mut offsets = Vec::with_capacity(n + 1);
    let mut targets = Vec::new();
    let mut raw: Vec<f64> = Vec::new();
    let mut row: Vec<(f64, u32)> = Vec::new();
    offsets.push(0u32);
    let mut e = 0;
    for i in 0..n as u32 {
        row.clear();
        while e < edges.len() && edges[e].0 == i {
            row.push((edges[e].2, edges[e].1));
            e += 1;
        }
        keep_top(&mut row, settings.neighbors, &mut targets, &mut raw);
        offsets.push(targets.len() as u32);
    }
    let (weights, top) = scaled(&raw);
    (offsets, targets, weights, top)
}

/// The weights divided by the largest and snapped to the stored grid, and that largest (1
/// when none is positive, so the stored scale is always usable).
fn scaled(raw: &[f64]) -> (Vec<f32>, f64) {
    let top = raw.iter().copied().fold(0.0f64, f64::max);
    let weights = raw
        .iter()
        .map(|&w| snap_weight((w / top).min(1.0) as f32))
        .collect();
    (weights, if top > 0.0 { top } else { 1.0 })
}

/// Solves `A x = b` in place (`b` becomes `x`) for a symmetric positive definite `m × m`
/// row-major `A` (only its lower triangle is read; it is overwritten by the Cholesky
/// factor). Returns false if `A` is not positive definite.
fn cholesky_solve(a: &mut [f64], m: usize, b: &mut [f64]) -> bool {
    for i in 0..m {
        for j in 0..=i {
            let (ri, rj) = (i * m, j * m);
            let s = a[ri + j] - dot(&a[ri..ri + j], &a[rj..rj + j]);
            if i == j {
                // Also false for NaN: a NaN pivot is not positive definite either.
                if s.partial_cmp(&0.0) != Some(core::cmp::Ordering::Greater) {
                    return false;
                }
                a[ri + i] = s.sqrt();
            } else {
                a[ri + j] = s / a[rj + j];
            }
        }
    }
    // L y = b, then Lᵀ x = y.
    for i in 0..m {
        let ri = i * m;
        b[i] = (b[i] - dot(&a[ri..ri + i], &b[..i])) / a[ri + i];
    }
    for i in (0..m).rev() {
        let mut s = b[i];
        for k in i + 1..m {
            s -= a[k * m + i] * b[k];
        }
        b[i] = s / a[i * m + i];
    }
    true
}

/// Dot product with four independent accumulators, so it vectorises (a plain running
/// sum is a dependency chain the compiler may not reorder).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0f64; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (p, q) in xc.zip(yc) {
        for l in 0..4 {
            acc[l] += p[l] * q[l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (p, q) in xr.iter().zip(yr) {
        s += p * q;
    }
    s
}

/// Title similarity at or above which two items are near-duplicates (variants of one
/// product: "WHITE HANGING HEART T-LIGHT HOLDER" / "RED HANGING HEART T-LIGHT HOLDER" share
/// 5 of 7 words).
pub const DEFAULT_FAMILY_SIMILARITY: f64 = 0.6;
/// A word in more titles than this is too common to gather a family on its own.
const COMMON_WORD: usize = 1000;

/// Near-duplicate families from titles, for the diversity rule (`FAML`): the words of a
/// title (alphanumeric runs, case-folded) as a set; two titles are near-duplicates when
/// |A ∩ B| / |A ∪ B| ≥ `similarity`. Greedy and deterministic: items in descending
/// `weight` (ties: lower index) each start a family unless already taken, and take every
/// untaken near-duplicate of theirs; a family is named by its first (heaviest) item.
/// Items without words are alone. Language-agnostic and cheap (an inverted word index).
pub fn families_from_titles(titles: &[String], weight: &[u32], similarity: f64) -> Vec<u32> {
    let n = titles.len();
    let words: Vec<Vec<String>> = titles
        .iter()
        .map(|t| {
            let mut w: Vec<String> = t
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(|w| w.to_lowercase())
                .collect();
            w.sort_unstable();
            w.dedup();
            w
        })
        .collect();
    // Word → items (ascending), through a sorted (word, item) list: no hash maps.
    let mut pairs: Vec<(&str, u32)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        pairs.extend(w.iter().map(|x| (x.as_str(), i as u32)));
    }
    pairs.sort_unstable();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by(|&a, &b| {
        let wa = weight.get(a as usize).copied().unwrap_or(0);
        let wb = weight.get(b as usize).copied().unwrap_or(0);
        wb.cmp(&wa).then(a.cmp(&b))
    });
    let mut family: Vec<u32> = (0..n as u32).collect();
    let mut taken = vec![false; n];
    let mut seen = vec![u32::MAX; n];
    for &h in &order {
        let hu = h as usize;
        if taken[hu] {
            continue;
        }
        taken[hu] = true;
        for w in &words[hu] {
            let start = pairs.partition_point(|p| p.0 < w.as_str());
            let end = pairs.partition_point(|p| p.0 <= w.as_str());
            if end - start > COMMON_WORD {
                continue;
            }
            for &(_, c) in &pairs[start..end] {
                let cu = c as usize;
                if taken[cu] || seen[cu] == h {
                    continue;
                }
                seen[cu] = h;
                if jaccard(&words[hu], &words[cu]) >= similarity {
                    taken[cu] = true;
                    family[cu] = h;
                }
            }
        }
    }
    family
}

/// |A ∩ B| / |A ∪ B| of two sorted, distinct word lists.
fn jaccard(a: &[String], b: &[String]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            core::cmp::Ordering::Less => i += 1,
            core::cmp::Ordering::Greater => j += 1,
            core::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        0.0
    } else {
        common as f64 / union as f64
    }
}

#[derive(Default)]
struct NextLists {
    offsets: Vec<u32>,
    targets: Vec<u32>,
    weights: Vec<f32>,
    scale: f64,
}

/// Directed transitions between a customer's orders (see the module docs).
fn next_lists(inter: &Interactions, settings: &BuildSettings, stats: &mut BuildStats) -> NextLists {
    let n = inter.n_items;
    let ns = &settings.next;
    let seqs = customer_sequences(inter);
    // Occurrences: item → (customer, position in that customer's sequence).
    let mut occ_off = vec![0u32; n + 1];
    for s in &seqs {
        for &o in s {
            for &i in &inter.orders[o as usize].items {
                occ_off[i as usize + 1] += 1;
            }
        }
    }
    for i in 0..n {
        occ_off[i + 1] += occ_off[i];
    }
    let mut fill = occ_off.clone();
    let mut occ = vec![(0u32, 0u32); occ_off[n] as usize];
    for (c, s) in seqs.iter().enumerate() {
        for (p, &o) in s.iter().enumerate() {
            for &i in &inter.orders[o as usize].items {
                occ[fill[i as usize] as usize] = (c as u32, p as u32);
                fill[i as usize] += 1;
            }
        }
    }
    let step_w: Vec<f64> = (0..ns.steps)
        .scan(1.0f64, |w, _| {
            let cur = *w;
            *w *= ns.step_decay;
            Some(cur)
        })
        .collect();

    let mut acc = vec![0f64; n];
    let mut support = vec![0u32; n];
    let mut last_customer = vec![u32::MAX; n];
    let mut touched: Vec<u32> = Vec::new();
    // Raw (unscaled) lists first; the scale is only known at the end.
    let mut raw: Vec<(f64, u32)> = Vec::new();
    let mut offsets = Vec::with_capacity(n + 1);
    let mut targets = Vec::new();
    let mut raw_weights: Vec<f64> = Vec::new();
    offsets.push(0u32);
    for a in 0..n {
        for &(c, p) in &occ[occ_off[a] as usize..occ_off[a + 1] as usize] {
            let s = &seqs[c as usize];
            let src_len = inter.orders[s[p as usize] as usize].items.len() as f64;
            for (d, &sw) in step_w.iter().enumerate() {
                let Some(&o) = s.get(p as usize + 1 + d) else {
                    break;
                };
                let dst = &inter.orders[o as usize].items;
                let w = sw / (src_len * dst.len() as f64).sqrt();
                for &j in dst {
                    let j = j as usize;
                    if j == a {
                        continue;
                    }
                    if last_customer[j] == u32::MAX {
                        touched.push(j as u32);
                    }
                    if last_customer[j] != c {
                        last_customer[j] = c;
                        support[j] += 1;
                    }
                    acc[j] += w;
                }
            }
        }
        raw.clear();
        let total: f64 = touched.iter().map(|&j| acc[j as usize]).sum();
        let e = ns.row_exponent;
        let norm = if e == 0.0 || total <= 0.0 {
            1.0
        } else if e == 1.0 {
            total
        } else {
            total.powf(e)
        };
        for &j in &touched {
            let j = j as usize;
            stats.next_pairs_seen += 1;
            if support[j] >= settings.min_support {
                raw.push((acc[j] / norm, j as u32));
            } else {
                stats.next_pairs_dropped_min_support += 1;
            }
            acc[j] = 0.0;
            support[j] = 0;
            last_customer[j] = u32::MAX;
        }
        touched.clear();
        keep_top(&mut raw, ns.neighbors, &mut targets, &mut raw_weights);
        offsets.push(targets.len() as u32);
    }
    let (weights, scale) = scaled(&raw_weights);
    stats.next_edges_kept = targets.len();
    NextLists {
        offsets,
        targets,
        weights,
        scale,
    }
}

// --- Differential privacy (see [`Dp`]) --------------------------------------------------

/// Made-up pairs (never bought together, lifted over the threshold by noise) expected per
/// item and table. Measured on Online Retail validation (ε 4): at 1 per item they crowd out
/// the real signal (NDCG@10 0.0016–0.0031, below the popularity list), at 0.01 per item the
/// model keeps NDCG@10 0.0080–0.0092.
pub const DP_SPURIOUS_PER_ITEM: f64 = 0.01;

/// The least threshold `t ≥ 1` at which the expected number of the `cells` zero cells the
/// noise lifts to `t` or more, `cells · α^t / (1 + α)`, is at most `expected`.
fn dp_threshold(ln_alpha: f64, cells: f64, expected: f64) -> u64 {
    let alpha = ln_alpha.exp();
    let t = ((expected * (1.0 + alpha) / cells).ln() / ln_alpha).ceil();
    // Not capped at the u32 counts: with a tiny ε the threshold is astronomically high and
    // must stay so, or the never-bought cells over it would be half the table.
    if t.is_nan() || t < 1.0 {
        1
    } else if t >= (1u64 << 62) as f64 {
        1 << 62
    } else {
        t as u64
    }
}

/// One count table's noisy release: every cell gets discrete Laplace noise; cells at or
/// over `threshold` are returned (key, noisy count), ascending by key. `seen` holds the
/// non-zero cells (sorted keys, true counts); the zero cells among `cells` keys (linear
/// index `0..cells`, `key_of` maps it) over the threshold are drawn directly: each is over
/// with probability α^τ / (1 + α), and then its value is τ + Geometric (the discrete
/// Laplace tail is memoryless).
fn noisy_table(
    seen: &[(u64, u32)],
    cells: u64,
    key_of: impl Fn(u64) -> u64,
    rate: Rate,
    threshold: u64,
    rng: &mut Noise,
) -> Vec<(u64, u32)> {
    let mut out: Vec<(u64, u32)> = Vec::new();
    // ≤ 2^62 (dp_threshold), so it fits an i64.
    let threshold = threshold.min(1 << 62);
    let t = threshold as i64;
    for &(k, c) in seen {
        let v = i64::from(c).saturating_add(rng.discrete_laplace(rate));
        if v >= t {
            out.push((k, v.min(i64::from(u32::MAX)) as u32));
        }
    }
    let ln_alpha = rate.ln_alpha();
    let alpha = ln_alpha.exp();
    let p = (ln_alpha * threshold as f64).exp() / (1.0 + alpha);
    if p > 0.0 && cells > 0 {
        // Skip ahead by Geometric(p) gaps: each cell selected independently with p.
        let mut idx: u64 = 0;
        loop {
            let gap = rng.skip(p);
            idx = match idx.checked_add(gap) {
                Some(i) if i < cells => i,
                _ => break,
            };
            let key = key_of(idx);
            if seen.binary_search_by_key(&key, |e| e.0).is_err() {
                let v = t.saturating_add(rng.geometric(rate));
                out.push((key, v.min(i64::from(u32::MAX)) as u32));
            }
            idx += 1;
        }
    }
    out.sort_unstable_by_key(|e| e.0);
    out
}

fn pair_key(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// Sorted keys → (key, how many times), ascending.
fn run_lengths(mut keys: Vec<u64>) -> Vec<(u64, u32)> {
    keys.sort_unstable();
    let mut out: Vec<(u64, u32)> = Vec::new();
    for k in keys {
        match out.last_mut() {
            Some(last) if last.0 == k => last.1 += 1,
            _ => out.push((k, 1)),
        }
    }
    out
}

/// Each unit's bounded item set (sorted) and each registered customer's bounded order
/// sequence (orders in time order, each the kept items of that order, empty ones dropped).
fn dp_bounded(inter: &Interactions, max_items: usize) -> (Vec<Vec<u32>>, Vec<Vec<Vec<u32>>>) {
    let seqs = customer_sequences(inter);
    let mut sets = Vec::new();
    let mut sequences = Vec::new();
    for s in &seqs {
        if s.is_empty() {
            continue;
        }
        // Most recent first; inside one order, lower index first.
        let mut kept: Vec<u32> = Vec::new();
        'outer: for &o in s.iter().rev() {
            let mut items = inter.orders[o as usize].items.clone();
            items.sort_unstable();
            items.dedup();
            for i in items {
                if kept.len() >= max_items {
                    break 'outer;
                }
                if !kept.contains(&i) {
                    kept.push(i);
                }
            }
        }
        kept.sort_unstable();
        let seq: Vec<Vec<u32>> = s
            .iter()
            .map(|&o| {
                let mut items: Vec<u32> = inter.orders[o as usize]
                    .items
                    .iter()
                    .copied()
                    .filter(|i| kept.binary_search(i).is_ok())
                    .collect();
                items.sort_unstable();
                items.dedup();
                items
            })
            .filter(|o| !o.is_empty())
            .collect();
        sets.push(kept);
        sequences.push(seq);
    }
    for o in inter.orders.iter().filter(|o| o.customer.is_none()) {
        let mut items = o.items.clone();
        items.sort_unstable();
        items.dedup();
        items.truncate(max_items);
        if !items.is_empty() {
            sets.push(items);
        }
    }
    (sets, sequences)
}

/// The differentially private build (see [`Dp`]): regression neighbours, next lists and
/// popularity from noisy counts only.
fn build_dp(inter: &Interactions, settings: &BuildSettings, dp: &Dp) -> Result<Built, BuildError> {
    let n = inter.n_items;
    let r = settings.regression.as_ref().ok_or(BuildError::BadSetting(
        "differential privacy needs the regression neighbours (ridge > 0)",
    ))?;
    let mut rng = Noise::new(&dp.seed);
    let l = dp.max_items as u64;
    let with_next = settings.next.neighbors > 0 && settings.next.steps > 0;
    let (d_items, d_pairs, d_next) = (l, l * (l - 1) / 2, l * (l - 1));
    // ε_k = ε · share_k / Σ shares; α_k = exp(−ε_k / Δ_k), as exact fractions.
    let share_next = if with_next { DP_SHARES[2] } else { 0 };
    let total = DP_SHARES[0] + DP_SHARES[1] + share_next;
    let rate = |share: u64, sensitivity: u64| {
        Rate::of(dp.epsilon, share, total, sensitivity).ok_or(BuildError::BadSetting(
            "dp epsilon must be at least 2^-32 (and its rates fit 64 bits)",
        ))
    };
    let r_items = rate(DP_SHARES[0], d_items)?;
    let r_pairs = rate(DP_SHARES[1], d_pairs)?;
    // Unused without the next table.
    let r_next = if with_next {
        rate(share_next, d_next)?
    } else {
        r_pairs
    };
    let (ln_alpha, ln_next) = (r_pairs.ln_alpha(), r_next.ln_alpha());
    let (sets, sequences) = dp_bounded(inter, dp.max_items);
    let nf = n as f64;

    let mut stats = BuildStats {
        customers: sequences.len(),
        guest_orders: inter
            .orders
            .iter()
            .filter(|o| o.customer.is_none() && !o.items.is_empty())
            .count(),
        orders: inter.orders.iter().filter(|o| !o.items.is_empty()).count(),
        ..Default::default()
    };

    // Buyers per item: every item of the catalogue gets noise.
    let mut buyers_true = vec![0u32; n];
    for s in &sets {
        for &i in s {
            buyers_true[i as usize] += 1;
        }
    }
    stats.items_bought = buyers_true.iter().filter(|&&b| b > 0).count();
    let mut buyers: Vec<u32> = buyers_true
        .iter()
        .map(|&b| {
            let v = i64::from(b).saturating_add(rng.discrete_laplace(r_items));
            v.clamp(0, i64::from(u32::MAX)) as u32
        })
        .collect();

    // Co-bought pairs (a < b), one count per customer.
    let mut keys = Vec::new();
    for s in &sets {
        for (x, &a) in s.iter().enumerate() {
            for &b in &s[x + 1..] {
                keys.push(pair_key(a, b));
            }
        }
    }
    let seen = run_lengths(keys);
    let cells = (n as u64).saturating_mul(n.saturating_sub(1) as u64) / 2;
    let tau = u64::from(settings.min_support).max(dp_threshold(
        ln_alpha,
        cells as f64,
        nf * DP_SPURIOUS_PER_ITEM,
    ));
    // Row starts of the upper triangle, for linear index → (a, b).
    let mut row_start = Vec::with_capacity(n);
    let mut acc = 0u64;
    for a in 0..n as u64 {
        row_start.push(acc);
        acc += n as u64 - 1 - a;
    }
    let pairs = noisy_table(
        &seen,
        cells,
        |k| {
            let a = row_start.partition_point(|&s| s <= k) - 1;
            let b = a as u64 + 1 + (k - row_start[a]);
            pair_key(a as u32, b as u32)
        },
        r_pairs,
        tau,
        &mut rng,
    );
    stats.pairs_seen = seen.len() as u64;
    stats.pairs_dropped_min_support = seen
        .iter()
        .filter(|e| pairs.binary_search_by_key(&e.0, |p| p.0).is_err())
        .count() as u64;

    // Symmetric CSR rows of the surviving pairs.
    let mut row_len = vec![0u32; n + 1];
    for &(k, _) in &pairs {
        row_len[(k >> 32) as usize + 1] += 1;
        row_len[(k & 0xFFFF_FFFF) as usize + 1] += 1;
    }
    for i in 0..n {
        row_len[i + 1] += row_len[i];
    }
    let mut fill = row_len.clone();
    let mut items = vec![0u32; row_len[n] as usize];
    let mut counts = vec![0u32; row_len[n] as usize];
    for &(k, c) in &pairs {
        let (a, b) = ((k >> 32) as u32, (k & 0xFFFF_FFFF) as u32);
        for (x, y) in [(a, b), (b, a)] {
            let f = &mut fill[x as usize];
            items[*f as usize] = y;
            counts[*f as usize] = c;
            *f += 1;
        }
    }
    for i in 0..n {
        let (s, e) = (row_len[i] as usize, row_len[i + 1] as usize);
        let mut row: Vec<(u32, u32)> = items[s..e]
            .iter()
            .copied()
            .zip(counts[s..e].iter().copied())
            .collect();
        row.sort_unstable();
        for (k, (j, c)) in row.into_iter().enumerate() {
            items[s + k] = j;
            counts[s + k] = c;
        }
        // A Gram matrix has G_ii ≥ G_ij; noise can break that, post-processing restores it.
        if let Some(&m) = counts[s..e].iter().max() {
            buyers[i] = buyers[i].max(m);
        }
    }
    let co = CoCounts {
        offsets: row_len,
        items,
        counts,
    };
    let (offsets, targets, weights, neighbor_scale) = regression_lists(&co, &buyers, r, settings);
    stats.items_with_neighbors = offsets.windows(2).filter(|w| w[1] > w[0]).count();
    stats.edges_kept = targets.len();

    let mut next = NextLists {
        scale: 1.0,
        ..NextLists::default()
    };
    if with_next {
        let mut keys = Vec::new();
        let mut mine: Vec<u64> = Vec::new();
        for seq in &sequences {
            mine.clear();
            for (p, src) in seq.iter().enumerate() {
                for dst in seq.iter().skip(p + 1).take(settings.next.steps) {
                    for &a in src {
                        for &c in dst {
                            if a != c {
                                mine.push(pair_key(a, c));
                            }
                        }
                    }
                }
            }
            mine.sort_unstable();
            mine.dedup();
            keys.extend_from_slice(&mine);
        }
        let seen = run_lengths(keys);
        let cells = (n as u64).saturating_mul(n.saturating_sub(1) as u64);
        let tau_next = u64::from(settings.min_support).max(dp_threshold(
            ln_next,
            cells as f64,
            nf * DP_SPURIOUS_PER_ITEM,
        ));
        let m = n.saturating_sub(1).max(1) as u64;
        let kept = noisy_table(
            &seen,
            cells,
            |k| {
                let a = k / m;
                let r = k % m;
                pair_key(a as u32, (r + u64::from(r >= a)) as u32)
            },
            r_next,
            tau_next,
            &mut rng,
        );
        stats.next_pairs_seen = seen.len() as u64;
        stats.next_pairs_dropped_min_support = seen
            .iter()
            .filter(|e| kept.binary_search_by_key(&e.0, |p| p.0).is_err())
            .count() as u64;
        next = dp_next_lists(n, &kept, settings);
        stats.next_edges_kept = next.targets.len();
    }
    let scoring = stored_scoring(&settings.scoring, neighbor_scale, next.scale, 1.0);
    // The noisy counts are covered by the guarantee: any positive one may be listed.
    let (popular, popular_scores) = popularity(&buyers[..n], 1, settings.popular);
    Ok(Built {
        offsets,
        targets,
        weights,
        next_offsets: next.offsets,
        next_targets: next.targets,
        next_weights: next.weights,
        next_scale: next.scale,
        neighbor_scale,
        order_size: 1.0,
        popular,
        popular_scores,
        scoring,
        stats,
    })
}

/// Next lists from the surviving noisy directed counts (ascending keys): each row divided by
/// (its total)^row_exponent, top `next.neighbors`, stored divided by the largest.
fn dp_next_lists(n: usize, kept: &[(u64, u32)], settings: &BuildSettings) -> NextLists {
    let mut offsets = Vec::with_capacity(n + 1);
    let mut targets = Vec::new();
    let mut raw_weights: Vec<f64> = Vec::new();
    let mut raw: Vec<(f64, u32)> = Vec::new();
    offsets.push(0u32);
    let mut e = 0;
    for a in 0..n as u64 {
        raw.clear();
        while e < kept.len() && kept[e].0 >> 32 == a {
            raw.push((f64::from(kept[e].1), (kept[e].0 & 0xFFFF_FFFF) as u32));
            e += 1;
        }
        let total: f64 = raw.iter().map(|x| x.0).sum();
        let ex = settings.next.row_exponent;
        let norm = if ex == 0.0 || total <= 0.0 {
            1.0
        } else {
            total.powf(ex)
        };
        for x in raw.iter_mut() {
            x.0 /= norm;
        }
        keep_top(
            &mut raw,
            settings.next.neighbors,
            &mut targets,
            &mut raw_weights,
        );
        offsets.push(targets.len() as u32);
    }
    if targets.is_empty() {
        return NextLists {
            scale: 1.0,
            ..NextLists::default()
        };
    }
    let (weights, scale) = scaled(&raw_weights);
    NextLists {
        offsets,
        targets,
        weights,
        scale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::random::fixed_noise_seed;

    fn order(customer: Option<u32>, items: &[u32]) -> Order {
        Order {
            customer,
            ts: 0,
            items: items.to_vec(),
        }
    }

    /// Co-occurrence neighbours (cosine unless a test sets β), no regression.
    fn settings(min_support: u32, neighbors: usize) -> BuildSettings {
        BuildSettings {
            min_support,
            neighbors,
            popular: 10,
            regression: None,
            edge_budget: 0,
            ..Default::default()
        }
    }

    #[test]
    fn families_group_variants_of_one_product() {
        let titles: Vec<String> = [
            "WHITE HANGING HEART T-LIGHT HOLDER", // 0
            "RED HANGING HEART T-LIGHT HOLDER",   // 1: 5 of 7 words with 0 → 0.71
            "JUMBO BAG RED RETROSPOT",            // 2
            "JUMBO BAG PINK POLKADOT",            // 3: 2 of 6 with 2 → 0.33
            "Jumbo bag, red retrospot!",          // 4: same words as 2
            "",                                   // 5: no words
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // 1 is heavier than 0, so it names the family.
        let f = families_from_titles(&titles, &[5, 9, 1, 1, 0, 3], 0.6);
        assert_eq!(f, vec![1, 1, 2, 3, 2, 5]);
        // A stricter threshold splits 0 and 1; exact duplicates stay together.
        let f = families_from_titles(&titles, &[5, 9, 1, 1, 0, 3], 0.75);
        assert_eq!(f, vec![0, 1, 2, 3, 2, 5]);
        assert_eq!(jaccard(&[], &[]), 0.0);
    }

    #[test]
    fn cholesky_solves_and_rejects_indefinite() {
        // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], x = [1, -1, 2] → b = A x = [2, -1, 5].
        let mut a = vec![4.0, 2.0, 0.0, 2.0, 5.0, 1.0, 0.0, 1.0, 3.0];
        let mut b = vec![2.0, -1.0, 5.0];
        assert!(cholesky_solve(&mut a, 3, &mut b));
        for (x, want) in b.iter().zip([1.0, -1.0, 2.0]) {
            assert!((x - want).abs() < 1e-12, "{b:?}");
        }
        let mut a = vec![1.0, 2.0, 2.0, 1.0];
        assert!(!cholesky_solve(&mut a, 2, &mut [1.0, 1.0]));
        // dot: the 4-lane sum and the tail.
        let x: Vec<f64> = (1..=7).map(f64::from).collect();
        assert_eq!(dot(&x, &x), 140.0);
    }

    #[test]
    fn regression_neighbours_are_the_ridge_solution() {
        // Guest baskets {0,1}×2, {0,2}, {1,2}, {0,1,2}: buyers n = (4, 4, 3), co-bought
        // G01 = 3, G02 = G12 = 2. ridge 3/11 × mean buyers 11/3 → λ = 1.
        // Target 0: [[n1+λ, G12], [G12, n2+λ]] b = [G01, G02] → [[5,2],[2,4]] b = [3,2]
        // → b = (1/2, 1/4): 1→0 = 0.5, 2→0 = 0.25. Target 1 likewise: 0→1 = 0.5,
        // 2→1 = 0.25. Target 2: [[5,3],[3,5]] b = [2,2] → 0→2 = 1→2 = 0.25.
        let inter = Interactions {
            n_items: 3,
            orders: [&[0u32, 1][..], &[0, 1], &[0, 2], &[1, 2], &[0, 1, 2]]
                .iter()
                .map(|o| order(None, o))
                .collect(),
        };
        let s = BuildSettings {
            regression: Some(Regression {
                ridge: 3.0 / 11.0,
                candidates: 10,
            }),
            ..settings(2, 10)
        };
        let b = build(&inter, &s).unwrap();
        // Divided by the largest weight, 0.5.
        assert_eq!(row(&b, 0), vec![1, 2]);
        assert_eq!(row(&b, 1), vec![0, 2]);
        assert_eq!(row(&b, 2), vec![0, 1]);
        assert_eq!(b.weights, vec![1.0, 0.5, 1.0, 0.5, 0.5, 0.5]);
        assert_eq!(b.stats.items_with_neighbors, 3);
        // One candidate per target: target 2 keeps only 0 (tie on G → lower index), and
        // the single regression is b = G02 / (n0 + λ) = 2/5.
        let one = build(
            &inter,
            &BuildSettings {
                regression: Some(Regression {
                    ridge: 3.0 / 11.0,
                    candidates: 1,
                }),
                ..s.clone()
            },
        )
        .unwrap();
        // 1→0 = 3/5, 0→1 = 3/5, 0→2 = 2/5; largest 3/5.
        assert_eq!(row(&one, 0), vec![1, 2]);
        assert_eq!(row(&one, 1), vec![0]);
        assert_eq!(row(&one, 2), Vec::<u32>::new());
        assert_eq!(
            one.weights,
            vec![1.0, snap_weight((2.0f64 / 3.0) as f32), 1.0]
        );
        // min_support 3 leaves only 0~1 (3 customers).
        let strict = build(
            &inter,
            &BuildSettings {
                min_support: 3,
                ..s.clone()
            },
        )
        .unwrap();
        assert_eq!(row(&strict, 2), Vec::<u32>::new());
        assert_eq!(row(&strict, 0), vec![1]);
        assert!(build(
            &inter,
            &BuildSettings {
                regression: Some(Regression {
                    ridge: 0.0,
                    candidates: 10
                }),
                ..s
            }
        )
        .is_err());
    }

    fn row(b: &Built, i: usize) -> Vec<u32> {
        b.targets[b.offsets[i] as usize..b.offsets[i + 1] as usize].to_vec()
    }

    #[test]
    fn support_counts_distinct_customers_not_orders() {
        // Customer 0 buys {0,1} three times: still one customer for the pair.
        let inter = Interactions {
            n_items: 3,
            orders: vec![
                order(Some(0), &[0, 1]),
                order(Some(0), &[0, 1]),
                order(Some(0), &[1, 0]),
            ],
        };
        let b = build(&inter, &settings(2, 10)).unwrap();
        assert!(b.targets.is_empty());
        assert_eq!(b.stats.pairs_seen, 1);
        assert_eq!(b.stats.pairs_dropped_min_support, 1);
        assert_eq!(b.stats.customers, 1);
        assert_eq!(b.stats.orders, 3);
        // A second customer makes the pair supported.
        let mut inter2 = inter.clone();
        inter2.orders.push(order(Some(1), &[0, 1]));
        let b = build(&inter2, &settings(2, 10)).unwrap();
        assert_eq!(row(&b, 0), vec![1]);
        assert_eq!(row(&b, 1), vec![0]);
        assert_eq!(b.stats.pairs_dropped_min_support, 0);
        // Identical buyer sets: cosine 1.
        assert_eq!(b.weights, vec![1.0, 1.0]);
    }

    #[test]
    fn same_customer_over_time_counts_as_co_purchase() {
        // Customers 0 and 1 each buy 0 and 1 in separate orders.
        let inter = Interactions {
            n_items: 2,
            orders: vec![
                order(Some(0), &[0]),
                order(Some(0), &[1]),
                order(Some(1), &[1]),
                order(Some(1), &[0]),
            ],
        };
        let b = build(&inter, &settings(2, 10)).unwrap();
        assert_eq!(row(&b, 0), vec![1]);
    }

    #[test]
    fn guest_orders_are_separate_pseudo_customers() {
        // Two guest orders with {0,1}: support 2. Guest items never join across orders.
        let inter = Interactions {
            n_items: 3,
            orders: vec![
                order(None, &[0, 1]),
                order(None, &[0, 1]),
                order(None, &[2]),
                order(None, &[0]),
            ],
        };
        let b = build(&inter, &settings(2, 10)).unwrap();
        assert_eq!(row(&b, 0), vec![1]);
        assert_eq!(row(&b, 2), Vec::<u32>::new());
        assert_eq!(b.stats.guest_orders, 4);
        assert_eq!(b.stats.customers, 0);
        // Hand-computed: b = 1/ln(e+2) for the two {0,1} orders, 1/ln(e+1) for {0}.
        let b2 = 1.0 / (std::f64::consts::E + 2.0).ln();
        let b1 = 1.0 / (std::f64::consts::E + 1.0).ln();
        let sim = (2.0 * b2) / ((2.0 * b2 + b1) * (2.0 * b2)).sqrt();
        assert_eq!(b.weights[0], snap_weight(sim as f32));
        // Popularity: 0 bought by 3 units, 1 by 2, 2 by 1 — under min-support 2, so it is
        // not listed (its count would say that one customer bought it).
        assert_eq!(b.popular, vec![0, 1]);
        assert_eq!(b.popular_scores, vec![3.0, 2.0]);
    }

    #[test]
    fn min_support_prunes_and_top_k_keeps_best() {
        // Item 0 co-bought with 1 by 3 customers, with 2 by 2, with 3 by 1.
        let inter = Interactions {
            n_items: 4,
            orders: vec![
                order(Some(0), &[0, 1, 2, 3]),
                order(Some(1), &[0, 1, 2]),
                order(Some(2), &[0, 1]),
            ],
        };
        let b = build(&inter, &settings(2, 10)).unwrap();
        assert_eq!(row(&b, 0), vec![1, 2]);
        assert_eq!(row(&b, 3), Vec::<u32>::new());
        assert_eq!(b.stats.pairs_seen, 6);
        assert_eq!(b.stats.pairs_dropped_min_support, 3); // 0-3, 1-3, 2-3
        let b3 = build(&inter, &settings(3, 10)).unwrap();
        assert_eq!(row(&b3, 0), vec![1]);
        let top1 = build(&inter, &settings(2, 1)).unwrap();
        assert_eq!(row(&top1, 0), vec![1]);
        assert_eq!(row(&top1, 2), vec![0]); // 2~0 and 2~1 tie → lower index
        assert_eq!(top1.stats.edges_kept, 3);
        // Weights best first and all valid.
        let m =
            Model::from_parts(b.into_parts(vec!["a".into(), "b".into(), "c".into(), "d".into()]))
                .unwrap();
        let (_, w) = m.neighbors(0);
        assert!(w[0] >= w[1]);
    }

    fn next_row(b: &Built, i: usize) -> (Vec<u32>, Vec<f32>) {
        let (a, z) = (b.next_offsets[i] as usize, b.next_offsets[i + 1] as usize);
        (b.next_targets[a..z].to_vec(), b.next_weights[a..z].to_vec())
    }

    #[test]
    fn popularity_exponent_moves_between_confidence_and_cosine() {
        // Guest baskets of two items (equal customer weight b): n0 = 5b, n1 = n2 = 3b.
        let inter = Interactions {
            n_items: 4,
            orders: [[0, 1], [0, 1], [0, 2], [0, 2], [0, 3], [1, 2]]
                .iter()
                .map(|o| order(None, o))
                .collect(),
        };
        let with = |beta: f64| {
            build(
                &inter,
                &BuildSettings {
                    popularity_exponent: beta,
                    ..settings(2, 10)
                },
            )
            .unwrap()
        };
        // β = 0: confidence co/n_i. 0→1: 2/5, 0→2: 2/5 (tie → lower index), 1→0: 2/3.
        let b = with(0.0);
        assert_eq!(row(&b, 0), vec![1, 2]);
        assert_eq!(&b.weights[..2], &[snap_weight(0.4), snap_weight(0.4)]);
        assert_eq!(row(&b, 1), vec![0]); // 1~2 has one customer only
        assert_eq!(b.weights[2], snap_weight(2.0 / 3.0));
        // β = 1: co/n_j, the neighbour's popularity divided out: 0→1 = 2/3.
        let b = with(1.0);
        assert_eq!(b.weights[0], snap_weight(2.0 / 3.0));
        assert_eq!(row(&b, 1), vec![0]);
        assert_eq!(b.weights[2], snap_weight(0.4));
        // β = 0.5: cosine 2/sqrt(15), symmetric.
        let b = with(0.5);
        let cos = snap_weight((2.0 / 15f64.sqrt()) as f32);
        assert_eq!(b.weights[0], cos);
        assert_eq!(b.weights[2], cos);
        assert!(build(
            &inter,
            &BuildSettings {
                popularity_exponent: 1.5,
                ..settings(2, 10)
            }
        )
        .is_err());
    }

    #[test]
    fn next_lists_follow_order_sequences_with_step_decay() {
        let o = |c: u32, ts: i64, items: &[u32]| Order {
            customer: Some(c),
            ts,
            items: items.to_vec(),
        };
        // Customer 2's orders are listed out of time order on purpose.
        let inter = Interactions {
            n_items: 4,
            orders: vec![
                o(0, 1, &[0]),
                o(0, 2, &[1, 2]),
                o(0, 3, &[3]),
                o(1, 1, &[0]),
                o(1, 2, &[1]),
                o(1, 3, &[3]),
                o(2, 9, &[2]),
                o(2, 1, &[0]),
            ],
        };
        let s = BuildSettings {
            next: NextSettings {
                neighbors: 10,
                steps: 2,
                step_decay: 0.5,
                row_exponent: 0.0,
            },
            scoring: Scoring {
                next_weight: 0.5,
                ..Scoring::default()
            },
            ..settings(2, 10)
        };
        let b = build(&inter, &s).unwrap();
        // From 0: c0 → {1,2} at one step, 1/sqrt(1·2) each, → {3} at two steps, 0.5;
        // c1 → {1}: 1, → {3}: 0.5; c2 → {2}: 1. So 0→1 = 0→2 = 1 + 1/√2, 0→3 = 1.
        // From 1: c0 → {3}: 1/√2, c1 → {3}: 1. From 2: only c0 → {3}: below support.
        let top = 1.0 + std::f64::consts::FRAC_1_SQRT_2;
        assert_eq!(b.next_scale, top);
        assert_eq!(
            next_row(&b, 0),
            (
                vec![1, 2, 3],
                vec![1.0, 1.0, snap_weight((1.0 / top) as f32)]
            )
        );
        assert_eq!(next_row(&b, 1), (vec![3], vec![1.0]));
        assert_eq!(next_row(&b, 2), (vec![], vec![]));
        assert_eq!(next_row(&b, 3), (vec![], vec![]));
        assert_eq!(b.stats.next_pairs_seen, 5);
        assert_eq!(b.stats.next_pairs_dropped_min_support, 1);
        assert_eq!(b.stats.next_edges_kept, 4);
        // The blend weight carries the scale the stored weights were divided by.
        assert_eq!(b.scoring.next_weight, (0.5 * top) as f32);
        // One step only: 0→3 disappears (it was two steps away for both customers).
        let one = build(
            &inter,
            &BuildSettings {
                next: NextSettings {
                    steps: 1,
                    ..s.next.clone()
                },
                ..s.clone()
            },
        )
        .unwrap();
        assert_eq!(next_row(&one, 0).0, vec![1, 2]);
        // Row exponent 1: each row divided by its total (before the support filter):
        // row 0 totals 2·(1 + 1/√2) + 1, row 1 is all 3 → 1; the largest is row 1's 1.
        let cond = build(
            &inter,
            &BuildSettings {
                next: NextSettings {
                    row_exponent: 1.0,
                    ..s.next.clone()
                },
                ..s.clone()
            },
        )
        .unwrap();
        let total0 = 2.0 * top + 1.0;
        assert_eq!(cond.next_scale, 1.0);
        assert_eq!(
            next_row(&cond, 0),
            (
                vec![1, 2, 3],
                vec![
                    snap_weight((top / total0) as f32),
                    snap_weight((top / total0) as f32),
                    snap_weight((1.0 / total0) as f32)
                ]
            )
        );
        assert_eq!(next_row(&cond, 1), (vec![3], vec![1.0]));
        // Single-order customers have no sequence: no NEXT lists either.
        let baskets = Interactions {
            n_items: 4,
            orders: vec![o(0, 1, &[0, 1]), o(1, 1, &[0, 1]), o(2, 1, &[0, 2])],
        };
        let flat = build(&baskets, &s).unwrap();
        assert!(flat.next_offsets.is_empty());
        assert_eq!(flat.next_scale, 1.0);
        // Off: no NEXT lists at all, and the model has no NEXT section.
        let off = build(
            &inter,
            &BuildSettings {
                next: NextSettings {
                    neighbors: 0,
                    ..s.next.clone()
                },
                ..s.clone()
            },
        )
        .unwrap();
        assert!(off.next_offsets.is_empty());
        let ids: Vec<String> = (0..4).map(|i| i.to_string()).collect();
        assert!(!Model::from_parts(off.into_parts(ids.clone()))
            .unwrap()
            .has_next());
        let m = Model::from_parts(b.into_parts(ids)).unwrap();
        assert_eq!(&m.next(0).0[..], &[1, 2, 3]);
        // Sequences: by time, ties in input order.
        assert_eq!(customer_sequences(&inter)[2], vec![7, 6]);
    }

    #[test]
    fn small_catalogues_keep_more_neighbours() {
        let base = BuildSettings {
            neighbors: 2,
            edge_budget: 100,
            regression: Some(Regression {
                ridge: 1.0,
                candidates: 3,
            }),
            ..BuildSettings::default()
        };
        // 100 / 10 = 10, but only 9 other items.
        let s = sized_for(&base, 10);
        assert_eq!(s.neighbors, 9);
        assert_eq!(s.regression.as_ref().unwrap().candidates, 9);
        // 100 / 40 = 2: nothing raised; fewer than 2 items or budget 0: unchanged.
        assert_eq!(sized_for(&base, 40), base);
        assert_eq!(sized_for(&base, 1), base);
        let off = BuildSettings {
            edge_budget: 0,
            ..base.clone()
        };
        assert_eq!(sized_for(&off, 10), off);
        // Never lowered.
        assert_eq!(
            sized_for(
                &BuildSettings {
                    neighbors: 50,
                    ..base.clone()
                },
                10
            )
            .neighbors,
            50
        );
        // The build applies it: item 0 is co-bought with 1..4, so with 2 neighbours it
        // would keep 2; under the budget it keeps all 4.
        let inter = Interactions {
            n_items: 5,
            orders: (0..4u32)
                .flat_map(|c| {
                    [
                        order(Some(2 * c), &[0, 1, 2, 3, 4]),
                        order(Some(2 * c + 1), &[0, 1 + c]),
                    ]
                })
                .collect(),
        };
        let cooc = BuildSettings {
            regression: None,
            ..base.clone()
        };
        assert_eq!(row(&build(&inter, &cooc).unwrap(), 0).len(), 4);
        assert_eq!(
            row(
                &build(
                    &inter,
                    &BuildSettings {
                        edge_budget: 0,
                        ..cooc
                    }
                )
                .unwrap(),
                0
            )
            .len(),
            2
        );
    }

    #[test]
    fn discrete_laplace_has_its_distribution() {
        // α = e^-0.5: P(X ≥ 2) = α²/(1+α), Var = 2α/(1-α)², mean 0.
        let rate = Rate { num: 1, den: 2 };
        let a = rate.ln_alpha().exp();
        let mut rng = Noise::new(&fixed_noise_seed(42));
        let n = 200_000;
        let xs: Vec<i64> = (0..n).map(|_| rng.discrete_laplace(rate)).collect();
        let mean = xs.iter().sum::<i64>() as f64 / n as f64;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        let want_var = 2.0 * a / (1.0 - a).powi(2);
        let tail = xs.iter().filter(|&&x| x >= 2).count() as f64 / n as f64;
        let want_tail = a * a / (1.0 + a);
        // Four standard errors.
        assert!(
            mean.abs() < 4.0 * (want_var / n as f64).sqrt(),
            "mean {mean}"
        );
        assert!(
            (var / want_var - 1.0).abs() < 0.03,
            "var {var} vs {want_var}"
        );
        let se = (want_tail * (1.0 - want_tail) / n as f64).sqrt();
        assert!(
            (tail - want_tail).abs() < 4.0 * se,
            "tail {tail} vs {want_tail}"
        );
        // Symmetric: P(X ≤ -2) is the same.
        let low = xs.iter().filter(|&&x| x <= -2).count() as f64 / n as f64;
        assert!((low - want_tail).abs() < 4.0 * se, "low tail {low}");
    }

    #[test]
    fn dp_threshold_and_never_bought_pairs() {
        // α = e^-1, 1000 cells, at most 1 expected: e^-t / (1 + e^-1) · 1000 ≤ 1 → t ≥ 6.59.
        assert_eq!(dp_threshold(-1.0, 1000.0, 1.0), 7);
        // Fewer cells than the allowance: any count ≥ 1 will do.
        assert_eq!(dp_threshold(-1.0, 0.5, 1.0), 1);
        // Zero cells over the threshold 3 of 10⁶: each with α³/(1+α), then 3 + Geometric.
        let (rate, cells) = (Rate { num: 1, den: 1 }, 1_000_000u64);
        let a = rate.ln_alpha().exp();
        let mut rng = Noise::new(&fixed_noise_seed(7));
        let out = noisy_table(&[], cells, |k| k, rate, 3, &mut rng);
        let p = a.powi(3) / (1.0 + a);
        let want = p * cells as f64;
        assert!(
            (out.len() as f64 - want).abs() < 4.0 * want.sqrt(),
            "{} vs {want}",
            out.len()
        );
        assert!(out.iter().all(|e| e.1 >= 3 && e.0 < cells));
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0));
        let excess = out.iter().map(|e| f64::from(e.1 - 3)).sum::<f64>() / out.len() as f64;
        assert!((excess - a / (1.0 - a)).abs() < 0.03, "tail mean {excess}");
        // A seen cell is never drawn a second time as a zero cell.
        let seen: Vec<(u64, u32)> = (0..cells).step_by(2).map(|k| (k, 0)).collect();
        let out = noisy_table(
            &seen,
            cells,
            |k| k,
            rate,
            3,
            &mut Noise::new(&fixed_noise_seed(7)),
        );
        let odd = out.iter().filter(|e| e.0 % 2 == 1).count() as f64;
        assert!(
            (odd - want / 2.0).abs() < 4.0 * (want / 2.0).sqrt(),
            "{odd}"
        );
    }

    fn dp_settings(epsilon: f64, max_items: usize, seed: u64) -> BuildSettings {
        BuildSettings {
            edge_budget: 0,
            dp: Some(Dp {
                epsilon,
                max_items,
                seed: fixed_noise_seed(seed),
            }),
            ..BuildSettings::default()
        }
    }

    #[test]
    fn dp_with_a_huge_budget_is_the_exact_bounded_build() {
        // 30 customers buy {0, 1} then {2}; 3 buy {3, 4}; one buys 5..=9 then 0.
        let o = |c: u32, ts: i64, items: &[u32]| Order {
            customer: Some(c),
            ts,
            items: items.to_vec(),
        };
        let mut orders = Vec::new();
        for c in 0..30 {
            orders.push(o(c, 1, &[0, 1]));
            orders.push(o(c, 2, &[2]));
        }
        for c in 30..33 {
            orders.push(o(c, 1, &[3, 4]));
        }
        orders.push(o(40, 1, &[5, 6, 7, 8, 9]));
        orders.push(o(40, 2, &[0]));
        let inter = Interactions {
            n_items: 10,
            orders,
        };
        let b = build(&inter, &dp_settings(1e12, 3, 1)).unwrap();
        // Customer 40 keeps its 3 most recent items: 0, then 5 and 6 (lower index first).
        // Buyers: 0 → 31, 1 → 30, 2 → 30, 3, 4 → 3, 5, 6 → 1; 7..9 dropped.
        assert_eq!(b.popular, vec![0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(b.popular_scores, vec![31.0, 30.0, 30.0, 3.0, 3.0, 1.0, 1.0]);
        // Pairs of one customer (5~6, 0~5, 0~6) stay out; 3~4 has 3 customers.
        assert_eq!(row(&b, 5), Vec::<u32>::new());
        assert_eq!(row(&b, 3), vec![4]);
        assert_eq!(row(&b, 0), vec![1, 2]);
        // Next: 0 → 2 and 1 → 2 by 30 customers; 5, 6 → 0 by one only.
        assert_eq!(next_row(&b, 0).0, vec![2]);
        assert_eq!(next_row(&b, 5).0, Vec::<u32>::new());
        // The same lists as the exact build on the bounded data.
        let mut bounded = inter.clone();
        bounded.orders.pop();
        bounded.orders.pop();
        bounded.orders.push(o(40, 1, &[5, 6]));
        bounded.orders.push(o(40, 2, &[0]));
        let exact = build(
            &bounded,
            &BuildSettings {
                edge_budget: 0,
                ..BuildSettings::default()
            },
        )
        .unwrap();
        assert_eq!(
            (&b.offsets, &b.targets, &b.weights),
            (&exact.offsets, &exact.targets, &exact.weights)
        );
        // min support 31: nothing is co-bought by that many.
        let strict = build(
            &inter,
            &BuildSettings {
                min_support: 31,
                ..dp_settings(1e12, 3, 1)
            },
        )
        .unwrap();
        assert!(strict.targets.is_empty());
        assert!(strict.next_targets.is_empty());
    }

    #[test]
    fn dp_publishes_noisy_counts() {
        // 60 customers buy {0, 1}; 20 buy {2}. ε = 4, L = 2, no next table: the buyer
        // counts get ε/2 = 2 at sensitivity 2, ln α = -1, so Var(noise) = 2α/(1-α)² ≈ 1.84.
        let mut orders: Vec<Order> = (0..60).map(|c| order(Some(c), &[0, 1])).collect();
        orders.extend((60..80).map(|c| order(Some(c), &[2])));
        let inter = Interactions { n_items: 3, orders };
        let a = (-1.0f64).exp();
        let var = 2.0 * a / (1.0 - a).powi(2);
        let (mut sum, mut sq, mut differ) = (0.0, 0.0, 0);
        let runs = 400;
        let mut seeds_differ = false;
        let mut first: Option<Built> = None;
        for seed in 0..runs {
            let mut s = dp_settings(4.0, 2, seed);
            s.next.neighbors = 0;
            let b = build(&inter, &s).unwrap();
            let k = b.popular.iter().position(|&i| i == 2).unwrap();
            let v = f64::from(b.popular_scores[k]);
            sum += v;
            sq += (v - 20.0) * (v - 20.0);
            if v != 20.0 {
                differ += 1;
            }
            if let Some(f) = &first {
                seeds_differ |= f.popular_scores != b.popular_scores;
            } else {
                first = Some(b);
            }
        }
        let mean = sum / runs as f64;
        // Unbiased (4 standard errors) with the mechanism's variance (±25%).
        assert!(
            (mean - 20.0).abs() < 4.0 * (var / runs as f64).sqrt(),
            "mean {mean}"
        );
        assert!(
            (sq / runs as f64 / var - 1.0).abs() < 0.25,
            "var {}",
            sq / runs as f64
        );
        // P(noise = 0) = (1-α)/(1+α) ≈ 0.46: the published count is usually not the true one.
        assert!(differ > runs / 3, "{differ} of {runs}");
        assert!(seeds_differ);
        // One seed, one model.
        let mut s = dp_settings(4.0, 2, 5);
        s.next.neighbors = 0;
        assert_eq!(build(&inter, &s).unwrap(), build(&inter, &s).unwrap());
        // Bad budgets are refused.
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                build(&inter, &dp_settings(bad, 2, 1)),
                Err(BuildError::BadSetting(_))
            ));
        }
        assert!(build(&inter, &dp_settings(1.0, 1, 1)).is_err());
        assert!(build(&inter, &dp_settings(1.0, 101, 1)).is_err());
        // Below 2^-32 the rates are not exact fractions of 64 bits: refused.
        assert!(matches!(
            build(&inter, &dp_settings(1e-12, 2, 1)),
            Err(BuildError::BadSetting(_))
        ));
        // A vanishing budget: thresholds beyond any count, nothing kept, and no flood of
        // made-up pairs (the threshold is not capped at the counts' range).
        let tiny = build(&inter, &dp_settings(1e-9, 2, 1)).unwrap();
        assert!(tiny.targets.is_empty());
        assert!(dp_threshold(-1e-13, 1e8, 1.0) > u64::from(u32::MAX));
        let mut cooc = dp_settings(1.0, 2, 1);
        cooc.regression = None;
        assert!(build(&inter, &cooc).is_err());
    }

    #[test]
    fn rejects_bad_input() {
        let inter = Interactions {
            n_items: 1,
            orders: vec![order(Some(0), &[1])],
        };
        assert_eq!(
            build(&inter, &settings(2, 5)),
            Err(BuildError::ItemOutOfRange)
        );
        assert_eq!(
            build(&Interactions::default(), &settings(1, 5)),
            Err(BuildError::MinSupportTooLow)
        );
        let empty = build(
            &Interactions {
                n_items: 2,
                orders: vec![],
            },
            &settings(2, 5),
        )
        .unwrap();
        assert_eq!(empty.offsets, vec![0, 0, 0]);
        assert!(empty.popular.is_empty());
    }

    #[test]
    fn deterministic() {
        let inter = Interactions {
            n_items: 6,
            orders: (0..40u32)
                .map(|k| {
                    order(
                        if k % 3 == 0 { None } else { Some(k % 7) },
                        &[k % 6, (k * 7 + 1) % 6, (k * 5 + 2) % 6],
                    )
                })
                .collect(),
        };
        let a = build(&inter, &settings(2, 3)).unwrap();
        let b = build(&inter, &settings(2, 3)).unwrap();
        assert_eq!(a, b);
        let ids: Vec<String> = (0..6).map(|i| i.to_string()).collect();
        let ma = Model::from_parts(a.into_parts(ids.clone()))
            .unwrap()
            .to_bytes();
        let mb = Model::from_parts(b.into_parts(ids)).unwrap().to_bytes();
        assert_eq!(ma, mb);
    }
}
