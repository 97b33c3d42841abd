//! Offline evaluation: hold out whole orders, build a model from the rest in memory and
//! rank through `score::recommend` (the path the browser runs).
//!
//! Protocol ("next basket", which is leave-last-out when every order holds one item):
//! customers with at least 3 non-empty orders are evaluated; their orders sorted by time
//! (ties by file order); the last order is the test target, the second-to-last the
//! validation target. An order is never split. The query is every item of the earlier
//! orders, oldest first, as purchases, excluded from the list (as in `attune recommend`);
//! the relevant items are the target order's items not already in that history (a
//! recommender that may not repeat the history cannot hit the others; users whose target
//! holds only repeats are skipped and counted). Training data: every order except the
//! evaluated customers' held-out ones (guests and customers with < 3 orders stay in).
//! Metrics: HR@k (at least one relevant item in the top k), NDCG@k with binary relevance
//! (IDCG over min(k, |relevant|) items), coverage@10 (distinct items recommended in any
//! top-10 / catalogue size). A popularity baseline (empty history) runs alongside.

use anyhow::Result;
use attune_core::build::{BuildSettings, Interactions};
use attune_core::score::{Query, Scorer, Signal};
use attune_core::Model;

use crate::commands::model_parts;
use crate::import::Imported;

pub const CUTOFFS: [usize; 3] = [5, 10, 20];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Target: each customer's second-to-last order; trains without the last two.
    Validation,
    /// Target: each customer's last order; trains without it.
    Test,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    pub hr: [f64; 3],
    pub ndcg: [f64; 3],
    pub coverage10: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EvalResult {
    pub split: Split,
    pub users: usize,
    /// Eligible users skipped because the target order only repeats history items.
    pub skipped_repeat_only: usize,
    pub items: usize,
    pub train_orders: usize,
    pub edges: usize,
    pub model_bytes: usize,
    pub model: Metrics,
    pub popular: Metrics,
}

struct Accum {
    hr: [f64; 3],
    ndcg: [f64; 3],
    seen: Vec<bool>,
}

impl Accum {
    fn new(n: usize) -> Self {
        Accum {
            hr: [0.0; 3],
            ndcg: [0.0; 3],
            seen: vec![false; n],
        }
    }
    fn add(&mut self, ranked: &[u32], relevant: &[u32]) {
        for (c, &k) in CUTOFFS.iter().enumerate() {
            let top = &ranked[..ranked.len().min(k)];
            let mut dcg = 0.0;
            let mut hit = false;
            for (rank, item) in top.iter().enumerate() {
                if relevant.binary_search(item).is_ok() {
                    hit = true;
                    dcg += 1.0 / ((rank + 2) as f64).log2();
                }
            }
            let idcg: f64 = (0..relevant.len().min(k))
                .map(|r| 1.0 / ((r + 2) as f64).log2())
                .sum();
            if hit {
                self.hr[c] += 1.0;
            }
            self.ndcg[c] += dcg / idcg;
        }
        for &i in &ranked[..ranked.len().min(10)] {
            self.seen[i as usize] = true;
        }
    }
    fn finish(&self, users: usize) -> Metrics {
        let u = users.max(1) as f64;
        Metrics {
            hr: self.hr.map(|x| x / u),
            ndcg: self.ndcg.map(|x| x / u),
            coverage10: self.seen.iter().filter(|&&s| s).count() as f64
                / self.seen.len().max(1) as f64,
        }
    }
}

