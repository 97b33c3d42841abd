//! Scoring: turns a shopper's local history and context into a ranked list of items.
//! This is the one scoring path: the CLI's `recommend`/`eval` and the browser call it.
//!
//! Deterministic: same model and query, same list (ties broken by lower item index).

use crate::model::Model;

/// What the shopper did with an item. Stronger signals weigh more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    View,
    Cart,
    Purchase,
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
    pub score: f32,
    pub reason: Reason,
}

/// Ranks items for a query: best first, at most `q.k`, never an excluded item,
/// no duplicates.
pub fn recommend(model: &Model, q: &Query<'_>) -> Vec<Recommendation> {
    todo!()
}
