//! Renders a placement into its host element's open Shadow DOM, from DOM nodes only:
//! `createElement`, `textContent`, and `setAttribute` with validated values. Data from the
//! model or the page never becomes markup, so a hostile title is just text.
//!
//! Links and images must resolve to http(s) URLs (relative ones resolve against the page);
//! anything else (`javascript:`, `data:`, …) is dropped. When there is nothing worth
//! showing, the shadow root is left empty: no header, no frame.

use std::cell::OnceCell;

use attune_core::{Model, Signal};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    CssStyleSheet, Document, Element, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode, Url,
};

use crate::interop::{self, concat, error, itoa, js, parse_count, NumberFormat};
use crate::placement::{pick, Pick, Placement, Why, DEFAULT_K, MAX_K};
use crate::storage::Shopper;
use crate::style;

/// The page-level settings (the loader's `data-*` attributes) and what is built once.
pub struct Look {
    /// Link template with `{id}`; when unset the model's URL, then `?item={id}`, is used.
    pub item_url: Option<String>,
    /// ISO 4217 code overriding the model's `currency` meta.
    pub currency: Option<String>,
    pub k: usize,
    price: OnceCell<Option<Price>>,
    sheet: OnceCell<Option<CssStyleSheet>>,
}

struct Price {
    format: NumberFormat,
    /// Minor units per major unit (100 for GBP, 1 for JPY), from the formatter itself.
    scale: f64,
}

const DEFAULT_LINK: &str = "?item={id}";

impl Default for Look {
    fn default() -> Look {
        Look {
            item_url: None,
            currency: None,
            k: DEFAULT_K,
            price: OnceCell::new(),
            sheet: OnceCell::new(),
        }
    }
}

impl Look {
    pub fn set_k(&mut self, k: usize) {
        self.k = k.clamp(1, MAX_K);
    }

    fn price(&self, model: &Model) -> Option<&Price> {
        self.price
            .get_or_init(|| {
                let code = self.currency.as_deref().or_else(|| model.meta("currency"));
                price_format(code)
            })
            .as_ref()
    }
}

fn price_format(code: Option<&str>) -> Option<Price> {
    let opts = js_sys::Object::new();
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            interop::set(&opts, "style", &JsValue::from_str("currency"));
            interop::set(&opts, "currency", &JsValue::from_str(code));
        }
        // Without a currency the unit is unknown: show the amount with two decimals.
        None => interop::set(&opts, "minimumFractionDigits", &JsValue::from_f64(2.0)),
    }
    let format = match NumberFormat::new(&JsValue::UNDEFINED, &opts) {
        Ok(f) => f,
        Err(_) => {
            interop::warn("unknown currency code; prices are shown without a currency");
            return price_format(None);
        }
    };
    let digits = interop::get(&format.resolved_options(), "minimumFractionDigits")
        .as_f64()
        .unwrap_or(2.0);
    Some(Price {
        format,
        scale: 10f64.powi(digits as i32),
    })
}

/// Resolves the `placement`, `item` and `k` attributes of `host` to the cards to show.
pub fn picks_for(
    model: &Model,
    shopper: &Shopper,
    look: &Look,
    host: &Element,
) -> Result<(Placement, Option<u32>, Vec<Pick>), JsError> {
    let name = host.get_attribute("placement").unwrap_or_default();
    let placement = Placement::parse(&name).ok_or_else(|| error(interop::UNKNOWN_PLACEMENT))?;
    let current = host
        .get_attribute("item")
        .and_then(|id| model.index_of(id.trim()));
    let k = host
        .get_attribute("k")
        .and_then(|k| parse_count(&k))
        .map_or(look.k, |k| k.min(MAX_K));
    Ok((
        placement,
        current,
        pick(model, shopper.profile(), placement, current, k),
    ))
}

