//! The placements' stylesheet: one constructable stylesheet shared by every placement's
//! shadow root (no inline `<style>` or `style` attributes, so a strict `style-src 'self'`
//! CSP holds). Themed from the host page with CSS custom properties (`--attune-accent`,
//! `--attune-fg`, `--attune-muted`, `--attune-radius`, `--attune-gap`,
//! `--attune-card-width`, `--attune-tile-bg`, `--attune-heading-size`) and `::part(...)`.

use wasm_bindgen::JsCast;
use web_sys::{CssStyleSheet, Document, Element, ShadowRoot};

// The tile colour comes from `--attune-hue`, set per card through the CSSOM
// (`style.setProperty`), which CSP does not restrict.
pub const CSS: &str = "\
:host{display:block;color:var(--attune-fg,inherit)}\
:host([hidden]){display:none}\
[part=heading]{font-size:var(--attune-heading-size,1.15rem);font-weight:600;margin:0 0 .75rem}\
[part=list]{list-style:none;margin:0;padding:0;display:grid;gap:var(--attune-gap,1rem);\
grid-template-columns:repeat(auto-fill,minmax(var(--attune-card-width,9.5rem),1fr))}\
[part=item]{min-width:0}\
[part=link]{display:flex;flex-direction:column;gap:.3rem;height:100%;color:inherit;text-decoration:none}\
[part=link]:hover [part=title]{color:var(--attune-accent,#0b57d0);text-decoration:underline}\
[part=link]:focus-visible{outline:2px solid var(--attune-accent,#0b57d0);outline-offset:3px;border-radius:var(--attune-radius,.5rem)}\
[part=tile]{position:relative;display:grid;place-items:center;aspect-ratio:1;overflow:hidden;\
border-radius:var(--attune-radius,.5rem);font-weight:700;font-size:1.6rem;letter-spacing:.04em;\
background:var(--attune-tile-bg,hsl(var(--attune-hue,210) 45% 88%));color:hsl(var(--attune-hue,210) 35% 28%)}\
[part=image]{position:absolute;inset:0;width:100%;height:100%;object-fit:cover}\
[part=title]{font-size:.9rem;line-height:1.3;overflow:hidden;display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2}\
[part=price]{font-weight:600}\
[part=reason]{font-size:.8rem;color:var(--attune-muted,#5f6368)}";

/// The shared sheet, built once per document; `None` where constructable stylesheets are
/// unsupported (then each root gets a `<style>` element instead).
pub fn sheet() -> Option<CssStyleSheet> {
    let s = CssStyleSheet::new().ok()?;
    s.replace_sync(CSS).ok()?;
    Some(s)
}

/// Gives `root` the placement styles.
pub fn apply(root: &ShadowRoot, sheet: Option<&CssStyleSheet>, doc: &Document) {
    match sheet {
        Some(s) => root.set_adopted_style_sheets(&js_sys::Array::of1(s)),
        None => {
            if let Ok(el) = doc.create_element("style") {
                el.set_text_content(Some(CSS));
                let _ = root.append_child(el.unchecked_ref::<Element>());
            }
        }
    }
}
