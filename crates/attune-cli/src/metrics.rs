//! Ranking quality of held-out cases through the scorer the browser runs: HR, recall and
//! NDCG at 5/10/20 and coverage@10. Shared by the evaluation and the tuning.

use attune_core::score::{Query, Scorer, Signal};
use attune_core::Model;

use crate::cases::Case;

/// The cut-offs every metric is reported at.
pub const CUTOFFS: [usize; 3] = [5, 10, 20];

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
