//! The help-prompt rules engine: decides, from the shopper's local signals, whether a
//! configured prompt may show now, and keeps the little it must remember between pages
//! (sessions, views per item, the cart, the categories seen this session, cooldowns,
//! "don't show again").
//!
//! Pure and deterministic: the page's clock is passed in with every call, storage is the
//! caller's (`Memory::to_text` / `Memory::from_text`), and the DOM layer
//! (js/attune-prompts.js, through src/prompts.rs) turns browser events into [`Signal`]s
//! and renders what this engine picks. The same timeline always gives the same prompts,
//! which is what the tests below replay. Display data (titles, prices) stays in the page.
//!
//! Respect comes before every trigger: nothing on excluded pages, nothing while a form
//! field has focus or the tab is hidden, one prompt open at a time, at most `per_page` per
//! page view and `per_session` per session, a cooldown per rule, and a rule the shopper
//! dismissed for good never comes back. Triggers are checked in config order; the first
//! rule that fires and is allowed wins.

use crate::json::write_uint;
use crate::prompt_config::{Config, Trigger, MAX_COMPARED};

/// A gap without activity longer than this starts a new session (the usual analytics rule).
pub const SESSION_GAP_MS: f64 = 30.0 * 60_000.0;
/// A scroll up by at least this many pixels within `FAST_SCROLL_MS` is a "fast scroll up"
/// (on touch screens, the thumb reaching for the address bar or the back gesture).
pub const FAST_SCROLL_PX: f64 = 400.0;
pub const FAST_SCROLL_MS: f64 = 400.0;
/// Bounds on what is remembered.
pub const MAX_VIEWED: usize = 100;
pub const MAX_CART: usize = 50;
pub const MAX_SEEN: usize = 12;
/// Longest id or category kept (characters).
pub const MAX_NAME: usize = 200;
const MAX_OPTIONS: usize = 32;

