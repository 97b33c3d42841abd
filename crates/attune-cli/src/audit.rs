//! `attune audit`: what a privacy reviewer runs on a built bundle. It reads the shipped files
//! (loader, wasm-bindgen glue, `.wasm`), lists every browser API the bundle can reach, and
//! fails when a network-capable API is reachable beyond the loader's fetch of its own `.wasm`
//! and model. It also prints SHA-256 and SRI hashes of every shipped file.
//!
//! (First slice: hashes and the Wasm import list; the JS analysis and reports follow.)

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use sha2::{Digest, Sha256, Sha384};

/// `attune audit [PKG_DIR]`
#[derive(clap::Args, Clone, Debug)]
pub struct AuditArgs {
    /// Directory holding the wasm-pack output (the glue `.js` and the `.wasm`)
    #[arg(value_name = "PKG_DIR", default_value = "pkg")]
    pub pkg: PathBuf,
    /// The script-tag loader (default: PKG_DIR/../attune.js if present, else www/attune.js)
    #[arg(long, value_name = "FILE")]
    pub loader: Option<PathBuf>,
}

/// One shipped file and its hashes.
#[derive(Clone, Debug)]
pub struct Shipped {
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub sri: String,
}

pub fn hash_file(path: &Path) -> Result<Shipped> {
    let data = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    Ok(Shipped {
        path: path.to_path_buf(),
        bytes: data.len() as u64,
        sha256: hex(&Sha256::digest(&data)),
        sri: format!(
            "sha384-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha384::digest(&data))
        ),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Wasm module's imports as (module, name).
pub fn wasm_imports(bytes: &[u8]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::ImportSection(reader) = payload? {
            for imports in reader {
                for imp in imports? {
                    let (_, imp) = imp?;
                    out.push((imp.module.to_string(), imp.name.to_string()));
                }
            }
        }
    }
    Ok(out)
}

pub fn run(args: &AuditArgs) -> Result<()> {
    let loader = match &args.loader {
        Some(l) => l.clone(),
        None => {
            let beside = args.pkg.join("..").join("attune.js");
            if beside.is_file() { beside } else { PathBuf::from("www/attune.js") }
        }
    };
    let mut files = vec![loader];
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&args.pkg)
        .with_context(|| format!("{}: cannot read the bundle directory", args.pkg.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("js" | "wasm")))
        .collect();
    entries.sort();
    if !entries.iter().any(|p| p.extension().is_some_and(|e| e == "wasm")) {
        bail!("{}: no .wasm file (run scripts/build first)", args.pkg.display());
    }
    files.extend(entries);
    for f in &files {
        let s = hash_file(f)?;
        println!("{}  {} bytes  sha256 {}  {}", s.path.display(), s.bytes, s.sha256, s.sri);
        if f.extension().is_some_and(|e| e == "wasm") {
            let bytes = std::fs::read(f)?;
            for (module, name) in wasm_imports(&bytes).with_context(|| format!("{}: not a valid Wasm module", f.display()))? {
                println!("  import {module} {name}");
            }
        }
    }
    Ok(())
}
