//! What the shopper sees: `<attune-recs>` placements and `<attune-privacy>`, each one Shadow
//! DOM built from DOM nodes and text through attune-dom (never HTML strings), themed by one
//! constructable stylesheet with `--attune-*` custom properties and `::part()` names
//! (docs/integration.md lists them). Every card says why it is shown; its "×" tells Attune
//! "not interested". The privacy view shows what is stored and inferred, in plain words,
//! with download, pause and erase.
//!
//! Renders are batched: a change marks elements dirty and one microtask draws them, so a
//! burst of events costs one render per placement.

use attune_core::rules::{Pick, Why};
use attune_core::Signal;
use attune_dom as dom;
use dom::{add, add_all, attr, concat, el, text_el, Local, Sheet};
use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlDialogElement, Node, ShadowRoot};

use crate::labels::{self, Key};
use crate::signals::{js_string, split};
use crate::widget::{listener, with, State, KEY};

/// The elements on the page, and those waiting for the next render.
struct Placements {
    live: Vec<Element>,
    dirty: Vec<Element>,
    flushing: bool,
}

static PLACEMENTS: Local<Placements> = Local::new(Placements {
    live: Vec::new(),
    dirty: Vec::new(),
    flushing: false,
});

/// A custom element's callback (js/attune.js): connected (0), disconnected (1), an
/// observed attribute changed (2).
pub fn element(el: Element, change: u8) {
    let _ = PLACEMENTS.with(|p| match change {
        0 => {
            if !p.live.contains(&el) {
                p.live.push(el.clone());
            }
            mark(p, el);
        }
        1 => p.live.retain(|e| e != &el),
        _ => {
            if el.is_connected() {
                mark(p, el);
            }
        }
    });
}

fn mark(p: &mut Placements, el: Element) {
    if !p.dirty.contains(&el) {
        p.dirty.push(el);
    }
    if !p.flushing {
        p.flushing = true;
        dom::microtask(&flusher());
    }
}

/// Every placement on the page draws again (in the next microtask).
pub fn refresh() {
    let _ = PLACEMENTS.with(|p| {
        for el in p.live.clone() {
            mark(p, el);
        }
    });
}

fn flusher() -> Function {
    static F: Local<Option<Function>> = Local::new(None);
    F.with(|f| {
        f.get_or_insert_with(|| {
            Closure::<dyn FnMut()>::new(flush)
                .into_js_value()
                .unchecked_into()
        })
        .clone()
    })
    .unwrap_throw()
}

fn flush() {
    let dirty = PLACEMENTS
        .with(|p| {
            p.flushing = false;
            core::mem::take(&mut p.dirty)
        })
        .unwrap_or_default();
    with(|s| {
        for e in dirty.iter().filter(|e| e.is_connected()) {
            let ok = if e.local_name() == "attune-privacy" {
                privacy(s, e)
            } else {
                recs(s, e)
            };
            if let Err(msg) = ok {
                dom::warn(&concat(&[
                    "could not render a placement (attune: ",
                    msg,
                    ")",
                ]));
                if let Some(r) = e.shadow_root() {
                    dom::clear_except(&r, None);
                }
            }
        }
    });
}

static SHEET: Sheet = Sheet::new(CSS);

#[wasm_bindgen]
extern "C" {
    /// A `Date`, for `toLocaleDateString()` in the shopper's own locale.
    #[wasm_bindgen(js_name = Date)]
    type Day;
    #[wasm_bindgen(constructor, js_class = "Date")]
    fn new(ms: f64) -> Day;
    #[wasm_bindgen(method, js_class = "Date", js_name = toLocaleDateString)]
    fn local_date(this: &Day) -> String;
}

#[inline(never)]
fn shadow(host: &Element) -> Option<ShadowRoot> {
    let root = dom::shadow(host, &SHEET)?;
    // The shopper's buttons (one listener per root; the browser ignores a repeat).
    dom::listen(&root, "click", &listener(), false, false);
    Some(root)
}