pub fn render(
    model: &Model,
    shopper: &Shopper,
    look: &Look,
    host: &Element,
) -> Result<(), JsError> {
    let doc = host
        .owner_document()
        .ok_or_else(|| error("placement is not in a document"))?;
    let root = shadow_root(host)?;
    root.set_text_content(None);
    let sheet = look.sheet.get_or_init(style::sheet);
    style::apply(&root, sheet.as_ref(), &doc);

    let (placement, _, picks) = picks_for(model, shopper, look, host)?;
    if picks.is_empty() {
        return Ok(());
    }
    let base = host.base_uri().ok().flatten().unwrap_or_default();
    let section = part(&doc, "section", "container")?;
    let h = part(&doc, "h2", "heading")?;
    let heading = host
        .get_attribute("heading")
        .filter(|h| !h.trim().is_empty());
    let heading = heading.as_deref().unwrap_or(placement.heading());
    h.set_text_content(Some(heading));
    section
        .set_attribute("aria-label", heading)
        .map_err(js("setAttribute"))?;
    let list = part(&doc, "ul", "list")?;
    for p in &picks {
        let li = card(model, look, &doc, &base, p)?;
        list.append_child(&li).map_err(js("appendChild"))?;
    }
    section.append_child(&h).map_err(js("appendChild"))?;
    section.append_child(&list).map_err(js("appendChild"))?;
    // One insertion of a finished subtree: a failure above leaves the root empty.
    root.append_child(&section).map_err(js("appendChild"))?;
    Ok(())
}

fn shadow_root(host: &Element) -> Result<ShadowRoot, JsError> {
    if let Some(r) = host.shadow_root() {
        return Ok(r);
    }
    host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .map_err(js("cannot attach a shadow root to this placement element"))
}

fn part(doc: &Document, tag: &str, name: &str) -> Result<Element, JsError> {
    let el = doc.create_element(tag).map_err(js("createElement"))?;
    el.set_attribute("part", name).map_err(js("setAttribute"))?;
    Ok(el)
}

fn text(doc: &Document, tag: &str, name: &str, value: &str) -> Result<Element, JsError> {
    let el = part(doc, tag, name)?;
    el.set_text_content(Some(value));
    Ok(el)
}

fn card(
    model: &Model,
    look: &Look,
    doc: &Document,
    base: &str,
    p: &Pick,
) -> Result<Element, JsError> {
    let id = model.id(p.item);
    let title = display_name(model, p.item);
    let li = part(doc, "li", "item")?;
    let a = part(doc, "a", "link")?;
    a.set_attribute("href", &link(model, look, base, p.item))
        .map_err(js("setAttribute"))?;

    let tile = text(doc, "span", "tile", &initials(title, id))?;
    tile.set_attribute("aria-hidden", "true")
        .map_err(js("setAttribute"))?;
    // createElement("span") always makes an HTMLElement: no instanceof check needed.
    let _ = tile
        .unchecked_ref::<HtmlElement>()
        .style()
        .set_property("--attune-hue", &itoa(hue(id)));
    if let Some(src) = model.image(p.item).and_then(|u| safe_url(u, base)) {
        let img = part(doc, "img", "image")?;
        for (k, v) in [
            ("src", src.as_str()),
            ("alt", ""),
            ("loading", "lazy"),
            ("decoding", "async"),
        ] {
            img.set_attribute(k, v).map_err(js("setAttribute"))?;
        }
        tile.append_child(&img).map_err(js("appendChild"))?;
    }
    a.append_child(&tile).map_err(js("appendChild"))?;
    let t = text(doc, "span", "title", title)?;
    a.append_child(&t).map_err(js("appendChild"))?;
    if let (Some(minor), Some(price)) = (model.price(p.item), look.price(model)) {
        let shown = price.format.format(minor as f64 / price.scale);
        let t = text(doc, "span", "price", &shown)?;
        a.append_child(&t).map_err(js("appendChild"))?;
    }
    if let Some(why) = reason(model, p.why) {
        let t = text(doc, "span", "reason", &why)?;
        a.append_child(&t).map_err(js("appendChild"))?;
    }
    li.append_child(&a).map_err(js("appendChild"))?;
    Ok(li)
}

fn display_name(model: &Model, item: u32) -> &str {
    model
        .title(item)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| model.id(item))
}

/// The reason line: short, and true to how the item was chosen.
fn reason(model: &Model, why: Why) -> Option<String> {
    Some(match why {
        Why::BoughtWith(x) => concat(&["Often bought with ", display_name(model, x)]),
        Why::Because(x, Signal::View) => concat(&["Because you viewed ", display_name(model, x)]),
        Why::Because(x, Signal::Cart) => concat(&[
            "Because you added ",
            display_name(model, x),
            " to your cart",
        ]),
        Why::Because(x, Signal::Purchase) => {
            concat(&["Because you bought ", display_name(model, x)])
        }
        Why::Popular => "Popular in this shop".into(),
        Why::Viewed => return None,
    })
}

