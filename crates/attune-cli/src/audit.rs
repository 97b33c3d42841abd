//! `attune audit`: what a privacy reviewer runs on a built bundle. It reads the files a shop
//! serves (the loader, the wasm-bindgen glue, the `.wasm`, optionally the model), lists every
//! browser API the bundle can reach, grouped, and fails when a network-capable API is
//! reachable beyond the bundle's own files: the loader's fetch of the model named by
//! `data-model`, the fetch of its own `.wasm` and the import of its own glue. It prints
//! SHA-256 and SRI hashes of every shipped file and the storage keys used, and writes the
//! report as Markdown and JSON.
//!
//! How it reads the bundle (docs/privacy.md explains it for reviewers):
//! - The `.wasm` can only act through its imports. Each import is mapped to the glue
//!   function of the same name and that function's body is read like any other JS
//!   (`wasm.rs`, `bundle.rs`).
//! - JS is parsed by oxc and resolved by oxc_semantic (`js.rs`): a name that resolves to
//!   no binding is a browser global, and globals are followed through aliases, destructuring
//!   and parameters. The rules (`rules.rs`) judge every reach of a network-capable API
//!   against the catalogue (`catalogue.rs`); what they cannot prove harmless fails.
//! - Generic DOM calls whose names are data (`createElement(x)`, `setAttribute(x, …)`) are
//!   judged by the string literals of the code that can reach them: the Wasm's literals,
//!   or the JS file's string literals.
//! - The report (`report.rs`) is written as Markdown and JSON (serde).
//!
//! Static reading is evidence, not proof: a name computed at run time escapes it. The
//! browser tests (tests/e2e/*privacy*) record real traffic; the CSP blocks the rest.
//! The audit never executes the bundle and never panics on what it reads.

mod bundle;
mod catalogue;
mod js;
mod report;
mod rules;
mod wasm;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

pub use bundle::{audit, hash_bytes};
pub use catalogue::Group;
pub use report::{
    Channel, ChannelKind, JsonReport, ModelFacts, PageSnippet, Report, Shipped, Site, StorageKey,
    Violation, WasmSummary,
};

/// `attune audit [PKG_DIR]`
#[derive(clap::Args, Clone, Debug)]
pub struct AuditArgs {
    /// Directory holding the glue `.js` and the `.wasm` [default: www/pkg if it holds the
    /// glue (what scripts/build serves: the minified glue a page imports), else pkg]
    #[arg(value_name = "PKG_DIR")]
    pub pkg: Option<PathBuf>,
    /// The script-tag loader (default: PKG_DIR/../attune.js if present, else www/attune.js)
    #[arg(long, value_name = "FILE")]
    pub loader: Option<PathBuf>,
    /// A model file the shop serves: hashed and described (image and link hosts); repeatable
    #[arg(long, value_name = "FILE")]
    pub model: Vec<PathBuf>,
    /// Where to write audit.md and audit.json
    #[arg(long, value_name = "DIR", default_value = "target/audit")]
    pub out: PathBuf,
    /// URL path the shop serves the bundle under (for the pinning snippet)
    #[arg(long, value_name = "PATH", default_value = "/attune/")]
    pub url_prefix: String,
}

impl AuditArgs {
    /// The bundle directory to read: the one given, else [`default_pkg`] of the working
    /// directory.
    pub fn pkg_dir(&self) -> PathBuf {
        self.pkg
            .clone()
            .unwrap_or_else(|| default_pkg(Path::new("")))
    }

    pub fn loader_path(&self) -> PathBuf {
        match &self.loader {
            Some(l) => l.clone(),
            None => {
                let pkg = self.pkg_dir();
                let beside = match pkg.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.join("attune.js"),
                    _ => pkg.join("..").join("attune.js"),
                };
                if beside.is_file() {
                    beside
                } else {
                    PathBuf::from("www/attune.js")
                }
            }
        }
    }
}

/// The bundle a shop serves, under `root`: `www/pkg` when it holds the glue (since the
/// glue is minified into www/pkg by scripts/build, `pkg/` holds a different file than the
/// one pages import, and its hash would not pin the served glue), else wasm-pack's `pkg`.
pub fn default_pkg(root: &Path) -> PathBuf {
    let served = root.join("www").join("pkg");
    if served.join("attune_web.js").is_file() {
        served
    } else {
        root.join("pkg")
    }
}

pub fn run(args: &AuditArgs) -> Result<()> {
    let mut report = audit(&args.loader_path(), &args.pkg_dir(), &args.model)?;
    report.url_prefix = args.url_prefix.clone();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create", args.out.display()))?;
    let md = args.out.join("audit.md");
    let js = args.out.join("audit.json");
    std::fs::write(&md, report.to_markdown())
        .with_context(|| format!("{}: cannot write", md.display()))?;
    let json = serde_json::to_string_pretty(&report.json())?;
    std::fs::write(&js, json + "\n").with_context(|| format!("{}: cannot write", js.display()))?;
    let mut out = std::io::stdout().lock();
    out.write_all(report.summary().as_bytes())?;
    writeln!(out, "report: {} and {}", md.display(), js.display())?;
    out.flush()?;
    if !report.passed() {
        bail!(
            "audit failed: {} network-capable use(s) outside the allowed channels (see above)",
            report.violations.len()
        );
    }
    Ok(())
}
