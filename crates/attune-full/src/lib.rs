//! The widget and the help prompts in one Wasm module, for pages that configure prompts
//! (js/attune.js picks it before it loads anything). Linking the two crates together shares
//! what each module otherwise carries on its own (std, serde, attune-dom, the allocator,
//! wasm-bindgen's runtime): the prompts add 13.7 KB gzip to the widget here, against 44 KB
//! for the separate prompts module (docs/performance.md). The separate module stays for
//! pages that turn prompts on after the widget loaded.

pub use attune_prompts_web::Prompts;
pub use attune_web::Widget;
