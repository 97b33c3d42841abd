//! The shopper's local profile: what this shopper did (view, cart, purchase) with which
//! item and when, bounded to the most recent `MAX_EVENTS`, and the views of it that the
//! placements need (scoring history, recently viewed, items to leave out).
//!
//! Pure: the browser passes the clock in and owns storage (src/storage.rs), so the same
//! events give the same lists everywhere. Item ids are kept as the shop's external ids,
//! not model indices, because the model can be rebuilt between visits; ids the current
//! model does not know are kept in the profile but left out of every list.

use crate::model::Model;
use crate::score::Signal;

/// How many events a profile keeps; older ones are forgotten first. Bounds storage
/// (~25 KB of JSON) and the work per render.
pub const MAX_EVENTS: usize = 500;

/// Longest item id accepted (bytes). Real SKUs are far shorter; the bound keeps a
/// misbehaving page from filling the shopper's storage through `track`.
pub const MAX_ITEM_ID_LEN: usize = 200;

/// One thing the shopper did. `at_ms` is milliseconds since the Unix epoch, as given by
/// the caller's clock; it is recorded, never read from a clock here.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub signal: Signal,
    pub item: String,
    pub at_ms: f64,
}

/// Why an event was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventError {
    /// The type is not one of `view`, `cart`, `purchase`.
    UnknownType,
    /// The item id is empty, longer than `MAX_ITEM_ID_LEN` or contains whitespace
    /// (whitespace separates ids in the batch history format).
    BadItem,
    /// The timestamp is not a finite, non-negative number.
    BadTime,
}

/// The event type names used by `track` and in storage.
pub fn signal_from_name(name: &str) -> Option<Signal> {
    match name {
        "view" => Some(Signal::View),
        "cart" => Some(Signal::Cart),
        "purchase" => Some(Signal::Purchase),
        _ => None,
    }
}

pub fn signal_name(signal: Signal) -> &'static str {
    match signal {
        Signal::View => "view",
        Signal::Cart => "cart",
        Signal::Purchase => "purchase",
    }
}

/// Strength order: a purchase says more than a cart, a cart more than a view.
fn strength(signal: Signal) -> u8 {
    match signal {
        Signal::View => 0,
        Signal::Cart => 1,
        Signal::Purchase => 2,
    }
}

impl Event {
    /// Validates and builds an event from its external form (as `track` and storage give it).
    pub fn new(kind: &str, item: &str, at_ms: f64) -> Result<Event, EventError> {
        let signal = signal_from_name(kind).ok_or(EventError::UnknownType)?;
        if item.is_empty() || item.len() > MAX_ITEM_ID_LEN || item.chars().any(char::is_whitespace)
        {
            return Err(EventError::BadItem);
        }
        if !at_ms.is_finite() || at_ms < 0.0 {
            return Err(EventError::BadTime);
        }
        Ok(Event {
            signal,
            item: item.to_owned(),
            at_ms,
        })
    }
}

/// The shopper's events, oldest first (in the order they were recorded; a clock that
/// steps back does not reorder them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    events: Vec<Event>,
}

impl Profile {
    pub fn new() -> Profile {
        Profile::default()
    }

    /// A profile from stored events, oldest first; keeps the most recent `MAX_EVENTS`.
    pub fn from_events(events: Vec<Event>) -> Profile {
        let mut p = Profile { events };
        p.trim();
        p
    }

    /// Appends an event, forgetting the oldest beyond `MAX_EVENTS`.
    pub fn record(&mut self, event: Event) {
        self.events.push(event);
        self.trim();
    }

    fn trim(&mut self) {
        if self.events.len() > MAX_EVENTS {
            let extra = self.events.len() - MAX_EVENTS;
            self.events.drain(..extra);
        }
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The scoring history: each item the model knows, once, at the position of its most
    /// recent event and with the strongest signal it ever got, oldest first. Collapsing
    /// repeats keeps one item viewed ten times from drowning out everything else, while
    /// its last touch still counts as recent.
    pub fn history(&self, model: &Model) -> Vec<(u32, Signal)> {
        // Walk newest first: an item's first sighting is its latest position. No sort:
        // profiles are small, and every sort monomorphisation costs kilobytes of Wasm.
        let mut out: Vec<(u32, Signal)> = Vec::new();
        for e in self.events.iter().rev() {
            let Some(item) = model.index_of(&e.item) else {
                continue;
            };
            match out.iter_mut().find(|h| h.0 == item) {
                Some(h) => {
                    if strength(e.signal) > strength(h.1) {
                        h.1 = e.signal;
                    }
                }
                None => out.push((item, e.signal)),
            }
        }
        out.reverse();
        out
    }

    /// Items the shopper viewed, most recent first, each once, known to the model,
    /// without `skip` (the item on the current page), at most `k`.
    pub fn recently_viewed(&self, model: &Model, skip: Option<u32>, k: usize) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for e in self.events.iter().rev() {
            if out.len() >= k {
                break;
            }
            if e.signal != Signal::View {
                continue;
            }
            let Some(item) = model.index_of(&e.item) else {
                continue;
            };
            if Some(item) != skip && !out.contains(&item) {
                out.push(item);
            }
        }
        out
    }

