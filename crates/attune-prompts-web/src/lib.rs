//! Attune's help prompts in the page (docs/prompts.md): a second, small Wasm module that
//! the loader (js/attune.js) imports only on pages that configure prompts, and hands every
//! tracked event. The rules engine is attune-core's (pure, tested natively); this crate is
//! its page side: signals, clock, memory, the Shadow-DOM prompt.
//!
//! Module map: page.rs (what js/attune-prompts.js did: signals, timer, storage, the
//! prompt's behaviour), render.rs (the prompt's DOM), store.rs (the stored JSON form;
//! pure), css.rs, dom.rs (every web-sys call not already in attune-dom).
//!
//! The exported `Prompts` never throws into the page: every DOM call that can fail is
//! checked, and a call that arrives while another is running (a page listener of the
//! prompt's own events calling back) is dropped rather than allowed to alias.

#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]

extern crate alloc;

// No std in the shipped Wasm (as src/lib.rs): std's panic machinery and the `core::fmt`
// code it keeps alive cost kilobytes. A panic is a bug that only has to stop the call: the
// trap reaches JS as an exception. Debug and test builds (`wasm-pack test`) keep std's.
#[cfg(all(target_arch = "wasm32", debug_assertions, not(test)))]
extern crate std;

#[cfg(all(
    target_arch = "wasm32",
    not(debug_assertions),
    not(test),
    not(feature = "linked")
))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

mod css;
pub mod dom;
mod interop;
pub mod page;
pub mod render;
pub mod store;

use alloc::rc::Rc;
use core::cell::RefCell;
use page::{Effect, Page};
use wasm_bindgen::prelude::*;

#[cfg(all(target_arch = "wasm32", not(feature = "linked")))]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

/// The help prompts of one page (the loader makes one).
#[wasm_bindgen]
pub struct Prompts {
    page: Rc<RefCell<Page>>,
}

/// Runs `f` on the page state unless it is already in use (then the call is dropped),
/// then carries out the effects it left (focus moves, DOM events: they may call back).
fn with(page: &Rc<RefCell<Page>>, f: impl FnOnce(&mut Page)) {
    let effects = match page.try_borrow_mut() {
        Ok(mut p) if !p.dead => {
            f(&mut p);
            core::mem::take(&mut p.effects)
        }
        _ => return,
    };
    let host = page.try_borrow().ok().and_then(|p| p.host.clone());
    for e in effects {
        match e {
            Effect::Emit(name, detail) => {
                if let Some(h) = &host {
                    dom::emit(h, name, &detail)
                }
            }
            Effect::Focus(el) => dom::focus(&el),
            Effect::Blur(el) => dom::blur(&el),
        }
    }
}

#[wasm_bindgen]
impl Prompts {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Prompts {
        let page = Rc::new(RefCell::new(Page::default()));
        let weak = Rc::downgrade(&page);
        let f = dom::handler(move |v: JsValue| {
            let Some(page) = weak.upgrade() else { return };
            match dom::as_event(&v) {
                Some(e) => with(&page, |p| p.event(e)),
                None => with(&page, |p| p.tick()),
            }
        });
        page.borrow_mut().handler = Some(f);
        Prompts { page }
    }

    /// Starts (or reconfigures) the prompts at `now` (ms). `config`: undefined or null for
    /// the page's `<script type="application/json" data-attune-prompts>`, an object, or
    /// JSON text. `store`: whether the memory may be written to localStorage. The same
    /// config again only changes `store`.
    pub fn start(&self, config: JsValue, now: f64, store: bool) {
        let text = if config.is_undefined() || config.is_null() {
            dom::query("script[data-attune-prompts]").map(|s| dom::text_of(&s))
        } else if let Some(s) = config.as_string() {
            Some(s)
        } else {
            dom::stringify(&config)
        };
        let Some(text) = text else { return };
        with(&self.page, |p| p.start(text, now, store));
    }

    /// A tracked event (`{type, item, …}`, GA4 names too) at `at` (ms).
    pub fn signal(&self, event: JsValue, at: f64) {
        if !event.is_object() {
            return;
        }
        let Some(e) = dom::to_value(&event) else {
            return;
        };
        with(&self.page, |p| p.track(&e, at));
    }

    /// Forgets what the prompts remember (the shopper erased their data).
    pub fn forget(&self) {
        with(&self.page, |p| p.forget());
    }
}

impl Default for Prompts {
    fn default() -> Prompts {
        Prompts::new()
    }
}

impl Drop for Prompts {
    // `free()` from JS (tests make many): the listeners stay registered (the closure must
    // outlive them) but do nothing, and the prompt leaves the page.
    fn drop(&mut self) {
        if let Ok(mut p) = self.page.try_borrow_mut() {
            p.stop();
        }
    }
}
