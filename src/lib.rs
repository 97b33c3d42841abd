//! Attune's browser boundary: the `Engine` that the loader (js/attune.js) drives, over
//! attune-core. The scoring, profile and rules live in the core; this crate converts
//! between JS and Rust and decides what each placement shows. Storage, consent, page
//! signals and rendering are the loader's (JS does them in far fewer bytes).
//!
//! Module map: engine.rs (the exported type), interop.rs (error messages),
//! placement.rs (what each placement shows; pure).

#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]

extern crate alloc;

// No std in the shipped Wasm: std's panic machinery (hook, payload and message
// formatting, the `core::fmt` code they keep alive) cost 2.2 KB gzip, measured. A panic
// is a bug that only has to stop the call, as with std's `panic = "abort"`: the trap
// reaches JS as an exception. Debug and unit-test builds (`wasm-pack test`: its harness
// links std) keep std's handler; a release build of tests/ for wasm32 would define the
// handler twice, so `wasm-pack test` runs in debug (as scripts/test does).
#[cfg(all(target_arch = "wasm32", debug_assertions, not(test)))]
extern crate std;

#[cfg(all(target_arch = "wasm32", not(debug_assertions), not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

mod engine;
mod interop;


pub use engine::Engine;

// A free-list allocator (address-ordered, coalescing) instead of std's dlmalloc: 3 KB
// less gzip, measured. The widget allocates little after loading the model, so the
// O(free list) cost per call does not matter. Single-threaded: the widget never uses
// threads, which `AssumeSingleThreaded` requires.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
