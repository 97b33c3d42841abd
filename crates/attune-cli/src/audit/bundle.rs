//! The bundle as served: which files it is (the loader, every `.js` and `.wasm` under the
//! bundle directory, every module they import by a relative path, the models), their
//! hashes, and the audit run over all of them: each JS file parsed once and judged at its
//! top level, each Wasm import judged through the glue function of its name, and the names
//! the Wasm holds as data judged against the generic DOM calls it can reach.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use oxc_ast_visit::Visit;
use sha2::{Digest, Sha256, Sha384};

use super::catalogue::*;
use super::js;
use super::report::*;
use super::rules::{Checker, Generic, Mode, Shipped as ShippedSet};
use super::wasm;

pub fn hash_bytes(data: &[u8]) -> (String, String) {
    let sha256 = Sha256::digest(data).iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    let sri = format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha384::digest(data))
    );
    (sha256, sri)
}

fn gzip_len(data: &[u8]) -> u64 {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let _ = enc.write_all(data);
    enc.finish().map_or(0, |v| v.len() as u64)
}

fn shipped(path: &Path, url: String, role: &'static str, data: &[u8]) -> Shipped {
    let (sha256, sri) = hash_bytes(data);
    Shipped {
        path: path.to_path_buf(),
        url,
        role,
        bytes: data.len() as u64,
        gzip: gzip_len(data),
        sha256,
        sri,
    }
}

/// `p` relative to `base` with `/` separators (both normalized), or the file name.
fn relative_url(base: &Path, p: &Path) -> String {
    match p.strip_prefix(base) {
        Ok(r) => r.to_string_lossy().replace('\\', "/"),
        Err(_) => p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

fn host_of(url: &str) -> String {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    for scheme in ["https://", "http://"] {
        if let Some(rest) = lower.strip_prefix(scheme) {
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            return format!("{scheme}{}", &rest[..end]);
        }
    }
    if let Some(rest) = lower.strip_prefix("//") {
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        return format!("//{}", &rest[..end]);
    }
    if lower.contains(':') && !lower.starts_with('/') && !lower.starts_with('.') {
        return "(other scheme: the widget drops it)".into();
    }
    "(relative: the shop's own origin)".into()
}

fn model_facts(path: &Path, bytes: &[u8]) -> ModelFacts {
    let mut f = ModelFacts {
        path: path.to_path_buf(),
        ..ModelFacts::default()
    };
    match attune_core::Model::from_bytes(bytes) {
        Ok(m) => {
            f.items = m.len();
            for i in 0..m.len() as u32 {
                if let Some(u) = m.image(i).filter(|u| !u.trim().is_empty()) {
                    *f.image_hosts.entry(host_of(u)).or_default() += 1;
                }
                if let Some(u) = m.url(i).filter(|u| !u.trim().is_empty()) {
                    *f.link_hosts.entry(host_of(u)).or_default() += 1;
                }
            }
        }
        Err(e) => f.error = Some(e.to_string()),
    }
    f
}

pub fn display_path(p: &Path) -> String {
    normalize(p).to_string_lossy().replace('\\', "/")
}

/// Resolves `./x.js` (or `x.js`) against the directory of `from`; `None` for anything that
/// is not a plain relative path (a scheme, `//host`, an absolute path).
pub fn resolve(from: &Path, spec: &str) -> Option<PathBuf> {
    if spec.contains(':') || spec.starts_with('/') || spec.contains('?') || spec.contains('#') {
        return None;
    }
    let mut p = from.parent()?.to_path_buf();
    for part in spec.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if !p.pop() {
                    return None;
                }
            }
            x => p.push(x),
        }
    }
    Some(normalize(&p))
}

pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            std::path::Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// `.js`, `.mjs` and `.wasm` files under `dir`, sorted, recursively (a second module such
/// as `pkg/prompts/` is part of the bundle), skipping hidden directories.
fn bundle_files(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the bundle directory", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if depth < 4 && !n.starts_with('.') && n != "node_modules" {
                bundle_files(&p, depth + 1, out)?;
            }
        } else if p.is_file()
            && (n.ends_with(".js") || n.ends_with(".mjs") || n.ends_with(".wasm"))
            && !n.ends_with(".d.ts")
        {
            out.push(p);
        }
    }
    Ok(())
}