    /// Items put in the cart or bought (known to the model), each once, in the order
    /// first seen: a shop should not recommend what the shopper already has or is about
    /// to buy.
    pub fn owned(&self, model: &Model) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for e in &self.events {
            if e.signal == Signal::View {
                continue;
            }
            if let Some(item) = model.index_of(&e.item) {
                if !out.contains(&item) {
                    out.push(item);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModelParts;

    fn model(ids: &[&str]) -> Model {
        let n = ids.len();
        Model::from_parts(ModelParts {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            offsets: vec![0; n + 1],
            ..ModelParts::default()
        })
        .expect("valid test model")
    }

    fn ev(kind: &str, item: &str, at: f64) -> Event {
        Event::new(kind, item, at).unwrap()
    }

    #[test]
    fn event_validation() {
        assert_eq!(Event::new("view", "A", 1.0).unwrap().signal, Signal::View);
        assert_eq!(Event::new("cart", "A", 1.0).unwrap().signal, Signal::Cart);
        assert_eq!(
            Event::new("purchase", "A", 0.0).unwrap().signal,
            Signal::Purchase
        );
        assert_eq!(Event::new("click", "A", 1.0), Err(EventError::UnknownType));
        assert_eq!(Event::new("View", "A", 1.0), Err(EventError::UnknownType));
        assert_eq!(Event::new("view", "", 1.0), Err(EventError::BadItem));
        assert_eq!(Event::new("view", "A B", 1.0), Err(EventError::BadItem));
        let long = "x".repeat(MAX_ITEM_ID_LEN + 1);
        assert_eq!(Event::new("view", &long, 1.0), Err(EventError::BadItem));
        assert!(Event::new("view", &long[1..], 1.0).is_ok());
        assert_eq!(Event::new("view", "A", f64::NAN), Err(EventError::BadTime));
        assert_eq!(Event::new("view", "A", -1.0), Err(EventError::BadTime));
        assert_eq!(
            Event::new("view", "A", f64::INFINITY),
            Err(EventError::BadTime)
        );
    }

    #[test]
    fn names_round_trip() {
        for s in [Signal::View, Signal::Cart, Signal::Purchase] {
            assert_eq!(signal_from_name(signal_name(s)), Some(s));
        }
    }

    #[test]
    fn bounded_to_most_recent() {
        let mut p = Profile::new();
        for i in 0..(MAX_EVENTS + 7) {
            p.record(ev("view", "A", i as f64));
        }
        assert_eq!(p.len(), MAX_EVENTS);
        assert_eq!(p.events()[0].at_ms, 7.0);
        assert_eq!(p.events()[MAX_EVENTS - 1].at_ms, (MAX_EVENTS + 6) as f64);

        let many: Vec<Event> = (0..(MAX_EVENTS * 2))
            .map(|i| ev("view", "A", i as f64))
            .collect();
        let p = Profile::from_events(many);
        assert_eq!(p.len(), MAX_EVENTS);
        assert_eq!(p.events()[0].at_ms, MAX_EVENTS as f64);
    }

    #[test]
    fn history_collapses_repeats_keeps_latest_position_and_strongest_signal() {
        let m = model(&["A", "B", "C", "D"]);
        let p = Profile::from_events(vec![
            ev("view", "A", 1.0),
            ev("purchase", "B", 2.0),
            ev("view", "UNKNOWN", 3.0),
            ev("cart", "A", 4.0),
            ev("view", "C", 5.0),
            ev("view", "B", 6.0),
        ]);
        assert_eq!(
            p.history(&m),
            vec![(0, Signal::Cart), (2, Signal::View), (1, Signal::Purchase)]
        );
        assert!(Profile::new().history(&m).is_empty());
    }

    #[test]
    fn recently_viewed_most_recent_first_distinct_without_skip() {
        let m = model(&["A", "B", "C", "D"]);
        let p = Profile::from_events(vec![
            ev("view", "A", 1.0),
            ev("view", "B", 2.0),
            ev("cart", "D", 3.0),
            ev("view", "NOPE", 4.0),
            ev("view", "C", 5.0),
            ev("view", "A", 6.0),
        ]);
        assert_eq!(p.recently_viewed(&m, None, 10), vec![0, 2, 1]);
        assert_eq!(p.recently_viewed(&m, Some(2), 10), vec![0, 1]);
        assert_eq!(p.recently_viewed(&m, None, 2), vec![0, 2]);
        assert_eq!(p.recently_viewed(&m, None, 0), Vec::<u32>::new());
    }

    #[test]
    fn owned_is_cart_and_purchases() {
        let m = model(&["A", "B", "C", "D"]);
        let p = Profile::from_events(vec![
            ev("view", "A", 1.0),
            ev("purchase", "D", 2.0),
            ev("cart", "B", 3.0),
            ev("cart", "B", 4.0),
            ev("cart", "NOPE", 5.0),
            ev("purchase", "D", 6.0),
        ]);
        assert_eq!(p.owned(&m), vec![3, 1]);
    }
}
