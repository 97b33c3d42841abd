//! Offline evaluation (`attune eval`): cut held-out targets from the data, build a model
//! from the rest exactly as `attune build` does (tuning included), and rank through
//! `score::Scorer` on a model that went through its bytes — the path the browser runs.
//!
//! One model serves both splits, as in the S3-Rec/ICLRec code and the benchmark harness
//! (bench/splits.py): it is trained without each evaluated user's last two interactions;
//! the validation query ends before the second-to-last, the test query before the last.
//! Protocols, by input layout:
//! - sequences (Amazon Beauty, `user item item …`): users with ≥ 3 items; validation
//!   items[:-2] → items[-2], test items[:-1] → items[-1]; one target; full ranking.
//! - csv (order exports): customers with ≥ 3 non-empty orders, orders in time order; an
//!   order is never split. Next basket: the target is the held-out order's items not
//!   already in the history (HR@k = any hit, Recall@k, NDCG@k over min(k, |set|)); users
//!   whose held-out order only repeats history have no case. Next item: one of those items
//!   drawn with a fixed seed (leave-last-out without the within-order leak). When every
//!   order holds one item both are plain leave-last-out.
//! - baskets (Groceries): basket completion. Baskets with ≥ 3 distinct items are shuffled
//!   with a fixed seed; the first item is the validation target, the second the test
//!   target; the validation query is the rest, the test query the rest plus the
//!   validation item; training holds every basket without those two items.
//!
//! History items are excluded from every list; lists are filled from the popularity
//! fallback (as `attune recommend` does). Test numbers never steer a choice: `attune build`
//! tunes on its own training data only, and defaults are chosen on validation.

use anyhow::{Context, Result};
use attune_core::build::{BuildSettings, Interactions, Order};
use attune_core::score::{Query, Scorer, Signal};
use attune_core::Model;

use crate::import::{Format, Imported};
use crate::tune::{self, TuneOptions, TuneReport};

pub const CUTOFFS: [usize; 3] = [5, 10, 20];
/// Seed of every random choice in the protocols (which basket item is held out, which
/// item of a held-out order is the next-item target).
pub const SEED: u64 = 20240601;

/// SplitMix64: a tiny, well-mixed deterministic generator (no rand dependency).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in 0..n (n > 0); the modulo bias is below 2^-40 for any catalogue size.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// One evaluation query: a history (oldest first) and its target items (sorted, none of
/// them in the history).
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub history: Vec<u32>,
    pub targets: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One target per query: HR@k and NDCG@k.
    Item,
    /// A target set: HR@k (any hit), Recall@k, NDCG@k.
    Basket,
}

#[derive(Clone, Debug)]
pub struct Protocol {
    pub name: &'static str,
    pub kind: Kind,
    pub val: Vec<Case>,
    pub test: Vec<Case>,
}

/// Training data and the protocols evaluated on it.
#[derive(Clone, Debug)]
pub struct Split {
    pub train: Interactions,
    pub protocols: Vec<Protocol>,
    /// Eligible users or baskets whose held-out order only repeats history (no case).
    pub repeat_only: [usize; 2],
}

/// Cuts the protocol matching the input layout (see the module docs).
pub fn split(inter: &Interactions, format: Format) -> Split {
    match format {
        Format::Baskets => basket_completion(inter),
        Format::Csv | Format::Sequences => leave_last_out(inter, format),
    }
}

