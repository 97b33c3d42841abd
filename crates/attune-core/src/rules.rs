//! The merchant's business rules between the scorer and a placement: hide unavailable
//! items, do not re-suggest purchases (unless the item is a consumable), keep near the
//! shopper's usual price band, at most N per category, pin / boost / bury lists, demote
//! the neighbours of dismissed items, a minimum score. Also the honest reason of a pick.
//!
//! Pure and deterministic like the rest of the core: catalog facts the model does not
//! hold (availability, categories, fresher prices) come in from the page through
//! [`Rules`]; the shopper's side comes in through [`Context`]. Ranking uses the small
//! heapsort of `sort.rs` with a total order (score, then original position).

use crate::model::Model;
use crate::score::Signal;
use crate::sort::heapsort_by;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// Why an item is suggested: what the card says under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// "Often bought with X": a neighbour of X in the model (co-purchased).
    BoughtWith(u32),
    /// "Because you viewed / added / bought X": the history item that contributed most.
    Because(u32, Signal),
    /// "Because you searched for …": a neighbour of an item matching the latest search.
    Searched,
    /// "Popular now": the shop's popularity list.
    Popular,
    /// "You viewed this": the shopper's own recently viewed item.
    Viewed,
    /// "Featured by the shop": pinned by the merchant.
    Featured,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pick {
    pub item: u32,
    /// The scorer's score (or the popularity score), after the rules' adjustments.
    pub score: f32,
    pub why: Why,
}

/// Item flags set from the page's catalog facts and the merchant's config.
pub const UNAVAILABLE: u8 = 1;
pub const PIN: u8 = 2;
pub const BOOST: u8 = 4;
pub const BURY: u8 = 8;
/// A consumable: may be suggested again after it was bought.
pub const REBUY: u8 = 16;

/// Score multipliers. Boost and bury move an item within what the scorer found; they
/// do not invent relevance (a pin does that, and says so: "Featured").
pub const BOOST_FACTOR: f32 = 1.5;
pub const BURY_FACTOR: f32 = 0.25;
/// Outside the shopper's usual price band.
pub const OUT_OF_BAND_FACTOR: f32 = 0.5;
/// A neighbour of a dismissed item loses up to half its score (in proportion to how
/// close a neighbour it is).
pub const DISMISSED_NEIGHBOUR: f32 = 0.5;
/// Price band: the history's median price divided / multiplied by this (0 = off).
pub const PRICE_BAND: f32 = 3.0;
/// How many priced history items make a band.
pub const PRICE_BAND_MIN_ITEMS: usize = 3;

/// The shopper's side of the rules for one request.
#[derive(Clone, Debug, Default)]
pub struct Context<'a> {
    /// Never shown: the page's item and the basket.
    pub exclude: &'a [u32],
    pub purchased: &'a [u32],
    pub dismissed: &'a [u32],
    /// (lowest, highest) price in minor units kept at full score.
    pub band: Option<(u32, u32)>,
}

/// The merchant's rules and the page's catalog facts, per item of one model.
#[derive(Clone, Debug)]
pub struct Rules {
    flags: Vec<u8>,
    /// Category per item: 0 = unknown, else index + 1 into `names`.
    category: Vec<u16>,
    names: Vec<String>,
    /// Pinned items in the order the merchant listed them.
    pins: Vec<u32>,
    /// Fresher prices from the page (minor units).
    prices: Vec<(u32, u32)>,
    /// At most this many suggestions of one category per placement (0 = no cap).
    pub max_per_category: usize,
    /// Price band factor (0 = off).
    pub price_band: f32,
    /// Default minimum score of a placement (below it: fallback or nothing).
    pub min_score: f32,
    /// Every item may be suggested again after purchase (a shop of consumables).
    pub rebuy_all: bool,
}

impl Rules {
    /// No rules yet, for a model of `n` items.
    pub fn new(n: usize) -> Rules {
        Rules {
            flags: vec![0; n],
            category: vec![0; n],
            names: Vec::new(),
            pins: Vec::new(),
            prices: Vec::new(),
            max_per_category: 0,
            price_band: PRICE_BAND,
            min_score: 0.0,
            rebuy_all: false,
        }
    }

    pub fn flags(&self, item: u32) -> u8 {
        self.flags.get(item as usize).copied().unwrap_or(0)
    }

    /// Sets (`on`) or clears `flag` for `item`; pins keep the order they were set in.
    pub fn set_flag(&mut self, item: u32, flag: u8, on: bool) {
        let Some(f) = self.flags.get_mut(item as usize) else {
            return;
        };
        *f = if on { *f | flag } else { *f & !flag };
        if flag & PIN != 0 {
            self.pins.retain(|&p| p != item);
            if on {
                self.pins.push(item);
            }
        }
    }