/// Runs one split of the protocol with the given builder settings.
/// `max_history`: score from only the last N events of each history (what a bounded
/// browser profile would hold); exclusions and relevance still use the full history.
pub fn evaluate(
    imported: &Imported,
    settings: &BuildSettings,
    split: Split,
    max_history: Option<usize>,
) -> Result<EvalResult> {
    let inter = &imported.interactions;
    let n = inter.n_items;
    // Orders per customer, in time order.
    let n_cust = inter
        .orders
        .iter()
        .filter_map(|o| o.customer)
        .max()
        .map_or(0, |c| c as usize + 1);
    let mut by_customer: Vec<Vec<usize>> = vec![Vec::new(); n_cust];
    for (i, o) in inter.orders.iter().enumerate() {
        if let (Some(c), false) = (o.customer, o.items.is_empty()) {
            by_customer[c as usize].push(i);
        }
    }
    for list in &mut by_customer {
        list.sort_by_key(|&i| (inter.orders[i].ts, i));
    }
    let drop = match split {
        Split::Validation => 2,
        Split::Test => 1,
    };
    let mut held_out = vec![false; inter.orders.len()];
    // (history order indices, target order index) per evaluated customer.
    let mut cases: Vec<(&[usize], usize)> = Vec::new();
    for list in &by_customer {
        if list.len() < 3 {
            continue;
        }
        for &o in &list[list.len() - drop..] {
            held_out[o] = true;
        }
        let target = list[list.len() - drop];
        cases.push((&list[..list.len() - drop], target));
    }
    let train = Interactions {
        n_items: n,
        orders: inter
            .orders
            .iter()
            .zip(&held_out)
            .filter(|(_, &h)| !h)
            .map(|(o, _)| o.clone())
            .collect(),
    };
    let (parts, stats) = model_parts(imported, &train, settings)?;
    let model = Model::from_parts(parts)?;
    let model_bytes = model.to_bytes().len();

    let mut scorer = Scorer::new();
    let mut acc_model = Accum::new(n);
    let mut acc_pop = Accum::new(n);
    let mut users = 0;
    let mut skipped = 0;
    let mut history: Vec<(u32, Signal)> = Vec::new();
    let mut exclude: Vec<u32> = Vec::new();
    let k = *CUTOFFS.last().unwrap_or(&20);
    for (hist_orders, target) in cases {
        history.clear();
        for &o in hist_orders {
            for &i in &inter.orders[o].items {
                history.push((i, Signal::Purchase));
            }
        }
        exclude.clear();
        exclude.extend(history.iter().map(|h| h.0));
        exclude.sort_unstable();
        exclude.dedup();
        let recent = match max_history {
            Some(m) if history.len() > m => &history[history.len() - m..],
            _ => &history[..],
        };
        let relevant: Vec<u32> = inter.orders[target]
            .items
            .iter()
            .copied()
            .filter(|i| exclude.binary_search(i).is_err())
            .collect(); // sorted: order items are sorted
        if relevant.is_empty() {
            skipped += 1;
            continue;
        }
        users += 1;
        let ranked: Vec<u32> = scorer
            .recommend(
                &model,
                &Query {
                    history: recent,
                    exclude: &exclude,
                    k,
                    fill_popular: true,
                },
            )
            .iter()
            .map(|r| r.item)
            .collect();
        acc_model.add(&ranked, &relevant);
        let ranked: Vec<u32> = scorer
            .recommend(
                &model,
                &Query {
                    history: &[],
                    exclude: &exclude,
                    k,
                    fill_popular: true,
                },
            )
            .iter()
            .map(|r| r.item)
            .collect();
        acc_pop.add(&ranked, &relevant);
    }
    Ok(EvalResult {
        split,
        users,
        skipped_repeat_only: skipped,
        items: n,
        train_orders: train.orders.len(),
        edges: stats.edges_kept,
        model_bytes,
        model: acc_model.finish(users),
        popular: acc_pop.finish(users),
    })
}

