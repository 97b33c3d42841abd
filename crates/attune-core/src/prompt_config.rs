//! The merchant's help-prompt configuration: its schema, and `parse`, which turns the JSON
//! text (from `<script type="application/json" data-attune-prompts>` or `attune.prompts()`)
//! into a validated [`Config`]. docs/prompts.md is the reference for every field.
//!
//! Validation is strict and forgiving at once: an unknown or ill-typed field is reported
//! with its path (`rules[2].seconds`) and what was expected, the rule holding it is left out,
//! and every valid rule still works. A bad top-level setting falls back to its default.
//! Only text that is not a JSON object at all is an `Err`. Pure, never panics (fuzzed).

use crate::json::{self, Json};

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
/// Longest title, text, fact, link text or pattern (characters).
pub const MAX_TEXT: usize = 500;
pub const MAX_ID: usize = 40;
pub const HOUR_MS: f64 = 3_600_000.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// The merchant's name for the rule; keys "don't show again" and cooldowns.
    pub id: String,
    /// Position in the config's `rules` array (invalid rules are left out of `Config`).
    /// The page renders the prompt from that entry's texts (title, text, link, facts,
    /// fields, choices), which are validated here but not kept.
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
}

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
            errors: Vec::new(),
        }
    }
}

/// What was wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Not JSON; the byte offset and what the reader expected.
    Syntax(usize, &'static str),
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
            Problem::Syntax(at, what) => {
                m.push_str("not valid JSON at byte ");
                json::write_uint(&mut m, *at as f64);
                m.push_str(" (");
                m.push_str(what);
                m.push(')');
            }
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

/// Parses and validates a prompt config. `Err` only when the text is not a JSON object;
/// otherwise the valid rules, the settings (defaults where invalid) and every problem.
pub fn parse(text: &str) -> Result<Config, ConfigError> {
    let whole = |problem| ConfigError {
        path: String::new(),
        problem,
        dropped_rule: false,
    };
    let root = json::parse(text).map_err(|e| whole(Problem::Syntax(e.at, e.what)))?;
    let Json::Obj(members) = &root else {
        return Err(whole(Problem::NotObject));
    };
    let mut cfg = Config::default();
    let mut errors = Vec::new();
    for (n, (key, value)) in members.iter().enumerate() {
        let err = |problem| ConfigError {
            path: key.clone(),
            problem,
            dropped_rule: false,
        };
        // A repeated setting: the last one applies, as with the page's `JSON.parse` (the
        // DOM layer reads a rule's texts from its own parse of the same text).
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
            "labels" => labels(value, &mut errors),
            _ => Some(Problem::Unknown),
        };
        if let Some(p) = bad {
            errors.push(err(p));
        }
    }
    cfg.errors = errors;
    Ok(cfg)
}

fn count(v: &Json, max: u32, expected: &'static str) -> Result<u32, Problem> {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && (0.0..=max as f64).contains(&n) => Ok(n as u32),
        _ => Err(Problem::Expected(expected)),
    }
}

const TEXT: Problem = Problem::Expected("a non-empty string (at most 500 characters)");
const ID: Problem =
    Problem::Expected("a non-empty string of letters, digits, '-' and '_' (at most 40)");

fn text(v: &Json, max_len: usize) -> Result<(), Problem> {
    match v.as_str() {
        Some(s) if !s.trim().is_empty() && s.chars().count() <= max_len => Ok(()),
        _ => Err(TEXT),
    }
}

/// An array of `min..=max` non-empty strings.
fn texts(v: &Json, min: usize, max: usize) -> bool {
    v.as_array().is_some_and(|l| {
        (min..=max).contains(&l.len()) && l.iter().all(|s| text(s, MAX_TEXT).is_ok())
    })
}

fn strings(v: &Json) -> Vec<String> {
    let list = v.as_array().unwrap_or_default();
    list.iter()
        .filter_map(|s| s.as_str())
        .map(|s| s.trim().to_string())
        .collect()
}

const PATTERNS: &str = "an array of non-empty strings (at most 32)";

fn patterns(v: &Json) -> Result<Vec<String>, Problem> {
    // An empty list is allowed here: "no page is excluded".
    if v.as_array().is_some_and(|a| a.is_empty()) || texts(v, 1, MAX_PATTERNS) {
        Ok(strings(v))
    } else {
        Err(Problem::Expected(PATTERNS))
    }
}

/// The words of the prompt's own controls, for shops in other languages.
pub const LABELS: [&str; 4] = ["close", "never", "thanks", "price"];

/// Checks `labels`: an object of non-empty strings under the names of [`LABELS`]. A bad
/// label is reported and the default word is used for it.
fn labels(v: &Json, errors: &mut Vec<ConfigError>) -> Option<Problem> {
    let Json::Obj(members) = v else {
        return Some(Problem::Expected("an object of label texts"));
    };
    for (key, value) in members {
        let problem = if !LABELS.contains(&key.as_str()) {
            Problem::Unknown
        } else if let Err(p) = text(value, MAX_TEXT) {
            p
        } else {
            continue;
        };
        errors.push(ConfigError {
            path: concat2("labels.", key),
            problem,
            dropped_rule: false,
        });
    }
    None
}

