//! Scoring: turns a shopper's local history and context into a ranked list of items.
//! This is the one scoring path: the CLI's `recommend`/`eval` and the browser call it.
//!
//! Deterministic: same model and query, same list (ties broken by lower item index).
//! f32 operations run in a fixed order with no platform maths (no `powf`, no fused
//! multiply-add), so native and Wasm produce bit-identical scores.

use crate::model::Model;
use crate::sort::{heapsort_by, top_k_by};
use alloc::vec;
use alloc::vec::Vec;

/// What the shopper did with an item. Stronger signals weigh more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    View,
    Cart,
    Purchase,
}

/// Weight of a purchase in the history.
pub const PURCHASE_WEIGHT: f32 = 1.0;
/// Weight of an add-to-cart: a strong intent, short of a purchase.
pub const CART_WEIGHT: f32 = 0.6;
/// Weight of a product view: the weakest, most frequent signal.
pub const VIEW_WEIGHT: f32 = 0.3;
/// Each step back from the most recent event multiplies its weight by this, so the
/// shopper's current interest dominates without forgetting the session at once
/// (after 10 events an event still counts ~20%). The default of `Scoring::history_decay`;
/// a model built by `attune build` stores its own measured value.
pub const RECENCY_DECAY: f32 = 0.85;

impl Signal {
    pub fn weight(self) -> f32 {
        match self {
            Signal::View => VIEW_WEIGHT,
            Signal::Cart => CART_WEIGHT,
            Signal::Purchase => PURCHASE_WEIGHT,
        }
    }
}

/// One request for recommendations.
#[derive(Clone, Debug)]
pub struct Query<'a> {
    /// The shopper's history as (item, signal), oldest first. Recent events weigh more.
    pub history: &'a [(u32, Signal)],
    /// Items the list must not contain (typically the history, the cart, the current item).
    pub exclude: &'a [u32],
    /// How many items at most.
    pub k: usize,
    /// Fill the list up to `k` from the popularity fallback when the neighbours run out.
    pub fill_popular: bool,
}

/// Why an item is recommended: the history item that contributed most, or popularity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reason {
    Because(u32),
    Popular,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recommendation {
    pub item: u32,
    /// The blended score (neighbours, next, popularity prior); 0.0 for the popularity
    /// fill, so scores never increase down the list.
    pub score: f32,
    pub reason: Reason,
}

/// Ranks items for a query: best first, at most `q.k`, never an excluded item,
/// no duplicates.
///
/// ```text
/// score(c) = a·Σ_h signal(h)·d^j(h)·sim(h, c)  +  b·Σ_h signal(h)·e^j(h)·next(h, c)
/// ```
/// over history events `h`, `j(h)` = steps back from the most recent event; `sim` are the
/// neighbour lists, `next` the "what comes next" lists, and `a, b, d, e` the model's
/// [`Scoring`](crate::Scoring) (`neighbor_weight`, `next_weight`, `history_decay`,
/// `next_decay`; without a `PARM` section `d` = `RECENCY_DECAY` and there is no `next`).
/// With a family cap, at most that many items of one family are listed.
/// Allocates scratch proportional to the catalogue; use a [`Scorer`] to reuse it.
pub fn recommend(model: &Model, q: &Query<'_>) -> Vec<Recommendation> {
    Scorer::new().recommend(model, q)
}

const UNTOUCHED: u32 = u32::MAX;
/// Reached only through the popularity prior.
const PRIOR_ONLY: u32 = u32::MAX - 1;

/// Reusable scratch buffers for [`recommend`]: dense per-item accumulators plus a list
/// of touched items, so each query costs O(history neighbours), not O(catalogue).
#[derive(Clone, Debug, Default)]
pub struct Scorer {
    score: Vec<f32>,
    best: Vec<f32>,
    because: Vec<u32>,
    blocked: Vec<bool>,
    touched: Vec<u32>,
    /// (history item, neighbour-signal weight, next-signal weight, events back).
    weighted: Vec<(u32, f32, f32, u32)>,
    /// (family, items listed) for the diversity rule; a list is short, so a linear scan.
    families: Vec<(u32, usize)>,
}

