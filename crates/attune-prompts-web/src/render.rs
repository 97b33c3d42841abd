//! The prompt on screen: one `<attune-prompt>` host per page with an open shadow root
//! (its stylesheet: css.rs) holding a polite live region, and in it at most one non-modal
//! `<section role="dialog">` built from DOM nodes and text (never HTML strings); links
//! only to http(s) URLs the browser's parser resolved. The `part` names, ids and ARIA
//! attributes are the theming and testing contract (docs/prompts.md).

use crate::css::CSS;
use crate::dom::{self, add, attr, el, text_el, Element};
use crate::page::str_of;
use crate::store::Item;
use alloc::string::String;
use attune_core::prompts::{Action, Config, Rule, Value};
use attune_dom::Sheet;

static SHEET: Sheet = Sheet::new(CSS);

const ANSWERS: [&str; 5] = ["price", "shipping", "information", "browsing", "other"];
const CHOICES: [&str; 5] = [
    "The price",
    "The shipping cost",
    "I need more information",
    "Just browsing",
    "Something else",
];
const QUESTION: &str = "What stopped you today?";
/// The prompt's own words, in `LABELS` order; a config's "labels" may replace them.
const WORDS: [&str; 4] = [
    "Close",
    "Don't show this again",
    "Thank you. Your answer stays in this browser.",
    "Price",
];

fn label(c: &Config, i: usize) -> String {
    let own = c.labels[i].as_deref().map(str::trim).unwrap_or_default();
    String::from(if own.is_empty() { WORDS[i] } else { own })
}

fn trim(s: &str) -> String {
    String::from(s.trim())
}

/// Creates the host (appended to the body) and its live region; clicks in the shadow root
/// go to `f`.
pub fn host(f: &js_sys::Function) -> Option<(Element, Element)> {
    let host = el("attune-prompt", "");
    let root = attune_dom::shadow(&host, &SHEET)?;
    let live = el("div", "");
    attr(&live, "aria-live", "polite");
    add(&root, &live);
    dom::listen(&root, "click", f, false, false);
    add(&dom::body_or_root()?.into(), &host);
    Some((host, live))
}

/// A link to `href` if it is a safe URL, else just the text.
fn link(text: &str, href: &str) -> web_sys::Node {
    match attune_dom::safe_url(href) {
        Some(url) => {
            let a = text_el("a", "link", text);
            attr(&a, "href", &url);
            attr(&a, "data-a", "link");
            a.into()
        }
        None => dom::text_node(text),
    }
}

fn button(part: &str, action: &str, text: &str) -> Element {
    let b = text_el("button", part, text);
    attr(&b, "data-a", action);
    b
}

/// The prompt for `r`: `items` are the facts the page told, `compared` the engine's ids.
pub fn prompt(r: &Rule, c: &Config, items: &[Item], compared: &[&str]) -> Element {
    let kind = r.show.name();
    let box_ = el("section", &attune_dom::concat(&["prompt ", kind]));
    attr(&box_, "role", "dialog");
    attr(&box_, "aria-modal", "false");
    attr(&box_, "aria-labelledby", "attune-t");
    let title = trim(&r.title);
    let h = text_el(
        "h2",
        "title",
        if title.is_empty() { QUESTION } else { &title },
    );
    attr(&h, "id", "attune-t");
    add(&box_, &h);
    let text = trim(&r.text);
    if !text.is_empty() {
        attr(&box_, "aria-describedby", "attune-d");
        let p = text_el("p", "text", &text);
        attr(&p, "id", "attune-d");
        add(&box_, &p);
    }
    match r.show {
        Action::Reassure => {
            let ul = el("ul", "facts");
            for f in &r.facts {
                add(&ul, &text_el("li", "", f.trim()));
            }
            add(&box_, &ul);
        }
        Action::Compare => add(&box_, &table(r, c, items, compared)),
        Action::Survey => {
            let group = el("div", "choices");
            attr(&group, "role", "group");
            attr(&group, "aria-labelledby", "attune-t");
            for (i, a) in ANSWERS.iter().enumerate() {
                let words = r.choices.get(i).map_or(CHOICES[i], |s| s.trim());
                let b = button("choice", "answer", words);
                attr(&b, "data-v", a);
                add(&group, &b);
            }
            add(&box_, &group);
        }
        Action::Help => {}
    }
    if let Some((t, href)) = &r.link {
        let p = el("p", "");
        add(&p, &link(t.trim(), href));
        add(&box_, &p);
    }
    let close = button("close", "close", "×");
    attr(&close, "aria-label", &label(c, 0));
    add(&box_, &close);
    let p = el("p", "");
    add(&p, &button("never", "never", &label(c, 1)));
    add(&box_, &p);
    box_
}

/// What replaces a survey's answers once one is chosen.
pub fn thanks(c: &Config) -> Element {
    text_el("p", "thanks", &label(c, 2))
}

fn cell(tag: &str, text: &str) -> Element {
    text_el(tag, "", if text.is_empty() { "—" } else { text })
}

fn table(r: &Rule, c: &Config, items: &[Item], compared: &[&str]) -> Element {
    let rows: alloc::vec::Vec<Item> = compared
        .iter()
        .map(|id| {
            items
                .iter()
                .find(|x| x.id == *id)
                .cloned()
                .unwrap_or_else(|| Item {
                    id: String::from(*id),
                    ..Item::default()
                })
        })
        .collect();
    let head = el("tr", "");
    add(&head, &el("td", ""));
    for x in &rows {
        let th = el("th", "");
        attr(&th, "scope", "col");
        let name = if x.title.is_empty() { &x.id } else { &x.title };
        if x.url.is_empty() {
            th.set_text_content(Some(name));
        } else {
            add(&th, &link(name, &x.url));
        }
        add(&head, &th);
    }
    let row = |name: &str, cells: &mut dyn Iterator<Item = &str>| {
        let tr = el("tr", "");
        let th = text_el("th", "", name);
        attr(&th, "scope", "row");
        add(&tr, &th);
        for v in cells {
            add(&tr, &cell("td", v));
        }
        tr
    };
    let thead = el("thead", "");
    add(&thead, &head);
    let tbody = el("tbody", "");
    add(
        &tbody,
        &row(&label(c, 3), &mut rows.iter().map(|x| x.price.as_str())),
    );
    for f in &r.fields {
        let name = str_of(Some(&Value::Str(f.clone())));
        add(&tbody, &row(&name, &mut rows.iter().map(|x| x.field(f))));
    }
    let t = el("table", "compare");
    add(&t, &thead);
    add(&t, &tbody);
    t
}