#[inline(never)]
fn title(s: &State, i: u32) -> String {
    let m = s.engine.model();
    match m.title(i).map(str::trim) {
        Some(t) if !t.is_empty() => t.into(),
        _ => m.id(i).into(),
    }
}

/// A placement: heading, "Your data", and one card per pick; nothing at all (and the
/// `empty` attribute, so the page's CSS can release reserved space) when there is none.
fn recs(s: &mut State, host: &Element) -> Result<(), &'static str> {
    let Some(root) = shadow(host) else {
        return Ok(());
    };
    if !s.started && !s.failed {
        return Ok(()); // the model is on its way: the page's reserved space stays
    }
    let dialog: Option<Node> = root.query_selector("dialog").ok().flatten().map(Into::into);
    dom::clear_except(&root, dialog.as_ref());
    if s.failed {
        dom::toggle(host, "empty", true);
        return Ok(());
    }
    let at = |n: &str| host.get_attribute(n);
    let name = at("placement").unwrap_or_default();
    let name = name.trim();
    let item = at("item").unwrap_or_else(|| s.page.item.clone());
    let k = at("k")
        .map(|k| js_sys::parse_int(&k, 10))
        .filter(|k| *k > 0.0)
        .map(|k| k as usize);
    let min = at("min-score")
        .map(|m| js_sys::parse_float(&m))
        .filter(|m| *m >= 0.0)
        .map(|m| m as f32);
    let list = s
        .rows(
            name,
            &item,
            at("items").map(|i| split(&i)),
            k,
            min,
            &at("fallback").unwrap_or_default(),
        )
        .ok_or(crate::interop::UNKNOWN_PLACEMENT)?;
    dom::toggle(host, "empty", list.is_empty());
    if list.is_empty() {
        return Ok(());
    }
    let heading = at("heading")
        .map(|h| String::from(h.trim()))
        .unwrap_or_default();
    let heading = if heading.is_empty() {
        labels::heading(name)
            .map(|k| s.label(k))
            .unwrap_or_default()
    } else {
        heading
    };
    let h = text_el("h2", "heading", &heading);
    attr(&h, "tabindex", "-1");
    let more = text_el("button", "privacy", &s.label(Key::YourData));
    attr(&more, "data-a", "privacy");
    let header = el("div", "header");
    add_all(&header, &[&h, &more]);
    let ul = el("ul", "list");
    for p in &list {
        add(&ul, &card(s, p));
    }
    let section = el("section", "container");
    attr(&section, "aria-label", &heading);
    // layout="carousel": one scrolling row with Previous / Next buttons (keyboard: the buttons,
    // or the arrow keys in the focusable row), announced as a carousel (WAI-ARIA APG).
    if at("layout").as_deref().map(str::trim) == Some("carousel") {
        attr(&section, "aria-roledescription", "carousel");
        attr(&ul, "tabindex", "0");
        attr(&ul, "aria-label", &heading);
        for (a, k) in [("prev", Key::Previous), ("next", Key::Next)] {
            let b = text_el("button", "step", if a == "prev" { "‹" } else { "›" });
            attr(&b, "aria-label", &s.label(k));
            attr(&b, "data-a", a);
            add(&header, &b);
        }
    }
    add_all(&section, &[&header, &ul]);
    let _ = root.prepend_with_node_1(&section);
    if let Some(at) = s.refocus.iter().position(|e| e == host) {
        s.refocus.remove(at);
        dom::focus(&h);
    }
    Ok(())
}

