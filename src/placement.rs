//! What each placement shows and why: the queries behind `similar`, `for-you` and
//! `recent`, and the batch contract of `attune recommend` (for the parity test).
//!
//! Pure Rust over the core (no DOM, no JS), so it is tested natively and renders the
//! same lists under Node, in the browser and in tests. Rendering lives in render.rs.

use attune_core::profile::Profile;
use attune_core::{recommend, Model, Query, Reason, Signal};

/// Items per placement when neither the element nor the page configure it.
pub const DEFAULT_K: usize = 4;
/// Upper bound for a placement's `k`: a widget, not a catalog page.
pub const MAX_K: usize = 24;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Like the item on this page (its neighbours).
    Similar,
    /// From this shopper's whole history.
    ForYou,
    /// Recently viewed, most recent first.
    Recent,
}

impl Placement {
    pub fn parse(name: &str) -> Option<Placement> {
        match name.trim() {
            "similar" => Some(Placement::Similar),
            "for-you" => Some(Placement::ForYou),
            "recent" => Some(Placement::Recent),
            _ => None,
        }
    }

    pub fn heading(self) -> &'static str {
        match self {
            Placement::Similar => "Similar items",
            Placement::ForYou => "Picked for you",
            Placement::Recent => "Recently viewed",
        }
    }
}

/// The honest reason shown under a card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// `similar`: a neighbour of the page item (co-purchased by the shop's customers).
    BoughtWith(u32),
    /// `for-you`: the history item that contributed most, and what the shopper did with it.
    Because(u32, Signal),
    /// The shop's popularity fallback.
    Popular,
    /// `recent`: the card is the shopper's own history; no reason needed.
    Viewed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    pub item: u32,
    pub why: Why,
}

/// The items a placement shows, best first, at most `k`. `current` is the item on this
/// page (the `item` attribute), already resolved to an index.
pub fn pick(
    model: &Model,
    profile: &Profile,
    placement: Placement,
    current: Option<u32>,
    k: usize,
) -> Vec<Pick> {
    match placement {
        Placement::Similar => similar(model, current, k),
        Placement::ForYou => for_you(model, profile, current, k),
        Placement::Recent => profile
            .recently_viewed(model, current, k)
            .into_iter()
            .map(|item| Pick {
                item,
                why: Why::Viewed,
            })
            .collect(),
    }
}

fn similar(model: &Model, current: Option<u32>, k: usize) -> Vec<Pick> {
    let Some(item) = current else {
        return Vec::new();
    };
    let history = [(item, Signal::Purchase)];
    let q = Query {
        history: &history,
        exclude: &[item],
        k,
        fill_popular: false,
    };
    recommend(model, &q)
        .into_iter()
        .map(|r| Pick {
            item: r.item,
            why: Why::BoughtWith(item),
        })
        .collect()
}

fn for_you(model: &Model, profile: &Profile, current: Option<u32>, k: usize) -> Vec<Pick> {
    let history = profile.history(model);
    let mut exclude = profile.owned(model);
    exclude.extend(current);
    let q = Query {
        history: &history,
        exclude: &exclude,
        k,
        fill_popular: true,
    };
    recommend(model, &q)
        .into_iter()
        .map(|r| {
            let why = match r.reason {
                Reason::Because(src) => match history.iter().find(|h| h.0 == src) {
                    Some(&(_, signal)) => Why::Because(src, signal),
                    None => Why::Popular,
                },
                Reason::Popular => Why::Popular,
            };
            Pick { item: r.item, why }
        })
        .collect()
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
    use attune_core::profile::Event;
    use attune_core::ModelParts;

    /// A: B C; B: A; C: A D; D: (none); E: (none). Popular: E D A.
    fn model() -> Model {
        Model::from_parts(ModelParts {
            ids: ["A", "B", "C", "D", "E"]
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
                .map(|(i, (k, id))| Event::new(k, id, i as f64).unwrap())
                .collect(),
        )
    }

    fn items(p: &[Pick]) -> Vec<u32> {
        p.iter().map(|p| p.item).collect()
    }

    #[test]
    fn placement_names() {
        assert_eq!(Placement::parse("similar"), Some(Placement::Similar));
        assert_eq!(Placement::parse(" for-you "), Some(Placement::ForYou));
        assert_eq!(Placement::parse("recent"), Some(Placement::Recent));
        assert_eq!(Placement::parse("foryou"), None);
        assert_eq!(Placement::Recent.heading(), "Recently viewed");
    }

    #[test]
    fn similar_is_the_neighbours_in_order_without_popular_fill() {
        let m = model();
        let p = Profile::new();
        let got = pick(&m, &p, Placement::Similar, Some(0), 4);
        assert_eq!(items(&got), vec![1, 2]);
        assert!(got.iter().all(|g| g.why == Why::BoughtWith(0)));
        assert!(pick(&m, &p, Placement::Similar, Some(3), 4).is_empty());
        assert!(pick(&m, &p, Placement::Similar, None, 4).is_empty());
        assert_eq!(
            items(&pick(&m, &p, Placement::Similar, Some(0), 1)),
            vec![1]
        );
    }

    #[test]
    fn for_you_without_history_is_popular() {
        let m = model();
        let got = pick(&m, &Profile::new(), Placement::ForYou, None, 2);
        assert_eq!(items(&got), vec![4, 3]);
        assert!(got.iter().all(|g| g.why == Why::Popular));
        // The page item is left out even from the fallback.
        let got = pick(&m, &Profile::new(), Placement::ForYou, Some(4), 2);
        assert_eq!(items(&got), vec![3, 0]);
    }

    #[test]
    fn for_you_excludes_cart_purchases_and_page_item_and_explains() {
        let m = model();
        let p = profile(&[("view", "C"), ("cart", "B"), ("view", "NOPE")]);
        let got = pick(&m, &p, Placement::ForYou, None, 5);
        assert!(
            !items(&got).contains(&1),
            "cart item B recommended: {got:?}"
        );
        let a = got
            .iter()
            .find(|g| g.item == 0)
            .expect("A (neighbour of C and B) shown");
        assert!(matches!(
            a.why,
            Why::Because(2, Signal::View) | Why::Because(1, Signal::Cart)
        ));
        let d = got
            .iter()
            .find(|g| g.item == 3)
            .expect("D (neighbour of C) shown");
        assert_eq!(d.why, Why::Because(2, Signal::View));
        let got = pick(&m, &p, Placement::ForYou, Some(0), 5);
        assert!(!items(&got).contains(&0));
        // A bought item is a neighbour of a viewed one, yet never comes back.
        let p = profile(&[("purchase", "A"), ("view", "C")]);
        let got = pick(&m, &p, Placement::ForYou, None, 5);
        assert!(
            !items(&got).contains(&0),
            "purchased A recommended: {got:?}"
        );
        assert_eq!(
            got[0],
            Pick {
                item: 1,
                why: Why::Because(0, Signal::Purchase)
            }
        );
        assert!(
            got.contains(&Pick {
                item: 3,
                why: Why::Because(2, Signal::View)
            }),
            "{got:?}"
        );
    }

    #[test]
    fn recent_is_views_most_recent_first() {
        let m = model();
        let p = profile(&[("view", "A"), ("view", "C"), ("cart", "D"), ("view", "B")]);
        let got = pick(&m, &p, Placement::Recent, None, 4);
        assert_eq!(items(&got), vec![1, 2, 0]);
        assert!(got.iter().all(|g| g.why == Why::Viewed));
        assert_eq!(
            items(&pick(&m, &p, Placement::Recent, Some(2), 4)),
            vec![1, 0]
        );
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
