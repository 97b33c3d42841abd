//! The shopper's local profile: what this shopper did (viewed, put in or took out of the
//! basket, bought, searched for, dismissed as "not interested") and when, bounded to the
//! most recent events and to a retention window, and the views of it that the placements
//! need (scoring history, recently viewed, basket, purchases, dismissed items).
//!
//! Pure: the browser passes the clock in and owns storage (js/attune.js), so the same
//! events give the same lists everywhere. Item ids are kept as the shop's external ids,
//! not model indices, because the model can be rebuilt between visits; ids the current
//! model does not know are kept in the profile but left out of every list.
//!
//! The text form (`to_text` / `parse_text`) is how the profile crosses the Wasm boundary:
//! one event per line, `type TAB value TAB at`, `at` in whole milliseconds since the Unix
//! epoch. It is simple enough to parse without JSON or float parsing in the Wasm.

use crate::model::Model;
use crate::score::Signal;
use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

/// How many events a profile keeps by default; older ones are forgotten first. Bounds
/// storage (~30 KB of JSON) and the work per render.
pub const MAX_EVENTS: usize = 500;
/// Upper bound for a configured cap.
pub const MAX_EVENTS_LIMIT: usize = 5_000;

/// Longest item id or search text accepted (bytes). Real SKUs are far shorter; the bound
/// keeps a misbehaving page from filling the shopper's storage through `track`.
pub const MAX_ITEM_ID_LEN: usize = 200;

pub const DAY_MS: f64 = 86_400_000.0;
/// Events older than this are dropped when the profile is loaded (configurable).
pub const RETENTION_DAYS: u32 = 90;

/// The same event again within this time of the previous one is the same event (a
/// reload, a link click followed by the product page's own view, a double click).
pub const REPEAT_MS: f64 = 30.0 * 60_000.0;

/// A search older than this (relative to the newest event) no longer steers "for you".
pub const SEARCH_FRESH_MS: f64 = DAY_MS;

/// What the shopper did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    View,
    Cart,
    /// Took the item out of the basket again.
    Remove,
    Purchase,
    /// Searched the shop; the event's value is the search text, not an item.
    Search,
    /// Said "not interested" to a suggestion.
    NotInterested,
}

const KINDS: [(Kind, &str); 6] = [
    (Kind::View, "view"),
    (Kind::Cart, "cart"),
    (Kind::Remove, "remove_from_cart"),
    (Kind::Purchase, "purchase"),
    (Kind::Search, "search"),
    (Kind::NotInterested, "not_interested"),
];

impl Kind {
    /// The event type names used by `track` and in storage.
    pub fn parse(name: &str) -> Option<Kind> {
        KINDS.iter().find(|k| k.1 == name).map(|k| k.0)
    }

    pub fn name(self) -> &'static str {
        KINDS.iter().find(|k| k.0 == self).map_or("", |k| k.1)
    }

    /// The scoring signal of an event about an item, if it is one.
    pub fn signal(self) -> Option<Signal> {
        match self {
            Kind::View => Some(Signal::View),
            Kind::Cart => Some(Signal::Cart),
            Kind::Purchase => Some(Signal::Purchase),
            _ => None,
        }
    }
}

/// One thing the shopper did. `at_ms` is milliseconds since the Unix epoch, as given by
/// the caller's clock; it is recorded, never read from a clock here.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub kind: Kind,
    /// The item id, or the search text for `Kind::Search`.
    pub value: String,
    pub at_ms: f64,
}

/// Why an event was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventError {
    /// Not one of the type names of [`Kind::parse`].
    UnknownType,
    /// The item id is empty, longer than `MAX_ITEM_ID_LEN` or contains whitespace
    /// (whitespace separates ids in the batch history format).
    BadItem,
    /// The search text is empty, too long or contains control characters.
    BadQuery,
    /// The timestamp is not a finite, non-negative number.
    BadTime,
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
    pub fn new(kind: &str, value: &str, at_ms: f64) -> Result<Event, EventError> {
        let kind = Kind::parse(kind).ok_or(EventError::UnknownType)?;
        let bad = if kind == Kind::Search {
            value.trim().is_empty() || value.chars().any(char::is_control)
        } else {
            value.is_empty() || value.chars().any(char::is_whitespace)
        };
        if bad || value.len() > MAX_ITEM_ID_LEN {
            return Err(if kind == Kind::Search {
                EventError::BadQuery
            } else {
                EventError::BadItem
            });
        }
        if !at_ms.is_finite() || at_ms < 0.0 {
            return Err(EventError::BadTime);
        }
        Ok(Event {
            kind,
            value: value.to_owned(),
            at_ms,
        })
    }
}