/// Something the shopper did, as the DOM layer or the shop's `track` calls report it.
#[derive(Clone, Debug, PartialEq)]
pub enum Signal {
    /// A product page view: item id and category ("" if unknown).
    View(String, String),
    Cart(String),
    Remove(String),
    Purchase(String),
    /// The cart's contents as the page knows them (replaces what the events said).
    Basket(Vec<String>),
    /// A search that found `n` results.
    Search(u32),
    /// An option (e.g. "size") set to a value.
    Variant(String, String),
    /// Any interaction: pointer, key, input.
    Activity,
    /// The page scrolled to this vertical offset (px).
    Scroll(f64),
    /// The mouse pointer left the window through its top edge.
    PointerLeftTop,
    Hidden,
    Visible,
    /// Focus entered (`true`) or left (`false`) a form field.
    Field(bool),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleMemory {
    pub id: String,
    /// When the rule last showed (ms); 0 = never.
    pub last_shown: f64,
    /// "Don't show this again".
    pub never: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Views {
    pub item: String,
    /// In how many different sessions the item was viewed.
    pub sessions: u32,
    pub last_session: u32,
}

/// What the prompts remember across pages and visits (stored by the caller, in the
/// shopper's browser only).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Memory {
    /// Session number, from 1; 0 before the first page.
    pub session: u32,
    pub last_active: f64,
    /// Prompts shown this session.
    pub shown: u32,
    /// The session began with items in the cart (a returning visitor with a cart).
    pub returning: bool,
    pub rules: Vec<RuleMemory>,
    /// Least recently viewed first.
    pub views: Vec<Views>,
    pub cart: Vec<String>,
    /// (item, category) viewed this session, least recent first.
    pub seen: Vec<(String, String)>,
}

/// This page view's state.
#[derive(Clone, Debug, Default)]
struct Page {
    path: String,
    touch: bool,
    excluded: bool,
    item: Option<String>,
    /// Visible time on the page when the item was viewed.
    item_vt: f64,
    /// The page's item went into the cart on this page.
    carted: bool,
    shown: u32,
    shown_rules: Vec<usize>,
    open: Option<usize>,
    /// The category a comparison is about.
    compare: String,
    hidden: bool,
    /// Visible time accumulated before `visible_since`.
    visible_ms: f64,
    visible_since: f64,
    field: bool,
    last_active: f64,
    /// Current value per option name, and every (name, value) chosen on this page.
    options: Vec<(String, String)>,
    chosen: Vec<(String, String)>,
    switches: u32,
    back: bool,
    scroll_y: f64,
    /// The current upward scroll: (time, offset) samples of the last `FAST_SCROLL_MS`,
    /// beginning with the offset before it started.
    run: Vec<(f64, f64)>,
}

pub struct Prompts {
    config: Config,
    memory: Memory,
    page: Page,
}

impl Prompts {
    /// Begins a page view at `now` on `url` (path and query), continuing or starting a
    /// session. `touch`: the device's primary pointer is coarse (exit intent differs).
    pub fn new(config: Config, mut memory: Memory, now: f64, url: &str, touch: bool) -> Prompts {
        let gap = now - memory.last_active;
        if memory.session == 0 || !(0.0..=SESSION_GAP_MS).contains(&gap) {
            memory.session = memory.session.saturating_add(1);
            memory.shown = 0;
            memory.seen.clear();
            memory.returning = memory.session > 1 && !memory.cart.is_empty();
        }
        memory.last_active = now;
        let mut p = Prompts {
            config: Config::default(),
            memory,
            page: Page {
                path: url.to_string(),
                touch,
                visible_since: now,
                last_active: now,
                ..Page::default()
            },
        };
        p.set_config(config);
        p
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Replaces the rules (the page called `attune.prompts(config)` again); the memory and
    /// the page's counts stay, so a new config cannot lift this page's cap.
    pub fn set_config(&mut self, config: Config) {
        self.page.excluded = matches(&self.page.path, &config.never_on);
        self.page.open = None;
        self.page.shown_rules.clear();
        self.config = config;
    }

    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// The rule whose prompt is open, if any.
    pub fn open(&self) -> Option<usize> {
        self.page.open
    }

    /// Whether this page matches `neverOn`: nothing shows here, signals are still kept.
    pub fn excluded(&self) -> bool {
        self.page.excluded
    }

    /// Forgets everything remembered (the shopper erased their data); the page goes on.
    pub fn forget(&mut self) {
        self.memory = Memory {
            session: 1,
            last_active: self.memory.last_active,
            ..Memory::default()
        };
    }

    /// Visible time on this page at `now`.
    fn visible(&self, now: f64) -> f64 {
        let current = if self.page.hidden {
            0.0
        } else {
            (now - self.page.visible_since).max(0.0)
        };
        self.page.visible_ms + current
    }

    fn in_cart(&self, item: &str) -> bool {
        self.memory.cart.iter().any(|c| c == item)
    }

    /// When rule `i` may show at the earliest, ignoring what only a signal can change
    /// (focus, visibility): `None` if it cannot show on this page at all.
    fn earliest(&self, i: usize) -> Option<f64> {
        let r = self.config.rules.get(i)?;
        let p = &self.page;
        if p.excluded
            || p.open.is_some()
            || p.shown >= self.config.per_page
            || self.memory.shown >= self.config.per_session
            || p.shown_rules.contains(&i)
            || !(r.on.is_empty() || matches(&p.path, &r.on))
        {
            return None;
        }
        match self.memory.rules.iter().find(|m| m.id == r.id) {
            Some(m) if m.never => None,
            Some(m) if m.last_shown > 0.0 => Some(m.last_shown + r.cooldown_ms),
            _ => Some(0.0),
        }
    }

    /// Shows rule `i` if everything allows it now.
    fn show(&mut self, i: usize, now: f64) -> Option<usize> {
        let from = self.earliest(i)?;
        if now < from || self.page.hidden || self.page.field {
            return None;
        }
        let id = &self.config.rules.get(i)?.id;
        let m = match self.memory.rules.iter().position(|m| &m.id == id) {
            Some(at) => at,
            None => {
                self.memory.rules.push(RuleMemory {
                    id: id.clone(),
                    ..RuleMemory::default()
                });
                self.memory.rules.len() - 1
            }
        };
        self.memory.rules.get_mut(m)?.last_shown = now;
        self.page.open = Some(i);
        self.page.shown += 1;
        self.page.shown_rules.push(i);
        self.memory.shown += 1;
        Some(i)
    }

    /// The first rule with trigger `when` whose threshold `n` reaches (a count for the
    /// counting triggers, visible ms for exit intent) and that may show now.
    fn fire(&mut self, when: Trigger, n: f64, now: f64) -> Option<usize> {
        for i in 0..self.config.rules.len() {
            let Some(r) = self.config.rules.get(i) else {
                break;
            };
            let reached = match when {
                Trigger::ExitIntent => n >= r.after_ms,
                Trigger::NoResults => true,
                _ => n >= r.count as f64,
            };
            if r.when == when && reached {
                if let Some(i) = self.show(i, now) {
                    return Some(i);
                }
            }
        }
        None
    }

    /// Records a signal at `now`; returns the rule whose prompt should show, if any.
    pub fn signal(&mut self, signal: Signal, now: f64) -> Option<usize> {
        let shown = match signal {
            Signal::View(id, category) => self.view(clean(id), clean(category), now),
            Signal::Cart(id) => {
                self.activity(now);
                let id = clean(id);
                if self.page.item.as_deref() == Some(id.as_str()) {
                    self.page.carted = true;
                }
                if !id.is_empty() && !self.in_cart(&id) {
                    push_bounded(&mut self.memory.cart, id, MAX_CART);
                }
                None
            }
            Signal::Remove(id) | Signal::Purchase(id) => {
                self.activity(now);
                let id = clean(id);
                self.memory.cart.retain(|c| *c != id);
                None
            }
            Signal::Basket(ids) => {
                let mut cart: Vec<String> = Vec::new();
                for id in ids.into_iter().map(clean) {
                    if !id.is_empty() && !cart.contains(&id) && cart.len() < MAX_CART {
                        cart.push(id);
                    }
                }
                if let Some(item) = &self.page.item {
                    self.page.carted |= cart.contains(item);
                }
                self.memory.cart = cart;
                None
            }
            Signal::Search(n) => {
                self.activity(now);
                if n == 0 {
                    self.fire(Trigger::NoResults, 0.0, now)
                } else {
                    None
                }
            }
            Signal::Variant(name, value) => self.variant(clean(name), clean(value), now),
            Signal::Activity => {
                self.activity(now);
                None
            }
            Signal::Scroll(y) => self.scroll(y, now),
            Signal::PointerLeftTop if !self.page.touch => self.exit(now),
            Signal::Hidden => {
                if !self.page.hidden {
                    self.page.visible_ms = self.visible(now);
                    self.page.hidden = true;
                }
                None
            }
            Signal::Visible if self.page.hidden => {
                self.page.hidden = false;
                self.page.visible_since = now;
                self.activity(now);
                // On touch screens, coming back to the tab is the exit signal there is.
                if self.page.touch {
                    self.exit(now)
                } else {
                    None
                }
            }
            Signal::Field(focused) => {
                self.page.field = focused;
                None
            }
            Signal::PointerLeftTop | Signal::Visible => None,
        };
        shown.or_else(|| self.tick(now))
    }

    fn activity(&mut self, now: f64) {
        self.page.last_active = now;
        self.memory.last_active = now;
    }

    fn view(&mut self, id: String, category: String, now: f64) -> Option<usize> {
        self.activity(now);
        if id.is_empty() {
            return None;
        }
        self.page.carted = false;
        self.page.item_vt = self.visible(now);
        self.page.item = Some(id.clone());

        let session = self.memory.session;
        let mut views = match self.memory.views.iter().position(|v| v.item == id) {
            Some(at) => self.memory.views.remove(at),
            None => Views {
                item: id.clone(),
                ..Views::default()
            },
        };
        if views.last_session != session {
            views.sessions = views.sessions.saturating_add(1);
            views.last_session = session;
        }
        let sessions = views.sessions;
        push_bounded(&mut self.memory.views, views, MAX_VIEWED);
        self.memory.seen.retain(|s| s.0 != id);
        let in_cart = self.in_cart(&id);
        push_bounded(&mut self.memory.seen, (id, category.clone()), MAX_SEEN);

        if !in_cart {
            if let Some(i) = self.fire(Trigger::RepeatView, sessions as f64, now) {
                return Some(i);
            }
        }
        if category.is_empty() {
            return None;
        }
        let same = self.memory.seen.iter().filter(|s| s.1 == category).count();
        let shown = self.fire(Trigger::Compare, same as f64, now);
        if shown.is_some() {
            self.page.compare = category;
        }
        shown
    }

    fn variant(&mut self, name: String, value: String, now: f64) -> Option<usize> {
        self.activity(now);
        let p = &mut self.page;
        let room = p.options.len() < MAX_OPTIONS;
        match p.options.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) if *v == value => return None,
            Some((_, v)) => {
                *v = value.clone();
                p.switches += 1;
                p.back |= p.chosen.iter().any(|(n, v)| *n == name && *v == value);
            }
            None if room => p.options.push((name.clone(), value.clone())),
            None => return None,
        }
        if p.chosen.len() < MAX_OPTIONS * 4
            && !p.chosen.iter().any(|(n, v)| *n == name && *v == value)
        {
            p.chosen.push((name, value));
        }
        let n = if p.back { p.switches as f64 } else { 0.0 };
        self.fire(Trigger::Variant, n, now)
    }

