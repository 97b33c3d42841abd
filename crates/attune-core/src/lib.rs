//! Attune's pure engine: the binary model format, the offline model builder and the
//! scoring that both the `attune` CLI and the browser widget run.
//!
//! Nothing here touches the web, the file system, the clock or the OS's randomness: time,
//! storage and the noise key are passed in, so the CLI, the Wasm module and the tests compute the same
//! answer for the same input (the CLI ⇄ Wasm parity test relies on this).

#![cfg_attr(all(target_arch = "wasm32", not(test)), no_std)]

extern crate alloc;

// The builder is the CLI's (it uses std's maps); the Wasm links only what scores.
#[cfg(not(target_arch = "wasm32"))]
pub mod build;
pub mod lists;
pub mod model;
pub mod placement;
pub mod profile;
pub mod prompts;
// The DP noise and the evaluation's seeded draws (rand_chacha): native only, like the builder.
#[cfg(not(target_arch = "wasm32"))]
pub mod random;
pub mod rules;
pub mod score;
pub mod shard;
pub mod sort;

pub use model::{Model, ModelError, ModelParts, Scoring};
pub use score::{recommend, Query, Reason, Recommendation, Signal};