/// The honest reason under a card.
#[inline(never)]
fn reason(s: &State, why: Why) -> String {
    let (k, src) = match why {
        Why::BoughtWith(src) => (Key::BoughtWith, Some(src)),
        Why::Because(src, Signal::View) => (Key::Viewed, Some(src)),
        Why::Because(src, Signal::Cart) => (Key::Added, Some(src)),
        Why::Because(src, Signal::Purchase) => (Key::Bought, Some(src)),
        Why::Searched => (Key::Searched, None),
        Why::Popular => (Key::PopularNow, None),
        Why::Viewed => (Key::YouViewed, None),
        Why::Featured => (Key::Featured, None),
    };
    let item = src.map(|i| title(s, i)).unwrap_or_default();
    let query = s.engine.profile().last_search().unwrap_or_default();
    labels::fill(&s.label(k), &item, query)
}

/// Initials for the tile behind the image: the first letters of the first two words.
fn initials(name: &str, id: &str) -> String {
    let word = |c: char| c.is_ascii_alphanumeric() || c >= '\u{80}';
    let mut out = String::new();
    let mut inside = false;
    for c in name.chars() {
        if word(c) && !inside && out.chars().count() < 2 {
            out.push(c);
        }
        inside = word(c);
    }
    if out.is_empty() {
        out = id.chars().take(2).collect();
    }
    // The browser's case mapping (Rust's would add its Unicode tables to the Wasm).
    js_sys::JsString::from(out).to_upper_case().into()
}

/// A stable hue per item (FNV-1a over UTF-8), so an item always gets the same tile colour.
fn hue(id: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    crate::widget::num((h % 360) as u64)
}

fn card(s: &State, p: &Pick) -> Element {
    let m = s.engine.model();
    let i = p.item;
    let id = m.id(i);
    let name = title(s, i);
    let fill = |t: &str| t.replace("{id}", &String::from(js_sys::encode_uri_component(id)));
    let a = el("a", "link");
    let href = match &s.tag.item_url {
        Some(t) => dom::safe_url(&fill(t)),
        None => dom::safe_url(m.url(i).unwrap_or_default()),
    }
    .or_else(|| dom::safe_url(&fill("?item={id}")));
    if let Some(href) = href {
        attr(&a, "href", &href);
    }
    let tile = text_el("span", "tile", &initials(&name, id));
    attr(&tile, "aria-hidden", "true");
    dom::set_style(&tile, "--attune-hue", &hue(id));
    if s.tag.images {
        if let Some(src) = dom::safe_url(m.image(i).unwrap_or_default()) {
            let img = el("img", "image");
            for (k, v) in [
                ("src", src.as_str()),
                ("alt", ""),
                ("loading", "lazy"),
                ("decoding", "async"),
                ("referrerpolicy", "no-referrer"),
            ] {
                attr(&img, k, v);
            }
            add(&tile, &img);
        }
    }
    add_all(&a, &[&tile, &text_el("span", "title", &name)]);
    if let Some(price) = s.engine.price(i) {
        add(&a, &text_el("span", "price", &s.money.show(price)));
    }
    add(&a, &text_el("span", "reason", &reason(s, p.why)));
    let li = el("li", "item");
    add(&li, &a);
    if !s.paused && p.why != Why::Featured {
        let x = text_el("button", "dismiss", "×");
        attr(&x, "title", &s.label(Key::NotInterested));
        attr(
            &x,
            "aria-label",
            &labels::fill(&s.label(Key::NotInterestedIn), &name, ""),
        );
        attr(&x, "data-a", "dismiss");
        attr(&x, "data-id", id);
        add(&li, &x);
    }
    li
}

