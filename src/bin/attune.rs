//! The `attune` command (native only): build, recommend, eval, inspect, catalog.
//! Everything lives in `attune_cli`; this shim exists so the command is a target of the
//! root package (see Cargo.toml). On wasm32 it is an empty program, never shipped.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    attune_cli::cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}
