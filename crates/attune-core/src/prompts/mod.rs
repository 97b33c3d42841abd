//! The help-prompt rules engine (docs/prompts.md): decides, from the shopper's local
//! signals, whether a configured prompt may show now, and keeps the little it must remember
//! between pages (sessions, views per item, the cart, the categories seen this session,
//! cooldowns, "don't show again"). `config` validates the merchant's rules, `value` is the
//! parsed JSON they arrive as.
//!
//! Pure and deterministic: the page's clock is passed in with every call, storage is the
//! caller's (`Memory::to_text` / `Memory::from_text`, the text form stored since the first
//! Rust engine and kept by the JS one in between), and the page side
//! (crates/attune-prompts-web) turns browser events into [`Signal`]s and renders what this
//! engine picks. The same timeline always gives the same prompts, which is what the tests
//! (tests.rs) replay. No DOM, no clock, no `format!` (it would bring `core::fmt` into the Wasm).
//!
//! Respect comes before every trigger: nothing on excluded pages, nothing while a form
//! field has focus or the tab is hidden, one prompt open at a time, at most `per_page` per
//! page view and `per_session` per session, a cooldown per rule, and a rule the shopper
//! dismissed for good never comes back. Triggers are checked in config order; the first
//! rule that fires and is allowed wins.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

pub mod config;
pub mod value;

pub use config::{parse, Action, Config, ConfigError, Problem, Rule, Trigger, MAX_COMPARED};
pub use value::Value;

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
    /// A search that found `n` results; an unknown count (NaN, negative) is not "no
    /// results", a fraction rounds down.
    Search(f64),
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
                if (0.0..1.0).contains(&n) {
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

/// Writes a whole number (a count, or ms since the epoch) in decimal: what the stored form
/// and the error paths need, without `core::fmt`. Negative, NaN and infinite write 0.
pub fn write_uint(out: &mut String, v: f64) {
    let n = if v.is_finite() && v > 0.0 {
        v as u64
    } else {
        0
    };
    crate::profile::push_u64(out, n);
}

#[cfg(test)]
mod tests;