/// The shopper's view of their data: what is stored, what was inferred, and the controls.
fn privacy(s: &mut State, host: &Element) -> Result<(), &'static str> {
    let Some(root) = shadow(host) else {
        return Ok(());
    };
    if !s.started {
        return Ok(());
    }
    let events = s.engine.profile().events();
    let count = |kind: &str| events.iter().filter(|e| e.kind.name() == kind).count();
    let mut stored: Vec<String> = Vec::new();
    let kinds = [
        ("view", "product view"),
        ("cart", "basket addition"),
        ("remove_from_cart", "basket removal"),
        ("purchase", "purchase"),
        ("search", "search"),
        ("not_interested", "“not interested”"),
    ];
    for (kind, what) in kinds {
        let n = count(kind);
        if n > 0 {
            stored.push(concat(&[&crate::widget::num(n as u64), " × ", what]));
        }
    }
    if let Some(first) = events.first() {
        let day = Day::new(first.at_ms).local_date();
        let days = js_string(&JsValue::from_f64(s.days));
        stored.push(concat(&[
            "since ",
            &day,
            "; deleted after ",
            &days,
            " days",
        ]));
    }
    let minutes = ((dom::now() - s.session.start) / 60_000.0).round().max(0.0);
    stored.push(concat(&[
        "visit ",
        &crate::widget::num(s.session.count as u64),
        ", started ",
        &crate::widget::num(minutes as u64),
        " min ago",
    ]));
    let mut inferred: Vec<String> = Vec::new();
    if !s.paused {
        let names = |items: &[u32]| {
            items
                .iter()
                .map(|&i| title(s, i))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let m = s.engine.model();
        let recent: Vec<u32> = s
            .rows("recent", "", None, Some(3), None, "")
            .unwrap_or_default()
            .iter()
            .map(|p| p.item)
            .collect();
        if !recent.is_empty() {
            inferred.push(concat(&["Recently interested in: ", &names(&recent)]));
        }
        if let Some((lo, hi)) = s.engine.price_band() {
            inferred.push(concat(&[
                "Usual price range: ",
                &s.money.show(lo),
                " to ",
                &s.money.show(hi),
            ]));
        }
        let basket: Vec<u32> = s
            .engine
            .basket()
            .iter()
            .filter_map(|id| m.index_of(id))
            .collect();
        if !basket.is_empty() {
            inferred.push(concat(&["In your basket: ", &names(&basket)]));
        }
        let mut no: Vec<u32> = Vec::new();
        for e in events.iter().filter(|e| e.kind.name() == "not_interested") {
            if let Some(i) = m.index_of(&e.value) {
                if !no.contains(&i) {
                    no.push(i);
                }
            }
        }
        if !no.is_empty() {
            inferred.push(concat(&["Not shown to you: ", &names(&no)]));
        }
    }
    let list = |lines: &[String]| {
        let ul = el("ul", "facts");
        if lines.is_empty() {
            add(&ul, &text_el("li", "", "nothing yet"));
        }
        for l in lines {
            add(&ul, &text_el("li", "", l));
        }
        ul
    };
    let heading = host
        .get_attribute("heading")
        .map(|h| String::from(h.trim()))
        .filter(|h| !h.is_empty());
    let section = el("section", "container");
    add(
        &section,
        &text_el(
            "h2",
            "heading",
            heading.as_deref().unwrap_or("Your data in this shop"),
        ),
    );
    let where_ = if s.persist {
        concat(&[
            "Kept in this browser only (localStorage “",
            KEY,
            "”), never sent anywhere.",
        ])
    } else if s.consent_state() == "granted" {
        "Kept in memory for this page only: nothing is saved.".into()
    } else {
        "Kept in memory for this page only: nothing is saved without your consent.".into()
    };
    add(&section, &text_el("p", "where", &where_));
    if s.paused {
        add(
            &section,
            &text_el(
                "p",
                "paused",
                "Paused: nothing new is recorded and suggestions ignore what you do.",
            ),
        );
    }
    add_all(
        &section,
        &[
            &text_el("h3", "subheading", "What is stored"),
            &list(&stored),
            &text_el("h3", "subheading", "What Attune inferred"),
            &list(&inferred),
        ],
    );
    let actions = el("div", "actions");
    for (label, act) in [
        ("Download my data", "download"),
        (
            if s.paused {
                "Resume personalization"
            } else {
                "Pause personalization"
            },
            "pause",
        ),
        ("Erase everything", "erase"),
    ] {
        // `::part(action)` themes them; the attribute holds two names ("action button").
        let b = text_el("button", "action button", label);
        attr(&b, "data-a", act);
        add(&actions, &b);
    }
    let note = s
        .notes
        .iter()
        .find(|n| &n.0 == host)
        .map(|n| n.1.as_str())
        .unwrap_or_default();
    let status = text_el("p", "status", note);
    attr(&status, "role", "status");
    add_all(&section, &[&actions, &status]);
    dom::clear_except(&root, None);
    add(&root, &section);
    Ok(())
}

