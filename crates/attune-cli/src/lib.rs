//! The `attune` command's library half: order-export import (CSV → interactions),
//! and the subcommands, so tests and fuzz targets can call them without a process.
//!
//! Modules depend one way: `import` ← `cases` ← `metrics` ← `tune` ← `assemble` ←
//! `eval`, `commands` ← `cli` (the generator is `attune_core::random`).

pub mod assemble;
pub mod audit;
pub mod cases;
pub mod cli;
pub mod commands;
pub mod eval;
pub mod import;
pub mod metrics;
pub mod price;
pub mod tune;
