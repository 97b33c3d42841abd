//! The merchant's help-prompt configuration: its schema, and [`parse`], which turns the
//! parsed JSON (a [`Value`]: the browser's `JSON.parse` of the page's
//! `<script type="application/json" data-attune-prompts>` or the object given to
//! `attune.prompts()`) into a validated [`Config`]. docs/prompts.md is the reference for
//! every field.
//!
//! Validation is strict and forgiving at once: an unknown or ill-typed field is reported
//! with its path (`rules[2].seconds`) and what was expected, the rule holding it is left out,
//! and every valid rule still works. A bad top-level setting falls back to its default.
//! Never fails and never panics (fuzzed): a value that is not an object gives the default
//! settings, no rules and one error. No `format!`: messages are concatenated.

use super::value::Value;
use super::write_uint;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// What makes a rule fire (the `when` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `seconds` on a product page (visible time) without adding the item to the cart.
    Dwell,
    /// The same item viewed in `views` different sessions.
    RepeatView,
    /// `items` different items of one category viewed this session.
    Compare,
    /// Options (size, colour…) switched `switches` times on one page, back and forth.
    Variant,
    /// Items in the cart and no activity for `minutes`.
    CartIdle,
    /// A new session of a shopper who left items in the cart; `seconds` after the page opens.
    CartReturn,
    /// Leaving: the pointer exits through the top (desktop), or the tab comes back after
    /// being hidden or a fast scroll up (touch); after `seconds` on the page.
    ExitIntent,
    /// A search that found nothing.
    NoResults,
}

/// What a rule shows (the `show` field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A short message and an optional link (size guide, delivery, contact).
    Help,
    /// The compared items side by side (only with `when: "compare"`).
    Compare,
    /// A list of facts (returns, delivery, guarantee).
    Reassure,
    /// "What stopped you today?" with five answers, kept in the browser.
    Survey,
}

const TRIGGERS: [(Trigger, &str); 8] = [
    (Trigger::Dwell, "dwell"),
    (Trigger::RepeatView, "repeat_view"),
    (Trigger::Compare, "compare"),
    (Trigger::Variant, "variant"),
    (Trigger::CartIdle, "cart_idle"),
    (Trigger::CartReturn, "cart_return"),
    (Trigger::ExitIntent, "exit_intent"),
    (Trigger::NoResults, "no_results"),
];

const ACTIONS: [(Action, &str); 4] = [
    (Action::Help, "help"),
    (Action::Compare, "compare"),
    (Action::Reassure, "reassure"),
    (Action::Survey, "survey"),
];

impl Trigger {
    pub fn name(self) -> &'static str {
        TRIGGERS.iter().find(|t| t.0 == self).map_or("", |t| t.1)
    }

    /// The trigger's one parameter: its field name, default, range, and whether it is a
    /// time (converted to ms) or a count.
    fn param(self) -> Option<Param> {
        let (name, default, min, max, unit_ms) = match self {
            Trigger::Dwell => ("seconds", 45.0, 1.0, 3600.0, 1000.0),
            Trigger::RepeatView => ("views", 3.0, 2.0, 50.0, 0.0),
            Trigger::Compare => ("items", 3.0, 2.0, MAX_COMPARED as f64, 0.0),
            Trigger::Variant => ("switches", 4.0, 2.0, 50.0, 0.0),
            Trigger::CartIdle => ("minutes", 3.0, 0.25, 240.0, 60_000.0),
            Trigger::CartReturn => ("seconds", 3.0, 0.0, 600.0, 1000.0),
            Trigger::ExitIntent => ("seconds", 10.0, 0.0, 3600.0, 1000.0),
            Trigger::NoResults => return None,
        };
        Some(Param {
            name,
            default,
            min,
            max,
            unit_ms,
        })
    }
}

struct Param {
    name: &'static str,
    default: f64,
    min: f64,
    max: f64,
    /// Milliseconds per unit for a time; 0 for a count.
    unit_ms: f64,
}

impl Action {
    pub fn name(self) -> &'static str {
        ACTIONS.iter().find(|a| a.0 == self).map_or("", |a| a.1)
    }
}

/// The most items a comparison shows side by side.
pub const MAX_COMPARED: usize = 4;
pub const MAX_RULES: usize = 32;
pub const MAX_FACTS: usize = 6;
pub const MAX_FIELDS: usize = 4;
pub const MAX_PATTERNS: usize = 32;
/// Longest title, text, fact, link text or pattern (characters, i.e. code points).
pub const MAX_TEXT: usize = 500;
pub const MAX_ID: usize = 40;
pub const HOUR_MS: f64 = 3_600_000.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The merchant's name for the rule; keys "don't show again" and cooldowns.
    pub id: String,
    /// Position in the config's `rules` array (invalid rules are left out of `Config`).
    pub src: usize,
    pub when: Trigger,
    /// `views`, `items` or `switches` for the counting triggers, else 0.
    pub count: u32,
    /// `seconds` / `minutes` in milliseconds for the timed triggers, else 0.
    pub after_ms: f64,
    pub show: Action,
    pub cooldown_ms: f64,
    /// URL substrings where the rule may show; empty means everywhere not excluded.
    pub on: Vec<String>,
    /// What the prompt says, as given (validated; the page trims them when it renders).
    /// Empty when not given (a survey without a title asks the standard question).
    pub title: String,
    pub text: String,
    /// `link`: its text and href (the page resolves and checks the URL).
    pub link: Option<(String, String)>,
    pub facts: Vec<String>,
    /// The compared attributes (names looked up in the page's events).
    pub fields: Vec<String>,
    /// The five survey answers' words, or empty for the standard ones.
    pub choices: Vec<String>,
}