    fn scroll(&mut self, y: f64, now: f64) -> Option<usize> {
        self.activity(now);
        let p = &mut self.page;
        let mut fast = false;
        if y < p.scroll_y {
            if p.run.is_empty() {
                p.run.push((now, p.scroll_y));
            }
            p.run.push((now, y));
            // A sliding window: only the last FAST_SCROLL_MS of the run count, so a slow
            // start does not hide a fast flick.
            while p.run.len() > 64 || p.run.first().is_some_and(|s| now - s.0 > FAST_SCROLL_MS) {
                p.run.remove(0);
            }
            fast = p.run.first().is_some_and(|s| s.1 - y >= FAST_SCROLL_PX);
            if fast {
                p.run.clear();
            }
        } else {
            p.run.clear();
        }
        p.scroll_y = y;
        if fast && p.touch {
            self.exit(now)
        } else {
            None
        }
    }

    fn exit(&mut self, now: f64) -> Option<usize> {
        let vt = self.visible(now);
        self.fire(Trigger::ExitIntent, vt, now)
    }

    /// Checks the timed triggers at `now` (call it when `next_tick` comes due).
    pub fn tick(&mut self, now: f64) -> Option<usize> {
        for i in 0..self.config.rules.len() {
            if self.due(i, now).is_some_and(|at| at <= now) {
                if let Some(i) = self.show(i, now) {
                    return Some(i);
                }
            }
        }
        None
    }

    /// When timed rule `i`'s condition holds (ignoring caps and cooldowns), if it can.
    fn due(&self, i: usize, now: f64) -> Option<f64> {
        let r = self.config.rules.get(i)?;
        let p = &self.page;
        let vt = self.visible(now);
        let cart = !self.memory.cart.is_empty();
        match r.when {
            Trigger::Dwell => {
                let item = p.item.as_deref()?;
                if p.carted || self.in_cart(item) || p.hidden {
                    return None;
                }
                Some(now + (r.after_ms - (vt - p.item_vt)).max(0.0))
            }
            Trigger::CartIdle if cart => Some(p.last_active + r.after_ms),
            Trigger::CartReturn if cart && self.memory.returning && !p.hidden => {
                Some(now + (r.after_ms - vt).max(0.0))
            }
            _ => None,
        }
    }

    /// When to call `tick` next: the earliest future moment a timed rule could show.
    /// `None` when only a signal can change anything (then no timer is needed).
    pub fn next_tick(&self, now: f64) -> Option<f64> {
        if self.page.hidden || self.page.field {
            return None;
        }
        let mut next: Option<f64> = None;
        for i in 0..self.config.rules.len() {
            let (Some(due), Some(from)) = (self.due(i, now), self.earliest(i)) else {
                continue;
            };
            let at = due.max(from);
            if at > now && next.is_none_or(|n| at < n) {
                next = Some(at);
            }
        }
        next
    }

    /// The open prompt was closed; `never`: "don't show this again".
    pub fn closed(&mut self, never: bool) {
        if let Some(i) = self.page.open.take() {
            let id = self.config.rules.get(i).map(|r| &r.id);
            if let Some(m) = self.memory.rules.iter_mut().find(|m| Some(&m.id) == id) {
                m.never |= never;
            }
        }
    }

    /// The items a comparison shows: the most recent of the compared category, up to
    /// `MAX_COMPARED`, in the order they were viewed.
    pub fn compared(&self) -> Vec<&str> {
        let c = &self.page.compare;
        let mut items: Vec<&str> = self
            .memory
            .seen
            .iter()
            .rev()
            .filter(|s| !c.is_empty() && s.1 == *c)
            .map(|s| s.0.as_str())
            .take(MAX_COMPARED)
            .collect();
        items.reverse();
        items
    }
}

/// Whether `url` contains one of `patterns`, ignoring ASCII case. By hand: `str::contains`
/// and `to_lowercase` bring ~30 KB of Unicode tables and panic formatting into the Wasm.
pub fn matches(url: &str, patterns: &[String]) -> bool {
    let hay = url.as_bytes();
    patterns.iter().any(|p| {
        let p = p.as_bytes();
        !p.is_empty() && hay.windows(p.len()).any(|w| w.eq_ignore_ascii_case(p))
    })
}

fn push_bounded<T>(list: &mut Vec<T>, value: T, max: usize) {
    list.push(value);
    if list.len() > max {
        list.remove(0);
    }
}

/// A page-given name, made safe for the stored form: at most `MAX_NAME` characters,
/// control characters (tabs, newlines) turned into spaces, trimmed.
fn clean(s: String) -> String {
    if s.len() <= MAX_NAME && !s.bytes().any(|b| b < b' ') {
        return s.trim().to_string();
    }
    let t: String = s
        .chars()
        .take(MAX_NAME)
        .map(|c| if c < ' ' { ' ' } else { c })
        .collect();
    t.trim().to_string()
}