/// The shopper's events, oldest first (in the order they were recorded; a clock that
/// steps back does not reorder them).
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    events: Vec<Event>,
    cap: usize,
}

impl Default for Profile {
    fn default() -> Profile {
        Profile {
            events: Vec::new(),
            cap: MAX_EVENTS,
        }
    }
}

impl Profile {
    pub fn new() -> Profile {
        Profile::default()
    }

    /// A profile from stored events, oldest first; keeps the most recent `MAX_EVENTS`.
    pub fn from_events(events: Vec<Event>) -> Profile {
        let mut p = Profile::new();
        for e in events {
            p.record(e);
        }
        p
    }

    /// How many events are kept (1..=`MAX_EVENTS_LIMIT`); applies at once.
    pub fn set_cap(&mut self, cap: usize) {
        self.cap = cap.clamp(1, MAX_EVENTS_LIMIT);
        self.trim();
    }

    /// Appends an event, forgetting the oldest beyond the cap. The same event (type and
    /// value) right after itself within `REPEAT_MS` only moves the earlier one's time.
    pub fn record(&mut self, event: Event) {
        if let Some(last) = self.events.last_mut() {
            let gap = event.at_ms - last.at_ms;
            if last.kind == event.kind
                && last.value == event.value
                && (0.0..REPEAT_MS).contains(&gap)
            {
                last.at_ms = event.at_ms;
                return;
            }
        }
        self.events.push(event);
        self.trim();
    }

    fn trim(&mut self) {
        if self.events.len() > self.cap {
            let extra = self.events.len() - self.cap;
            self.events = self.events.split_off(extra);
        }
    }