impl EvalResult {
    pub fn to_text(&self, settings: &BuildSettings) -> String {
        let split = match self.split {
            Split::Validation => "validation (second-to-last order)",
            Split::Test => "test (last order)",
        };
        let mut t = format!(
            "split: {split}; users {} (skipped {} whose target only repeats history); items {}; \
             training orders {}\nmodel: min_support {}, neighbors {}: {} edges, {} bytes\n",
            self.users,
            self.skipped_repeat_only,
            self.items,
            self.train_orders,
            settings.min_support,
            settings.neighbors,
            self.edges,
            self.model_bytes
        );
        t += "             HR@5    HR@10   HR@20   NDCG@5  NDCG@10 NDCG@20 Cov@10\n";
        for (name, m) in [("attune", &self.model), ("popular", &self.popular)] {
            t += &format!(
                "{name:<10} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>6.3}\n",
                m.hr[0], m.hr[1], m.hr[2], m.ndcg[0], m.ndcg[1], m.ndcg[2], m.coverage10
            );
        }
        t
    }

    pub fn to_json(&self, settings: &BuildSettings) -> String {
        let m = |m: &Metrics| {
            format!(
                "{{\"hr@5\":{:.6},\"hr@10\":{:.6},\"hr@20\":{:.6},\"ndcg@5\":{:.6},\"ndcg@10\":{:.6},\"ndcg@20\":{:.6},\"coverage@10\":{:.6}}}",
                m.hr[0], m.hr[1], m.hr[2], m.ndcg[0], m.ndcg[1], m.ndcg[2], m.coverage10
            )
        };
        format!(
            "{{\"split\":\"{}\",\"users\":{},\"skipped_repeat_only\":{},\"items\":{},\"train_orders\":{},\
             \"min_support\":{},\"neighbors\":{},\"edges\":{},\"model_bytes\":{},\"attune\":{},\"popular\":{}}}",
            match self.split {
                Split::Validation => "validation",
                Split::Test => "test",
            },
            self.users,
            self.skipped_repeat_only,
            self.items,
            self.train_orders,
            settings.min_support,
            settings.neighbors,
            self.edges,
            self.model_bytes,
            m(&self.model),
            m(&self.popular)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use attune_core::build::Order;

    fn imported(orders: Vec<Order>, n: usize) -> Imported {
        Imported {
            ids: (0..n).map(|i| format!("i{i}")).collect(),
            interactions: Interactions { n_items: n, orders },
            ..Default::default()
        }
    }

    fn o(c: u32, ts: i64, items: &[u32]) -> Order {
        Order {
            customer: Some(c),
            ts,
            items: items.to_vec(),
        }
    }

    #[test]
    fn holds_out_whole_orders_and_scores_hits() {
        // Customers 1..=3 teach "0 → 1"; customer 0 buys 0, then 2, then 1 (test) .
        let mut orders = vec![o(0, 1, &[0]), o(0, 2, &[2]), o(0, 3, &[1])];
        for c in 1..=3 {
            orders.push(o(c, 1, &[0, 1]));
        }
        let imp = imported(orders, 3);
        let s = BuildSettings {
            min_support: 2,
            neighbors: 5,
            popular: 10,
        };
        let r = evaluate(&imp, &s, Split::Test, None).unwrap();
        assert_eq!(r.users, 1);
        // History {0, 2}: 1 is 0's neighbour → rank 1.
        assert_eq!(r.model.hr, [1.0, 1.0, 1.0]);
        assert_eq!(r.model.ndcg[0], 1.0);
        assert_eq!(r.train_orders, 5);
        // Validation: target is order {2}; 2 has no neighbours and is not popular first.
        let v = evaluate(&imp, &s, Split::Validation, None).unwrap();
        assert_eq!(v.users, 1);
        assert_eq!(v.train_orders, 4);
        assert_eq!(v.model.hr[0], 0.0);
    }

    #[test]
    fn ndcg_values() {
        let mut a = Accum::new(10);
        a.add(&[5, 3, 7], &[3, 7]); // hits at ranks 2 and 3
        let m = a.finish(1);
        let dcg = 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2();
        assert!((m.ndcg[0] - dcg / idcg).abs() < 1e-12);
        assert_eq!(m.hr[0], 1.0);
        assert!((m.coverage10 - 0.3).abs() < 1e-12);
    }
}