/// The card's link: the page's template, else the model's URL, else `?item={id}`; always
/// a validated http(s) URL, falling back to the default when the chosen one is unsafe.
fn link(model: &Model, look: &Look, base: &str, item: u32) -> String {
    let id = model.id(item);
    let chosen = match (&look.item_url, model.url(item)) {
        (Some(t), _) => fill(t, id),
        (None, Some(u)) if !u.trim().is_empty() => u.to_owned(),
        _ => fill(DEFAULT_LINK, id),
    };
    safe_url(&chosen, base)
        .or_else(|| safe_url(&fill(DEFAULT_LINK, id), base))
        .unwrap_or_default()
}

/// `template` with every `{id}` replaced by the URL-encoded id. Hand-rolled rather than
/// `str::replace`, whose substring searcher costs more Wasm than this whole function.
fn fill(template: &str, id: &str) -> String {
    let enc: String = js_sys::encode_uri_component(id).into();
    fill_encoded(template, &enc)
}

fn fill_encoded(template: &str, enc: &str) -> String {
    // `split_once(char)` and `strip_prefix` instead of index slicing: slicing a str at a
    // computed index links the panic formatter (~4 KB of Wasm).
    let mut out = String::with_capacity(template.len() + enc.len());
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        match after.strip_prefix("id}") {
            Some(after) => {
                out.push_str(enc);
                rest = after;
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The absolute URL if `raw` resolves (against `base`) to http or https, else `None`.
/// Uses the browser's own URL parser, so tricks like `java\tscript:` or `JaVaScRiPt:`
/// are judged exactly as the browser would follow them.
pub fn safe_url(raw: &str, base: &str) -> Option<String> {
    let u = Url::new_with_base(raw, base).ok()?;
    match u.protocol().as_str() {
        "http:" | "https:" => Some(u.href()),
        _ => None,
    }
}

/// Up to two letters for the placeholder tile: first letters of the first two words.
/// ASCII rules only (non-ASCII letters count as letters): Unicode tables cost Wasm bytes.
fn initials(title: &str, id: &str) -> String {
    let letter = |c: &char| c.is_ascii_alphanumeric() || !c.is_ascii();
    let mut out = String::new();
    let mut at_word_start = true;
    for c in title.chars() {
        if !letter(&c) {
            at_word_start = true;
        } else if at_word_start {
            out.push(c.to_ascii_uppercase());
            at_word_start = false;
            if out.chars().count() == 2 {
                break;
            }
        }
    }
    if out.is_empty() {
        out = id.chars().take(2).map(|c| c.to_ascii_uppercase()).collect();
    }
    out
}

/// A stable hue per item (FNV-1a), so the same item always gets the same tile colour.
fn hue(id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in id.bytes() {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    h % 360
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_from_title_words_or_id() {
        assert_eq!(initials("WHITE HANGING HEART", "85123A"), "WH");
        assert_eq!(initials("  lantern", "X"), "L");
        assert_eq!(initials("", "85123A"), "85");
        assert_eq!(initials("--", "z"), "Z");
        assert_eq!(initials("crème brûlée set", "X"), "CB");
        assert_eq!(initials("a-b c", "X"), "AB");
    }

    #[test]
    fn fill_replaces_every_id_placeholder() {
        assert_eq!(fill_encoded("/p?id={id}", "A%20B"), "/p?id=A%20B");
        assert_eq!(fill_encoded("{id}/{id}", "7"), "7/7");
        assert_eq!(fill_encoded("/p?id={x}&y={", "7"), "/p?id={x}&y={");
        assert_eq!(fill_encoded("/p/{i{id}}", "7"), "/p/{i7}");
        assert_eq!(fill_encoded("", "7"), "");
    }

    #[test]
    fn hue_is_stable_and_in_range() {
        assert_eq!(hue("85123A"), hue("85123A"));
        assert_ne!(hue("85123A"), hue("71053"));
        assert!(["", "a", "85123A", "long id with spaces"]
            .iter()
            .all(|s| hue(s) < 360));
    }
}