/// The words of the prompt's own controls, for shops in other languages.
pub const LABELS: [&str; 4] = ["close", "never", "thanks", "price"];

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub rules: Vec<Rule>,
    /// Prompts per page view.
    pub per_page: u32,
    /// Prompts per session.
    pub per_session: u32,
    /// URL substrings (ASCII case ignored) of pages that never show a prompt.
    pub never_on: Vec<String>,
    /// ISO 4217 code for prices given as plain numbers.
    pub currency: Option<String>,
    /// The valid `labels`, in [`LABELS`] order; `None` where the page's own word applies.
    pub labels: [Option<String>; 4],
    /// Everything that was wrong, in document order; the rest of the config applies.
    pub errors: Vec<ConfigError>,
}

pub const PER_PAGE: u32 = 1;
pub const PER_SESSION: u32 = 2;
pub const COOLDOWN_HOURS: f64 = 24.0;
pub const NEVER_ON: [&str; 2] = ["checkout", "payment"];

impl Default for Config {
    fn default() -> Config {
        Config {
            rules: Vec::new(),
            per_page: PER_PAGE,
            per_session: PER_SESSION,
            never_on: NEVER_ON.iter().map(|s| s.to_string()).collect(),
            currency: None,
            labels: [None, None, None, None],
            errors: Vec::new(),
        }
    }
}

impl Config {
    /// The default settings, no rules, and one error about the whole config (text that is
    /// not JSON, or too long): what the page gets when there is nothing to validate.
    pub fn failed(problem: Problem) -> Config {
        let mut c = Config::default();
        c.errors.push(ConfigError {
            path: String::new(),
            problem,
            dropped_rule: false,
        });
        c
    }
}

/// What was wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Not JSON; the browser's words for where it broke.
    Syntax(String),
    /// The config's text is longer than [`MAX_CONFIG_TEXT`].
    TooLong,
    /// The whole config is not a JSON object.
    NotObject,
    /// No such field here.
    Unknown,
    /// A field the rule needs is missing.
    Missing,
    /// The same field twice in one object.
    Duplicate,
    /// Wrong type or out of range; says what is expected.
    Expected(&'static str),
    /// Two rules with the same id.
    DuplicateId,
    /// The field is known but not for this trigger or action.
    NotForThisRule,
    /// More rules than `MAX_RULES`.
    TooMany,
}

/// Hostile input stays cheap: a real config is a few KB (UTF-16 units, as JS counts).
pub const MAX_CONFIG_TEXT: usize = 262_144;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Where: `perSession`, `rules[2].seconds`, `rules[0].link.href`; empty for the whole text.
    pub path: String,
    pub problem: Problem,
    /// Whether a rule was left out because of it.
    pub dropped_rule: bool,
}

impl ConfigError {
    /// One line for the console, naming the field: `rules[1].secnds: unknown field; the rule
    /// is ignored`.
    pub fn message(&self) -> String {
        let mut m = String::new();
        if !self.path.is_empty() {
            m.push_str(&self.path);
            m.push_str(": ");
        }
        match &self.problem {
            Problem::Syntax(what) => {
                m.push_str("not valid JSON (");
                m.push_str(what);
                m.push(')');
            }
            Problem::TooLong => m.push_str("the config is too long (at most 256 KB)"),
            Problem::NotObject => m.push_str("the config must be a JSON object"),
            Problem::Unknown => m.push_str("unknown field"),
            Problem::Missing => m.push_str("missing"),
            Problem::Duplicate => m.push_str("given twice"),
            Problem::Expected(what) => {
                m.push_str("expected ");
                m.push_str(what);
            }
            Problem::DuplicateId => m.push_str("another rule already has this id"),
            Problem::NotForThisRule => m.push_str("not used by this kind of rule"),
            Problem::TooMany => m.push_str("too many rules (at most 32)"),
        }
        if self.dropped_rule {
            m.push_str("; the rule is ignored");
        }
        m
    }
}