impl Scorer {
    pub fn new() -> Scorer {
        Scorer::default()
    }

    /// Adds `w`·weight for each listed target; remembers the largest single contribution
    /// as the reason (strict: on equal contributions the lower history index keeps it).
    fn add(&mut self, h: u32, w: f32, targets: &[u32], sims: &[f32]) {
        if w <= 0.0 {
            return;
        }
        for (&t, &s) in targets.iter().zip(sims) {
            let c = w * s;
            let t = t as usize;
            if self.because[t] == UNTOUCHED {
                self.touched.push(t as u32);
                self.score[t] = c;
                self.best[t] = c;
                self.because[t] = h;
            } else {
                self.score[t] += c;
                if c > self.best[t] {
                    self.best[t] = c;
                    self.because[t] = h;
                }
            }
        }
    }

    /// Whether `item`'s family still has room under `cap`; counts it if so.
    fn family_room(&mut self, model: &Model, item: u32, cap: usize) -> bool {
        let Some(f) = model.family(item) else {
            return true;
        };
        match self.families.iter_mut().find(|e| e.0 == f) {
            Some(e) if e.1 >= cap => false,
            Some(e) => {
                e.1 += 1;
                true
            }
            None => {
                self.families.push((f, 1));
                true
            }
        }
    }

    /// Same as [`recommend`], reusing this scorer's buffers.
    pub fn recommend(&mut self, model: &Model, q: &Query<'_>) -> Vec<Recommendation> {
        let n = model.len();
        if q.k == 0 || n == 0 {
            return Vec::new();
        }
        if self.score.len() != n {
            self.score = vec![0.0; n];
            self.best = vec![0.0; n];
            self.because = vec![UNTOUCHED; n];
            self.blocked = vec![false; n];
        }

        // Event weights, newest first, one per signal; each decay is a running product
        // (not powf) so every platform computes the same bits.
        let sc = *model.scoring();
        self.weighted.clear();
        let mut decay = 1.0f32;
        let mut next_decay = 1.0f32;
        for (age, &(item, signal)) in q.history.iter().rev().enumerate() {
            if (item as usize) < n {
                let w = signal.weight();
                self.weighted
                    .push((item, w * decay, w * next_decay, age as u32));
            }
            decay *= sc.history_decay;
            next_decay *= sc.next_decay;
        }
        // Merge repeats of an item (their weights add, newest first), then visit history
        // items in index order: a fixed summation order per candidate.
        // (item, age) is a total order, so the small unstable heapsort is deterministic and
        // keeps newest-first within an item (std's sorts cost kilobytes of Wasm).
        heapsort_by(&mut self.weighted, |a, b| a.0.cmp(&b.0).then(a.3.cmp(&b.3)));
        let mut merged = 0;
        for i in 0..self.weighted.len() {
            let (item, w, wn, age) = self.weighted[i];
            if merged > 0 && self.weighted[merged - 1].0 == item {
                let m = &mut self.weighted[merged - 1];
                if sc.repeat_once {
                    m.1 = m.1.max(w);
                    m.2 = m.2.max(wn);
                } else {
                    m.1 += w;
                    m.2 += wn;
                }
            } else {
                self.weighted[merged] = (item, w, wn, age);
                merged += 1;
            }
        }
        self.weighted.truncate(merged);

        let has_next = model.has_next();
        for k in 0..self.weighted.len() {
            let (h, w, wn, _) = self.weighted[k];
            let (targets, sims) = model.neighbors(h);
            self.add(h, w * sc.neighbor_weight, &targets, &sims);
            if has_next {
                let (targets, sims) = model.next(h);
                self.add(h, wn * sc.next_weight, &targets, &sims);
            }
        }

        // Popularity prior: added last, so its summation order is fixed too.
        if sc.popularity_weight > 0.0 && !self.weighted.is_empty() {
            let (popular, scores) = model.popular();
            let top = scores.first().copied().unwrap_or(0.0);
            if top > 0.0 {
                let f = sc.popularity_weight / top;
                for (&p, &s) in popular.iter().zip(scores) {
                    let c = f * s;
                    let t = p as usize;
                    if self.because[t] == UNTOUCHED {
                        self.touched.push(p);
                        self.score[t] = c;
                        self.because[t] = PRIOR_ONLY;
                    } else {
                        self.score[t] += c;
                    }
                }
            }
        }

        for &e in q.exclude {
            if (e as usize) < n {
                self.blocked[e as usize] = true;
            }
        }
        let mut cand: Vec<u32> = Vec::with_capacity(self.touched.len());
        for &t in &self.touched {
            let i = t as usize;
            if !self.blocked[i] && self.score[i] > 0.0 {
                cand.push(t);
            }
        }
        let score = &self.score;
        let order = |a: &u32, b: &u32| {
            score[*b as usize]
                .total_cmp(&score[*a as usize])
                .then(a.cmp(b))
        };
        let cap = sc.family_cap as usize;
        let diversify = cap > 0 && model.family(0).is_some();
        if diversify {
            // The cap may skip items: every candidate stays in play.
            heapsort_by(&mut cand, order);
        } else {
            top_k_by(&mut cand, q.k, order);
        }

        // Diversity: at most `cap` items per family; the rest of a family is left out
        // (never moved down: scores stay non-increasing down the list).
        self.families.clear();
        let mut out: Vec<Recommendation> = Vec::with_capacity(q.k);
        for &c in &cand {
            if out.len() == q.k {
                break;
            }
            if diversify && !self.family_room(model, c, cap) {
                continue;
            }
            out.push(Recommendation {
                item: c,
                score: self.score[c as usize],
                reason: match self.because[c as usize] {
                    PRIOR_ONLY => Reason::Popular,
                    h => Reason::Because(h),
                },
            });
            self.blocked[c as usize] = true;
        }
        if q.fill_popular && out.len() < q.k {
            let (popular, _) = model.popular();
            for &p in popular {
                if out.len() == q.k {
                    break;
                }
                if !self.blocked[p as usize] && (!diversify || self.family_room(model, p, cap)) {
                    self.blocked[p as usize] = true;
                    out.push(Recommendation {
                        item: p,
                        score: 0.0,
                        reason: Reason::Popular,
                    });
                }
            }
        }

        // Reset only what this query touched.
        for &t in &self.touched {
            let i = t as usize;
            self.score[i] = 0.0;
            self.best[i] = 0.0;
            self.because[i] = UNTOUCHED;
        }
        self.touched.clear();
        for &e in q.exclude {
            if (e as usize) < n {
                self.blocked[e as usize] = false;
            }
        }
        for r in &out {
            self.blocked[r.item as usize] = false;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Model, ModelParts};

    /// 6 items. 0 → {1: 0.5, 2: 0.25}; 1 → {3: 1.0, 0: 0.5}; 2 → {3: 0.5};
    /// 3 → {}; 4 → {5: 0.5}; 5 → {}. Popular: 5, 3, 0, 4.
    fn model() -> Model {
        Model::from_parts(ModelParts {
            ids: ["a", "b", "c", "d", "e", "f"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            offsets: vec![0, 2, 4, 5, 5, 6, 6],
            targets: vec![1, 2, 3, 0, 3, 5],
            weights: vec![0.5, 0.25, 1.0, 0.5, 0.5, 0.5],
            popular: vec![5, 3, 0, 4],
            popular_scores: vec![10.0, 8.0, 8.0, 1.0],
            ..Default::default()
        })
        .unwrap()
    }

    fn q<'a>(history: &'a [(u32, Signal)], exclude: &'a [u32], k: usize, fill: bool) -> Query<'a> {
        Query {
            history,
            exclude,
            k,
            fill_popular: fill,
        }
    }

    fn items(r: &[Recommendation]) -> Vec<u32> {
        r.iter().map(|r| r.item).collect()
    }

    #[test]
    fn single_purchase_ranks_neighbours_by_weight() {
        let m = model();
        let (_, sims) = m.neighbors(0);
        let r = recommend(&m, &q(&[(0, Signal::Purchase)], &[0], 10, false));
        assert_eq!(items(&r), vec![1, 2]);
        assert_eq!(r[0].score, sims[0]);
        assert_eq!(r[1].score, sims[1]);
        assert_eq!(r[0].reason, Reason::Because(0));
    }

    #[test]
    fn signal_weights_and_decay() {
        let m = model();
        let s = |i, k| m.neighbors(i).1[k];
        // history oldest first: view 0, cart 2. Newest (cart 2) has decay 1, view 0 has 0.85.
        let r = recommend(
            &m,
            &q(&[(0, Signal::View), (2, Signal::Cart)], &[0, 2], 10, false),
        );
        // 3: from 2 only: 0.6 * 0.5; 1: from 0: 0.3*0.85*0.5
        let w0 = 0.3f32 * 0.85;
        let w2 = 0.6f32 * 1.0;
        assert_eq!(items(&r), vec![3, 1]);
        assert_eq!(r[0].score, w2 * s(2, 0));
        assert_eq!(r[1].score, w0 * s(0, 0));
        assert_eq!(r[0].reason, Reason::Because(2));
        assert_eq!(r[1].reason, Reason::Because(0));
    }

    #[test]
    fn contributions_add_and_reason_is_the_largest() {
        let m = model();
        // 3 is reached from 1 (weight 1.0) and from 2 (0.5); purchases: 1 older, 2 newest.
        let r = recommend(
            &m,
            &q(
                &[(1, Signal::Purchase), (2, Signal::Purchase)],
                &[1, 2],
                10,
                false,
            ),
        );
        let w1 = 0.85f32;
        let w2 = 1.0f32;
        let expect3 = w1 * 1.0 + w2 * 0.5; // summed in history-item index order: 1 then 2
        assert_eq!(r[0].item, 3);
        assert_eq!(r[0].score, expect3);
        assert_eq!(r[0].reason, Reason::Because(1)); // 0.85 > 0.5
        assert_eq!(items(&r), vec![3, 0]);
    }

    #[test]
    fn repeated_item_weights_add() {
        let m = model();
        let r = recommend(
            &m,
            &q(
                &[(4, Signal::View), (4, Signal::View), (0, Signal::View)],
                &[],
                10,
                false,
            ),
        );
        // item 4 events: steps back 1 and 2 → 0.3*0.85 + 0.3*0.85*0.85 (newest first)
        let w4 = 0.3f32 * 0.85 + 0.3f32 * (0.85f32 * 0.85);
        let r5 = r.iter().find(|x| x.item == 5).unwrap();
        assert_eq!(r5.score, w4 * 0.5);
        // 5: 0.47175 * 0.5 beats 1: 0.3 * 0.5 and 2: 0.3 * 0.25. History items are not
        // excluded unless asked, but 0 and 4 are nobody's neighbour here.
        assert_eq!(items(&r), vec![5, 1, 2]);
    }

    #[test]
    fn exclusion_and_k() {
        let m = model();
        let r = recommend(&m, &q(&[(0, Signal::Purchase)], &[0, 1], 10, false));
        assert_eq!(items(&r), vec![2]);
        let r = recommend(&m, &q(&[(0, Signal::Purchase)], &[0], 1, false));
        assert_eq!(items(&r), vec![1]);
        assert!(recommend(&m, &q(&[(0, Signal::Purchase)], &[0], 0, true)).is_empty());
    }

    #[test]
    fn ties_go_to_lower_index() {
        let m = Model::from_parts(ModelParts {
            ids: ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect(),
            offsets: vec![0, 3, 3, 3, 3],
            targets: vec![3, 1, 2],
            weights: vec![0.5, 0.5, 0.5],
            ..Default::default()
        })
        .unwrap();
        let r = recommend(&m, &q(&[(0, Signal::Purchase)], &[0], 10, false));
        assert_eq!(items(&r), vec![1, 2, 3]);
        let r = recommend(&m, &q(&[(0, Signal::Purchase)], &[0], 2, false));
        assert_eq!(items(&r), vec![1, 2]);
    }

    #[test]
    fn popularity_fill_skips_excluded_and_chosen() {
        let m = model();
        let r = recommend(&m, &q(&[(4, Signal::Purchase)], &[4], 4, true));
        // neighbour: 5; then popular 5 (chosen), 3, 0, 4 (excluded)
        assert_eq!(items(&r), vec![5, 3, 0]);
        assert_eq!(r[0].reason, Reason::Because(4));
        assert_eq!(r[1].reason, Reason::Popular);
        assert_eq!(r[1].score, 0.0);
    }

    #[test]
    fn empty_history_is_pure_popularity() {
        let m = model();
        let r = recommend(&m, &q(&[], &[], 3, true));
        assert_eq!(items(&r), vec![5, 3, 0]);
        assert!(r.iter().all(|x| x.reason == Reason::Popular));
        assert!(recommend(&m, &q(&[], &[], 3, false)).is_empty());
        // out-of-range history and exclusions are ignored
        let r = recommend(&m, &q(&[(99, Signal::Purchase)], &[77], 2, true));
        assert_eq!(items(&r), vec![5, 3]);
    }

    #[test]
    fn scorer_reuse_gives_identical_results() {
        let m = model();
        let mut s = Scorer::new();
        let h1 = [(0, Signal::Purchase), (1, Signal::Cart)];
        let a = s.recommend(&m, &q(&h1, &[0, 1], 10, true));
        let _ = s.recommend(&m, &q(&[(4, Signal::View)], &[2, 3], 10, true));
        let b = s.recommend(&m, &q(&h1, &[0, 1], 10, true));
        assert_eq!(a, b);
        assert_eq!(a, recommend(&m, &q(&h1, &[0, 1], 10, true)));
    }

    /// 5 items. Neighbours: 0 → {1: 0.5}; 1 → {2: 0.5}. Next: 0 → {3: 1.0, 2: 0.25};
    /// 1 → {4: 0.5}. Blend: neighbours ×2 with decay 0.5, next ×4 with decay 0.25.
    fn blended(family_cap: u32, families: Vec<u32>) -> Model {
        Model::from_parts(ModelParts {
            ids: ["a", "b", "c", "d", "e"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            offsets: vec![0, 1, 2, 2, 2, 2],
            targets: vec![1, 2],
            weights: vec![0.5, 0.5],
            next_offsets: vec![0, 2, 3, 3, 3, 3],
            next_targets: vec![3, 2, 4],
            next_weights: vec![1.0, 0.25, 0.5],
            scoring: crate::Scoring {
                history_decay: 0.5,
                neighbor_weight: 2.0,
                next_decay: 0.25,
                next_weight: 4.0,
                family_cap,
                repeat_once: false,
                popularity_weight: 0.0,
            },
            families,
            popular: vec![4, 3, 2, 1, 0],
            popular_scores: vec![5.0, 4.0, 3.0, 2.0, 1.0],
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn next_signal_blends_with_its_own_decay() {
        let m = blended(0, vec![]);
        // History oldest first: 0 (one step back), then 1 (newest).
        let h = [(0, Signal::Purchase), (1, Signal::Purchase)];
        let r = recommend(&m, &q(&h, &[0, 1], 10, false));
        // Item 0: neighbour weight 2·0.5 = 1.0, next weight 4·0.25 = 1.0.
        // Item 1: neighbour weight 2·1 = 2, next weight 4·1 = 4.
        // 3: next from 0: 1.0·1.0 = 1.0
        // 2: nbr from 1: 2·0.5 = 1.0, plus next from 0: 1.0·0.25 → 1.25 (item 0 visited first)
        // 4: next from 1: 4·0.5 = 2.0
        let s2 = 1.0f32 * 0.25 + 2.0f32 * 0.5;
        assert_eq!(items(&r), vec![4, 2, 3]);
        assert_eq!(r[0].score, 2.0);
        assert_eq!(r[0].reason, Reason::Because(1));
        assert_eq!(r[1].score, s2);
        assert_eq!(r[1].reason, Reason::Because(1)); // 1.0 from item 1 beats 0.25 from item 0
        assert_eq!(r[2].score, 1.0);
        assert_eq!(r[2].reason, Reason::Because(0));
        // Turning the next signal off leaves the neighbours alone.
        let mut p = m.to_parts().clone();
        p.scoring.next_weight = 0.0;
        let r = recommend(&Model::from_parts(p).unwrap(), &q(&h, &[0, 1], 10, false));
        assert_eq!(items(&r), vec![2]);
        assert_eq!(r[0].score, 1.0);
        // Three steps back the next weight is 4·0.25³; the neighbour weight 2·0.5³.
        let h = [
            (0, Signal::View),
            (4, Signal::Purchase),
            (4, Signal::Purchase),
            (4, Signal::Purchase),
        ];
        let r = recommend(&m, &q(&h, &[0, 4], 10, false));
        let wn = 0.3f32 * (0.25f32 * 0.25 * 0.25) * 4.0;
        let wb = 0.3f32 * (0.5f32 * 0.5 * 0.5) * 2.0;
        // 1: 0.0375 from the neighbour; 3: 0.01875 and 2: 0.0046875 from what comes next.
        assert_eq!(items(&r), vec![1, 3, 2]);
        assert_eq!(r[0].score, wb * 0.5);
        assert_eq!(r[1].score, wn * 1.0);
        assert_eq!(r[2].score, wn * 0.25);
    }

    #[test]
    fn repeat_once_keeps_the_strongest_event() {
        // Item 4 viewed three times (steps back 1, 2, 3 behind a view of 0): added up it
        // weighs 0.3·(0.85 + 0.85² + 0.85³); once, only its most recent 0.3·0.85.
        let h = [
            (4, Signal::View),
            (4, Signal::View),
            (4, Signal::View),
            (0, Signal::View),
        ];
        let m = model();
        let added = recommend(&m, &q(&h, &[], 10, false));
        let r5 = |r: &[Recommendation]| r.iter().find(|x| x.item == 5).unwrap().score;
        let d = 0.85f32;
        assert_eq!(
            r5(&added),
            (0.3 * d + 0.3 * (d * d) + 0.3 * (d * d * d)) * 0.5
        );
        assert_eq!(items(&added), vec![5, 1, 2]);
        let mut p = m.to_parts().clone();
        p.scoring.repeat_once = true;
        let once = recommend(&Model::from_parts(p).unwrap(), &q(&h, &[], 10, false));
        assert_eq!(r5(&once), 0.3 * d * 0.5);
        // Now 1 (0.3·0.5 from the newest event) outranks 5 (0.255·0.5).
        assert_eq!(items(&once), vec![1, 5, 2]);
    }

    #[test]
    fn popularity_prior_adds_scaled_counts() {
        // model(): popular 5 (10), 3 (8), 0 (8), 4 (1). History: purchase of 2 → 3: 0.5.
        let mut p = model().into_parts();
        p.scoring.popularity_weight = 0.25;
        let m = Model::from_parts(p).unwrap();
        let r = recommend(&m, &q(&[(2, Signal::Purchase)], &[2], 10, false));
        // 3: 0.5 + 0.25·8/10; 5: 0.25·10/10; 0: 0.25·8/10; 4: 0.25·1/10.
        assert_eq!(items(&r), vec![3, 5, 0, 4]);
        assert_eq!(r[0].score, 0.5 + 0.25f32 / 10.0 * 8.0);
        assert_eq!(r[0].reason, Reason::Because(2));
        assert_eq!(r[1].score, 0.25f32 / 10.0 * 10.0);
        assert_eq!(r[1].reason, Reason::Popular);
        assert_eq!(r[3].score, 0.25f32 / 10.0 * 1.0);
        // An empty history is still the plain popularity fill (score 0).
        let r = recommend(&m, &q(&[], &[], 2, true));
        assert_eq!(items(&r), vec![5, 3]);
        assert_eq!(r[0].score, 0.0);
    }

    #[test]
    fn family_cap_limits_near_duplicates() {
        // 2, 3 and 4 are one family; cap 1 keeps only its best item, also in the fill.
        let h = [(0, Signal::Purchase), (1, Signal::Purchase)];
        let m = blended(1, vec![0, 1, 2, 2, 2]);
        let r = recommend(&m, &q(&h, &[0, 1], 10, false));
        assert_eq!(items(&r), vec![4]);
        let r = recommend(&m, &q(&h, &[0, 1], 10, true));
        assert_eq!(items(&r), vec![4]); // popular 3, 2 are the same family; 1, 0 excluded
        let r = recommend(&m, &q(&[], &[], 3, true));
        assert_eq!(items(&r), vec![4, 1, 0]);
        // Cap 2 lets two through; no families = no cap.
        let m2 = blended(2, vec![0, 1, 2, 2, 2]);
        assert_eq!(
            items(&recommend(&m2, &q(&h, &[0, 1], 10, false))),
            vec![4, 2]
        );
        let m3 = blended(1, vec![]);
        assert_eq!(
            items(&recommend(&m3, &q(&h, &[0, 1], 10, false))),
            vec![4, 2, 3]
        );
        // The scorer's family counts do not leak into the next query.
        let mut s = Scorer::new();
        let a = s.recommend(&m, &q(&h, &[0, 1], 10, false));
        let b = s.recommend(&m, &q(&h, &[0, 1], 10, false));
        assert_eq!(a, b);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn arb_model() -> impl Strategy<Value = Model> {
            (2usize..30).prop_flat_map(|n| {
                let rows = proptest::collection::vec(
                    proptest::collection::btree_map(0..n as u32, 1u32..=65536, 0..6),
                    n..=n,
                );
                let pop = proptest::collection::btree_set(0..n as u32, 0..=n);
                (rows, pop).prop_map(move |(rows, pop)| {
                    let mut p = ModelParts {
                        ids: (0..n).map(|i| i.to_string()).collect(),
                        ..Default::default()
                    };
                    p.offsets.push(0);
                    for (i, row) in rows.into_iter().enumerate() {
                        let mut e: Vec<(u32, u32)> =
                            row.into_iter().filter(|&(t, _)| t as usize != i).collect();
                        e.sort_by_key(|x| std::cmp::Reverse(x.1));
                        for (t, w) in e {
                            p.targets.push(t);
                            p.weights.push(w as f32 / 65536.0);
                        }
                        p.offsets.push(p.targets.len() as u32);
                    }
                    p.popular = pop.into_iter().collect();
                    p.popular_scores = vec![1.0; p.popular.len()];
                    Model::from_parts(p).unwrap()
                })
            })
        }

        proptest! {
            #[test]
            fn invariants(m in arb_model(), hist in proptest::collection::vec((0u32..40, 0u8..3), 0..12), k in 0usize..12, fill in any::<bool>()) {
                let history: Vec<(u32, Signal)> = hist.iter().map(|&(i, s)| (i, [Signal::View, Signal::Cart, Signal::Purchase][s as usize])).collect();
                let exclude: Vec<u32> = history.iter().map(|h| h.0).collect();
                let r = recommend(&m, &Query { history: &history, exclude: &exclude, k, fill_popular: fill });
                prop_assert!(r.len() <= k);
                let mut seen = std::collections::BTreeSet::new();
                for x in &r {
                    prop_assert!((x.item as usize) < m.len());
                    prop_assert!(!exclude.contains(&x.item));
                    prop_assert!(seen.insert(x.item));
                    if let Reason::Because(h) = x.reason {
                        prop_assert!(exclude.contains(&h));
                        prop_assert!(m.neighbors(h).0.contains(&x.item));
                    }
                }
                for w in r.windows(2) {
                    prop_assert!(w[0].score > w[1].score || (w[0].score == w[1].score && (w[0].item < w[1].item || w[1].reason == Reason::Popular)));
                }
                // Popularity fill completes the list when enough items are available.
                if fill {
                    let avail = m.popular().0.iter().filter(|p| !exclude.contains(p)).count();
                    prop_assert!(r.len() >= k.min(avail));
                }
            }
        }
    }
}