fn rules(list: &[Json], out: &mut Vec<Rule>, errors: &mut Vec<ConfigError>) {
    for (i, v) in list.iter().enumerate() {
        let mut at = String::from("rules[");
        json::write_uint(&mut at, i as f64);
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

fn rule(v: &Json, src: usize) -> Result<Rule, FieldError> {
    let fail = |field: &str, p: Problem| (field.to_string(), p);
    let Json::Obj(members) = v else {
        return Err(fail("", Problem::Expected("an object")));
    };
    // Shape first: unknown and repeated fields, in document order.
    for (n, (key, _)) in members.iter().enumerate() {
        if !RULE_FIELDS.iter().any(|f| f.0 == key) {
            return Err(fail(key, Problem::Unknown));
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
            Check::Text => text(j, MAX_TEXT).map_err(|p| fail(name, p))?,
            Check::List(min, max) => {
                if !texts(j, min, max) {
                    return Err(fail(name, bad));
                }
                if name == "on" {
                    rule.on = strings(j);
                }
            }
            Check::Link => link(j).map_err(|(f, p)| (concat2("link.", &f), p))?,
            Check::Hours => match j.as_f64() {
                Some(h) if (0.0..=8760.0).contains(&h) => rule.cooldown_ms = h * HOUR_MS,
                _ => return Err(fail(name, bad)),
            },
            Check::Param => {
                let Some(p) = &param else { continue };
                match j.as_f64() {
                    Some(n)
                        if n >= p.min && n <= p.max && (p.unit_ms > 0.0 || n.fract() == 0.0) =>
                    {
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
fn link(v: &Json) -> Result<(), FieldError> {
    let Json::Obj(members) = v else {
        return Err((
            String::new(),
            Problem::Expected("an object {\"text\": …, \"href\": …}"),
        ));
    };
    for (n, (key, _)) in members.iter().enumerate() {
        if key != "text" && key != "href" {
            return Err((key.clone(), Problem::Unknown));
        }
        if members[..n].iter().any(|(k, _)| k == key) {
            return Err((key.clone(), Problem::Duplicate));
        }
    }
    for k in ["text", "href"] {
        let j = v.get(k).ok_or_else(|| (k.to_string(), Problem::Missing))?;
        text(j, MAX_TEXT).map_err(|p| (k.to_string(), p))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let c = parse(GOOD).unwrap();
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
        let c = parse("{}").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.never_on, vec!["checkout", "payment"]);
        let c = parse(r#"{"rules":[{"id":"a","when":"repeat_view","show":"help","title":"t"}]}"#)
            .unwrap();
        assert_eq!(c.rules[0].count, 3);
        assert!(parse(r#"{"neverOn": []}"#).unwrap().never_on.is_empty());
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
        let c = parse(text).unwrap();
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
        let c = parse(
            r#"{"perPage": 5, "perSession": "2", "neverOn": "checkout", "currency": "pounds",
                "colour": "red", "rules": {}, "perPage": 2,
                "labels": {"close": "Fermer", "never": 3, "open": "x"}}"#,
        )
        .unwrap();
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
    fn only_non_objects_are_errors() {
        assert_eq!(
            parse("[1]").unwrap_err().message(),
            "the config must be a JSON object"
        );
        assert_eq!(
            parse("{\"rules\": [}").unwrap_err().message(),
            "not valid JSON at byte 11 (expected a JSON value)"
        );
        assert_eq!(
            parse("").unwrap_err().problem,
            Problem::Syntax(0, "unexpected end of text")
        );
    }

    #[test]
    fn too_many_rules() {
        let one = r#"{"id":"r","when":"no_results","show":"help","title":"t"}"#;
        let many: Vec<String> = (0..40)
            .map(|i| one.replace("\"r\"", &format!("\"r{i}\"")))
            .collect();
        let c = parse(&format!("{{\"rules\":[{}]}}", many.join(","))).unwrap();
        assert_eq!(c.rules.len(), MAX_RULES);
        assert_eq!(
            messages(&c),
            vec!["rules[32]: too many rules (at most 32); the rule is ignored"]
        );
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        let long = "x".repeat(MAX_TEXT + 1);
        let c = parse(&format!(
            r#"{{"rules":[{{"id":"a","when":"no_results","show":"help","title":"  Hi  "}},
                {{"id":"b","when":"no_results","show":"help","title":"{long}"}},
                {{"id":"c","when":"no_results","show":"help","title":"   "}}]}}"#
        ))
        .unwrap();
        assert_eq!(c.rules.len(), 1, "a title padded with spaces is fine");
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
        let doc = include_str!("../../../docs/prompts.md");
        let mut n = 0;
        for block in doc.split("```json\n").skip(1) {
            let json = block.split("```").next().unwrap();
            let c = parse(json).unwrap_or_else(|e| panic!("{}\n{json}", e.message()));
            assert!(c.errors.is_empty(), "{:?}\n{json}", messages(&c));
            assert!(!c.rules.is_empty());
            n += 1;
        }
        assert_eq!(n, 3, "the clothing, gift and grocery examples");
    }
}