/// Validates a prompt config. Always a config: the valid rules, the settings (defaults
/// where invalid) and every problem; a value that is not an object gives one error.
pub fn parse(root: &Value) -> Config {
    let Value::Obj(members) = root else {
        return Config::failed(Problem::NotObject);
    };
    let mut cfg = Config::default();
    let mut errors = Vec::new();
    for (n, (key, value)) in members.iter().enumerate() {
        // An empty name is shown as "" so that every error still names its field.
        let name = if key.is_empty() { "\"\"" } else { key.as_str() };
        let err = |problem| ConfigError {
            path: name.to_string(),
            problem,
            dropped_rule: false,
        };
        // A repeated setting: the last one applies, as with `JSON.parse` (which in the
        // browser has already dropped the others: then this is never seen).
        if members.iter().skip(n + 1).any(|(k, _)| k == key) {
            errors.push(err(Problem::Duplicate));
            continue;
        }
        let bad = match key.as_str() {
            "rules" => match value.as_array() {
                Some(list) => {
                    rules(list, &mut cfg.rules, &mut errors);
                    None
                }
                None => Some(Problem::Expected("an array of rules")),
            },
            "perPage" => count(value, 3, "a whole number from 0 to 3")
                .map(|n| cfg.per_page = n)
                .err(),
            "perSession" => count(value, 20, "a whole number from 0 to 20")
                .map(|n| cfg.per_session = n)
                .err(),
            "neverOn" => patterns(value).map(|p| cfg.never_on = p).err(),
            "currency" => match value.as_str() {
                Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
                    cfg.currency = Some(c.to_ascii_uppercase());
                    None
                }
                _ => Some(Problem::Expected(
                    "a three-letter currency code such as \"GBP\"",
                )),
            },
            "labels" => labels(value, &mut cfg.labels, &mut errors),
            _ => Some(Problem::Unknown),
        };
        if let Some(p) = bad {
            errors.push(err(p));
        }
    }
    cfg.errors = errors;
    cfg
}

/// Whether `n` is a whole number (`f64::fract` is std-only; the ranges checked are small).
fn whole(n: f64) -> bool {
    n == (n as i64) as f64
}

fn count(v: &Value, max: u32, expected: &'static str) -> Result<u32, Problem> {
    match v.as_f64() {
        Some(n) if whole(n) && (0.0..=max as f64).contains(&n) => Ok(n as u32),
        _ => Err(Problem::Expected(expected)),
    }
}

const TEXT: Problem = Problem::Expected("a non-empty string (at most 500 characters)");
const ID: Problem =
    Problem::Expected("a non-empty string of letters, digits, '-' and '_' (at most 40)");

fn text(v: &Value) -> Result<&str, Problem> {
    match v.as_str() {
        Some(s) if !s.trim().is_empty() && s.chars().count() <= MAX_TEXT => Ok(s),
        _ => Err(TEXT),
    }
}

/// An array of `min..=max` non-empty strings.
fn texts(v: &Value, min: usize, max: usize) -> bool {
    v.as_array()
        .is_some_and(|l| (min..=max).contains(&l.len()) && l.iter().all(|s| text(s).is_ok()))
}

fn strings(v: &Value) -> Vec<String> {
    let list = v.as_array().unwrap_or_default();
    list.iter()
        .filter_map(|s| s.as_str())
        .map(|s| s.trim().to_string())
        .collect()
}

fn raw_strings(v: &Value) -> Vec<String> {
    let list = v.as_array().unwrap_or_default();
    list.iter()
        .filter_map(|s| s.as_str())
        .map(|s| s.to_string())
        .collect()
}

const PATTERNS: &str = "an array of non-empty strings (at most 32)";

fn patterns(v: &Value) -> Result<Vec<String>, Problem> {
    // An empty list is allowed here: "no page is excluded".
    if v.as_array().is_some_and(|a| a.is_empty()) || texts(v, 1, MAX_PATTERNS) {
        Ok(strings(v))
    } else {
        Err(Problem::Expected(PATTERNS))
    }
}

/// Checks `labels`: an object of non-empty strings under the names of [`LABELS`]. A bad
/// label is reported and the default word is used for it.
fn labels(
    v: &Value,
    out: &mut [Option<String>; 4],
    errors: &mut Vec<ConfigError>,
) -> Option<Problem> {
    let Value::Obj(members) = v else {
        return Some(Problem::Expected("an object of label texts"));
    };
    for (key, value) in members {
        let problem = match LABELS.iter().position(|l| l == key) {
            None => Problem::Unknown,
            Some(i) => match text(value) {
                Ok(t) => {
                    out[i] = Some(t.to_string());
                    continue;
                }
                Err(p) => p,
            },
        };
        errors.push(ConfigError {
            path: concat2("labels.", if key.is_empty() { "\"\"" } else { key }),
            problem,
            dropped_rule: false,
        });
    }
    None
}