/// The bundle's JS file a Wasm import module names when it is a wasm-bindgen snippet
/// (`./snippets/<crate>-<hash>/inline0.js`, relative to the `.wasm` and its glue).
fn snippet_source(wasm: &Path, module: &str, sources: &[Source]) -> Option<usize> {
    let rel = module.strip_prefix("./")?;
    if !rel.starts_with("snippets/") || rel.contains("..") {
        return None;
    }
    let want = wasm.parent()?.join(rel);
    let want = std::fs::canonicalize(&want).ok()?;
    sources
        .iter()
        .position(|s| std::fs::canonicalize(&s.path).ok().as_deref() == Some(want.as_path()))
}

/// One JS file of the bundle.
struct Source {
    /// Where it is on disk, and as shown in the report.
    path: PathBuf,
    name: String,
    /// Where it sits when deployed (relative imports resolve from there).
    at: PathBuf,
    text: String,
    is_loader: bool,
    /// The names of its Wasm import entries (`__wbg_…`).
    entries: BTreeSet<String>,
}

/// The glue a `.wasm` is read through: `x_bg.wasm` ↔ `x.js` in the same directory, else the
/// JS file whose import entries cover the module's imports.
fn glue_for(
    w: &Path,
    imports: &[wasm::Import],
    sources: &[Source],
    entries: &[BTreeSet<String>],
) -> Option<usize> {
    let stem = w.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let glue_stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let dir = normalize(w.parent().unwrap_or(Path::new("")));
    let by_name = sources.iter().position(|s| {
        !s.is_loader
            && normalize(s.path.parent().unwrap_or(Path::new(""))) == dir
            && s.path.file_stem().and_then(|x| x.to_str()) == Some(glue_stem)
    });
    by_name.or_else(|| {
        let wanted: Vec<&str> = imports
            .iter()
            .filter(|i| i.kind == "func")
            .map(|i| i.name.as_str())
            .collect();
        (0..sources.len())
            .filter(|&i| !entries[i].is_empty())
            .max_by_key(|&i| wanted.iter().filter(|n| entries[i].contains(**n)).count())
    })
}

