//! The `attune` command's library half: order-export import (CSV → interactions),
//! and the subcommands, so tests and fuzz targets can call them without a process.

pub mod audit;
pub mod cli;
pub mod commands;
pub mod eval;
pub mod import;
pub mod tune;