fn rules(list: &[Value], out: &mut Vec<Rule>, errors: &mut Vec<ConfigError>) {
    for (i, v) in list.iter().enumerate() {
        let mut at = String::from("rules[");
        write_uint(&mut at, i as f64);
        at.push(']');
        if i >= MAX_RULES {
            errors.push(ConfigError {
                path: at,
                problem: Problem::TooMany,
                dropped_rule: true,
            });
            break;
        }
        match rule(v, i) {
            Ok(r) if out.iter().any(|o| o.id == r.id) => errors.push(ConfigError {
                path: at + ".id",
                problem: Problem::DuplicateId,
                dropped_rule: true,
            }),
            Ok(r) => out.push(r),
            Err((field, problem)) => {
                if !field.is_empty() {
                    at.push('.');
                    at.push_str(&field);
                }
                errors.push(ConfigError {
                    path: at,
                    problem,
                    dropped_rule: true,
                });
            }
        }
    }
}

type FieldError = (String, Problem);

// Actions as bits, for which rules a field belongs to and which need it.
const HELP: u8 = 1;
const COMPARE: u8 = 2;
const REASSURE: u8 = 4;
const SURVEY: u8 = 8;
const ALL: u8 = 15;

#[derive(Clone, Copy, PartialEq)]
enum Check {
    /// Checked before the others (id, when, show).
    First,
    Text,
    /// An array of `min..=max` non-empty strings.
    List(usize, usize),
    Link,
    Hours,
    /// The trigger's parameter (`Trigger::param`).
    Param,
}

/// Every field of a rule: name, check, the actions it belongs to, the actions that need it,
/// and what is expected when it is wrong.
const RULE_FIELDS: [(&str, Check, u8, u8, &str); 16] = [
    ("id", Check::First, ALL, ALL, ""),
    ("when", Check::First, ALL, ALL, ""),
    ("show", Check::First, ALL, ALL, ""),
    ("title", Check::Text, ALL, HELP | COMPARE | REASSURE, ""),
    ("text", Check::Text, ALL, 0, ""),
    (
        "link",
        Check::Link,
        HELP | REASSURE,
        0,
        "an object {\"text\": …, \"href\": …}",
    ),
    (
        "facts",
        Check::List(1, MAX_FACTS),
        REASSURE,
        REASSURE,
        "an array of 1 to 6 non-empty strings",
    ),
    (
        "fields",
        Check::List(1, MAX_FIELDS),
        COMPARE,
        0,
        "an array of 1 to 4 non-empty strings",
    ),
    (
        "choices",
        Check::List(5, 5),
        SURVEY,
        0,
        "an array of 5 non-empty strings: price, shipping, information, browsing, other",
    ),
    (
        "cooldownHours",
        Check::Hours,
        ALL,
        0,
        "a number of hours from 0 to 8760",
    ),
    ("on", Check::List(1, MAX_PATTERNS), ALL, 0, PATTERNS),
    ("seconds", Check::Param, ALL, 0, ""),
    ("minutes", Check::Param, ALL, 0, ""),
    ("views", Check::Param, ALL, 0, ""),
    ("items", Check::Param, ALL, 0, ""),
    ("switches", Check::Param, ALL, 0, ""),
];