/// Audits the bundle: the loader, every `.js` and `.wasm` under `pkg`, the modules they
/// import, and the models.
pub fn audit(loader: &Path, pkg: &Path, models: &[PathBuf]) -> Result<Report> {
    let mut report = Report::default();
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()));

    let mut entries = Vec::new();
    bundle_files(pkg, 0, &mut entries)?;
    let wasm_files: Vec<PathBuf> = entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        .cloned()
        .collect();
    if wasm_files.is_empty() {
        bail!("{}: no .wasm file (run scripts/build first)", pkg.display());
    }
    let shipped_wasm: BTreeSet<PathBuf> = wasm_files.iter().map(|p| normalize(p)).collect();
    let mut shipped_js: BTreeSet<PathBuf> = entries
        .iter()
        .filter(|p| !shipped_wasm.contains(&normalize(p)))
        .map(|p| normalize(p))
        .collect();
    // The loader is deployed next to the bundle directory (`attune.js` beside `pkg/`), and
    // resolves `./pkg/…` from there, wherever the file being audited lives.
    let loader_at = normalize(&pkg.join("..").join(loader.file_name().unwrap_or_default()));
    shipped_js.insert(loader_at.clone());
    let loader_dir = loader_at
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();

    // Hash every file; the JS files are the loader, the bundle's, and what they import.
    let loader_bytes = read(loader)?;
    report.files.push(shipped(
        loader,
        relative_url(&loader_dir, &loader_at),
        "loader",
        &loader_bytes,
    ));
    let mut queue = std::collections::VecDeque::from([(
        loader.to_path_buf(),
        loader_bytes,
        true,
        loader_at.clone(),
    )]);
    for p in &entries {
        let bytes = read(p)?;
        let is_wasm = shipped_wasm.contains(&normalize(p));
        let role = if is_wasm { "wasm" } else { "glue" };
        report.files.push(shipped(
            p,
            relative_url(&loader_dir, &normalize(p)),
            role,
            &bytes,
        ));
        if !is_wasm {
            queue.push_back((p.clone(), bytes, false, normalize(p)));
        }
    }
    let mut sources: Vec<Source> = Vec::new();
    while let Some((path, bytes, is_loader, at)) = queue.pop_front() {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let arena = oxc_allocator::Allocator::default();
        let parsed = js::parse(&arena, &text);
        let specs = parsed.specifiers();
        let entries: BTreeSet<String> = if is_loader {
            BTreeSet::new()
        } else {
            parsed.entries.iter().map(|(n, _)| n.to_string()).collect()
        };
        for spec in specs {
            let (Some(virt), Some(real)) = (resolve(&at, &spec), resolve(&normalize(&path), &spec))
            else {
                continue;
            };
            if shipped_js.contains(&virt) || !real.is_file() || sources.len() + queue.len() > 64 {
                continue;
            }
            let bytes = read(&real)?;
            report.files.push(shipped(
                &real,
                relative_url(&loader_dir, &virt),
                "module",
                &bytes,
            ));
            shipped_js.insert(virt.clone());
            queue.push_back((real, bytes, false, virt));
        }
        sources.push(Source {
            name: display_path(&path),
            path,
            at,
            text,
            is_loader,
            entries,
        });
    }

    // Each Wasm module: its facts, and the glue it is read through.
    let mut facts = Vec::new();
    for w in &wasm_files {
        let bytes = read(w)?;
        facts.push(wasm::read(&bytes).with_context(|| format!("{}: cannot audit", w.display()))?);
    }
    let entry_names: Vec<BTreeSet<String>> = sources.iter().map(|s| s.entries.clone()).collect();
    let glue_of: Vec<Option<usize>> = wasm_files
        .iter()
        .zip(&facts)
        .map(|(w, f)| glue_for(w, &f.imports, &sources, &entry_names))
        .collect();

    let shipped_set = ShippedSet {
        js: &shipped_js,
        wasm: &shipped_wasm,
    };
    // What each Wasm module can reach by names held as data, judged by its own literals.
    let mut generics: Vec<Generic> = wasm_files.iter().map(|_| Generic::default()).collect();
    let mut summaries: Vec<WasmSummary> = wasm_files
        .iter()
        .zip(&facts)
        .map(|(w, f)| WasmSummary {
            file: display_path(w),
            literals: f.literals.len(),
            exports: f
                .exports
                .iter()
                .map(|(n, k)| (n.clone(), k.to_string()))
                .collect(),
            imports: Vec::new(),
        })
        .collect();
    let mut wasm_storage = false;
    let mut no_referrer = false;
    let mut js_literals: Vec<(String, Site)> = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        let arena = oxc_allocator::Allocator::default();
        let parsed = js::parse(&arena, &s.text);
        if !parsed.errors.is_empty() {
            report.violate(
                "unparsable JavaScript",
                &Site {
                    file: s.name.clone(),
                    line: 0,
                    via: None,
                },
                format!(
                    "{}: code the audit cannot parse cannot be judged",
                    parsed.errors[0]
                ),
            );
        }
        let lits = parsed.literals();
        no_referrer |= lits.iter().any(|(l, _)| l == "no-referrer");
        for (l, span) in &lits {
            js_literals.push((
                l.clone(),
                Site {
                    file: s.name.clone(),
                    line: parsed.line(*span),
                    via: None,
                },
            ));
        }
        let strings: BTreeSet<String> = lits.into_iter().map(|(l, _)| l).collect();
        let mut top_generic = Generic::default();
        {
            let mut c = Checker::new(
                &parsed,
                &s.name,
                &s.at,
                &shipped_set,
                Mode::TopLevel,
                &mut report,
                &mut top_generic,
                &strings,
            );
            c.visit_program(parsed.program);
        }
        for (w, g) in generics.iter_mut().enumerate() {
            if glue_of[w] == Some(i) {
                g.merge(&top_generic);
            }
        }
        // The glue functions the Wasm imports, each judged as reached from the Wasm.
        for (w, f) in facts.iter().enumerate() {
            let glue_entries: BTreeMap<&str, &oxc_ast::ast::Function> =
                parsed.entries.iter().map(|(n, f)| (*n, *f)).collect();
            for imp in &f.imports {
                let glue_module = imp.module.starts_with("./") && imp.module.ends_with("_bg.js")
                    || imp.module == "wbg"
                    || imp.module == "__wbindgen_placeholder__";
                // A wasm-bindgen snippet (`./snippets/…`, next to the glue): read where it
                // is defined, like a glue function.
                let snippet = if glue_module {
                    None
                } else {
                    snippet_source(&wasm_files[w], &imp.module, &sources)
                };
                let home = if snippet.is_some() {
                    snippet
                } else {
                    glue_of[w]
                };
                if home != Some(i) {
                    continue;
                }
                let site = Site {
                    file: summaries[w].file.clone(),
                    line: 0,
                    via: Some(imp.name.clone()),
                };
                let mut maps_to = String::new();
                if imp.kind != "func" {
                    maps_to = format!("({} import)", imp.kind);
                } else if !glue_module && snippet.is_none() {
                    report.violate(&format!("{}::{}", imp.module, imp.name), &site, "a Wasm import from outside the bundle's glue: the page must supply it, so it can be anything");
                } else if let Some(func) = glue_entries.get(imp.name.as_str()) {
                    let before: BTreeSet<_> = report.apis.keys().cloned().collect();
                    let listed = {
                        let mut c = Checker::new(
                            &parsed,
                            &s.name,
                            &s.at,
                            &shipped_set,
                            Mode::Import(&imp.name),
                            &mut report,
                            &mut generics[w],
                            &strings,
                        );
                        c.skip_entries = false;
                        c.visit_function(func, oxc_syntax::scope::ScopeFlags::Function);
                        c.listed_any
                    };
                    let line = parsed.line(oxc_span::GetSpan::span(*func));
                    if !listed {
                        let short = wasm::short_name(&imp.name);
                        let site = Site {
                            file: s.name.clone(),
                            line,
                            via: Some(imp.name.clone()),
                        };
                        report.add_use(
                            Group::Other,
                            &format!("{short} (plain JS, no browser API)"),
                            &site,
                        );
                    }
                    let added: Vec<String> = report
                        .apis
                        .iter()
                        .filter(|(key, sites)| {
                            !before.contains(key)
                                || sites.iter().any(|x| x.via.as_deref() == Some(&imp.name))
                        })
                        .map(|((_, api), _)| api.clone())
                        .collect();
                    if added
                        .iter()
                        .any(|a| a.starts_with("Storage.") || a.contains("localStorage"))
                    {
                        wasm_storage = true;
                    }
                    maps_to = format!("{}  [{}:{}]", added.join(", "), s.name, line);
                } else {
                    report.violate(
                        &imp.name,
                        &site,
                        "a Wasm import the glue does not define: what it does cannot be read",
                    );
                }
                summaries[w]
                    .imports
                    .push((imp.module.clone(), imp.name.clone(), maps_to));
            }
        }
    }
    for (w, f) in facts.iter().enumerate() {
        if glue_of[w].is_none() {
            for imp in f.imports.iter().filter(|i| i.kind == "func") {
                let site = Site {
                    file: summaries[w].file.clone(),
                    line: 0,
                    via: Some(imp.name.clone()),
                };
                report.violate(
                    &imp.name,
                    &site,
                    "no wasm-bindgen glue found to read this import from",
                );
                summaries[w]
                    .imports
                    .push((imp.module.clone(), imp.name.clone(), String::new()));
            }
        }
    }
    report.wasm = summaries;

    for (g, f) in generics.iter().zip(&facts) {
        judge_generic(&mut report, g, f);
    }
    for (l, site) in &js_literals {
        if let Some(needle) = css_loads(l) {
            report.violate(
                &format!("CSS {needle}"),
                site,
                "a stylesheet string can load a URL",
            );
        }
    }
    // Storage keys in the Wasm: literals in Attune's namespace.
    if wasm_storage {
        for f in &facts {
            for l in &f.literals {
                if l.starts_with("attune:")
                    && l.len() > 7
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ":._-".contains(c))
                {
                    let file = report
                        .wasm
                        .first()
                        .map(|w| w.file.clone())
                        .unwrap_or_default();
                    report.storage_keys.insert(StorageKey {
                        key: l.clone(),
                        area: "localStorage".into(),
                        site: Site {
                            file,
                            line: 0,
                            via: None,
                        },
                    });
                }
            }
        }
    }

    for m in models {
        let bytes = read(m)?;
        report
            .files
            .push(shipped(m, String::new(), "model", &bytes));
        report.models.push(model_facts(m, &bytes));
    }
    notes(&mut report, no_referrer);
    report.url_prefix = "/attune/".into();
    report
        .violations
        .sort_by(|a, b| (&a.site, &a.api).cmp(&(&b.site, &b.api)));
    report
        .channels
        .sort_by(|a, b| (a.kind, &a.site).cmp(&(b.kind, &b.site)));
    Ok(report)
}