/// A click on one of the shopper's buttons inside a placement or privacy view.
pub fn action(e: &Event) {
    let Some(button) = dom::event_element(e).and_then(|t| t.closest("[data-a]").ok().flatten())
    else {
        return;
    };
    // Only the root the button lives in acts (a privacy view inside a placement's dialog
    // is reached by both roots' listeners).
    let root: JsValue = button.get_root_node().into();
    let Some(root) = e.current_target().map(JsValue::from).filter(|t| *t == root) else {
        return;
    };
    let root: ShadowRoot = root.unchecked_into();
    let host = root.host();
    let act = button.get_attribute("data-a").unwrap_or_default();
    match act.as_str() {
        "privacy" => open_privacy(&root, &button.text_content().unwrap_or_default()),
        "close" => {
            if let Some(d) = button.closest("dialog").ok().flatten() {
                d.unchecked_into::<HtmlDialogElement>().close();
            }
        }
        "prev" | "next" => {
            if let Some(list) = root.query_selector("[part=list]").ok().flatten() {
                // A row's width at a time, toward the inline start or end (right to left too).
                let rtl = list.matches(":dir(rtl)").unwrap_or(false);
                let forward = (act == "next") != rtl;
                let w = list.client_width() as f64 * 0.9;
                list.scroll_by_with_x_and_y(if forward { w } else { -w }, 0.0);
            }
        }
        "dismiss" => {
            let id = button.get_attribute("data-id").unwrap_or_default();
            with(|s| {
                s.refocus.push(host.clone());
                s.record("not_interested", &id, JsValue::UNDEFINED);
            });
        }
        "download" => {
            let data = with(|s| s.export()).unwrap_or(JsValue::UNDEFINED);
            download(&data);
            note(&host, "Downloaded attune-data.json.");
        }
        "pause" => {
            let paused = with(|s| {
                let on = !s.paused;
                s.pause(on);
                on
            });
            note(
                &host,
                if paused == Some(true) {
                    "Paused."
                } else {
                    "Resumed."
                },
            );
        }
        "erase" => {
            with(|s| s.forget());
            note(&host, "Erased: nothing about you is kept in this browser.");
        }
        _ => {}
    }
}

#[inline(never)]
fn note(host: &Element, text: &str) {
    with(|s| {
        s.notes.retain(|n| &n.0 != host);
        s.notes.push((host.clone(), text.into()));
    });
    refresh();
}

/// The shopper's data as a JSON file they download (a `blob:` link clicked in place).
fn download(data: &JsValue) {
    let text = js_sys::JSON::stringify_with_replacer_and_space(
        data,
        &JsValue::NULL,
        &JsValue::from_f64(2.0),
    )
    .map(String::from)
    .unwrap_or_default();
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("application/json");
    let parts = js_sys::Array::of1(&JsValue::from_str(&text));
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let a = el("a", "");
    attr(&a, "href", &url);
    attr(&a, "download", "attune-data.json");
    if let Some(h) = a.dyn_ref::<web_sys::HtmlElement>() {
        h.click();
    }
    // The blob: URL lives as long as the page (a few KB; revoked with it).
}

/// The privacy view in a modal dialog over the placement ("Your data").
fn open_privacy(root: &ShadowRoot, label: &str) {
    let dialog = match root.query_selector("dialog").ok().flatten() {
        Some(d) => d,
        None => {
            let d = el("dialog", "dialog");
            attr(&d, "aria-label", label);
            let close = text_el("button", "close", "Close");
            attr(&close, "data-a", "close");
            add_all(&d, &[&el("attune-privacy", ""), &close]);
            dom::listen(&d, "close", &listener(), false, false);
            add(root, &d);
            d
        }
    };
    let _ = dialog.unchecked_into::<HtmlDialogElement>().show_modal();
}