fn leave_last_out(inter: &Interactions, format: Format) -> Split {
    let seqs = attune_core::build::customer_sequences(inter);
    let mut held_out = vec![false; inter.orders.len()];
    let mut rng = Rng::new(SEED);
    let mut basket = [Vec::new(), Vec::new()];
    let mut item = [Vec::new(), Vec::new()];
    let mut repeat_only = [0, 0];
    let items_of = |orders: &[u32]| -> Vec<u32> {
        orders
            .iter()
            .flat_map(|&o| inter.orders[o as usize].items.iter().copied())
            .collect()
    };
    for s in &seqs {
        if s.len() < 3 {
            continue;
        }
        let l = s.len();
        held_out[s[l - 1] as usize] = true;
        held_out[s[l - 2] as usize] = true;
        // Validation: history s[..l-2] → s[l-2]; test: s[..l-1] → s[l-1].
        for (phase, cut) in [(0, l - 2), (1, l - 1)] {
            let history = items_of(&s[..cut]);
            let mut seen = history.clone();
            seen.sort_unstable();
            seen.dedup();
            // Order items are sorted and distinct (import), so the set stays sorted.
            let targets: Vec<u32> = inter.orders[s[cut] as usize]
                .items
                .iter()
                .copied()
                .filter(|i| seen.binary_search(i).is_err())
                .collect();
            if targets.is_empty() {
                repeat_only[phase] += 1;
                // The paper protocol (one item per order) keeps such users as misses.
                if format == Format::Sequences {
                    let t = inter.orders[s[cut] as usize].items.clone();
                    item[phase].push(Case {
                        history,
                        targets: t,
                    });
                }
                continue;
            }
            let one = targets[rng.below(targets.len())];
            item[phase].push(Case {
                history: history.clone(),
                targets: vec![one],
            });
            basket[phase].push(Case { history, targets });
        }
    }
    let train = Interactions {
        n_items: inter.n_items,
        orders: inter
            .orders
            .iter()
            .zip(&held_out)
            .filter(|(_, &h)| !h)
            .map(|(o, _)| o.clone())
            .collect(),
    };
    let [item_val, item_test] = item;
    let [basket_val, basket_test] = basket;
    let mut protocols = vec![Protocol {
        name: if format == Format::Sequences {
            "leave-last-out (S3-Rec/ICLRec protocol)"
        } else {
            "next item (one item of the held-out order)"
        },
        kind: Kind::Item,
        val: item_val,
        test: item_test,
    }];
    // With one item per order the basket view repeats the item view.
    let multi = inter.orders.iter().any(|o| o.items.len() > 1);
    if format == Format::Csv && multi {
        protocols.push(Protocol {
            name: "next basket (the whole held-out order)",
            kind: Kind::Basket,
            val: basket_val,
            test: basket_test,
        });
    }
    Split {
        train,
        protocols,
        repeat_only,
    }
}

