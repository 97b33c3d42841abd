//! Attune's browser boundary: the `Engine` that the loader (js/attune.js) drives, over
//! attune-core. The scoring, profile and rules live in the core; this crate converts
//! between JS and Rust and decides what each placement shows. Storage, consent, page
//! signals and rendering are the loader's (JS does them in far fewer bytes).
//!
//! Module map: engine.rs (the exported type), interop.rs (error messages),
//! placement.rs (what each placement shows; pure).

mod engine;
mod interop;
pub mod placement;

pub use engine::Engine;

// A free-list allocator (address-ordered, coalescing) instead of std's dlmalloc: 3 KB
// less gzip, measured. The widget allocates little after loading the model, so the
// O(free list) cost per call does not matter. Single-threaded: the widget never uses
// threads, which `AssumeSingleThreaded` requires.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
