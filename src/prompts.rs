//! `Prompts`, the exported face of the help-prompt rules engine (attune-core prompts.rs).
//! The DOM layer (js/attune-prompts.js) turns browser events and tracked events into
//! signals, asks this object whether a prompt should show, and renders it from the
//! config's own texts. Nothing here touches the DOM or storage (in JS that costs a
//! fraction of the Wasm bytes); like `Engine`, it only converts, and never throws or
//! panics into the page.
//!
//! A shown prompt is reported as the rule's position in the config's `rules` array, so
//! the page reads its title, text, link and facts from the config it already parsed.

use attune_core::prompt_config::{self, Config};
use attune_core::prompts::{self as core, Memory, Signal};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct Prompts {
    inner: core::Prompts,
}

#[wasm_bindgen]
impl Prompts {
    /// Begins a page view with no rules yet: the stored `memory` ("" if none), the
    /// clock, the page's path and query, and whether the primary pointer is coarse.
    #[wasm_bindgen(constructor)]
    pub fn new(memory: &str, now: f64, url: &str, touch: bool) -> Prompts {
        let memory = Memory::from_text(memory).unwrap_or_default();
        Prompts {
            inner: core::Prompts::new(Config::default(), memory, now, url, touch),
        }
    }

    /// Validates the JSON text `config` and uses its valid rules from now on (none if it
    /// is not a JSON object). Returns one line per problem, naming the field ("" if none).
    pub fn configure(&mut self, config: &str) -> String {
        let mut lines = String::new();
        let mut note = |m: String| {
            if !lines.is_empty() {
                lines.push('\n');
            }
            lines.push_str(&m);
        };
        let cfg = prompt_config::parse(config).unwrap_or_else(|e| {
            note(e.message());
            Config::default()
        });
        for e in &cfg.errors {
            note(e.message());
        }
        self.inner.set_config(cfg);
        lines
    }

    /// Records a signal; returns the config position of the rule to show, or -1.
    /// `kind`: "view" (`a` = item id, `b` = category), "cart" / "remove_from_cart" /
    /// "purchase" (`a` = item id), "basket" (`a` = the cart's ids, space-separated),
    /// "search" (`n` = results), "variant" (`a` = option, `b` = value), "scroll" (`n` =
    /// y), "leave" (pointer out through the top), "hidden", "visible", "field" (`n` = 1
    /// focus in a form field, 0 out); anything else is activity. And the page's own:
    /// "tick" (a timer from `next` is due), "close" / "never" (the open prompt was closed,
    /// "never" = "don't show this again"), "forget" (erase the memory).
    // One entry point instead of one export each: every export costs glue and Wasm bytes.
    pub fn signal(&mut self, kind: &str, a: String, b: String, n: f64, now: f64) -> i32 {
        let s = match kind {
            "tick" => {
                let shown = self.inner.tick(now);
                return self.src(shown);
            }
            "close" | "never" => {
                self.inner.closed(kind == "never");
                return -1;
            }
            "forget" => {
                self.inner.forget();
                return -1;
            }
            "view" => Signal::View(a, b),
            "cart" => Signal::Cart(a),
            "remove_from_cart" => Signal::Remove(a),
            "purchase" => Signal::Purchase(a),
            "basket" => Signal::Basket(a.split_ascii_whitespace().map(str::to_string).collect()),
            // NaN or negative: the count is unknown, which is not "no results".
            "search" => Signal::Search(if n >= 0.0 { n as u32 } else { u32::MAX }),
            "variant" => Signal::Variant(a, b),
            "scroll" => Signal::Scroll(n),
            "leave" => Signal::PointerLeftTop,
            "hidden" => Signal::Hidden,
            "visible" => Signal::Visible,
            "field" => Signal::Field(n != 0.0),
            _ => Signal::Activity,
        };
        let shown = self.inner.signal(s, now);
        self.src(shown)
    }

    /// When to call `tick` next (ms since the epoch), or -1 when no timer is needed.
    pub fn next(&self, now: f64) -> f64 {
        self.inner.next_tick(now).unwrap_or(-1.0)
    }

    /// The memory to store.
    pub fn memory(&self) -> String {
        self.inner.memory().to_text()
    }

    /// The ids of the open comparison in viewing order, each followed by a newline.
    pub fn compared(&self) -> String {
        let mut out = String::new();
        for id in self.inner.compared() {
            out.push_str(id);
            out.push('\n');
        }
        out
    }
}

impl Prompts {
    fn src(&self, shown: Option<usize>) -> i32 {
        shown
            .and_then(|i| self.inner.config().rules.get(i))
            .map_or(-1, |r| r.src as i32)
    }
}