fn rule(v: &Value, src: usize) -> Result<Rule, FieldError> {
    let fail = |field: &str, p: Problem| (field.to_string(), p);
    let Value::Obj(members) = v else {
        return Err(fail("", Problem::Expected("an object")));
    };
    // Shape first: unknown and repeated fields, in document order.
    for (n, (key, _)) in members.iter().enumerate() {
        if !RULE_FIELDS.iter().any(|f| f.0 == key) {
            return Err(fail(
                if key.is_empty() { "\"\"" } else { key },
                Problem::Unknown,
            ));
        }
        if members[..n].iter().any(|(k, _)| k == key) {
            return Err(fail(key, Problem::Duplicate));
        }
    }
    let get = |k: &str| v.get(k);
    let id = match get("id") {
        None => return Err(fail("id", Problem::Missing)),
        Some(j) => j
            .as_str()
            .map(str::trim)
            .filter(|s| {
                (1..=MAX_ID).contains(&s.len())
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            })
            .ok_or_else(|| fail("id", ID))?,
    };
    let pick = |field: &str, names: &[&str], expected: &'static str| -> Result<usize, FieldError> {
        let j = get(field).ok_or_else(|| fail(field, Problem::Missing))?;
        j.as_str()
            .and_then(|s| names.iter().position(|n| *n == s))
            .ok_or_else(|| fail(field, Problem::Expected(expected)))
    };
    let when = TRIGGERS[pick(
        "when",
        &TRIGGERS.map(|t| t.1),
        "one of \"dwell\", \"repeat_view\", \"compare\", \"variant\", \"cart_idle\", \"cart_return\", \"exit_intent\", \"no_results\"",
    )?]
    .0;
    let a = pick(
        "show",
        &ACTIONS.map(|a| a.1),
        "one of \"help\", \"compare\", \"reassure\", \"survey\"",
    )?;
    let (show, bit) = (ACTIONS[a].0, 1u8 << a);
    if show == Action::Compare && when != Trigger::Compare {
        return Err(fail(
            "show",
            Problem::Expected("\"compare\" only with \"when\": \"compare\""),
        ));
    }

    let param = when.param();
    let mut rule = Rule {
        id: id.to_string(),
        src,
        when,
        count: 0,
        after_ms: 0.0,
        show,
        cooldown_ms: COOLDOWN_HOURS * HOUR_MS,
        on: Vec::new(),
        title: String::new(),
        text: String::new(),
        link: None,
        facts: Vec::new(),
        fields: Vec::new(),
        choices: Vec::new(),
    };
    if let Some(p) = &param {
        if p.unit_ms > 0.0 {
            rule.after_ms = p.default * p.unit_ms;
        } else {
            rule.count = p.default as u32;
        }
    }
    for (key, j) in members {
        let Some(&(name, check, belongs, _, expected)) = RULE_FIELDS.iter().find(|f| f.0 == key)
        else {
            continue;
        };
        if belongs & bit == 0
            || (check == Check::Param && param.as_ref().map(|p| p.name) != Some(name))
        {
            return Err(fail(name, Problem::NotForThisRule));
        }
        let bad = Problem::Expected(expected);
        match check {
            Check::First => {}
            Check::Text => {
                let t = text(j).map_err(|p| fail(name, p))?.to_string();
                if name == "title" {
                    rule.title = t;
                } else {
                    rule.text = t;
                }
            }
            Check::List(min, max) => {
                if !texts(j, min, max) {
                    return Err(fail(name, bad));
                }
                match name {
                    "on" => rule.on = strings(j),
                    "facts" => rule.facts = raw_strings(j),
                    "fields" => rule.fields = raw_strings(j),
                    _ => rule.choices = raw_strings(j),
                }
            }
            Check::Link => {
                rule.link = Some(link(j).map_err(|(f, p)| {
                    if f.is_empty() {
                        (name.to_string(), p)
                    } else {
                        (concat2("link.", &f), p)
                    }
                })?)
            }
            Check::Hours => match j.as_f64() {
                Some(h) if (0.0..=8760.0).contains(&h) => rule.cooldown_ms = h * HOUR_MS,
                _ => return Err(fail(name, bad)),
            },
            Check::Param => {
                let Some(p) = &param else { continue };
                match j.as_f64() {
                    Some(n) if n >= p.min && n <= p.max && (p.unit_ms > 0.0 || whole(n)) => {
                        if p.unit_ms > 0.0 {
                            rule.after_ms = n * p.unit_ms;
                        } else {
                            rule.count = n as u32;
                        }
                    }
                    _ => return Err(fail(name, Problem::Expected(range_text(when)))),
                }
            }
        }
    }
    for &(name, _, _, needed, _) in &RULE_FIELDS {
        if needed & bit != 0 && get(name).is_none() {
            return Err(fail(name, Problem::Missing));
        }
    }
    Ok(rule)
}

fn range_text(when: Trigger) -> &'static str {
    match when {
        Trigger::Dwell => "a number of seconds from 1 to 3600",
        Trigger::RepeatView => "a whole number of views from 2 to 50",
        Trigger::Compare => "a whole number of items from 2 to 4",
        Trigger::Variant => "a whole number of switches from 2 to 50",
        Trigger::CartIdle => "a number of minutes from 0.25 to 240",
        Trigger::CartReturn => "a number of seconds from 0 to 600",
        Trigger::ExitIntent | Trigger::NoResults => "a number of seconds from 0 to 3600",
    }
}

fn concat2(a: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    s
}

