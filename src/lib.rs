//! Attune's browser boundary (wasm-bindgen exports) and DOM front: the `Engine` the
//! loader (www/attune.js) drives, the placements it renders into Shadow DOM, and the
//! shopper profile it keeps in localStorage. The scoring itself lives in attune-core;
//! this crate only converts, stores and renders.
//!
//! Module map: engine.rs (the exported type), interop.rs (all JS ⇄ Rust conversions
//! and messages), placement.rs (what each placement shows; pure), render.rs (DOM),
//! style.rs (the stylesheet), storage.rs (localStorage).

mod engine;
mod interop;
pub mod placement;
mod prompts;
mod render;
pub mod storage;
mod style;

pub use engine::Engine;
pub use prompts::Prompts;

// A free-list allocator (address-ordered, coalescing) instead of std's dlmalloc: 3 KB
// less gzip, measured. The widget allocates little after loading the model, so the
// O(free list) cost per call does not matter. Single-threaded: the widget never uses
// threads, which `AssumeSingleThreaded` requires.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
