//! Attune's browser front, the Rust side of the widget: the `Widget` that renders
//! placements and the privacy view, reads the page's signals, keeps the shopper's profile
//! and follows consent, and the `Engine` over attune-core that scores. The hand-written JS
//! is only the bootstrap (js/attune.js): it fetches this module and the model, defines the
//! custom-element classes and forwards `window.attune` here. The help prompts are a second,
//! smaller module (crates/attune-prompts-web), loaded only where configured.
//!
//! Module map: widget.rs (state, profile storage, consent, the public API), signals.rs
//! (what the page says), render.rs (Shadow DOM), labels.rs (what placements say, per language), engine.rs (the scoring engine), interop.rs
//! (error messages). Every web-sys call goes through crates/attune-dom.

mod engine;
mod interop;
mod labels;
mod render;
mod signals;
mod widget;

pub use engine::{Ask, Engine};
pub use widget::Widget;

// A free-list allocator (address-ordered, coalescing) instead of std's dlmalloc: 3 KB
// less gzip, measured. The widget allocates little after loading the model, so the
// O(free list) cost per call does not matter. Single-threaded: the widget never uses
// threads, which `AssumeSingleThreaded` requires.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