/// Checks a `link` object: exactly `text` and `href`, both non-empty strings.
fn link(v: &Value) -> Result<(String, String), FieldError> {
    let Value::Obj(members) = v else {
        return Err((
            String::new(),
            Problem::Expected("an object {\"text\": …, \"href\": …}"),
        ));
    };
    for (n, (key, _)) in members.iter().enumerate() {
        if key != "text" && key != "href" {
            let key = if key.is_empty() { "\"\"" } else { key };
            return Err((key.to_string(), Problem::Unknown));
        }
        if members[..n].iter().any(|(k, _)| k == key) {
            return Err((key.clone(), Problem::Duplicate));
        }
    }
    let mut out = [String::new(), String::new()];
    for (i, k) in ["text", "href"].into_iter().enumerate() {
        let j = v.get(k).ok_or_else(|| (k.to_string(), Problem::Missing))?;
        out[i] = text(j).map_err(|p| (k.to_string(), p))?.to_string();
    }
    let [t, h] = out;
    Ok((t, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompts::tests::parse_text as parse_json;

    fn messages(c: &Config) -> Vec<String> {
        c.errors.iter().map(ConfigError::message).collect()
    }

    const GOOD: &str = r#"{
        "perPage": 1, "perSession": 3, "neverOn": ["/Checkout", "pay"], "currency": "gbp",
        "rules": [
          {"id": "size-help", "when": "dwell", "seconds": 30, "show": "help",
           "title": "Not sure about the size?", "text": "Our size guide has measurements.",
           "link": {"text": "Size guide", "href": "/size-guide"}, "on": ["/product"]},
          {"id": "compare", "when": "compare", "items": 3, "show": "compare",
           "title": "Comparing?", "fields": ["material"]},
          {"id": "reassure", "when": "cart_idle", "minutes": 2.5, "show": "reassure",
           "title": "Good to know", "facts": ["Free returns within 30 days"], "cooldownHours": 0.5},
          {"id": "exit", "when": "exit_intent", "show": "survey",
           "choices": ["Le prix", "La livraison", "Plus d'infos", "Je regarde", "Autre"]},
          {"id": "nothing-found", "when": "no_results", "show": "help", "title": "No luck?"}
        ]}"#;

    #[test]
    fn a_valid_config_parses_completely() {
        let c = parse_json(GOOD);
        assert!(c.errors.is_empty(), "{:?}", messages(&c));
        assert_eq!((c.per_page, c.per_session), (1, 3));
        assert_eq!(c.never_on, vec!["/Checkout", "pay"]);
        assert_eq!(c.currency.as_deref(), Some("GBP"));
        assert_eq!(c.rules.len(), 5);
        let r = &c.rules[0];
        assert_eq!(
            (r.id.as_str(), r.when, r.show),
            ("size-help", Trigger::Dwell, Action::Help)
        );
        assert_eq!(r.after_ms, 30_000.0);
        assert_eq!(r.on, vec!["/product"]);
        assert_eq!(r.cooldown_ms, 24.0 * HOUR_MS);
        assert_eq!((c.rules[1].count, c.rules[1].src), (3, 1));
        assert_eq!(c.rules[2].after_ms, 150_000.0);
        assert_eq!(c.rules[2].cooldown_ms, 1_800_000.0);
        assert_eq!(
            c.rules[3].after_ms, 10_000.0,
            "exit intent's default minimum dwell"
        );
        // A survey may use the standard question (no title); its answers may be translated.
        assert_eq!(c.rules[3].show, Action::Survey);
        assert_eq!(c.rules[4].when, Trigger::NoResults);
    }

    #[test]
    fn defaults() {
        let c = parse_json("{}");
        assert_eq!(c, Config::default());
        assert_eq!(c.never_on, vec!["checkout", "payment"]);
        let c =
            parse_json(r#"{"rules":[{"id":"a","when":"repeat_view","show":"help","title":"t"}]}"#);
        assert_eq!(c.rules[0].count, 3);
        assert!(parse_json(r#"{"neverOn": []}"#).never_on.is_empty());
    }

    #[test]
    fn a_bad_rule_is_named_and_dropped_and_the_others_work() {
        let text = r#"{"rules": [
            {"id": "a", "when": "dwell", "secnds": 30, "show": "help", "title": "x"},
            {"id": "b", "when": "dwell", "seconds": "30", "show": "help", "title": "x"},
            {"id": "c", "when": "dwell", "seconds": 30, "show": "help", "title": "ok"},
            {"id": "d", "when": "dwell", "views": 3, "show": "help", "title": "x"},
            {"id": "e", "when": "hover", "show": "help", "title": "x"},
            {"id": "f", "when": "dwell", "show": "compare", "title": "x"},
            {"id": "c", "when": "no_results", "show": "help", "title": "again"},
            {"id": "g h", "when": "no_results", "show": "help", "title": "x"},
            {"id": "i", "when": "cart_idle", "show": "reassure", "title": "x"},
            {"id": "j", "when": "no_results", "show": "help", "title": "x", "link": {"text": "t", "url": "/"}},
            {"when": "no_results", "show": "help", "title": "x"},
            {"id": "k", "when": "no_results", "show": "help"},
            "rule",
            {"id": "l", "when": "compare", "items": 2.5, "show": "compare", "title": "x"},
            {"id": "m", "when": "no_results", "show": "help", "title": "x", "facts": ["f"]},
            {"id": "n", "when": "no_results", "show": "help", "title": "x", "title": "y"},
            {"id": "o", "when": "no_results", "show": "survey", "link": {"text": "t", "href": "/"}},
            {"id": "p", "when": "dwell", "seconds": 0, "show": "help", "title": "x"},
            {"id": "q", "when": "no_results", "show": "help", "title": "x", "cooldownHours": -1},
            {"id": "r", "when": "no_results", "show": "survey", "choices": ["a", "b"]},
            {"id": "s", "when": "no_results", "show": "help", "title": "x", "choices": ["a", "b", "c", "d", "e"]}
        ]}"#;
        let c = parse_json(text);
        assert_eq!(c.rules.len(), 1);
        assert_eq!((c.rules[0].id.as_str(), c.rules[0].src), ("c", 2));
        assert_eq!(
            messages(&c),
            vec![
                "rules[0].secnds: unknown field; the rule is ignored",
                "rules[1].seconds: expected a number of seconds from 1 to 3600; the rule is ignored",
                "rules[3].views: not used by this kind of rule; the rule is ignored",
                "rules[4].when: expected one of \"dwell\", \"repeat_view\", \"compare\", \"variant\", \"cart_idle\", \"cart_return\", \"exit_intent\", \"no_results\"; the rule is ignored",
                "rules[5].show: expected \"compare\" only with \"when\": \"compare\"; the rule is ignored",
                "rules[6].id: another rule already has this id; the rule is ignored",
                "rules[7].id: expected a non-empty string of letters, digits, '-' and '_' (at most 40); the rule is ignored",
                "rules[8].facts: missing; the rule is ignored",
                "rules[9].link.url: unknown field; the rule is ignored",
                "rules[10].id: missing; the rule is ignored",
                "rules[11].title: missing; the rule is ignored",
                "rules[12]: expected an object; the rule is ignored",
                "rules[13].items: expected a whole number of items from 2 to 4; the rule is ignored",
                "rules[14].facts: not used by this kind of rule; the rule is ignored",
                "rules[15].title: given twice; the rule is ignored",
                "rules[16].link: not used by this kind of rule; the rule is ignored",
                "rules[17].seconds: expected a number of seconds from 1 to 3600; the rule is ignored",
                "rules[18].cooldownHours: expected a number of hours from 0 to 8760; the rule is ignored",
                "rules[19].choices: expected an array of 5 non-empty strings: price, shipping, information, browsing, other; the rule is ignored",
                "rules[20].choices: not used by this kind of rule; the rule is ignored",
            ]
        );
    }

    #[test]
    fn bad_settings_fall_back_to_defaults() {
        let c = parse_json(
            r#"{"perPage": 5, "perSession": "2", "neverOn": "checkout", "currency": "pounds",
                "colour": "red", "rules": {}, "perPage": 2,
                "labels": {"close": "Fermer", "never": 3, "open": "x"}}"#,
        );
        assert_eq!(
            c.per_page, 2,
            "the last of a repeated setting applies, as in JSON.parse"
        );
        assert_eq!(c.per_session, PER_SESSION);
        assert_eq!(c.never_on, vec!["checkout", "payment"]);
        assert_eq!(c.currency, None);
        assert_eq!(
            messages(&c),
            vec![
                "perPage: given twice",
                "perSession: expected a whole number from 0 to 20",
                "neverOn: expected an array of non-empty strings (at most 32)",
                "currency: expected a three-letter currency code such as \"GBP\"",
                "colour: unknown field",
                "rules: expected an array of rules",
                "labels.never: expected a non-empty string (at most 500 characters)",
                "labels.open: unknown field",
            ]
        );
    }

    #[test]
    fn only_non_objects_are_whole_config_errors() {
        for text in ["[1]", "null", "\"rules\"", "3"] {
            let c = parse_json(text);
            assert_eq!(messages(&c), ["the config must be a JSON object"], "{text}");
            assert_eq!(
                Config {
                    errors: Vec::new(),
                    ..c
                },
                Config::default(),
                "no rules, the default settings"
            );
        }
        // The page's JSON.parse reports text that is not JSON in the browser's words, and
        // the page measures the text (crates/attune-prompts-web): the same lines.
        let c = Config::failed(Problem::Syntax(
            "Unexpected token '}', \"{\"rules\": [}\" is not valid JSON".into(),
        ));
        assert_eq!(
            messages(&c),
            ["not valid JSON (Unexpected token '}', \"{\"rules\": [}\" is not valid JSON)"]
        );
        assert_eq!(
            messages(&Config::failed(Problem::TooLong)),
            ["the config is too long (at most 256 KB)"]
        );
        assert_eq!(
            Config {
                errors: Vec::new(),
                ..c
            },
            Config::default()
        );
    }

    #[test]
    fn too_many_rules() {
        let one = r#"{"id":"r","when":"no_results","show":"help","title":"t"}"#;
        let many: Vec<String> = (0..40)
            .map(|i| one.replace("\"r\"", &format!("\"r{i}\"")))
            .collect();
        let c = parse_json(&format!("{{\"rules\":[{}]}}", many.join(",")));
        assert_eq!(c.rules.len(), MAX_RULES);
        assert_eq!(
            messages(&c),
            vec!["rules[32]: too many rules (at most 32); the rule is ignored"]
        );
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        let long = "x".repeat(MAX_TEXT + 1);
        let e500 = "é".repeat(MAX_TEXT);
        let c = parse_json(&format!(
            r#"{{"rules":[{{"id":"a","when":"no_results","show":"help","title":"  Hi  "}},
                {{"id":"b","when":"no_results","show":"help","title":"{long}"}},
                {{"id":"c","when":"no_results","show":"help","title":"   "}},
                {{"id":"d","when":"no_results","show":"help","title":"{e500}"}}]}}"#
        ));
        let ids: Vec<&str> = c.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            ["a", "d"],
            "a title padded with spaces is fine; 500 characters are"
        );
        assert_eq!(
            c.rules[0].title, "  Hi  ",
            "kept as given; the page trims what it shows"
        );
        assert_eq!(
            messages(&c),
            [
                "rules[1].title: expected a non-empty string (at most 500 characters); the rule is ignored",
                "rules[2].title: expected a non-empty string (at most 500 characters); the rule is ignored",
            ]
        );
    }

    #[test]
    fn every_example_in_the_docs_is_valid() {
        let doc = include_str!("../../../../docs/prompts.md");
        let mut n = 0;
        for block in doc.split("```json\n").skip(1) {
            let json = block.split("```").next().unwrap();
            let c = parse_json(json);
            assert!(c.errors.is_empty(), "{:?}\n{json}", messages(&c));
            assert!(!c.rules.is_empty());
            n += 1;
        }
        assert_eq!(n, 3, "the clothing, gift and grocery examples");
    }

    #[test]
    fn repeated_fields_are_seen_at_every_level_where_the_reader_passes_them_on() {
        // serde_json (tests, fuzzing) hands repeats over; the browser's JSON.parse keeps only
        // the last, so there a repeat is never reported (docs/prompts.md).
        let c = parse_json(
            r#"{"rules":[
            {"id":"a","when":"no_results","show":"help","title":"x","link":{"text":"t","href":"/","text":"u"}},
            {"id":"b","when":"no_results","show":"help","title":"x"}],
            "labels": {"close": "Fermer"}, "currency": "EUR", "currency": "GBP"}"#,
        );
        assert_eq!(
            messages(&c),
            [
                "rules[0].link.text: given twice; the rule is ignored",
                "currency: given twice"
            ]
        );
        assert_eq!(c.rules.len(), 1);
        assert_eq!(
            (c.rules[0].id.as_str(), c.currency.as_deref()),
            ("b", Some("GBP"))
        );
        assert_eq!(c.labels[0].as_deref(), Some("Fermer"));
        // Names that JS objects treat specially, and escapes, are just names.
        let odd = parse_json(
            r#"{"__proto__": 1, "0": 2, "ti\u0074le": 3, "a\u0000b": 4, "": 5,
                "rules": [{"id":"x","when":"no_results","show":"help","ti\u0074le":"ok"}]}"#,
        );
        assert_eq!(
            messages(&odd),
            [
                "__proto__: unknown field",
                "0: unknown field",
                "title: unknown field",
                "a\u{0}b: unknown field",
                "\"\": unknown field"
            ]
        );
        assert_eq!(odd.rules.len(), 1);
        // A string that looks like a member name inside a value is not one.
        let tricky = parse_json(
            r#"{"rules": [{"id":"x","when":"no_results","show":"help","title":"a\": \"b"}], "z": [":", "\\"]}"#,
        );
        assert_eq!(messages(&tricky), ["z: unknown field"]);
        assert_eq!(tricky.rules[0].title, "a\": \"b");
    }

    #[test]
    fn an_id_is_trimmed_and_a_non_string_id_is_not_an_id() {
        let c = parse_json(
            r#"{"rules":[{"id":" a ","when":"no_results","show":"help","title":"x"},
            {"id":false,"when":"no_results","show":"help","title":"x"},
            {"id":12,"when":"no_results","show":"help","title":"x"}]}"#,
        );
        assert_eq!(
            c.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        let paths: Vec<&str> = c.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["rules[1].id", "rules[2].id"]);
        let c = parse_json(
            r#"{"rules":[{"id":"a","when":"no_results","show":"help","title":"x","link":"/help"}]}"#,
        );
        assert_eq!(
            messages(&c),
            ["rules[0].link: expected an object {\"text\": …, \"href\": …}; the rule is ignored"]
        );
    }

    #[test]
    fn the_texts_a_prompt_shows_are_kept() {
        let c = parse_json(GOOD);
        let r = &c.rules[0];
        assert_eq!(r.title, "Not sure about the size?");
        assert_eq!(r.text, "Our size guide has measurements.");
        assert_eq!(r.link, Some(("Size guide".into(), "/size-guide".into())));
        assert_eq!(c.rules[1].fields, ["material"]);
        assert_eq!(c.rules[2].facts, ["Free returns within 30 days"]);
        assert_eq!(c.rules[3].choices.len(), 5);
        assert_eq!(c.rules[3].choices[0], "Le prix");
        assert!(
            c.rules[3].title.is_empty(),
            "a survey asks the standard question"
        );
        let l = parse_json(r#"{"labels": {"close": "Fermer", "never": "  ", "price": "Prix"}}"#);
        assert_eq!(
            l.labels,
            [Some("Fermer".into()), None, None, Some("Prix".into())]
        );
    }
}