fn basket_completion(inter: &Interactions) -> Split {
    let mut rng = Rng::new(SEED);
    let mut train = Interactions {
        n_items: inter.n_items,
        orders: Vec::with_capacity(inter.orders.len()),
    };
    let (mut val, mut test) = (Vec::new(), Vec::new());
    for o in &inter.orders {
        let mut items = o.items.clone();
        if items.len() >= 3 {
            rng.shuffle(&mut items);
            let (v, t) = (items[0], items[1]);
            let rest = items[2..].to_vec();
            let mut with_v = rest.clone();
            with_v.push(v);
            val.push(Case {
                history: rest.clone(),
                targets: vec![v],
            });
            test.push(Case {
                history: with_v,
                targets: vec![t],
            });
            items = rest;
            items.sort_unstable();
        }
        train.orders.push(Order {
            customer: o.customer,
            ts: o.ts,
            items,
        });
    }
    Split {
        train,
        protocols: vec![Protocol {
            name: "basket completion (one random item held out)",
            kind: Kind::Item,
            val,
            test,
        }],
        repeat_only: [0, 0],
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    pub queries: usize,
    pub hr: [f64; 3],
    pub recall: [f64; 3],
    pub ndcg: [f64; 3],
    pub coverage10: f64,
}

impl Metrics {
    pub fn ndcg10(&self) -> f64 {
        self.ndcg[1]
    }
}

/// Sums of per-query metrics; `finish` divides.
pub struct Accum {
    hr: [f64; 3],
    recall: [f64; 3],
    ndcg: [f64; 3],
    queries: usize,
    seen: Vec<bool>,
}

impl Accum {
    pub fn new(n_items: usize) -> Self {
        Accum {
            hr: [0.0; 3],
            recall: [0.0; 3],
            ndcg: [0.0; 3],
            queries: 0,
            seen: vec![false; n_items],
        }
    }

    /// `ranked`: best first; `targets`: sorted. Binary relevance; the ideal DCG has
    /// min(k, |targets|) hits, so one target gives the usual 1/log2(rank + 2).
    pub fn add(&mut self, ranked: &[u32], targets: &[u32]) {
        self.queries += 1;
        for (c, &k) in CUTOFFS.iter().enumerate() {
            let top = &ranked[..ranked.len().min(k)];
            let mut dcg = 0.0;
            let mut hits = 0usize;
            for (rank, item) in top.iter().enumerate() {
                if targets.binary_search(item).is_ok() {
                    hits += 1;
                    dcg += 1.0 / ((rank + 2) as f64).log2();
                }
            }
            let idcg: f64 = (0..targets.len().min(k))
                .map(|r| 1.0 / ((r + 2) as f64).log2())
                .sum();
            if hits > 0 {
                self.hr[c] += 1.0;
                self.recall[c] += hits as f64 / targets.len() as f64;
                self.ndcg[c] += dcg / idcg;
            }
        }
        for &i in &ranked[..ranked.len().min(10)] {
            if let Some(s) = self.seen.get_mut(i as usize) {
                *s = true;
            }
        }
    }

    pub fn finish(&self) -> Metrics {
        let u = self.queries.max(1) as f64;
        Metrics {
            queries: self.queries,
            hr: self.hr.map(|x| x / u),
            recall: self.recall.map(|x| x / u),
            ndcg: self.ndcg.map(|x| x / u),
            coverage10: self.seen.iter().filter(|&&s| s).count() as f64
                / self.seen.len().max(1) as f64,
        }
    }
}

/// Ranks every case through the scorer (`recommend`'s contract: history as purchases,
/// oldest first, history excluded, popularity fill), top `k`. `popular_only` queries
/// with an empty history instead (the popularity baseline). The cases are split over up
/// to 4 threads, each with its own scorer; the lists do not depend on the split.
pub fn rank_all(model: &Model, cases: &[Case], popular_only: bool, k: usize) -> Vec<Vec<u32>> {
    let rank = |chunk: &[Case]| -> Vec<Vec<u32>> {
        let mut scorer = Scorer::new();
        let mut history: Vec<(u32, Signal)> = Vec::new();
        let mut exclude: Vec<u32> = Vec::new();
        chunk
            .iter()
            .map(|case| {
                history.clear();
                history.extend(case.history.iter().map(|&i| (i, Signal::Purchase)));
                exclude.clear();
                exclude.extend_from_slice(&case.history);
                exclude.sort_unstable();
                exclude.dedup();
                let q = Query {
                    history: if popular_only { &[] } else { &history },
                    exclude: &exclude,
                    k,
                    fill_popular: true,
                };
                scorer.recommend(model, &q).iter().map(|r| r.item).collect()
            })
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 4);
    if threads == 1 || cases.len() < 256 {
        return rank(cases);
    }
    let size = cases.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(size)
            .map(|chunk| s.spawn(move || rank(chunk)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// HR, recall, NDCG at 5/10/20 and coverage@10 over the cases.
pub fn measure(model: &Model, cases: &[Case], popular_only: bool) -> Metrics {
    let mut acc = Accum::new(model.len());
    let k = CUTOFFS[CUTOFFS.len() - 1];
    for (ranked, case) in rank_all(model, cases, popular_only, k).iter().zip(cases) {
        acc.add(ranked, &case.targets);
    }
    acc.finish()
}

/// NDCG@10 of each case (same queries as [`measure`]), for paired comparisons.
pub fn per_case_ndcg10(model: &Model, cases: &[Case]) -> Vec<f64> {
    rank_all(model, cases, false, 10)
        .iter()
        .zip(cases)
        .map(|(ranked, case)| {
            let mut acc = Accum::new(0);
            acc.add(ranked, &case.targets);
            acc.ndcg[1]
        })
        .collect()
}

#[derive(Clone, Debug)]
pub struct ProtocolResult {
    pub name: &'static str,
    pub kind: Kind,
    pub val: Metrics,
    pub test: Metrics,
    pub val_popular: Metrics,
    pub test_popular: Metrics,
}

#[derive(Clone, Debug)]
pub struct EvalResult {
    pub format: Format,
    pub items: usize,
    pub train_orders: usize,
    pub repeat_only: [usize; 2],
    pub model_bytes: usize,
    pub edges: usize,
    pub next_edges: usize,
    pub settings: BuildSettings,
    pub tune: Option<TuneReport>,
    pub protocols: Vec<ProtocolResult>,
    /// With titles: the share of the first protocol's test top-10 lists holding 3 or more
    /// near-duplicates (one title family, at the default similarity) — the flood the
    /// family cap prevents.
    pub flooded10: Option<f64>,
}

/// Splits, builds (tuning on the training part when `tune` is given) and measures.
pub fn evaluate(
    imported: &Imported,
    format: Format,
    settings: &BuildSettings,
    tune_opts: Option<&TuneOptions>,
) -> Result<EvalResult> {
    let sp = split(&imported.interactions, format);
    if sp
        .protocols
        .iter()
        .all(|p| p.val.is_empty() && p.test.is_empty())
    {
        anyhow::bail!(match format {
            Format::Baskets => "nothing to evaluate: no basket has 3 or more distinct items",
            _ => "nothing to evaluate: no customer has 3 or more orders (or items)",
        });
    }
    let (built, chosen, report) = tune::build_tuned(&sp.train, settings, tune_opts)?;
    let edges = built.stats.edges_kept;
    let next_edges = built.stats.next_edges_kept;
    let mut parts = built.into_parts(imported.ids.clone());
    parts.titles = imported.titles.clone();
    parts.prices = imported.prices.clone();
    crate::commands::attach_families(&mut parts, &sp.train, &chosen);
    let model = Model::from_parts(parts).context("the evaluated model failed validation")?;
    // Score what a browser would load: the model after its bytes.
    let bytes = model.to_bytes();
    let model = Model::from_bytes(&bytes).context("re-reading the evaluated model")?;
    let protocols = sp
        .protocols
        .iter()
        .map(|p| ProtocolResult {
            name: p.name,
            kind: p.kind,
            val: measure(&model, &p.val, false),
            test: measure(&model, &p.test, false),
            val_popular: measure(&model, &p.val, true),
            test_popular: measure(&model, &p.test, true),
        })
        .collect();
    let flooded10 = flood_share(&model, &imported.titles, &sp, &chosen);
    Ok(EvalResult {
        format,
        items: imported.ids.len(),
        train_orders: sp.train.orders.len(),
        repeat_only: sp.repeat_only,
        model_bytes: bytes.len(),
        edges,
        next_edges,
        settings: chosen,
        tune: report,
        protocols,
        flooded10,
    })
}

impl EvalResult {
    /// Tables per protocol, and a headline line at cut-off `k` (5, 10 or 20).
    pub fn to_text(&self, k: usize) -> String {
        let c = CUTOFFS.iter().position(|&x| x == k).unwrap_or(1);
        let mut t = format!(
            "items {}; training orders {}; model {} bytes ({:.1} bytes/item), {} neighbour + {} next edges\n\
             settings: {}\n",
            self.items,
            self.train_orders,
            self.model_bytes,
            self.model_bytes as f64 / self.items.max(1) as f64,
            self.edges,
            self.next_edges,
            crate::commands::describe(&self.settings)
        );
        if let Some(r) = &self.tune {
            t += &format!("tuning: {}\n", r.summary());
        }
        if let Some(f) = self.flooded10 {
            t += &format!(
                "test top-10 lists with 3+ near-duplicates: {:.1}% (family cap {})\n",
                100.0 * f,
                self.settings.scoring.family_cap
            );
        }
        for p in &self.protocols {
            t += &format!(
                "\n{} — validation {} queries, test {} queries\n",
                p.name, p.val.queries, p.test.queries
            );
            t += "                   HR@5    HR@10   HR@20   R@10    NDCG@5  NDCG@10 NDCG@20 Cov@10\n";
            for (name, m) in [
                ("attune val", &p.val),
                ("attune test", &p.test),
                ("popular val", &p.val_popular),
                ("popular test", &p.test_popular),
            ] {
                t += &format!(
                    "{name:<17} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>6.3}\n",
                    m.hr[0],
                    m.hr[1],
                    m.hr[2],
                    m.recall[1],
                    m.ndcg[0],
                    m.ndcg[1],
                    m.ndcg[2],
                    m.coverage10
                );
            }
            t += &format!(
                "NDCG@{k}: validation {:.4}, test {:.4} (popularity {:.4} / {:.4}); HR@{k} test {:.4}\n",
                p.val.ndcg[c], p.test.ndcg[c], p.val_popular.ndcg[c], p.test_popular.ndcg[c], p.test.hr[c]
            );
        }
        t
    }

    pub fn to_json(&self) -> String {
        let m = |m: &Metrics| {
            format!(
                "{{\"queries\":{},\"hr@5\":{:.6},\"hr@10\":{:.6},\"hr@20\":{:.6},\"recall@5\":{:.6},\
                 \"recall@10\":{:.6},\"recall@20\":{:.6},\"ndcg@5\":{:.6},\"ndcg@10\":{:.6},\
                 \"ndcg@20\":{:.6},\"coverage@10\":{:.6}}}",
                m.queries,
                m.hr[0],
                m.hr[1],
                m.hr[2],
                m.recall[0],
                m.recall[1],
                m.recall[2],
                m.ndcg[0],
                m.ndcg[1],
                m.ndcg[2],
                m.coverage10
            )
        };
        let s = &self.settings;
        let protocols: Vec<String> = self
            .protocols
            .iter()
            .map(|p| {
                format!(
                    "{{\"name\":{},\"kind\":\"{}\",\"val\":{},\"test\":{},\"popular_val\":{},\"popular_test\":{}}}",
                    json_str(p.name),
                    match p.kind {
                        Kind::Item => "item",
                        Kind::Basket => "basket",
                    },
                    m(&p.val),
                    m(&p.test),
                    m(&p.val_popular),
                    m(&p.test_popular)
                )
            })
            .collect();
        format!(
            "{{\"format\":\"{}\",\"items\":{},\"train_orders\":{},\"repeat_only\":[{},{}],\
             \"model_bytes\":{},\"bytes_per_item\":{:.2},\"edges\":{},\"next_edges\":{},\
             \"settings\":{},\"similarity\":{},\"tuning\":{},\"flooded10\":{},\"protocols\":[{}]}}",
            match self.format {
                Format::Csv => "csv",
                Format::Baskets => "baskets",
                Format::Sequences => "sequences",
            },
            self.items,
            self.train_orders,
            self.repeat_only[0],
            self.repeat_only[1],
            self.model_bytes,
            self.model_bytes as f64 / self.items.max(1) as f64,
            self.edges,
            self.next_edges,
            json_str(&crate::commands::describe(s)),
            json_str(&crate::commands::similarity_text(s)),
            self.tune
                .as_ref()
                .map_or("null".to_string(), |r| json_str(&r.summary())),
            self.flooded10
                .map_or("null".to_string(), |f| format!("{f:.6}")),
            protocols.join(",")
        )
    }
}

/// See [`EvalResult::flooded10`].
fn flood_share(model: &Model, titles: &[String], sp: &Split, s: &BuildSettings) -> Option<f64> {
    let cases = &sp.protocols.first()?.test;
    if titles.is_empty() || cases.is_empty() {
        return None;
    }
    let mut weight = vec![0u32; titles.len()];
    for o in &sp.train.orders {
        for &i in &o.items {
            weight[i as usize] += 1;
        }
    }
    let fam = attune_core::build::families_from_titles(titles, &weight, s.family_similarity);
    let lists = rank_all(model, cases, false, 10);
    let flooded = lists
        .iter()
        .filter(|l| {
            l.iter().any(|&a| {
                l.iter()
                    .filter(|&&b| fam[b as usize] == fam[a as usize])
                    .count()
                    >= 3
            })
        })
        .count();
    Some(flooded as f64 / lists.len() as f64)
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(c: u32, ts: i64, items: &[u32]) -> Order {
        Order {
            customer: Some(c),
            ts,
            items: items.to_vec(),
        }
    }

    #[test]
    fn metrics_on_tiny_cases() {
        let mut a = Accum::new(10);
        // One target at rank 2 (0-based 1): HR@5 1, NDCG 1/log2(3).
        a.add(&[5, 3, 7], &[3]);
        // Target set {3, 7, 9}: hits at ranks 0 and 2.
        a.add(&[3, 5, 7], &[3, 7, 9]);
        // A miss.
        a.add(&[1, 2], &[4]);
        let m = a.finish();
        assert_eq!(m.queries, 3);
        assert_eq!(m.hr[0], 2.0 / 3.0);
        let q1 = 1.0 / 3f64.log2();
        let dcg2 = 1.0 + 1.0 / 4f64.log2();
        let idcg2 = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((m.ndcg[0] - (q1 + dcg2 / idcg2) / 3.0).abs() < 1e-12);
        assert!((m.recall[1] - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        // Items 1, 2, 3, 5, 7 appear in some top 10.
        assert!((m.coverage10 - 0.5).abs() < 1e-12);
        // NDCG@k caps the ideal at k hits: 25 targets, all top 20 hit → NDCG@20 = 1.
        let mut b = Accum::new(30);
        let ranked: Vec<u32> = (0..20).collect();
        b.add(&ranked, &(0..25).collect::<Vec<u32>>());
        let m = b.finish();
        assert_eq!(m.ndcg[2], 1.0);
        assert_eq!(m.recall[2], 20.0 / 25.0);
    }

    #[test]
    fn sequences_follow_the_paper_protocol() {
        // One item per order: user 0 buys 0, 1, 2, 3 (ts = position).
        let mut orders: Vec<Order> = (0..4).map(|p| o(0, p, &[p as u32])).collect();
        orders.push(o(1, 0, &[1]));
        orders.push(o(1, 1, &[2])); // only two items: trains, never evaluated
        let inter = Interactions { n_items: 4, orders };
        let s = split(&inter, Format::Sequences);
        assert_eq!(s.protocols.len(), 1);
        let p = &s.protocols[0];
        assert_eq!(
            p.val,
            vec![Case {
                history: vec![0, 1],
                targets: vec![2]
            }]
        );
        assert_eq!(
            p.test,
            vec![Case {
                history: vec![0, 1, 2],
                targets: vec![3]
            }]
        );
        // Training: user 0's first two items and all of user 1.
        let train: Vec<Vec<u32>> = s.train.orders.iter().map(|o| o.items.clone()).collect();
        assert_eq!(train, vec![vec![0], vec![1], vec![1], vec![2]]);
        // A target repeating history stays as an (unhittable) case, as in the papers.
        let inter = Interactions {
            n_items: 3,
            orders: vec![o(0, 0, &[0]), o(0, 1, &[1]), o(0, 2, &[2]), o(0, 3, &[0])],
        };
        let s = split(&inter, Format::Sequences);
        assert_eq!(s.protocols[0].test[0].targets, vec![0]);
        assert_eq!(s.repeat_only, [0, 1]);
    }

    #[test]
    fn orders_are_held_out_whole() {
        // Customer 0: {0,1} then {2} then {1,3} (test: 3 only, 1 repeats history).
        let inter = Interactions {
            n_items: 4,
            orders: vec![
                o(0, 30, &[1, 3]),
                o(0, 10, &[0, 1]),
                o(0, 20, &[2]),
                o(1, 5, &[0, 2]),
            ],
        };
        let s = split(&inter, Format::Csv);
        assert_eq!(s.protocols.len(), 2);
        let (item, basket) = (&s.protocols[0], &s.protocols[1]);
        assert_eq!(
            basket.val,
            vec![Case {
                history: vec![0, 1],
                targets: vec![2]
            }]
        );
        assert_eq!(
            basket.test,
            vec![Case {
                history: vec![0, 1, 2],
                targets: vec![3]
            }]
        );
        assert_eq!(item.test[0].targets, vec![3]);
        // Training: the first order of customer 0 and customer 1's order.
        assert_eq!(s.train.orders.len(), 2);
        assert_eq!(s.train.orders[0].items, vec![0, 1]);
    }

    #[test]
    fn basket_completion_holds_out_two_seeded_items() {
        let inter = Interactions {
            n_items: 6,
            orders: vec![o(0, 0, &[0, 1, 2, 3]), o(1, 0, &[4, 5])],
        };
        let s = split(&inter, Format::Baskets);
        let p = &s.protocols[0];
        assert_eq!(p.val.len(), 1);
        let (v, t) = (p.val[0].targets[0], p.test[0].targets[0]);
        assert_ne!(v, t);
        let mut rest = p.val[0].history.clone();
        assert_eq!(rest.len(), 2);
        assert!(!rest.contains(&v) && !rest.contains(&t));
        assert_eq!(*p.test[0].history.last().unwrap(), v);
        rest.sort_unstable();
        assert_eq!(s.train.orders[0].items, rest);
        assert_eq!(s.train.orders[1].items, vec![4, 5]);
        // Same seed, same split.
        assert_eq!(split(&inter, Format::Baskets).protocols[0].val, p.val);
    }

    #[test]
    fn too_little_data_is_a_clear_error() {
        let imp = Imported {
            ids: vec!["a".into(), "b".into()],
            interactions: Interactions {
                n_items: 2,
                orders: vec![o(0, 0, &[0]), o(0, 1, &[1])],
            },
            ..Default::default()
        };
        let e = evaluate(&imp, Format::Csv, &BuildSettings::default(), None).unwrap_err();
        assert!(e.to_string().contains("3 or more orders"), "{e}");
        let e = evaluate(&imp, Format::Baskets, &BuildSettings::default(), None).unwrap_err();
        assert!(e.to_string().contains("3 or more distinct items"), "{e}");
    }

    #[test]
    fn evaluates_through_the_model_bytes() {
        // 40 customers buy 0 then 1 then 2; the model learns "2 follows 1".
        let mut orders = Vec::new();
        for c in 0..40 {
            for (t, i) in [0u32, 1, 2].iter().enumerate() {
                orders.push(o(c, t as i64, &[*i]));
            }
        }
        // 20 customers with longer sequences, so training (all but the last two) sees
        // 1 → 2; their own targets 3 and 4 are never trained on (misses).
        for c in 40..60 {
            for (t, i) in [0u32, 1, 2, 3, 4].iter().enumerate() {
                orders.push(o(c, t as i64, &[*i]));
            }
        }
        let imp = Imported {
            ids: (0..5).map(|i| format!("i{i}")).collect(),
            interactions: Interactions { n_items: 5, orders },
            ..Default::default()
        };
        let r = evaluate(&imp, Format::Sequences, &BuildSettings::default(), None).unwrap();
        let p = &r.protocols[0];
        assert_eq!(p.val.queries, 60);
        // The first 40: test [0, 1] → 2, ranked first (what comes after 1); 40/60 hits.
        assert_eq!(p.test.hr[0], 40.0 / 60.0);
        assert_eq!(p.test.ndcg[0], 40.0 / 60.0);
        assert!(r.model_bytes > 0);
        let json = r.to_json();
        assert!(json.starts_with("{\"format\":\"sequences\""), "{json}");
        assert!(r.to_text(10).contains("NDCG@10: validation"));
    }

    #[test]
    fn rng_is_deterministic_and_in_range() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        for _ in 0..100 {
            let x = a.below(7);
            assert!(x < 7);
            assert_eq!(x, b.below(7));
        }
        let mut v: Vec<u32> = (0..10).collect();
        Rng::new(3).shuffle(&mut v);
        let mut s = v.clone();
        s.sort_unstable();
        assert_eq!(s, (0..10).collect::<Vec<u32>>());
        assert_ne!(v, s);
    }
}