    /// Drops events older than `max_age_ms` before `now_ms` (the retention limit).
    pub fn retain_recent(&mut self, now_ms: f64, max_age_ms: f64) {
        let oldest = now_ms - max_age_ms;
        self.events.retain(|e| e.at_ms >= oldest);
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

    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// The text form: `type TAB value TAB at` per line, oldest first, `at` in whole ms.
    pub fn to_text(&self) -> String {
        let mut out = String::with_capacity(self.events.len() * 32);
        for e in &self.events {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(e.kind.name());
            out.push('\t');
            out.push_str(&e.value);
            out.push('\t');
            push_u64(&mut out, e.at_ms as u64);
        }
        out
    }

    /// Events from the text form, and how many lines were invalid and skipped. Only the
    /// newest lines that can survive the cap are looked at (a huge hand-edited value is
    /// not walked).
    pub fn parse_text(text: &str, cap: usize) -> (Vec<Event>, u32) {
        let lines: Vec<&str> = text.split('\n').filter(|l| !l.is_empty()).collect();
        let start = lines.len().saturating_sub(cap.clamp(1, MAX_EVENTS_LIMIT));
        let mut events = Vec::with_capacity(lines.len() - start);
        let mut dropped = 0;
        for line in lines.iter().skip(start) {
            let mut f = line.split('\t');
            let event = match (f.next(), f.next(), f.next().and_then(parse_ms), f.next()) {
                (Some(kind), Some(value), Some(at), None) => Event::new(kind, value, at).ok(),
                _ => None,
            };
            match event {
                Some(e) => events.push(e),
                None => dropped += 1,
            }
        }
        (events, dropped)
    }

    /// Items the shopper dismissed ("not interested"), known to the model.
    pub fn dismissed(&self, model: &Model) -> Vec<u32> {
        self.items(model, Kind::NotInterested)
    }

    /// Items bought, known to the model, each once, in the order first bought.
    pub fn purchased(&self, model: &Model) -> Vec<u32> {
        self.items(model, Kind::Purchase)
    }

    fn items(&self, model: &Model, kind: Kind) -> Vec<u32> {
        let mut out: Vec<u32> = Vec::new();
        for e in &self.events {
            if e.kind == kind {
                if let Some(i) = model.index_of(&e.value) {
                    if !out.contains(&i) {
                        out.push(i);
                    }
                }
            }
        }
        out
    }

    /// The basket as the events tell it: items whose latest basket event (cart, remove,
    /// purchase) is "cart", oldest first. A purchase empties the item from the basket.
    pub fn cart(&self, model: &Model) -> Vec<u32> {
        let mut settled: Vec<u32> = Vec::new();
        let mut out: Vec<u32> = Vec::new();
        for e in self.events.iter().rev() {
            if !matches!(e.kind, Kind::Cart | Kind::Remove | Kind::Purchase) {
                continue;
            }
            let Some(i) = model.index_of(&e.value) else {
                continue;
            };
            if settled.contains(&i) {
                continue;
            }
            settled.push(i);
            if e.kind == Kind::Cart {
                out.push(i);
            }
        }
        out.reverse();
        out
    }

    /// The scoring history: each item the model knows, once, at the position of its most
    /// recent event and with the strongest signal it ever got, oldest first. A basket add
    /// taken back out later counts as a view; dismissed items are left out. Collapsing
    /// repeats keeps one item viewed ten times from drowning out everything else, while
    /// its last touch still counts as recent.
    pub fn history(&self, model: &Model) -> Vec<(u32, Signal)> {
        // Walk newest first: an item's first sighting is its latest position. No sort:
        // profiles are small, and every sort monomorphisation costs kilobytes of Wasm.
        let dismissed = self.dismissed(model);
        let mut removed: Vec<u32> = Vec::new();
        let mut out: Vec<(u32, Signal)> = Vec::new();
        for e in self.events.iter().rev() {
            let Some(item) = model.index_of(&e.value) else {
                continue;
            };
            let signal = match e.kind {
                Kind::Remove => {
                    removed.push(item);
                    continue;
                }
                Kind::Cart if removed.contains(&item) => Signal::View,
                k => match k.signal() {
                    Some(s) => s,
                    None => continue,
                },
            };
            if dismissed.contains(&item) {
                continue;
            }
            match out.iter_mut().find(|h| h.0 == item) {
                Some(h) => {
                    if strength(signal) > strength(h.1) {
                        h.1 = signal;
                    }
                }
                None => out.push((item, signal)),
            }
        }
        out.reverse();
        out
    }

    /// Items the shopper viewed, most recent first, each once, known to the model, not
    /// dismissed, without `skip` (the item on the current page), at most `k`.
    pub fn recently_viewed(&self, model: &Model, skip: Option<u32>, k: usize) -> Vec<u32> {
        let dismissed = self.dismissed(model);
        let mut out: Vec<u32> = Vec::new();
        for e in self.events.iter().rev() {
            if out.len() >= k {
                break;
            }
            if e.kind != Kind::View {
                continue;
            }
            let Some(item) = model.index_of(&e.value) else {
                continue;
            };
            if Some(item) != skip && !out.contains(&item) && !dismissed.contains(&item) {
                out.push(item);
            }
        }
        out
    }

    /// The latest search text, if it is recent: no more than `SEARCH_FRESH_MS` older
    /// than the newest event.
    pub fn last_search(&self) -> Option<&str> {
        let newest = self.events.last()?.at_ms;
        self.events
            .iter()
            .rev()
            .take_while(|e| newest - e.at_ms <= SEARCH_FRESH_MS)
            .find(|e| e.kind == Kind::Search)
            .map(|e| e.value.as_str())
    }
}

/// Whole milliseconds: 1 to 16 ASCII digits (dates up to the year 318857), else `None`.
/// Hand-rolled: float parsing would link kilobytes of Wasm for integers.
pub fn parse_ms(s: &str) -> Option<f64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (b - b'0') as u64;
    }
    Some(n as f64)
}