    /// Puts `item` in the category called `name` (an empty name clears it).
    pub fn set_category(&mut self, item: u32, name: &str) {
        let name = name.trim();
        let id = if name.is_empty() {
            0
        } else {
            match self.names.iter().position(|n| n == name) {
                Some(i) => i + 1,
                None if self.names.len() < u16::MAX as usize - 1 => {
                    self.names.push(name.to_owned());
                    self.names.len()
                }
                None => return,
            }
        };
        if let Some(c) = self.category.get_mut(item as usize) {
            *c = id as u16;
        }
    }

    /// The category id of `item` (0 = unknown).
    pub fn category(&self, item: u32) -> u16 {
        self.category.get(item as usize).copied().unwrap_or(0)
    }

    /// A fresher price for `item`, in minor units.
    pub fn set_price(&mut self, item: u32, price: u32) {
        if (item as usize) < self.flags.len() {
            self.prices.retain(|p| p.0 != item);
            self.prices.push((item, price));
        }
    }

    /// The page's price if it gave one, else the model's.
    pub fn price(&self, model: &Model, item: u32) -> Option<u32> {
        match self.prices.iter().find(|p| p.0 == item) {
            Some(p) => Some(p.1),
            None => model.price(item),
        }
    }

    /// The shopper's usual price band from the scoring history: median price of the
    /// priced items / and × the band factor; `None` with too few priced items or the
    /// band switched off.
    pub fn price_band(&self, model: &Model, history: &[(u32, Signal)]) -> Option<(u32, u32)> {
        if self.price_band <= 1.0 {
            return None;
        }
        let mut prices: Vec<u32> = history
            .iter()
            .filter_map(|h| self.price(model, h.0))
            .collect();
        if prices.len() < PRICE_BAND_MIN_ITEMS {
            return None;
        }
        heapsort_by(&mut prices, |a, b| a.cmp(b));
        let median = prices[prices.len() / 2] as f32;
        Some((
            (median / self.price_band) as u32,
            (median * self.price_band) as u32,
        ))
    }

    /// May `item` be suggested at all here?
    pub fn allowed(&self, cx: &Context<'_>, item: u32) -> bool {
        let f = self.flags(item);
        f & UNAVAILABLE == 0
            && !cx.exclude.contains(&item)
            && !cx.dismissed.contains(&item)
            && (self.rebuy_all || f & REBUY != 0 || !cx.purchased.contains(&item))
    }

    /// Applies every rule to a placement's candidates: drops what may not be shown and
    /// duplicates, adjusts scores (boost, bury, price band, dismissed neighbours),
    /// ranks by adjusted score (ties keep the candidates' order), drops scores below
    /// `min`, caps categories, puts pinned items first when `pin` (and something of the
    /// list's own clears `min`), keeps at most `k`.
    pub fn apply(
        &self,
        model: &Model,
        cx: &Context<'_>,
        picks: Vec<Pick>,
        k: usize,
        min: f32,
        pin: bool,
    ) -> Vec<Pick> {
        let mut ranked: Vec<(usize, Pick)> = Vec::with_capacity(picks.len());
        for (pos, mut p) in picks.into_iter().enumerate() {
            if !self.allowed(cx, p.item) || ranked.iter().any(|r| r.1.item == p.item) {
                continue;
            }
            let f = self.flags(p.item);
            if f & BOOST != 0 {
                p.score *= BOOST_FACTOR;
            }
            if f & BURY != 0 {
                p.score *= BURY_FACTOR;
            }
            if let (Some((lo, hi)), Some(price)) = (cx.band, self.price(model, p.item)) {
                if price < lo || price > hi {
                    p.score *= OUT_OF_BAND_FACTOR;
                }
            }
            for &d in cx.dismissed {
                let (targets, sims) = model.neighbors(d);
                if let Some(j) = targets.iter().position(|&t| t == p.item) {
                    p.score *= 1.0 - DISMISSED_NEIGHBOUR * sims[j];
                }
            }
            ranked.push((pos, p));
        }
        heapsort_by(&mut ranked, |a, b| {
            b.1.score.total_cmp(&a.1.score).then(a.0.cmp(&b.0))
        });

        let mut out: Vec<Pick> = Vec::with_capacity(k);
        let mut per_category: Vec<(u16, usize)> = Vec::new();
        // Pins join a list that has something of its own: they never turn "nothing
        // worth showing" into a placement of promotions.
        let own = ranked.iter().any(|r| r.1.score >= min);
        let pins = if pin && own { &self.pins[..] } else { &[] };
        let pinned = pins
            .iter()
            .filter(|&&item| self.allowed(cx, item))
            .map(|&item| Pick {
                item,
                score: f32::INFINITY,
                why: Why::Featured,
            });
        for p in pinned.chain(ranked.into_iter().map(|r| r.1)) {
            if out.len() >= k {
                break;
            }
            if p.score < min || out.iter().any(|o| o.item == p.item) {
                continue;
            }
            if !self.category_room(&mut per_category, p.item) {
                continue;
            }
            out.push(p);
        }
        out
    }

