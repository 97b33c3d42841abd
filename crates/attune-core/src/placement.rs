//! What each placement shows and why: `similar`, `bought-together`, `for-you`, `recent`,
//! `cart` and `popular`, each a list of candidates from the one scoring path, passed
//! through the merchant's rules (attune-core rules.rs), with a fallback placement when
//! too little clears the minimum score. Also the batch contract of `attune recommend`
//! (for the CLI ⇄ Wasm parity test).
//!
//! Pure Rust over the core (no DOM, no JS), so it is tested natively and gives the same
//! lists under Node, in the browser and in tests. Rendering lives in the widget crate (src/render.rs).

use crate::profile::Profile;
use crate::rules::{Context, Pick, Rules, Why};
use crate::{recommend, Model, Query, Reason, Signal};
use alloc::string::String;
use alloc::vec::Vec;

/// Items per placement when neither the element nor the page configure it.
pub const DEFAULT_K: usize = 4;
/// Upper bound for a placement's `k`: a widget, not a catalog page.
pub const MAX_K: usize = 24;
/// Items matching the latest search that steer "for you".
const SEARCH_MATCHES: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Like the item on this page (its neighbours).
    Similar,
    /// Bought with the page's item, or with everything in the basket (one merged list).
    BoughtTogether,
    /// From this shopper's whole history and the page's context.
    ForYou,
    /// Recently viewed, most recent first.
    Recent,
    /// Complements for the basket page.
    Cart,
    /// The shop's popular items (cold start).
    Popular,
}

const NAMES: [(Placement, &str); 6] = [
    (Placement::Similar, "similar"),
    (Placement::BoughtTogether, "bought-together"),
    (Placement::ForYou, "for-you"),
    (Placement::Recent, "recent"),
    (Placement::Cart, "cart"),
    (Placement::Popular, "popular"),
];

impl Placement {
    pub fn parse(name: &str) -> Option<Placement> {
        let name = name.trim();
        NAMES.iter().find(|p| p.1 == name).map(|p| p.0)
    }

    /// Where a placement turns when too little of its own clears the minimum score.
    pub fn default_fallback(self) -> Option<Placement> {
        match self {
            Placement::ForYou | Placement::Cart => Some(Placement::Popular),
            _ => None,
        }
    }
}

/// One placement request: what the element and the page say.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub placement: Placement,
    /// The item on this page (already resolved to an index).
    pub current: Option<u32>,
    /// The basket when the page says what it holds; `None` = as the profile tells it.
    pub cart: Option<&'a [u32]>,
    pub k: usize,
    /// Own candidates scoring below this are dropped (fallback candidates are not).
    pub min_score: f32,
    /// Tops up (or replaces) a list shorter than `k`; `None` = nothing.
    pub fallback: Option<Placement>,
}