// The stored form: one record per line, fields separated by tabs (names never hold
// either, see `clean`), whole milliseconds. Unknown or damaged lines are skipped and every
// list is bounded again on the way in, so a hand-edited value gives a smaller memory,
// never an error. The first line carries the version.
const HEADER: &str = "attune-prompts 1";

impl Memory {
    pub fn to_text(&self) -> String {
        let mut o = String::with_capacity(256);
        let line = |o: &mut String, tag: &str, fields: &[&str], nums: &[f64]| {
            o.push('\n');
            o.push_str(tag);
            for f in fields {
                o.push('\t');
                o.push_str(f);
            }
            for n in nums {
                o.push('\t');
                write_uint(o, *n);
            }
        };
        o.push_str(HEADER);
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        line(
            &mut o,
            "p",
            &[],
            &[
                self.session as f64,
                self.last_active,
                self.shown as f64,
                flag(self.returning),
            ],
        );
        for r in &self.rules {
            line(&mut o, "r", &[&r.id], &[r.last_shown, flag(r.never)]);
        }
        for v in &self.views {
            line(
                &mut o,
                "v",
                &[&v.item],
                &[v.sessions as f64, v.last_session as f64],
            );
        }
        for c in &self.cart {
            line(&mut o, "c", &[c], &[]);
        }
        for (item, category) in &self.seen {
            line(&mut o, "s", &[item, category], &[]);
        }
        o
    }

    /// Reads the stored form; `None` if it is not a memory of this version.
    pub fn from_text(text: &str) -> Option<Memory> {
        let mut lines = text.split('\n');
        if lines.next()? != HEADER {
            return None;
        }
        let mut m = Memory::default();
        for line in lines {
            let mut f = line.split('\t');
            let tag = f.next().unwrap_or_default();
            let a = f.next().unwrap_or_default();
            let b = f.next().unwrap_or_default();
            let c = f.next().unwrap_or_default();
            let d = f.next().unwrap_or_default();
            match tag {
                "p" => {
                    if let (Some(a), Some(b), Some(c)) = (uint(a), uint(b), uint(c)) {
                        m.session = a as u32;
                        m.last_active = b;
                        m.shown = c as u32;
                        m.returning = d == "1";
                    }
                }
                "r" if !a.is_empty() => {
                    let r = RuleMemory {
                        id: a.to_string(),
                        last_shown: uint(b).unwrap_or(0.0),
                        never: c == "1",
                    };
                    push_bounded(&mut m.rules, r, 64);
                }
                "v" if !a.is_empty() => {
                    let v = Views {
                        item: a.to_string(),
                        sessions: uint(b).unwrap_or(0.0) as u32,
                        last_session: uint(c).unwrap_or(0.0) as u32,
                    };
                    push_bounded(&mut m.views, v, MAX_VIEWED);
                }
                "c" if !a.is_empty() => push_bounded(&mut m.cart, a.to_string(), MAX_CART),
                "s" if !a.is_empty() => {
                    push_bounded(&mut m.seen, (a.to_string(), b.to_string()), MAX_SEEN)
                }
                _ => {}
            }
        }
        Some(m)
    }
}