/// Appends the decimal digits of `n`, without `core::fmt`.
pub fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in &buf[i..] {
        out.push(b as char);
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

    /// Events one hour apart (so none collapse as repeats).
    fn profile(events: &[(&str, &str)]) -> Profile {
        Profile::from_events(
            events
                .iter()
                .enumerate()
                .map(|(i, (k, v))| ev(k, v, 3_600_000.0 * i as f64))
                .collect(),
        )
    }

    #[test]
    fn event_validation() {
        assert_eq!(Event::new("view", "A", 1.0).unwrap().kind, Kind::View);
        assert_eq!(Event::new("cart", "A", 1.0).unwrap().kind, Kind::Cart);
        assert_eq!(
            Event::new("remove_from_cart", "A", 1.0).unwrap().kind,
            Kind::Remove
        );
        assert_eq!(
            Event::new("purchase", "A", 0.0).unwrap().kind,
            Kind::Purchase
        );
        assert_eq!(
            Event::new("not_interested", "A", 0.0).unwrap().kind,
            Kind::NotInterested
        );
        let s = Event::new("search", "red lamp", 1.0).unwrap();
        assert_eq!((s.kind, s.value.as_str()), (Kind::Search, "red lamp"));
        assert_eq!(Event::new("click", "A", 1.0), Err(EventError::UnknownType));
        assert_eq!(Event::new("View", "A", 1.0), Err(EventError::UnknownType));
        assert_eq!(Event::new("view", "", 1.0), Err(EventError::BadItem));
        assert_eq!(Event::new("view", "A B", 1.0), Err(EventError::BadItem));
        assert_eq!(Event::new("search", "  ", 1.0), Err(EventError::BadQuery));
        assert_eq!(Event::new("search", "a\tb", 1.0), Err(EventError::BadQuery));
        assert_eq!(Event::new("search", "a\nb", 1.0), Err(EventError::BadQuery));
        let long = "x".repeat(MAX_ITEM_ID_LEN + 1);
        assert_eq!(Event::new("view", &long, 1.0), Err(EventError::BadItem));
        assert_eq!(Event::new("search", &long, 1.0), Err(EventError::BadQuery));
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
        for (k, name) in KINDS {
            assert_eq!(Kind::parse(name), Some(k));
            assert_eq!(k.name(), name);
        }
        assert_eq!(Kind::View.signal(), Some(Signal::View));
        assert_eq!(Kind::Search.signal(), None);
    }

    #[test]
    fn bounded_to_most_recent_and_cap_is_configurable() {
        let mut p = Profile::new();
        for i in 0..(MAX_EVENTS + 7) {
            // Distinct items, so nothing collapses as a repeat.
            p.record(ev("view", &i.to_string(), i as f64));
        }
        assert_eq!(p.len(), MAX_EVENTS);
        assert_eq!(p.events()[0].at_ms, 7.0);
        assert_eq!(p.events()[MAX_EVENTS - 1].at_ms, (MAX_EVENTS + 6) as f64);
        p.set_cap(10);
        assert_eq!(p.len(), 10);
        assert_eq!(p.events()[0].at_ms, (MAX_EVENTS - 3) as f64);
        p.set_cap(0);
        assert_eq!(p.len(), 1, "a cap is at least 1");
    }

    #[test]
    fn a_repeat_within_half_an_hour_is_one_event() {
        let mut p = Profile::new();
        p.record(ev("view", "A", 0.0));
        p.record(ev("view", "A", 60_000.0));
        assert_eq!(p.len(), 1);
        assert_eq!(p.events()[0].at_ms, 60_000.0, "the repeat moves the time");
        p.record(ev("view", "A", 60_000.0 + REPEAT_MS));
        assert_eq!(p.len(), 2, "later it is a new view");
        p.record(ev("cart", "A", 60_000.0 + REPEAT_MS));
        p.record(ev("view", "A", 60_000.0 + REPEAT_MS));
        assert_eq!(p.len(), 4, "only back-to-back repeats collapse");
    }

    #[test]
    fn retention_drops_old_events() {
        let mut p = profile(&[("view", "A"), ("view", "B"), ("view", "C")]);
        // Events at 0 h, 1 h, 2 h; now = 2 h + 90 days; keep 90 days + 1 h (inclusive).
        let now = 2.0 * 3_600_000.0 + 90.0 * DAY_MS;
        p.retain_recent(now, 90.0 * DAY_MS + 3_600_000.0);
        let left: Vec<&str> = p.events().iter().map(|e| e.value.as_str()).collect();
        assert_eq!(left, ["B", "C"]);
    }

    #[test]
    fn text_round_trip_and_bad_lines() {
        let p = profile(&[
            ("view", "A"),
            ("search", "red lamp"),
            ("not_interested", "B"),
        ]);
        let text = p.to_text();
        assert_eq!(
            text,
            "view\tA\t0\nsearch\tred lamp\t3600000\nnot_interested\tB\t7200000"
        );
        let (events, dropped) = Profile::parse_text(&text, MAX_EVENTS);
        assert_eq!(dropped, 0);
        assert_eq!(Profile::from_events(events), p);

        let messy = "view\tA\t1\n\nclick\tA\t2\nview\tA B\t3\nview\tA\t-4\nview\tA\t4.5\n\
                     view\tA\nview\tA\t5\textra\ncart\tB\t99999999999999999\ncart\tB\t6";
        let (events, dropped) = Profile::parse_text(messy, MAX_EVENTS);
        assert_eq!(dropped, 7);
        assert_eq!(events, vec![ev("view", "A", 1.0), ev("cart", "B", 6.0)]);
        // Only the lines that can survive the cap are read.
        let (events, dropped) = Profile::parse_text(messy, 1);
        assert_eq!((events.len(), dropped), (1, 0));
        assert_eq!(Profile::parse_text("", 5), (vec![], 0));
    }

    #[test]
    fn parse_ms_and_push_u64() {
        assert_eq!(parse_ms("0"), Some(0.0));
        assert_eq!(parse_ms("1732590000000"), Some(1_732_590_000_000.0));
        for bad in ["", "-1", "1e3", "1.5", " 1", "12345678901234567"] {
            assert_eq!(parse_ms(bad), None, "{bad}");
        }
        for n in [0u64, 9, 10, 1_732_590_000_000, u64::MAX] {
            let mut s = String::new();
            push_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn history_collapses_repeats_keeps_latest_position_and_strongest_signal() {
        let m = model(&["A", "B", "C", "D"]);
        let p = profile(&[
            ("view", "A"),
            ("purchase", "B"),
            ("view", "UNKNOWN"),
            ("cart", "A"),
            ("search", "A"),
            ("view", "C"),
            ("view", "B"),
        ]);
        assert_eq!(
            p.history(&m),
            vec![(0, Signal::Cart), (2, Signal::View), (1, Signal::Purchase)]
        );
        assert!(Profile::new().history(&m).is_empty());
    }

    #[test]
    fn history_downgrades_removed_carts_and_leaves_out_dismissed_items() {
        let m = model(&["A", "B", "C", "D"]);
        let p = profile(&[
            ("cart", "A"),
            ("remove_from_cart", "A"),
            ("cart", "B"),
            ("view", "C"),
            ("not_interested", "C"),
            ("cart", "D"),
            ("remove_from_cart", "D"),
            ("cart", "D"),
        ]);
        assert_eq!(
            p.history(&m),
            vec![(0, Signal::View), (1, Signal::Cart), (3, Signal::Cart)]
        );
        assert_eq!(p.dismissed(&m), vec![2]);
    }

    #[test]
    fn cart_is_what_was_added_and_not_removed_or_bought() {
        let m = model(&["A", "B", "C", "D"]);
        let p = profile(&[
            ("cart", "A"),
            ("cart", "B"),
            ("cart", "C"),
            ("remove_from_cart", "B"),
            ("purchase", "C"),
            ("cart", "D"),
            ("cart", "NOPE"),
            ("view", "A"),
        ]);
        assert_eq!(p.cart(&m), vec![0, 3]);
        assert_eq!(p.purchased(&m), vec![2]);
    }

    #[test]
    fn recently_viewed_most_recent_first_distinct_without_skip_or_dismissed() {
        let m = model(&["A", "B", "C", "D"]);
        let p = profile(&[
            ("view", "A"),
            ("view", "B"),
            ("cart", "D"),
            ("view", "NOPE"),
            ("view", "C"),
            ("view", "A"),
            ("view", "D"),
            ("not_interested", "D"),
        ]);
        assert_eq!(p.recently_viewed(&m, None, 10), vec![0, 2, 1]);
        assert_eq!(p.recently_viewed(&m, Some(2), 10), vec![0, 1]);
        assert_eq!(p.recently_viewed(&m, None, 2), vec![0, 2]);
        assert_eq!(p.recently_viewed(&m, None, 0), Vec::<u32>::new());
    }

    #[test]
    fn last_search_is_the_latest_fresh_one() {
        let mut p = profile(&[("search", "lamp"), ("view", "A"), ("search", "red mug")]);
        assert_eq!(p.last_search(), Some("red mug"));
        p.record(ev("view", "B", 3.0 * 3_600_000.0 + SEARCH_FRESH_MS));
        assert_eq!(
            p.last_search(),
            None,
            "more than a day before the newest event"
        );
        assert_eq!(profile(&[("view", "A")]).last_search(), None);
    }
}