/// Generic capabilities (names held as data), judged by the Wasm's literals.
fn judge_generic(report: &mut Report, generic: &Generic, facts: &wasm::WasmFacts) {
    let literals = &facts.literals;
    let wasm_file = facts_file(report, facts);
    let first = |v: &Vec<Site>| v.first().cloned();
    if let Some(site) = first(&generic.create_element) {
        // An element made from a name the Wasm holds loads something only if the Wasm can
        // also give it the attribute that makes it load (a <link> without `rel` is inert),
        // through a name-generic setAttribute or property write.
        let can_set = !generic.set_attribute.is_empty() || !generic.reflect_set.is_empty();
        for l in literals {
            let low = l.to_ascii_lowercase();
            if FETCHING_TAGS.contains(&low.as_str()) {
                let needs = fetch_attributes(&low);
                let held: Vec<&str> = needs
                    .iter()
                    .copied()
                    .filter(|a| literals.contains(*a))
                    .collect();
                if needs.is_empty() || (can_set && !held.is_empty()) {
                    report.violate(
                        &format!("createElement({l:?})"),
                        &site,
                        format!(
                            "the Wasm creates elements by name and holds this element name{}",
                            if held.is_empty() {
                                String::new()
                            } else {
                                format!(" and {held:?}")
                            }
                        ),
                    );
                } else {
                    report.notes.push(format!(
                        "The Wasm holds the name {l:?} and can create elements by name, but it cannot set {needs:?}, without which such an element loads nothing."
                    ));
                }
            } else if low == "img" {
                report.channel(
                    ChannelKind::CatalogImage,
                    &site,
                    "the Wasm creates <img> (catalog image URLs from the model)",
                );
            }
        }
    }
    if let Some(site) = first(&generic.set_attribute) {
        for l in literals {
            if is_danger_attr(l) {
                report.violate(
                    &format!("setAttribute({l:?})"),
                    &site,
                    "the Wasm sets attributes by name and holds this attribute name",
                );
            } else if l == "src" {
                report.channel(
                    ChannelKind::CatalogImage,
                    &site,
                    "the Wasm sets src (catalog image URLs)",
                );
            } else if l == "href" {
                report.channel(
                    ChannelKind::Link,
                    &site,
                    "the Wasm sets href (links followed on click)",
                );
            }
        }
    }
    if let Some(site) = first(&generic.reflect_set) {
        for l in literals {
            if REFLECT_DANGER.contains(&l.as_str())
                || URL_ATTRS.contains(&l.as_str()) && l != "data"
            {
                report.violate(
                    &format!("Reflect.set(…, {l:?})"),
                    &site,
                    "the Wasm writes properties by name and holds this name",
                );
            }
        }
    }
    if let (Some(call), Some(_), Some(_)) = (
        first(&generic.call),
        first(&generic.reflect_get),
        first(&generic.global),
    ) {
        report.violate(
            "call any function",
            &call,
            "the Wasm can read any global by name and call it: every API is reachable",
        );
    }
    {
        let f = facts;
        for needle in ["url(", "@import", "image-set("] {
            if f.data
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
            {
                let site = Site {
                    file: wasm_file.clone(),
                    line: 0,
                    via: None,
                };
                report.violate(
                    &format!("CSS {needle}"),
                    &site,
                    "a stylesheet in the Wasm can load a URL",
                );
            }
        }
    }
}