    /// Whether `item`'s category is still under the cap; counts it if so.
    fn category_room(&self, seen: &mut Vec<(u16, usize)>, item: u32) -> bool {
        let c = self.category(item);
        if c == 0 || self.max_per_category == 0 {
            return true;
        }
        match seen.iter_mut().find(|e| e.0 == c) {
            Some(e) if e.1 >= self.max_per_category => false,
            Some(e) => {
                e.1 += 1;
                true
            }
            None => {
                seen.push((c, 1));
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelParts, NO_PRICE};

    /// 6 items, prices 100..600; A's neighbours: B (1.0), C (0.5).
    fn model() -> Model {
        Model::from_parts(ModelParts {
            ids: ["A", "B", "C", "D", "E", "F"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            prices: vec![100, 200, 300, 400, 500, NO_PRICE],
            offsets: vec![0, 2, 2, 2, 2, 2, 2],
            targets: vec![1, 2],
            weights: vec![1.0, 0.5],
            ..ModelParts::default()
        })
        .unwrap()
    }

    fn picks(items: &[(u32, f32)]) -> Vec<Pick> {
        items
            .iter()
            .map(|&(item, score)| Pick {
                item,
                score,
                why: Why::Popular,
            })
            .collect()
    }

    fn items(p: &[Pick]) -> Vec<u32> {
        p.iter().map(|p| p.item).collect()
    }

    const ALL: [(u32, f32); 6] = [(0, 6.0), (1, 5.0), (2, 4.0), (3, 3.0), (4, 2.0), (5, 1.0)];

    #[test]
    fn without_rules_the_order_is_the_scores_and_k_holds() {
        let m = model();
        let r = Rules::new(m.len());
        let cx = Context::default();
        let got = r.apply(
            &m,
            &cx,
            picks(&[(2, 1.0), (0, 3.0), (1, 3.0), (2, 9.0)]),
            10,
            0.0,
            true,
        );
        // Ties keep the candidates' order; the duplicate of 2 is dropped.
        assert_eq!(items(&got), vec![0, 1, 2]);
        assert_eq!(
            items(&r.apply(&m, &cx, picks(&ALL), 2, 0.0, true)),
            vec![0, 1]
        );
    }

    #[test]
    fn hides_unavailable_excluded_dismissed_and_purchased_unless_rebuy() {
        let m = model();
        let mut r = Rules::new(m.len());
        r.set_flag(1, UNAVAILABLE, true);
        let cx = Context {
            exclude: &[0],
            purchased: &[2, 3],
            dismissed: &[4],
            band: None,
        };
        assert_eq!(
            items(&r.apply(&m, &cx, picks(&ALL), 10, 0.0, true)),
            vec![5]
        );
        r.set_flag(3, REBUY, true);
        r.set_flag(1, UNAVAILABLE, false);
        assert_eq!(
            items(&r.apply(&m, &cx, picks(&ALL), 10, 0.0, true)),
            vec![1, 3, 5]
        );
        r.rebuy_all = true;
        assert_eq!(
            items(&r.apply(&m, &cx, picks(&ALL), 10, 0.0, true)),
            vec![1, 2, 3, 5]
        );
    }

    #[test]
    fn boost_and_bury_reorder() {
        let m = model();
        let mut r = Rules::new(m.len());
        r.set_flag(0, BURY, true); // 6 × 0.25 = 1.5
        r.set_flag(3, BOOST, true); // 3 × 1.5 = 4.5
        let got = r.apply(&m, &Context::default(), picks(&ALL), 10, 0.0, true);
        assert_eq!(items(&got), vec![1, 3, 2, 4, 0, 5]);
        assert_eq!(got[1].score, 4.5);
    }

    #[test]
    fn pins_come_first_in_their_order_and_only_when_allowed() {
        let m = model();
        let mut r = Rules::new(m.len());
        r.set_flag(5, PIN, true);
        r.set_flag(3, PIN, true);
        r.set_flag(1, PIN, true);
        r.set_flag(1, PIN, false);
        let cx = Context {
            exclude: &[3],
            ..Context::default()
        };
        let got = r.apply(&m, &cx, picks(&[(0, 1.0), (2, 2.0)]), 3, 0.5, true);
        assert_eq!(items(&got), vec![5, 2, 0]);
        assert_eq!(got[0].why, Why::Featured);
        // Not where pins are off (e.g. "recently viewed").
        let got = r.apply(&m, &cx, picks(&[(0, 1.0), (2, 2.0)]), 3, 0.5, false);
        assert_eq!(items(&got), vec![2, 0]);
        // Nothing of the list's own clears the minimum: no pins either.
        assert!(r
            .apply(&m, &cx, picks(&[(0, 1.0)]), 3, 5.0, true)
            .is_empty());
        assert!(r.apply(&m, &cx, vec![], 3, 0.0, true).is_empty());
    }

    #[test]
    fn minimum_score_drops_weak_candidates() {
        let m = model();
        let r = Rules::new(m.len());
        let got = r.apply(&m, &Context::default(), picks(&ALL), 10, 3.0, true);
        assert_eq!(items(&got), vec![0, 1, 2, 3]);
        assert!(r
            .apply(&m, &Context::default(), picks(&ALL), 10, 7.0, true)
            .is_empty());
    }

    #[test]
    fn at_most_n_per_category() {
        let m = model();
        let mut r = Rules::new(m.len());
        for (item, cat) in [
            (0, "Mugs"),
            (1, "Mugs"),
            (2, "Mugs"),
            (3, "Lamps"),
            (4, "Lamps"),
        ] {
            r.set_category(item, cat);
        }
        assert_eq!(r.category(0), r.category(2));
        assert_ne!(r.category(0), r.category(3));
        assert_eq!(r.category(5), 0);
        let all = r.apply(&m, &Context::default(), picks(&ALL), 10, 0.0, true);
        assert_eq!(all.len(), 6, "no cap by default");
        r.max_per_category = 1;
        let got = r.apply(&m, &Context::default(), picks(&ALL), 10, 0.0, true);
        assert_eq!(
            items(&got),
            vec![0, 3, 5],
            "uncategorised items are never capped"
        );
        r.set_category(2, "");
        r.max_per_category = 2;
        let got = r.apply(&m, &Context::default(), picks(&ALL), 10, 0.0, true);
        assert_eq!(items(&got), vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn price_band_from_history_demotes_items_outside_it() {
        let m = model();
        let mut r = Rules::new(m.len());
        let h = |items: &[u32]| -> Vec<(u32, Signal)> {
            items.iter().map(|&i| (i, Signal::View)).collect()
        };
        // Too few priced items (F has no price): no band.
        assert_eq!(r.price_band(&m, &h(&[0, 1, 5])), None);
        // Median 200, factor 3: 66..600.
        assert_eq!(r.price_band(&m, &h(&[0, 1, 2])), Some((66, 600)));
        r.price_band = 1.5; // 133..300
        let band = r.price_band(&m, &h(&[0, 1, 2]));
        assert_eq!(band, Some((133, 300)));
        let cx = Context {
            band,
            ..Context::default()
        };
        // Equal scores: in-band B, C (and unpriced F) stay ahead of A, D, E.
        let flat = picks(&[(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0), (4, 1.0), (5, 1.0)]);
        let got = r.apply(&m, &cx, flat, 10, 0.0, true);
        assert_eq!(items(&got), vec![1, 2, 5, 0, 3, 4]);
        // A fresher page price moves A into the band.
        r.set_price(0, 250);
        assert_eq!(r.price(&m, 0), Some(250));
        let flat = picks(&[(0, 1.0), (3, 1.0), (1, 1.0)]);
        assert_eq!(items(&r.apply(&m, &cx, flat, 10, 0.0, true)), vec![0, 1, 3]);
        r.price_band = 0.0;
        assert_eq!(r.price_band(&m, &h(&[0, 1, 2])), None);
    }

    #[test]
    fn neighbours_of_dismissed_items_are_demoted() {
        let m = model();
        let r = Rules::new(m.len());
        let cx = Context {
            dismissed: &[0],
            ..Context::default()
        };
        // B is A's closest neighbour (1.0 → ×0.5), C a weaker one (0.5 → ×0.75).
        let got = r.apply(
            &m,
            &cx,
            picks(&[(1, 4.0), (2, 4.0), (3, 2.5)]),
            10,
            0.0,
            true,
        );
        assert_eq!(items(&got), vec![2, 3, 1]);
        assert_eq!(got[0].score, 3.0);
        assert_eq!(got[2].score, 2.0);
    }

    #[test]
    fn out_of_range_items_are_ignored_not_panics() {
        let m = model();
        let mut r = Rules::new(m.len());
        r.set_flag(99, PIN, true);
        r.set_category(99, "X");
        r.set_price(99, 5);
        assert_eq!(r.flags(99), 0);
        assert_eq!(r.category(99), 0);
        assert!(r
            .apply(&m, &Context::default(), vec![], 3, 0.0, true)
            .is_empty());
    }
}