/// The items a placement shows, best first, at most `k`, each with its reason.
pub fn pick(model: &Model, profile: &Profile, rules: &Rules, req: &Request<'_>) -> Vec<Pick> {
    let cart: Vec<u32> = match req.cart {
        Some(c) => c.to_vec(),
        None => profile.cart(model),
    };
    let history = profile.history(model);
    let purchased = profile.purchased(model);
    let dismissed = profile.dismissed(model);
    let mut exclude = cart.clone();
    exclude.extend(req.current);
    let cx = Context {
        exclude: &exclude,
        purchased: &purchased,
        dismissed: &dismissed,
        band: rules.price_band(model, &history),
    };
    // Enough candidates that the rules can drop some and still fill the list.
    let pool = (req.k * 4 + exclude.len() + purchased.len() + dismissed.len()).min(model.len());
    let src = Sources {
        model,
        profile,
        history: &history,
        cart: &cart,
        current: req.current,
        pool,
    };
    let mut out = match req.placement {
        // The shopper's own history: no rules but their own "not interested".
        Placement::Recent => {
            let mut c = src.candidates(Placement::Recent);
            c.truncate(req.k);
            c
        }
        p => rules.apply(model, &cx, src.candidates(p), req.k, req.min_score, true),
    };
    if out.len() < req.k {
        if let Some(fb) = req.fallback.filter(|&f| f != req.placement) {
            let more = match fb {
                Placement::Recent => src.candidates(fb),
                // Pinned items lead the fallback when it is all there is.
                _ => rules.apply(model, &cx, src.candidates(fb), req.k, 0.0, out.is_empty()),
            };
            for p in more {
                if out.len() == req.k {
                    break;
                }
                if !out.iter().any(|o| o.item == p.item) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// What the candidates of every placement are made from.
struct Sources<'a> {
    model: &'a Model,
    profile: &'a Profile,
    history: &'a [(u32, Signal)],
    cart: &'a [u32],
    current: Option<u32>,
    pool: usize,
}

impl Sources<'_> {
    /// A placement's candidates, best first, before the rules.
    fn candidates(&self, placement: Placement) -> Vec<Pick> {
        let m = self.model;
        match placement {
            Placement::Similar => match self.current {
                Some(item) => self.neighbours(&[item]),
                None => Vec::new(),
            },
            Placement::BoughtTogether => {
                let mut basis: Vec<u32> = self.cart.to_vec();
                basis.retain(|&i| Some(i) != self.current);
                basis.extend(self.current);
                self.neighbours(&basis)
            }
            Placement::Cart if self.cart.is_empty() => Vec::new(),
            Placement::Cart | Placement::ForYou => self.personal(placement),
            Placement::Recent => {
                let items = self.profile.recently_viewed(m, self.current, MAX_K);
                picks(&items, &[], Why::Viewed)
            }
            Placement::Popular => {
                let (items, scores) = m.popular();
                picks(items, scores, Why::Popular)
            }
        }
    }

    /// Co-purchase neighbours of `basis` (oldest first), merged and deduplicated,
    /// without the basis itself: "Often bought with X".
    fn neighbours(&self, basis: &[u32]) -> Vec<Pick> {
        let history: Vec<(u32, Signal)> = basis.iter().map(|&i| (i, Signal::Purchase)).collect();
        self.scored(&history, basis, &Why::BoughtWith)
    }

    /// `for-you` and `cart`: the profile's history, then the context as its most recent
    /// part (items matching the latest search, the page's item, the basket).
    fn personal(&self, placement: Placement) -> Vec<Pick> {
        let m = self.model;
        let mut history: Vec<(u32, Signal)> = self.history.to_vec();
        let mut searched: Vec<u32> = Vec::new();
        let add = |history: &mut Vec<(u32, Signal)>, item: u32, s: Signal| {
            history.retain(|h| h.0 != item);
            history.push((item, s));
        };
        if placement == Placement::ForYou {
            if let Some(q) = self.profile.last_search() {
                for item in search(m, q, SEARCH_MATCHES) {
                    if !history.iter().any(|h| h.0 == item) {
                        searched.push(item);
                        add(&mut history, item, Signal::View);
                    }
                }
            }
            if let Some(item) = self.current {
                if !history.iter().any(|h| h.0 == item) {
                    add(&mut history, item, Signal::View);
                }
            }
        } else {
            // The basket is what is about to be bought: its items weigh as purchases.
            for &item in self.cart {
                add(&mut history, item, Signal::Purchase);
            }
        }
        let cart = self.cart;
        let known = history.clone();
        self.scored(&history, &[], &|src| {
            if searched.contains(&src) {
                Why::Searched
            } else if placement == Placement::Cart && cart.contains(&src) {
                Why::BoughtWith(src)
            } else {
                match known.iter().find(|h| h.0 == src) {
                    Some(&(_, s)) => Why::Because(src, s),
                    None => Why::Popular,
                }
            }
        })
    }

    fn scored(
        &self,
        history: &[(u32, Signal)],
        exclude: &[u32],
        why: &dyn Fn(u32) -> Why,
    ) -> Vec<Pick> {
        if history.is_empty() {
            return Vec::new();
        }
        let q = Query {
            history,
            exclude,
            k: self.pool,
            fill_popular: false,
        };
        let mut out = Vec::new();
        for r in recommend(self.model, &q) {
            out.push(Pick {
                item: r.item,
                score: r.score,
                why: match r.reason {
                    Reason::Because(src) => why(src),
                    Reason::Popular => Why::Popular,
                },
            });
        }
        out
    }
}

/// Picks for `items`, each with its score (0 past the end of `scores`) and one reason.
// One loop instead of a `collect` per call site (each its own copy in the Wasm).
fn picks(items: &[u32], scores: &[f32], why: Why) -> Vec<Pick> {
    let mut out = Vec::with_capacity(items.len());
    for (i, &item) in items.iter().enumerate() {
        out.push(Pick {
            item,
            score: scores.get(i).copied().unwrap_or(0.0),
            why,
        });
    }
    out
}

/// Items whose title contains every word of `query` (ASCII case-insensitive), in model
/// order, at most `max`.
pub fn search(model: &Model, query: &str, max: usize) -> Vec<u32> {
    let words: Vec<&str> = query.split_whitespace().collect();
    let mut out = Vec::new();
    if words.is_empty() {
        return out;
    }
    for i in 0..model.len() as u32 {
        if out.len() == max {
            break;
        }
        if let Some(t) = model.title(i) {
            if words.iter().all(|w| contains_ci(t, w)) {
                out.push(i);
            }
        }
    }
    out
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    hay.as_bytes()
        .windows(n.len())
        .any(|w| w.eq_ignore_ascii_case(n))
}

/// The `attune recommend` contract for one input line: ids separated by ASCII whitespace,
/// oldest first, each a purchase; unknown ids ignored; never an item of the history;
/// filled from the popularity fallback. Returns ids separated by single spaces.
pub fn batch(model: &Model, line: &str, k: usize) -> String {
    // ASCII whitespace exactly as the CLI splits: a non-ASCII space stays inside a token.
    let history: Vec<(u32, Signal)> = line
        .split(|c: char| c.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
        .filter_map(|id| model.index_of(id))
        .map(|i| (i, Signal::Purchase))
        .collect();
    let exclude: Vec<u32> = history.iter().map(|h| h.0).collect();
    let q = Query {
        history: &history,
        exclude: &exclude,
        k: k.min(model.len()),
        fill_popular: true,
    };
    let mut out = String::new();
    for r in recommend(model, &q) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(model.id(r.item));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Event;
    use crate::rules::{PIN, UNAVAILABLE};
    use crate::ModelParts;

    /// A: B C; B: A; C: A D; D: (none); E: (none). Popular: E D A.
    /// Titles: "Red lamp", "Blue mug", "Red mug", "Lamp shade", "Tea".
    fn model() -> Model {
        Model::from_parts(ModelParts {
            ids: ["A", "B", "C", "D", "E"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            titles: ["Red lamp", "Blue mug", "Red MUG", "Lamp shade", "Tea"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            offsets: vec![0, 2, 3, 5, 5, 5],
            targets: vec![1, 2, 0, 0, 3],
            weights: vec![0.9, 0.5, 0.9, 0.8, 0.3],
            popular: vec![4, 3, 0],
            popular_scores: vec![3.0, 2.0, 1.0],
            ..ModelParts::default()
        })
        .expect("valid test model")
    }

    fn profile(events: &[(&str, &str)]) -> Profile {
        Profile::from_events(
            events
                .iter()
                .enumerate()
                .map(|(i, (k, id))| Event::new(k, id, 3_600_000.0 * i as f64).unwrap())
                .collect(),
        )
    }

    fn req(placement: Placement, current: Option<u32>, k: usize) -> Request<'static> {
        Request {
            placement,
            current,
            cart: None,
            k,
            min_score: 0.0,
            fallback: placement.default_fallback(),
        }
    }

    fn run(m: &Model, p: &Profile, r: &Request<'_>) -> Vec<Pick> {
        pick(m, p, &Rules::new(m.len()), r)
    }

    fn items(p: &[Pick]) -> Vec<u32> {
        p.iter().map(|p| p.item).collect()
    }

    #[test]
    fn placement_names() {
        for (p, name) in NAMES {
            assert_eq!(Placement::parse(name), Some(p));
        }
        assert_eq!(Placement::parse(" for-you "), Some(Placement::ForYou));
        assert_eq!(Placement::parse("foryou"), None);
        assert_eq!(Placement::Similar.default_fallback(), None);
        assert_eq!(Placement::Cart.default_fallback(), Some(Placement::Popular));
    }

    #[test]
    fn similar_is_the_neighbours_in_order_without_popular_fill() {
        let m = model();
        let p = Profile::new();
        let got = run(&m, &p, &req(Placement::Similar, Some(0), 4));
        assert_eq!(items(&got), vec![1, 2]);
        assert!(got.iter().all(|g| g.why == Why::BoughtWith(0)));
        assert!(run(&m, &p, &req(Placement::Similar, Some(3), 4)).is_empty());
        assert!(run(&m, &p, &req(Placement::Similar, None, 4)).is_empty());
        assert_eq!(
            items(&run(&m, &p, &req(Placement::Similar, Some(0), 1))),
            vec![1]
        );
    }

    #[test]
    fn minimum_score_falls_back_or_renders_nothing() {
        let m = model();
        let p = Profile::new();
        let mut r = req(Placement::Similar, Some(0), 4);
        r.min_score = 0.6; // B (0.9) clears it, C (0.5) does not
        assert_eq!(items(&run(&m, &p, &r)), vec![1]);
        r.min_score = 0.95;
        assert!(run(&m, &p, &r).is_empty(), "nothing rather than noise");
        r.fallback = Some(Placement::Popular);
        let got = run(&m, &p, &r);
        assert_eq!(items(&got), vec![4, 3], "popular, without the page item");
        assert!(got.iter().all(|g| g.why == Why::Popular));
    }

    #[test]
    fn bought_together_merges_item_and_cart_without_the_cart() {
        let m = model();
        let p = profile(&[("cart", "C"), ("cart", "B")]);
        // Cart B, C: neighbours A (from both), D (from C); never B or C.
        let got = run(&m, &p, &req(Placement::BoughtTogether, None, 4));
        assert_eq!(items(&got), vec![0, 3]);
        assert!(matches!(
            got[0].why,
            Why::BoughtWith(1) | Why::BoughtWith(2)
        ));
        assert_eq!(got[1].why, Why::BoughtWith(2));
        // With a page item the item joins the basis and is never listed.
        let got = run(&m, &p, &req(Placement::BoughtTogether, Some(0), 4));
        assert_eq!(items(&got), vec![3]);
        // An item both on the page and in the basket counts once: B's score is A's
        // neighbour weight for one purchase, the newest (not that plus an older one).
        let p2 = profile(&[("cart", "A"), ("cart", "C")]);
        let got = run(&m, &p2, &req(Placement::BoughtTogether, Some(0), 4));
        assert_eq!(items(&got), vec![1, 3]);
        assert_eq!(got[0].score, m.neighbors(0).1[0]);
        // An explicit basket overrides the profile's.
        let cart = [0u32];
        let mut r = req(Placement::BoughtTogether, None, 4);
        r.cart = Some(&cart);
        assert_eq!(items(&run(&m, &p, &r)), vec![1, 2]);
    }

    #[test]
    fn cart_placement_complements_the_basket_or_falls_back() {
        let m = model();
        let got = run(
            &m,
            &profile(&[("cart", "B")]),
            &req(Placement::Cart, None, 3),
        );
        assert_eq!(
            got[0],
            Pick {
                item: 0,
                score: got[0].score,
                why: Why::BoughtWith(1)
            }
        );
        assert_eq!(items(&got), vec![0, 4, 3], "topped up with popular items");
        // Empty basket: the fallback only.
        let got = run(&m, &Profile::new(), &req(Placement::Cart, None, 2));
        assert_eq!(items(&got), vec![4, 3]);
    }

    #[test]
    fn for_you_without_history_is_popular() {
        let m = model();
        let got = run(&m, &Profile::new(), &req(Placement::ForYou, None, 2));
        assert_eq!(items(&got), vec![4, 3]);
        assert!(got.iter().all(|g| g.why == Why::Popular));
        let got = run(&m, &Profile::new(), &req(Placement::ForYou, Some(4), 2));
        assert_eq!(
            items(&got),
            vec![3, 0],
            "the page item is left out even from the fallback"
        );
    }

    #[test]
    fn for_you_excludes_cart_purchases_and_page_item_and_explains() {
        let m = model();
        let p = profile(&[("view", "C"), ("cart", "B"), ("view", "NOPE")]);
        let got = run(&m, &p, &req(Placement::ForYou, None, 5));
        assert!(
            !items(&got).contains(&1),
            "cart item B recommended: {got:?}"
        );
        let a = got.iter().find(|g| g.item == 0).expect("A shown");
        assert!(matches!(
            a.why,
            Why::Because(2, Signal::View) | Why::Because(1, Signal::Cart)
        ));
        let d = got.iter().find(|g| g.item == 3).expect("D shown");
        assert_eq!(d.why, Why::Because(2, Signal::View));
        assert!(!items(&run(&m, &p, &req(Placement::ForYou, Some(0), 5))).contains(&0));
        // A bought item is a neighbour of a viewed one, yet never comes back...
        let p = profile(&[("purchase", "A"), ("view", "C")]);
        let got = run(&m, &p, &req(Placement::ForYou, None, 5));
        assert!(
            !items(&got).contains(&0),
            "purchased A recommended: {got:?}"
        );
        assert_eq!(got[0].item, 1);
        assert_eq!(got[0].why, Why::Because(0, Signal::Purchase));
        // ...unless the merchant says it is a consumable.
        let mut rules = Rules::new(m.len());
        rules.rebuy_all = true;
        assert!(items(&pick(&m, &p, &rules, &req(Placement::ForYou, None, 5))).contains(&0));
    }

    #[test]
    fn for_you_uses_the_page_item_and_the_latest_search_as_context() {
        let m = model();
        // No history, on C's page: C's neighbours, because the shopper is viewing C.
        let got = run(&m, &Profile::new(), &req(Placement::ForYou, Some(2), 2));
        assert_eq!(items(&got), vec![0, 3]);
        assert_eq!(got[0].why, Why::Because(2, Signal::View));
        // A search for "red mug" matches C: its neighbours come first, said so.
        let p = profile(&[("search", "red  mug")]);
        let got = run(&m, &p, &req(Placement::ForYou, None, 2));
        assert_eq!(items(&got), vec![0, 3]);
        assert!(got.iter().all(|g| g.why == Why::Searched), "{got:?}");
        assert_eq!(search(&m, "LAMP", 5), vec![0, 3]);
        assert_eq!(search(&m, "lamp", 1), vec![0]);
        assert!(search(&m, "  ", 5).is_empty());
        assert!(search(&m, "sofa", 5).is_empty());
    }

    #[test]
    fn not_interested_hides_the_item_everywhere() {
        let m = model();
        let p = profile(&[("view", "A"), ("view", "C"), ("not_interested", "B")]);
        assert_eq!(
            items(&run(&m, &p, &req(Placement::Similar, Some(0), 4))),
            vec![2]
        );
        let fy = run(&m, &p, &req(Placement::ForYou, None, 5));
        assert!(!items(&fy).contains(&1));
        let p = profile(&[("view", "A"), ("not_interested", "A")]);
        assert!(run(&m, &p, &req(Placement::Recent, None, 4)).is_empty());
    }

    #[test]
    fn recent_is_views_most_recent_first_with_a_reason() {
        let m = model();
        let p = profile(&[("view", "A"), ("view", "C"), ("cart", "D"), ("view", "B")]);
        let got = run(&m, &p, &req(Placement::Recent, None, 4));
        assert_eq!(items(&got), vec![1, 2, 0]);
        assert!(got.iter().all(|g| g.why == Why::Viewed));
        assert_eq!(
            items(&run(&m, &p, &req(Placement::Recent, Some(2), 4))),
            vec![1, 0]
        );
        assert_eq!(
            items(&run(&m, &p, &req(Placement::Recent, None, 1))),
            vec![1]
        );
    }

    #[test]
    fn popular_follows_rules_and_pins() {
        let m = model();
        let mut rules = Rules::new(m.len());
        rules.set_flag(4, UNAVAILABLE, true);
        rules.set_flag(1, PIN, true);
        let p = profile(&[("purchase", "D")]);
        let got = pick(&m, &p, &rules, &req(Placement::Popular, None, 3));
        assert_eq!(items(&got), vec![1, 0]);
        assert_eq!(got[0].why, Why::Featured);
        assert_eq!(got[1].why, Why::Popular);
    }

    #[test]
    fn batch_follows_the_cli_contract() {
        let m = model();
        assert_eq!(batch(&m, "", 3), "E D A");
        assert_eq!(batch(&m, "   NOPE  ", 3), "E D A");
        let out = batch(&m, "C", 10);
        assert!(out.starts_with("A D"), "{out}");
        assert!(!out.split(' ').any(|id| id == "C"));
        let out = batch(&m, "A  B\tNOPE", 10);
        assert!(!out.split(' ').any(|id| id == "A" || id == "B"), "{out}");
        assert_eq!(batch(&m, "A", 1).split(' ').count(), 1);
        // A non-ASCII space does not separate ids (the CLI splits on ASCII whitespace).
        assert_eq!(batch(&m, "A\u{a0}B", 3), "E D A");
        assert_eq!(batch(&m, "\tA\r", 2), "B C");
        assert_eq!(batch(&m, "A", usize::MAX).split(' ').count(), 4);
    }
}