/// The dialog closed: it goes, and focus returns to its "Your data" button.
pub fn dialog_closed(e: &Event) {
    let Some(d) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let root = d.get_root_node();
    d.remove();
    if let Some(root) = root.dyn_ref::<ShadowRoot>() {
        if let Some(b) = root.query_selector("[part=privacy]").ok().flatten() {
            dom::focus(&b);
        }
    }
}

// Themed with --attune-* custom properties and ::part(); the tile colour comes from
// --attune-hue, set per card through the CSSOM (which CSP does not restrict).
const CSS: &str = r#":host{display:block;color:var(--attune-fg,inherit)}:host([hidden]){display:none}
[part=header]{display:flex;align-items:baseline;justify-content:space-between;gap:.5rem;margin-bottom:.75rem}
[part=heading]{font-size:var(--attune-heading-size,1.15rem);font-weight:600;margin:0}
button{font:inherit;font-size:.8rem;color:var(--attune-muted,#5f6368);background:none;border:0;padding:.25rem;cursor:pointer;text-decoration:underline}
[part=list]{list-style:none;margin:0;padding:0;display:grid;gap:var(--attune-gap,1rem);grid-template-columns:repeat(auto-fill,minmax(var(--attune-card-width,9.5rem),1fr))}
[part=item]{min-width:0;position:relative}
[part=link]{display:flex;flex-direction:column;gap:.3rem;height:100%;color:inherit;text-decoration:none}
[part=link]:hover [part=title]{color:var(--attune-accent,#0b57d0);text-decoration:underline}
:focus-visible{outline:2px solid var(--attune-accent,#0b57d0);outline-offset:3px}
[part=tile]{position:relative;display:grid;place-items:center;aspect-ratio:1;overflow:hidden;border-radius:var(--attune-radius,.5rem);font-weight:700;font-size:1.6rem;background:var(--attune-tile-bg,hsl(var(--attune-hue) 45% 88%));color:hsl(var(--attune-hue) 35% 28%)}
[part=image]{position:absolute;inset:0;width:100%;height:100%;object-fit:cover}
[part=title]{font-size:.9rem;line-height:1.3;overflow:hidden;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2}
[part=price]{font-weight:600}[part=reason]{font-size:.8rem;color:var(--attune-muted,#5f6368)}
[part=dismiss]{position:absolute;top:.25rem;inset-inline-end:.25rem;width:1.75rem;height:1.75rem;border-radius:50%;background:#fffd;text-decoration:none;font-size:1rem}
[part=dialog]{max-width:36rem;border-radius:var(--attune-radius,.5rem)}[part=subheading]{font-size:1rem;margin:1rem 0 .25rem}
:host([layout=list]) [part=list]{grid-template-columns:1fr}
:host([layout=list]) [part=link]{display:grid;grid-template-columns:4.5rem 1fr;grid-template-rows:auto auto 1fr;column-gap:.75rem;align-items:start}
:host([layout=list]) [part=tile]{grid-row:1/4;font-size:1.1rem}
:host([layout=carousel]) [part=list]{display:flex;overflow-x:auto;scroll-snap-type:x mandatory;scroll-behavior:smooth;padding-bottom:.25rem}
:host([layout=carousel]) [part=item]{flex:0 0 var(--attune-card-width,9.5rem);scroll-snap-align:start}
[part=step]{font-size:1.2rem;text-decoration:none;padding:0 .5rem}
@media (prefers-reduced-motion:reduce){[part=list]{scroll-behavior:auto}}
[part~=action]{color:inherit;border:1px solid;border-radius:var(--attune-radius,.5rem);margin:1rem 0 0;margin-inline-end:.5rem;text-decoration:none}"#;