/// A whole number of at most 15 digits (enough for ms timestamps); `None` otherwise.
fn uint(s: &str) -> Option<f64> {
    if s.is_empty() || s.len() > 15 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0.0, |n, b| n * 10.0 + (b - b'0') as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompt_config::parse;

    const S: f64 = 1000.0;
    const MIN: f64 = 60_000.0;
    /// A realistic epoch (ms) so "0 = never" never collides with a real time.
    const T0: f64 = 1_732_590_000_000.0;

    fn config(rules: &str) -> Config {
        let c = parse(&format!("{{\"perSession\": 5, \"rules\": [{rules}]}}")).unwrap();
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        c
    }

    fn page(rules: &str, memory: Memory, now: f64, url: &str) -> Prompts {
        Prompts::new(config(rules), memory, now, url, false)
    }

    fn id(p: &Prompts, shown: Option<usize>) -> Option<String> {
        shown.map(|i| p.config().rules[i].id.clone())
    }

    fn signal_id(p: &mut Prompts, s: Signal, now: f64) -> Option<String> {
        let shown = p.signal(s, now);
        id(p, shown)
    }

    fn tick_id(p: &mut Prompts, now: f64) -> Option<String> {
        let shown = p.tick(now);
        id(p, shown)
    }

    fn view(id: &str, category: &str) -> Signal {
        Signal::View(id.into(), category.into())
    }

    const DWELL: &str =
        r#"{"id":"dwell","when":"dwell","seconds":45,"show":"help","title":"Help?"}"#;

    #[test]
    fn dwell_fires_at_n_visible_seconds_on_a_product_page() {
        let mut p = page(DWELL, Memory::default(), T0, "/product?id=1");
        assert_eq!(p.next_tick(T0), None, "no item viewed: not a product page");
        assert_eq!(p.signal(view("A", ""), T0 + 2.0 * S), None);
        assert_eq!(p.next_tick(T0 + 2.0 * S), Some(T0 + 47.0 * S));
        assert_eq!(p.tick(T0 + 46.999 * S), None);
        assert_eq!(tick_id(&mut p, T0 + 47.0 * S).as_deref(), Some("dwell"));
        assert_eq!(p.open(), Some(0));
        assert_eq!(p.tick(T0 + 200.0 * S), None, "shown once");
        assert_eq!(p.next_tick(T0 + 200.0 * S), None);
    }

    #[test]
    fn dwell_counts_only_visible_time_and_waits_for_form_fields() {
        let mut p = page(DWELL, Memory::default(), T0, "/p");
        p.signal(view("A", ""), T0);
        p.signal(Signal::Hidden, T0 + 10.0 * S);
        assert_eq!(p.next_tick(T0 + 10.0 * S), None, "no timer while hidden");
        assert_eq!(p.tick(T0 + 100.0 * S), None);
        assert_eq!(p.signal(Signal::Visible, T0 + 100.0 * S), None);
        assert_eq!(p.next_tick(T0 + 100.0 * S), Some(T0 + 135.0 * S));
        p.signal(Signal::Field(true), T0 + 120.0 * S);
        assert_eq!(
            p.tick(T0 + 140.0 * S),
            None,
            "never while typing in a field"
        );
        assert_eq!(p.next_tick(T0 + 140.0 * S), None);
        assert_eq!(
            signal_id(&mut p, Signal::Field(false), T0 + 150.0 * S).as_deref(),
            Some("dwell"),
            "shows once focus leaves the field"
        );
    }

    #[test]
    fn dwell_stays_quiet_once_the_item_is_in_the_cart() {
        let mut p = page(DWELL, Memory::default(), T0, "/p");
        p.signal(view("A", ""), T0);
        p.signal(Signal::Cart("A".into()), T0 + 5.0 * S);
        assert_eq!(p.tick(T0 + 60.0 * S), None);
        assert_eq!(p.next_tick(T0 + 60.0 * S), None);
        // Next visit to the same item: still in the cart, still quiet.
        let mut p = page(DWELL, p.memory().clone(), T0 + 120.0 * S, "/p");
        p.signal(view("A", ""), T0 + 120.0 * S);
        assert_eq!(p.tick(T0 + 300.0 * S), None);
        // Another item is fine.
        p.signal(view("B", ""), T0 + 301.0 * S);
        assert!(p.tick(T0 + 346.0 * S).is_some());
    }

    #[test]
    fn repeat_views_count_sessions_not_page_loads() {
        let rule = r#"{"id":"again","when":"repeat_view","views":3,"show":"help","title":"Still deciding?"}"#;
        let mut now = T0;
        let mut memory = Memory::default();
        for session in 1..=3 {
            // Three views in the same session count once.
            for load in 0..3 {
                let mut p = page(rule, memory.clone(), now, "/p");
                let shown = p.signal(view("A", ""), now);
                assert_eq!(p.memory().session, session);
                if session == 3 && load == 0 {
                    assert_eq!(id(&p, shown).as_deref(), Some("again"));
                } else {
                    // Sessions 1 and 2: too few; later loads of session 3: cooling down.
                    assert_eq!(shown, None, "session {session}, load {load}");
                }
                memory = p.memory().clone();
                now += 5.0 * MIN;
            }
            now += SESSION_GAP_MS + S;
        }
        assert_eq!(memory.views[0].sessions, 3);
        // Not about an item that is already in the cart.
        let mut p = page(
            r#"{"id":"again","when":"repeat_view","views":2,"show":"help","title":"t","cooldownHours":0}"#,
            memory,
            now,
            "/p",
        );
        p.signal(Signal::Cart("A".into()), now);
        assert_eq!(p.signal(view("A", ""), now), None);
    }

    #[test]
    fn comparison_fires_on_the_nth_item_of_one_category() {
        let rule = r#"{"id":"cmp","when":"compare","items":3,"show":"compare","title":"Compare","fields":["fit"]}"#;
        let mut p = page(rule, Memory::default(), T0, "/");
        assert_eq!(p.signal(view("A", "shirts"), T0), None);
        assert_eq!(p.signal(view("X", "shoes"), T0 + S), None);
        assert_eq!(p.signal(view("B", "shirts"), T0 + 2.0 * S), None);
        assert_eq!(
            p.signal(view("A", "shirts"), T0 + 3.0 * S),
            None,
            "the same item twice is one"
        );
        assert_eq!(
            p.signal(view("Y", ""), T0 + 4.0 * S),
            None,
            "no category, no comparison"
        );
        assert_eq!(
            signal_id(&mut p, view("C", "shirts"), T0 + 5.0 * S).as_deref(),
            Some("cmp")
        );
        assert_eq!(p.compared(), ["B", "A", "C"]);
        // Across pages of one session too, but not across sessions.
        let mut p = page(rule, Memory::default(), T0, "/");
        p.signal(view("A", "shirts"), T0);
        let mut p2 = page(rule, p.memory().clone(), T0 + MIN, "/");
        p2.signal(view("B", "shirts"), T0 + MIN);
        let mut p3 = page(
            rule,
            p2.memory().clone(),
            T0 + 2.0 * MIN + SESSION_GAP_MS,
            "/",
        );
        assert_eq!(
            p3.signal(view("C", "shirts"), T0 + 2.0 * MIN + SESSION_GAP_MS),
            None
        );
        let mut p3 = page(rule, p2.memory().clone(), T0 + 2.0 * MIN, "/");
        assert!(p3.signal(view("C", "shirts"), T0 + 2.0 * MIN).is_some());
    }

    #[test]
    fn compared_items_are_the_latest_four() {
        let rule = r#"{"id":"cmp","when":"compare","items":2,"show":"compare","title":"Compare","cooldownHours":0}"#;
        let mut memory = Memory::default();
        let mut now = T0;
        for item in ["A", "B", "C", "D", "E"] {
            let mut p = page(rule, memory, now, "/");
            p.signal(view(item, "mugs"), now);
            if item == "E" {
                assert_eq!(p.compared(), ["B", "C", "D", "E"]);
            }
            memory = p.memory().clone();
            now += MIN;
        }
    }

    #[test]
    fn option_hesitation_needs_switching_back_and_forth() {
        let rule = r#"{"id":"size","when":"variant","switches":3,"show":"help","title":"Size?"}"#;
        let v = |n: &str, x: &str| Signal::Variant(n.into(), x.into());
        let mut p = page(rule, Memory::default(), T0, "/p");
        for (i, size) in ["S", "M", "L", "XL"].iter().enumerate() {
            assert_eq!(
                p.signal(v("size", size), T0 + i as f64 * S),
                None,
                "forward only"
            );
        }
        let mut p = page(rule, Memory::default(), T0, "/p");
        assert_eq!(p.signal(v("size", "S"), T0), None);
        assert_eq!(
            p.signal(v("size", "S"), T0 + S),
            None,
            "the same value is no switch"
        );
        assert_eq!(
            p.signal(v("colour", "red"), T0 + S),
            None,
            "a first choice is no switch"
        );
        assert_eq!(p.signal(v("size", "M"), T0 + 2.0 * S), None);
        assert_eq!(p.signal(v("size", "S"), T0 + 3.0 * S), None, "two switches");
        assert_eq!(
            signal_id(&mut p, v("size", "M"), T0 + 4.0 * S).as_deref(),
            Some("size")
        );
    }

    #[test]
    fn cart_idle_fires_after_n_minutes_without_activity() {
        let rule = r#"{"id":"idle","when":"cart_idle","minutes":2,"show":"reassure","title":"Good to know","facts":["Free returns"]}"#;
        let mut p = page(rule, Memory::default(), T0, "/cart");
        assert_eq!(p.next_tick(T0), None, "empty cart");
        assert_eq!(p.tick(T0 + 10.0 * MIN), None);
        p.signal(Signal::Cart("A".into()), T0 + 10.0 * MIN);
        assert_eq!(p.next_tick(T0 + 10.0 * MIN), Some(T0 + 12.0 * MIN));
        p.signal(Signal::Activity, T0 + 11.0 * MIN);
        assert_eq!(p.tick(T0 + 12.0 * MIN), None, "activity resets the clock");
        assert_eq!(p.next_tick(T0 + 12.0 * MIN), Some(T0 + 13.0 * MIN));
        assert_eq!(tick_id(&mut p, T0 + 13.0 * MIN).as_deref(), Some("idle"));
        // Emptied cart: quiet.
        let mut p = page(rule, Memory::default(), T0, "/cart");
        p.signal(Signal::Cart("A".into()), T0);
        p.signal(Signal::Purchase("A".into()), T0 + S);
        assert_eq!(p.tick(T0 + 60.0 * MIN), None);
    }

    #[test]
    fn returning_visitor_with_a_cart() {
        let rule = r#"{"id":"back","when":"cart_return","seconds":3,"show":"help","title":"Welcome back"}"#;
        let mut p = page(rule, Memory::default(), T0, "/");
        p.signal(Signal::Cart("A".into()), T0);
        assert_eq!(p.tick(T0 + MIN), None, "first session: not returning");
        let memory = p.memory().clone();
        let later = T0 + MIN + 5.0;
        let mut same = page(rule, memory.clone(), later, "/");
        assert_eq!(same.tick(later + MIN), None, "same session");
        let next_day = T0 + 24.0 * 60.0 * MIN;
        let mut back = page(rule, memory.clone(), next_day, "/");
        assert_eq!(back.next_tick(next_day), Some(next_day + 3.0 * S));
        assert_eq!(back.tick(next_day + 2.0 * S), None);
        assert_eq!(
            tick_id(&mut back, next_day + 3.0 * S).as_deref(),
            Some("back")
        );
        // A second page of the returning session, before the delay on the first: still due.
        let mut first = page(rule, memory.clone(), next_day, "/");
        first.signal(Signal::Activity, next_day + S);
        let mut second = page(rule, first.memory().clone(), next_day + 2.0 * S, "/list");
        assert_eq!(
            tick_id(&mut second, next_day + 5.0 * S).as_deref(),
            Some("back")
        );
        // Nothing left in the cart: nothing to come back for.
        let mut empty = memory;
        empty.cart.clear();
        let mut p = page(rule, empty, next_day, "/");
        assert_eq!(p.tick(next_day + MIN), None);
    }

    const EXIT: &str = r#"{"id":"exit","when":"exit_intent","seconds":10,"show":"survey"}"#;

    #[test]
    fn exit_intent_on_desktop_is_the_pointer_leaving_through_the_top() {
        let mut p = page(EXIT, Memory::default(), T0, "/");
        assert_eq!(
            p.signal(Signal::PointerLeftTop, T0 + 9.0 * S),
            None,
            "before the minimum dwell"
        );
        assert_eq!(p.signal(Signal::Hidden, T0 + 11.0 * S), None);
        assert_eq!(
            p.signal(Signal::Visible, T0 + 20.0 * S),
            None,
            "tab switching is not exit intent on desktop"
        );
        assert_eq!(p.signal(Signal::Scroll(2000.0), T0 + 21.0 * S), None);
        assert_eq!(
            p.signal(Signal::Scroll(0.0), T0 + 21.0 * S),
            None,
            "nor a fast scroll"
        );
        assert_eq!(
            signal_id(&mut p, Signal::PointerLeftTop, T0 + 22.0 * S).as_deref(),
            Some("exit")
        );
    }

    #[test]
    fn exit_intent_on_touch_is_coming_back_or_a_fast_scroll_up() {
        let touch = |now| Prompts::new(config(EXIT), Memory::default(), now, "/", true);
        let mut p = touch(T0);
        assert_eq!(p.signal(Signal::PointerLeftTop, T0 + 30.0 * S), None);
        p.signal(Signal::Hidden, T0 + 5.0 * S);
        assert_eq!(
            p.signal(Signal::Visible, T0 + 60.0 * S),
            None,
            "5 s visible is under the minimum"
        );
        p.signal(Signal::Hidden, T0 + 66.0 * S);
        assert_eq!(
            signal_id(&mut p, Signal::Visible, T0 + 70.0 * S).as_deref(),
            Some("exit")
        );

        let mut p = touch(T0);
        let at = T0 + 20.0 * S;
        p.signal(Signal::Scroll(1500.0), at);
        // Slow: 1000 px up over three seconds.
        for (k, y) in [1200.0, 900.0, 600.0, 500.0].iter().enumerate() {
            assert_eq!(
                p.signal(Signal::Scroll(*y), at + (k + 1) as f64 * 750.0),
                None
            );
        }
        // A slow start, then a flick: only the last 400 ms count.
        p.signal(Signal::Scroll(3000.0), at + 4.0 * S);
        assert_eq!(p.signal(Signal::Scroll(2900.0), at + 4.2 * S), None);
        assert_eq!(p.signal(Signal::Scroll(2800.0), at + 4.9 * S), None);
        assert_eq!(
            p.signal(Signal::Scroll(2500.0), at + 5.0 * S),
            None,
            "300 px"
        );
        assert_eq!(
            signal_id(&mut p, Signal::Scroll(2300.0), at + 5.2 * S).as_deref(),
            Some("exit"),
            "500 px in the last 300 ms"
        );
    }

    #[test]
    fn no_results_search() {
        let rule = r#"{"id":"none","when":"no_results","show":"help","title":"Can we help?"}"#;
        let mut p = page(rule, Memory::default(), T0, "/search");
        assert_eq!(p.signal(Signal::Search(4), T0), None);
        assert_eq!(
            signal_id(&mut p, Signal::Search(0), T0 + S).as_deref(),
            Some("none")
        );
    }

    const TWO: &str = r#"{"id":"none","when":"no_results","show":"help","title":"a","cooldownHours":1},
                        {"id":"exit","when":"exit_intent","seconds":0,"show":"survey","cooldownHours":0}"#;

    #[test]
    fn one_prompt_per_page_view_even_after_closing() {
        let mut p = page(TWO, Memory::default(), T0, "/");
        assert!(p.signal(Signal::Search(0), T0).is_some());
        assert_eq!(
            p.signal(Signal::PointerLeftTop, T0 + S),
            None,
            "one is open"
        );
        p.closed(false);
        assert_eq!(
            p.signal(Signal::PointerLeftTop, T0 + 2.0 * S),
            None,
            "per page: 1"
        );
        let mut next = page(TWO, p.memory().clone(), T0 + 3.0 * S, "/");
        assert_eq!(
            signal_id(&mut next, Signal::PointerLeftTop, T0 + 4.0 * S).as_deref(),
            Some("exit")
        );
    }

    #[test]
    fn per_session_cap_and_cooldown_hold_across_pages() {
        let cfg = |per_session: u32| {
            let mut c = config(TWO);
            c.per_session = per_session;
            c
        };
        let mut memory = Memory::default();
        let mut now = T0;
        let mut shown = Vec::new();
        for _ in 0..6 {
            let mut p = Prompts::new(cfg(2), memory, now, "/", false);
            if let Some(i) = p
                .signal(Signal::Search(0), now)
                .or_else(|| p.signal(Signal::PointerLeftTop, now))
            {
                shown.push(id(&p, Some(i)).unwrap());
                p.closed(false);
            }
            memory = p.memory().clone();
            now += MIN;
        }
        assert_eq!(shown, ["none", "exit"], "two per session");
        // A new session: the cap resets, the 1-hour cooldown of "none" does not.
        now += SESSION_GAP_MS + S;
        let mut p = Prompts::new(cfg(2), memory.clone(), now, "/", false);
        assert_eq!(p.signal(Signal::Search(0), now), None, "cooling down");
        assert_eq!(
            signal_id(&mut p, Signal::PointerLeftTop, now).as_deref(),
            Some("exit")
        );
        let later = T0 + 61.0 * MIN + SESSION_GAP_MS;
        let mut p = Prompts::new(cfg(2), memory, later, "/", false);
        assert_eq!(
            signal_id(&mut p, Signal::Search(0), later).as_deref(),
            Some("none")
        );
        // perSession 0 switches prompts off.
        let mut p = Prompts::new(cfg(0), Memory::default(), T0, "/", false);
        assert_eq!(p.signal(Signal::Search(0), T0), None);
    }

    #[test]
    fn dont_show_again_is_for_good() {
        let rule =
            r#"{"id":"none","when":"no_results","show":"help","title":"a","cooldownHours":0}"#;
        let mut p = page(rule, Memory::default(), T0, "/");
        assert!(p.signal(Signal::Search(0), T0).is_some());
        p.closed(true);
        let memory = Memory::from_text(&p.memory().to_text()).unwrap();
        for k in 1..5 {
            let now = T0 + k as f64 * 400.0 * 24.0 * 60.0 * MIN;
            let mut p = page(rule, memory.clone(), now, "/");
            assert_eq!(p.signal(Signal::Search(0), now), None);
        }
    }

    #[test]
    fn checkout_pages_show_nothing_but_still_learn() {
        let rules = r#"{"id":"none","when":"no_results","show":"help","title":"a"},
                       {"id":"idle","when":"cart_idle","minutes":1,"show":"help","title":"b"}"#;
        let mut p = page(rules, Memory::default(), T0, "/shop/Checkout.html?step=2");
        assert!(p.excluded());
        p.signal(Signal::Cart("A".into()), T0);
        assert_eq!(p.signal(Signal::Search(0), T0 + S), None);
        assert_eq!(p.next_tick(T0 + S), None);
        assert_eq!(p.tick(T0 + 10.0 * MIN), None);
        p.signal(Signal::Purchase("A".into()), T0 + 11.0 * MIN);
        assert!(
            p.memory().cart.is_empty(),
            "the purchase still empties the cart"
        );
        let mut c = config(rules);
        c.never_on = vec!["/pay".into()];
        let mut p = Prompts::new(c, Memory::default(), T0, "/pay/card", false);
        assert_eq!(p.signal(Signal::Search(0), T0), None);
        assert!(!page(rules, Memory::default(), T0, "/product").excluded());
    }

    #[test]
    fn rules_show_only_where_configured() {
        let rule =
            r#"{"id":"none","when":"no_results","show":"help","title":"a","on":["/search"]}"#;
        let mut p = page(rule, Memory::default(), T0, "/product?id=1");
        assert_eq!(p.signal(Signal::Search(0), T0), None);
        let mut p = page(rule, Memory::default(), T0, "/Search?q=x");
        assert!(p.signal(Signal::Search(0), T0).is_some());
    }

    #[test]
    fn event_triggers_are_dropped_while_a_form_field_has_focus() {
        let rule = r#"{"id":"none","when":"no_results","show":"help","title":"a"}"#;
        let mut p = page(rule, Memory::default(), T0, "/");
        p.signal(Signal::Field(true), T0);
        assert_eq!(p.signal(Signal::Search(0), T0 + S), None);
        assert_eq!(
            p.signal(Signal::Field(false), T0 + 2.0 * S),
            None,
            "not replayed later"
        );
        assert!(p.signal(Signal::Search(0), T0 + 3.0 * S).is_some());
    }

    #[test]
    fn config_order_decides_between_rules_firing_together() {
        let rules = r#"{"id":"first","when":"no_results","show":"help","title":"a"},
                       {"id":"second","when":"no_results","show":"help","title":"b"}"#;
        let mut p = page(rules, Memory::default(), T0, "/");
        assert_eq!(
            signal_id(&mut p, Signal::Search(0), T0).as_deref(),
            Some("first")
        );
    }

    #[test]
    fn memory_round_trips_and_tolerates_damage() {
        let rules = r#"{"id":"cmp","when":"compare","items":2,"show":"compare","title":"c"},
                       {"id":"none","when":"no_results","show":"help","title":"n"}"#;
        let mut p = page(rules, Memory::default(), T0, "/");
        p.signal(view("A\t1\n", "mugs"), T0);
        assert!(p.signal(view("B", "mugs"), T0 + S).is_some());
        p.signal(Signal::Cart("B".into()), T0 + S);
        p.closed(true);
        let m = p.memory().clone();
        assert_eq!(
            m.seen[0],
            ("A 1".to_string(), "mugs".to_string()),
            "control characters cleaned"
        );
        let text = m.to_text();
        assert_eq!(
            text,
            "attune-prompts 1\np\t1\t1732590001000\t1\t0\nr\tcmp\t1732590001000\t1\n\
             v\tA 1\t1\t1\nv\tB\t1\t1\nc\tB\ns\tA 1\tmugs\ns\tB\tmugs"
        );
        assert_eq!(Memory::from_text(&text), Some(m.clone()));
        assert_eq!(Memory::from_text(""), None);
        assert_eq!(Memory::from_text("attune-prompts 2\np\t1\t2\t3\t0"), None);
        assert_eq!(Memory::from_text("{\"v\":1}"), None);
        let odd = Memory::from_text(
            "attune-prompts 1\nx\ty\nr\nr\tok\t-5\t1\nc\t\nc\tA\ns\tB\nv\tC\tmany\t2\np\t1\tsoon\t0\t0",
        )
        .unwrap();
        assert_eq!(odd.session, 0, "a damaged p line is ignored");
        assert_eq!(
            odd.rules,
            [RuleMemory {
                id: "ok".into(),
                last_shown: 0.0,
                never: true
            }]
        );
        assert_eq!(odd.cart, ["A"]);
        assert_eq!(odd.seen, [("B".to_string(), String::new())]);
        assert_eq!(odd.views[0].sessions, 0);
        // Bounds hold on the way in.
        let big: String = (0..500).map(|i| format!("\nc\t{i}")).collect();
        let m = Memory::from_text(&format!("attune-prompts 1{big}")).unwrap();
        assert_eq!(m.cart.len(), MAX_CART);
    }

    #[test]
    fn memory_stays_bounded_and_page_texts_are_cut() {
        let mut p = page(DWELL, Memory::default(), T0, "/");
        for k in 0..300 {
            p.signal(view(&format!("I{k}"), "c"), T0 + k as f64);
            p.signal(Signal::Cart(format!("I{k}")), T0 + k as f64);
        }
        let m = p.memory();
        assert_eq!(
            (m.views.len(), m.cart.len(), m.seen.len()),
            (MAX_VIEWED, MAX_CART, MAX_SEEN)
        );
        assert_eq!(m.views.last().unwrap().item, "I299");
        let long = "é".repeat(1000);
        p.signal(view(&long, &long), T0 + 400.0);
        let s = p.memory().seen.last().unwrap();
        assert_eq!(
            (s.0.chars().count(), s.1.chars().count()),
            (MAX_NAME, MAX_NAME)
        );
    }

    #[test]
    fn the_page_can_state_the_basket_and_empty_ids_are_ignored() {
        let rule = r#"{"id":"idle","when":"cart_idle","minutes":1,"show":"help","title":"t"}"#;
        let mut p = page(rule, Memory::default(), T0, "/cart");
        p.signal(Signal::Cart("A".into()), T0);
        p.signal(Signal::Basket(vec![]), T0);
        assert_eq!(
            p.tick(T0 + 5.0 * MIN),
            None,
            "the page says the cart is empty"
        );
        let basket = Signal::Basket(vec!["B".into(), "C".into()]);
        assert_eq!(
            signal_id(&mut p, basket, T0 + 5.0 * MIN).as_deref(),
            Some("idle"),
            "idle since T0"
        );
        assert_eq!(p.memory().cart, ["B", "C"]);
        let mut p = page(DWELL, Memory::default(), T0, "/p");
        assert_eq!(p.signal(view(" ", "c"), T0), None);
        p.signal(Signal::Cart(String::new()), T0);
        assert!(p.memory().views.is_empty() && p.memory().cart.is_empty());
        assert_eq!(p.next_tick(T0), None);
    }

    #[test]
    fn forgetting_clears_the_memory() {
        let mut p = page(DWELL, Memory::default(), T0, "/");
        p.signal(view("A", "c"), T0);
        p.signal(Signal::Cart("A".into()), T0);
        p.forget();
        let m = p.memory();
        assert!(m.views.is_empty() && m.cart.is_empty() && m.seen.is_empty() && m.rules.is_empty());
    }

    #[test]
    fn a_new_config_keeps_the_memory() {
        let mut p = page(DWELL, Memory::default(), T0, "/");
        p.signal(view("A", "c"), T0);
        assert!(p.tick(T0 + 45.0 * S).is_some());
        p.set_config(config(
            r#"{"id":"none","when":"no_results","show":"help","title":"a"}"#,
        ));
        assert_eq!(p.open(), None);
        assert_eq!(p.memory().views.len(), 1);
        assert_eq!(
            p.signal(Signal::Search(0), T0 + 46.0 * S),
            None,
            "still one per page view"
        );
    }
}