/// The report's name of the module `facts` were read from.
fn facts_file(report: &Report, facts: &wasm::WasmFacts) -> String {
    report
        .wasm
        .iter()
        .find(|w| w.literals == facts.literals.len() && w.exports.len() == facts.exports.len())
        .or(report.wasm.first())
        .map(|w| w.file.clone())
        .unwrap_or_default()
}

fn notes(report: &mut Report, no_referrer: bool) {
    let images = report
        .channels
        .iter()
        .any(|c| c.kind == ChannelKind::CatalogImage);
    if images && !no_referrer {
        report.notes.push(
            "Catalog images are requested without referrerpolicy=\"no-referrer\": under a permissive \
             referrer policy of the shop, the image host also learns the address of the page the \
             shopper is on (docs/privacy.md, section 2)."
                .into(),
        );
    }
    if images {
        report.notes.push(
            "Catalog images: a rendered card loads its image from the URL in the model. The image host \
             learns which items were shown to this browser (not who the shopper is beyond what any \
             image request reveals: IP address, user agent). Serve images from the shop's own origin, \
             or turn images off with data-images=\"off\" (docs/privacy.md)."
                .into(),
        );
    }
    for (kind, site, checked) in report.integrity.clone() {
        if !checked {
            report.notes.push(format!(
                "{}: the {} is fetched without an SRI integrity check (docs/privacy.md, \"Integrity\").",
                site,
                kind.name()
            ));
        }
    }
}
