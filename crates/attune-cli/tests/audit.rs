//! `attune audit` against fixture bundles:
//! - tests/fixtures/audit/ (repository root): a clean bundle that must pass, and leaky ones
//!   that must fail naming the API, the file and the line. Each fixture's `.wasm` is
//!   committed and described by its `pkg/wasm.txt`; the first test rebuilds every binary
//!   from its description and checks they match, so the binaries are what the text says.
//! - crates/attune-cli/tests/fixtures/websys/: the demo's loader with a real wasm-bindgen
//!   0.2.130 web-sys glue and .wasm (and a second module under pkg/prompts/), and
//!   websys-min/, the same minified by esbuild (identifiers included): both must pass.
//! - crates/attune-cli/tests/fixtures/hostile/: ways to reach the network, each added to
//!   the loader and to the glue (corpus.txt, corpus.min.txt) or as a glue function the Wasm
//!   imports (entries.txt): every one must fail.
//!
//! The real bundle is audited by tests/e2e/privacy-audit.test.mjs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use attune_cli::audit::{audit, default_pkg, hash_bytes, AuditArgs, ChannelKind, Report};
use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, EntityType, Function, FunctionSection, ImportSection,
    Instruction, MemorySection, MemoryType, Module, TypeSection, ValType,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/audit")
}

/// Builds the module a `wasm.txt` describes: one `() -> ()` import per `import` line; each
/// `literal` placed in the data at 1024 + offset and referred to by `i32.const ptr;
/// i32.const len` in one function, as rustc emits a `&str` argument.
fn build_wasm(desc: &str) -> Vec<u8> {
    let mut imports = ImportSection::new();
    let mut literals: Vec<&str> = Vec::new();
    for line in desc.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("import ") {
            let (module, name) = rest.split_once(' ').expect("import MODULE NAME");
            imports.import(module, name, EntityType::Function(0));
        } else if let Some(text) = line.strip_prefix("literal ") {
            literals.push(text);
        }
    }
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], []);
    module.section(&types);
    module.section(&imports);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    module.section(&funcs);
    let mut mem = MemorySection::new();
    mem.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&mem);
    let mut body = Function::new([(1, ValType::I32)]);
    let mut blob = Vec::new();
    for l in &literals {
        body.instruction(&Instruction::I32Const(1024 + blob.len() as i32));
        body.instruction(&Instruction::I32Const(l.len() as i32));
        body.instruction(&Instruction::I32Add);
        body.instruction(&Instruction::LocalSet(0));
        blob.extend_from_slice(l.as_bytes());
    }
    body.instruction(&Instruction::End);
    let mut code = CodeSection::new();
    code.function(&body);
    module.section(&code);
    let mut data = DataSection::new();
    data.active(0, &ConstExpr::i32_const(1024), blob);
    module.section(&data);
    module.finish()
}

fn run(case: &str) -> Report {
    let dir = fixtures().join(case);
    audit(&dir.join("attune.js"), &dir.join("pkg"), &[]).unwrap_or_else(|e| panic!("{case}: {e:#}"))
}

fn violations(r: &Report) -> BTreeSet<(String, String, u32)> {
    r.violations
        .iter()
        .map(|v| {
            let file = v.site.file.rsplit('/').next().unwrap_or("").to_string();
            (v.api.clone(), file, v.site.line)
        })
        .collect()
}

#[test]
fn fixture_wasm_binaries_match_their_descriptions() {
    let mut n = 0;
    for case in std::fs::read_dir(fixtures()).unwrap() {
        let pkg = case.unwrap().path().join("pkg");
        let Ok(desc) = std::fs::read_to_string(pkg.join("wasm.txt")) else {
            continue;
        };
        let want = build_wasm(&desc);
        let path = pkg.join("fixture_web_bg.wasm");
        if std::env::var_os("ATTUNE_REGENERATE_FIXTURES").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} differs from its wasm.txt (ATTUNE_REGENERATE_FIXTURES=1 rewrites it)",
            path.display()
        );
        n += 1;
    }
    assert_eq!(n, 4, "expected four fixture bundles");
}

#[test]
fn the_clean_fixture_passes_with_its_channels_and_storage_key() {
    let r = run("clean");
    assert!(r.passed(), "{:#?}", r.violations);
    let kinds: BTreeSet<ChannelKind> = r.channels.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            ChannelKind::Model,
            ChannelKind::OwnWasm,
            ChannelKind::OwnModule,
            ChannelKind::CatalogImage,
            ChannelKind::Link
        ])
    );
    let model = r
        .channels
        .iter()
        .find(|c| c.kind == ChannelKind::Model)
        .unwrap();
    assert_eq!(
        (
            model.site.file.ends_with("clean/attune.js"),
            model.site.line
        ),
        (true, 18)
    );
    let wasm = r
        .channels
        .iter()
        .find(|c| c.kind == ChannelKind::OwnWasm)
        .unwrap();
    assert!(
        wasm.site.file.ends_with("fixture_web.js") && wasm.detail == "fixture_web_bg.wasm",
        "{wasm:?}"
    );
    // The glue's sendBeacon entry is not imported by the Wasm: not reachable, not listed.
    assert!(
        !r.apis.keys().any(|(_, api)| api.contains("sendBeacon")),
        "{:?}",
        r.apis.keys()
    );
    // What the Wasm reaches, through the glue.
    let via: BTreeSet<&str> = r
        .apis
        .values()
        .flatten()
        .filter_map(|s| s.via.as_deref())
        .collect();
    assert_eq!(
        via,
        BTreeSet::from([
            "__wbg_getItem_0123456789abcdef",
            "__wbg_warn_0123456789abcdef"
        ])
    );
    let keys: BTreeSet<&str> = r.storage_keys.iter().map(|k| k.key.as_str()).collect();
    assert!(
        keys.contains("attune:v1") && keys.contains("attune:prompts"),
        "{keys:?}"
    );
    assert!(r
        .files
        .iter()
        .any(|f| f.role == "module" && f.path.ends_with("extra.js")));
    // Keys the Wasm passes to Storage are data ("computed"); every literal one is Attune's.
    assert!(
        keys.iter()
            .all(|k| k.starts_with("attune:") || k.starts_with("(computed")),
        "{keys:?}"
    );
    // Names reached through helpers, ternaries and `for … of` literal arrays are resolved:
    // the strings "link" and "action" (part names) raise nothing.
    assert!(r.apis.contains_key(&(
        attune_cli::audit::Group::Storage,
        "window.sessionStorage".to_string()
    )));
    // Its images carry no referrerpolicy: the report says what that reveals.
    assert!(
        r.notes.iter().any(|n| n.contains("no-referrer")),
        "{:#?}",
        r.notes
    );
    // Neither fetch passes an integrity hash: the report says so.
    assert_eq!(r.integrity.iter().filter(|(_, _, ok)| !ok).count(), 2);
}

#[test]
fn a_leaky_loader_fails_naming_each_api_and_line() {
    let r = run("beacon");
    assert!(!r.passed());
    let v = violations(&r);
    for want in [
        ("sendBeacon", 9),
        ("fetch", 10),
        ("WebSocket", 11),
        ("new Image()", 13),
        ("import()", 14),
        ("setAttribute('ping')", 16),
        ("computed property of a global", 18),
    ] {
        assert!(
            v.contains(&(want.0.to_string(), "attune.js".to_string(), want.1)),
            "missing {want:?} in {v:#?}"
        );
    }
    // The module the loader imports is part of the bundle, and audited.
    assert!(
        v.contains(&("sendBeacon".to_string(), "helper.js".to_string(), 3)),
        "{v:#?}"
    );
    // The model fetch on line 8 stays allowed; nothing else is.
    assert_eq!(v.len(), 8, "{v:#?}");
    assert!(r
        .channels
        .iter()
        .any(|c| c.kind == ChannelKind::Model && c.site.line == 8));
    let fetch = r.violations.iter().find(|x| x.api == "fetch").unwrap();
    assert!(fetch.why.contains("tracker.example"), "{}", fetch.why);
}

#[test]
fn a_wasm_import_that_opens_a_websocket_fails_through_the_glue() {
    let r = run("wasm-websocket");
    let v: BTreeSet<(String, Option<String>)> = r
        .violations
        .iter()
        .map(|x| (x.api.clone(), x.site.via.clone()))
        .collect();
    assert!(
        v.contains(&(
            "WebSocket".into(),
            Some("__wbg_new_ws_0123456789abcdef".into())
        )),
        "{v:#?}"
    );
    assert!(
        v.contains(&(
            "__wbg_mystery_0123456789abcdef".into(),
            Some("__wbg_mystery_0123456789abcdef".into())
        )),
        "{v:#?}"
    );
    assert!(
        v.contains(&("env::send_home".into(), Some("send_home".into()))),
        "{v:#?}"
    );
    assert_eq!(v.len(), 3, "{v:#?}");
    let ws = r.violations.iter().find(|x| x.api == "WebSocket").unwrap();
    assert!(
        ws.site.file.ends_with("wasm-websocket/pkg/fixture_web.js") && ws.site.line == 11,
        "{ws:?}"
    );
}

#[test]
fn generic_dom_imports_are_judged_by_the_wasm_literals() {
    let r = run("wasm-script");
    let apis: BTreeSet<&str> = r.violations.iter().map(|x| x.api.as_str()).collect();
    assert_eq!(
        apis,
        BTreeSet::from(["createElement(\"script\")", "setAttribute(\"ping\")"]),
        "{:#?}",
        r.violations
    );
    // "src" alone is the catalog-image channel, "span" is harmless, and "link" without "rel"
    // is inert: noted, not a violation.
    assert!(r
        .channels
        .iter()
        .any(|c| c.kind == ChannelKind::CatalogImage));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("\"link\"") && n.contains("rel")),
        "{:#?}",
        r.notes
    );
}

#[test]
fn reports_carry_the_hashes_and_the_verdict() {
    let r = run("beacon");
    let j = r.to_json();
    assert_eq!(j["passed"], false);
    let files = j["files"].as_array().unwrap();
    let roles: Vec<&str> = files.iter().map(|f| f["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["loader", "glue", "wasm", "module"]);
    for f in files {
        let path = fixtures()
            .join("..")
            .join("..")
            .join("..")
            .join(f["path"].as_str().unwrap());
        let bytes = std::fs::read(f["path"].as_str().unwrap())
            .or_else(|_| std::fs::read(&path))
            .unwrap();
        let (sha256, sri) = hash_bytes(&bytes);
        assert_eq!(f["sha256"], sha256);
        assert_eq!(f["sri"], sri);
        assert!(sri.starts_with("sha384-") && sri.len() == 7 + 64);
    }
    // SHA-256 and SHA-384 of "abc" (FIPS 180-2 examples; the latter base64 as SRI wants).
    let (h, sri) = hash_bytes(b"abc");
    assert_eq!(
        h,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sri,
        "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
    );
    let md = r.to_markdown();
    assert!(md.contains("**Result: FAIL.**"));
    assert!(md.contains("| `sendBeacon` |"));
    assert!(md.contains("sha384-"));
    let clean = run("clean");
    let ok = clean.to_markdown();
    assert!(ok.contains("**Result: PASS.**"));
    assert!(ok.contains("data-wasm-integrity=\"sha384-"));
    // The pinning snippet: an import map with every script (loader, glue, imported module)
    // under the URL the loader expects it at, and the CSP source for that exact text.
    let p = clean.page().unwrap();
    let map: serde_json::Value = serde_json::from_str(&p.importmap).unwrap();
    let keys: Vec<&str> = map["integrity"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "/attune/attune.js",
            "/attune/extra.js",
            "/attune/pkg/fixture_web.js"
        ]
    );
    let glue = clean.files.iter().find(|f| f.role == "glue").unwrap();
    assert_eq!(map["integrity"]["/attune/pkg/fixture_web.js"], glue.sri);
    use base64::Engine as _;
    use sha2::Digest as _;
    let want = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(p.importmap.as_bytes()));
    assert_eq!(p.csp_hash, format!("sha256-{want}"));
    assert!(p.html.starts_with(&format!(
        "<script type=\"importmap\">{}</script>",
        p.importmap
    )));
}

#[test]
fn a_bundle_without_wasm_or_with_bad_wasm_is_a_clear_error() {
    let tmp = std::env::temp_dir().join(format!("attune-audit-test-{}", std::process::id()));
    let pkg = tmp.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(tmp.join("attune.js"), "export {};").unwrap();
    let e = audit(&tmp.join("attune.js"), &pkg, &[]).unwrap_err();
    assert!(format!("{e:#}").contains("no .wasm file"), "{e:#}");
    std::fs::write(pkg.join("x_bg.wasm"), b"\0asm\x01\0\0\0\x01\xff").unwrap();
    let e = audit(&tmp.join("attune.js"), &pkg, &[]).unwrap_err();
    assert!(
        format!("{e:#}").contains("not a valid WebAssembly module"),
        "{e:#}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn by_default_the_served_bundle_is_audited_not_wasm_packs_copy() {
    // scripts/build minifies the glue into www/pkg; pkg/ keeps wasm-pack's readable glue,
    // a different file. The default must hash what pages import.
    let tmp = std::env::temp_dir().join(format!("attune-audit-default-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("pkg")).unwrap();
    std::fs::write(tmp.join("pkg/attune_web.js"), "export {};").unwrap();
    assert_eq!(
        default_pkg(&tmp),
        tmp.join("pkg"),
        "no www/pkg yet: wasm-pack's output"
    );
    std::fs::create_dir_all(tmp.join("www/pkg")).unwrap();
    assert_eq!(
        default_pkg(&tmp),
        tmp.join("pkg"),
        "an empty www/pkg is not a bundle"
    );
    std::fs::write(tmp.join("www/pkg/attune_web.js"), "export{};").unwrap();
    assert_eq!(default_pkg(&tmp), tmp.join("www/pkg"));

    // The loader beside the bundle directory, else www/attune.js.
    std::fs::write(tmp.join("www/attune.js"), "export {};").unwrap();
    let args = |pkg: Option<PathBuf>, loader: Option<PathBuf>| AuditArgs {
        pkg,
        loader,
        model: Vec::new(),
        out: tmp.join("out"),
        url_prefix: "/attune/".into(),
    };
    let a = args(Some(tmp.join("www/pkg")), None);
    assert_eq!(a.pkg_dir(), tmp.join("www/pkg"));
    assert_eq!(a.loader_path(), tmp.join("www/attune.js"));
    let b = args(Some(tmp.join("pkg")), None);
    assert_eq!(
        b.loader_path(),
        PathBuf::from("www/attune.js"),
        "no attune.js beside pkg/"
    );
    let c = args(Some(tmp.join("pkg")), Some(tmp.join("js/attune.js")));
    assert_eq!(c.loader_path(), tmp.join("js/attune.js"));
    let _ = std::fs::remove_dir_all(&tmp);
}

// ---------------------------------------------------------------------------------------
// The web-sys bundle (tests/fixtures/websys: the demo's loader, a wasm-bindgen 0.2.130 glue
// and .wasm built from src/attune_web.rs, and a second module under pkg/prompts/ built from
// src/attune_prompts.rs; websys-min: the same, minified by esbuild --minify, identifiers
// included) and the hostile corpus (tests/fixtures/hostile).

fn crate_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("attune-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn run_dir(dir: &Path) -> Report {
    audit(&dir.join("attune.js"), &dir.join("pkg"), &[]).unwrap_or_else(|e| panic!("{e:#}"))
}

#[test]
fn the_websys_bundle_passes_readable_and_identifier_minified() {
    for case in ["websys", "websys-min"] {
        let r = run_dir(&crate_fixtures().join(case));
        assert!(r.passed(), "{case}: {:#?}", r.violations);
        // Two Wasm modules, each import mapped to its own glue's function.
        assert_eq!(r.wasm.len(), 2, "{case}");
        for w in &r.wasm {
            let glue = if w.file.contains("prompts") {
                "attune_prompts.js"
            } else {
                "attune_web.js"
            };
            assert!(w.imports.len() > 10, "{case}: {}", w.file);
            for (_, name, to) in &w.imports {
                assert!(
                    to.contains(glue),
                    "{case}: {name} maps to {to:?}, not {glue}"
                );
            }
        }
        let kinds: BTreeSet<ChannelKind> = r.channels.iter().map(|c| c.kind).collect();
        for k in [
            ChannelKind::Model,
            ChannelKind::OwnWasm,
            ChannelKind::OwnModule,
            ChannelKind::CatalogImage,
        ] {
            assert!(kinds.contains(&k), "{case}: no {k:?} in {kinds:?}");
        }
        let modules: BTreeSet<&str> = r
            .channels
            .iter()
            .filter(|c| c.kind == ChannelKind::OwnModule)
            .map(|c| c.detail.as_str())
            .collect();
        assert!(
            modules.contains("import('./pkg/prompts/attune_prompts.js')"),
            "{case}: {modules:?}"
        );
        // The own .wasm of each glue (relative to import.meta.url) and the loader's SRI fetch.
        let wasm: BTreeSet<&str> = r
            .channels
            .iter()
            .filter(|c| c.kind == ChannelKind::OwnWasm)
            .map(|c| c.detail.as_str())
            .collect();
        assert_eq!(
            wasm,
            BTreeSet::from([
                "./pkg/attune_web_bg.wasm",
                "attune_prompts_bg.wasm",
                "attune_web_bg.wasm"
            ]),
            "{case}"
        );
        let keys: BTreeSet<&str> = r.storage_keys.iter().map(|k| k.key.as_str()).collect();
        assert!(
            keys.contains("attune:v1") && keys.contains("attune:prompts"),
            "{case}: {keys:?}"
        );
    }
}

/// `(category, code)` lines of a corpus file.
fn corpus(file: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(crate_fixtures().join("hostile").join(file))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (c, code) = l.split_once(" | ").expect("category | code");
            (c.to_string(), code.to_string())
        })
        .collect()
}

/// Appends `code` (in a block, unless it is an export) to `file` of a copy of `bundle`, and
/// returns the violations found on the appended line of that file.
fn hostile_in(bundle: &str, file: &str, code: &str, dir: &Path) -> Vec<String> {
    let _ = std::fs::remove_dir_all(dir);
    copy_dir(&crate_fixtures().join(bundle), dir);
    let path = dir.join(file);
    let mut text = std::fs::read_to_string(&path).unwrap();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    let line = text.lines().count() as u32 + 1;
    let block = if code.starts_with("export") || code.starts_with('{') {
        code.to_string()
    } else {
        format!("{{ {code} }}")
    };
    text.push_str(&block);
    text.push('\n');
    std::fs::write(&path, text).unwrap();
    let r = run_dir(dir);
    r.violations
        .iter()
        .filter(|v| v.site.file.ends_with(file) && v.site.line == line)
        .map(|v| v.api.clone())
        .collect()
}

#[test]
fn every_hostile_line_fails_in_the_loader_and_in_the_glue() {
    let readable = corpus("corpus.txt");
    let minified = corpus("corpus.min.txt");
    assert!(readable.len() >= 40, "{}", readable.len());
    assert_eq!(readable.len(), minified.len());
    let mut jobs = Vec::new();
    for (c, code) in &readable {
        for file in ["attune.js", "pkg/attune_web.js"] {
            jobs.push(("websys", file, c.clone(), code.clone()));
        }
        jobs.push(("websys-min", "attune.js", c.clone(), code.clone()));
    }
    for (c, code) in &minified {
        jobs.push(("websys-min", "pkg/attune_web.js", c.clone(), code.clone()));
    }
    let n = jobs.len();
    let jobs = std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let passed = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for t in 0..4 {
            let (jobs, passed) = (&jobs, &passed);
            s.spawn(move || loop {
                let Some((i, (bundle, file, c, code))) = jobs.lock().unwrap().pop() else {
                    break;
                };
                let dir = tmp(&format!("hostile-{t}"));
                if hostile_in(bundle, file, &code, &dir).is_empty() {
                    passed
                        .lock()
                        .unwrap()
                        .push(format!("#{i} {bundle}/{file} [{c}] {code}"));
                }
                let _ = std::fs::remove_dir_all(&dir);
            });
        }
    });
    let passed = passed.into_inner().unwrap();
    assert!(
        passed.is_empty(),
        "{} of {n} hostile cases PASSED:\n{}",
        passed.len(),
        passed.join("\n")
    );
}

#[test]
fn every_hostile_glue_function_fails_when_the_wasm_imports_it() {
    const IMPORT: &str = "__wbg_hostile_0123456789abcdef";
    let cases: Vec<(String, String, String)> =
        std::fs::read_to_string(crate_fixtures().join("hostile/entries.txt"))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| {
                let mut p = l.splitn(3, '|').map(str::trim);
                let (c, lits, body) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
                (c.to_string(), lits.to_string(), body.to_string())
            })
            .collect();
    assert!(cases.len() >= 25, "{}", cases.len());
    let mut passed = Vec::new();
    for (i, (c, lits, body)) in cases.iter().enumerate() {
        let dir = tmp(&format!("entry-{i}"));
        copy_dir(&crate_fixtures().join("websys"), &dir);
        let glue = dir.join("pkg/attune_web.js");
        let text = std::fs::read_to_string(&glue).unwrap();
        let text = text.replacen(
            "__proto__: null,",
            &format!(
                "__proto__: null,\n        {IMPORT}: function(arg0, arg1, arg2) {{ {body} }},"
            ),
            1,
        );
        std::fs::write(&glue, text).unwrap();
        let mut desc = format!("import ./attune_web_bg.js {IMPORT}\n");
        for l in lits.split(',').filter(|l| !l.is_empty()) {
            desc.push_str(&format!("literal {l}\n"));
        }
        std::fs::write(dir.join("pkg/attune_web_bg.wasm"), build_wasm(&desc)).unwrap();
        let r = run_dir(&dir);
        let hit = r.violations.iter().any(|v| {
            v.site.via.as_deref() == Some(IMPORT) || v.site.file.ends_with("attune_web_bg.wasm")
        });
        if !hit {
            passed.push(format!("[{c}] {body}: {:#?}", r.violations));
        }
        // The same glue function, not imported by the Wasm, is unreachable: no violation.
        std::fs::write(
            dir.join("pkg/attune_web_bg.wasm"),
            build_wasm("literal x\n"),
        )
        .unwrap();
        let r = run_dir(&dir);
        assert!(
            r.passed(),
            "[{c}] {body}: reported although the Wasm does not import it: {:#?}",
            r.violations
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        passed.is_empty(),
        "hostile glue functions that PASSED:\n{}",
        passed.join("\n")
    );
}

/// A wasm-bindgen snippet (`#[wasm_bindgen(module = "/js/timer.js")]`): the glue imports it
/// from `pkg/snippets/…`, the Wasm reaches it through the glue, and the snippet's own code
/// is audited like any file of the bundle.
fn snippet_bundle(name: &str, snippet: &str) -> Report {
    const IMPORT: &str = "__wbg_after_0123456789abcdef";
    let dir = tmp(name);
    copy_dir(&crate_fixtures().join("websys"), &dir);
    let js = dir.join("pkg/snippets/fixture-web-0123/js");
    std::fs::create_dir_all(&js).unwrap();
    std::fs::write(js.join("timer.js"), snippet).unwrap();
    let glue = dir.join("pkg/attune_web.js");
    let text = std::fs::read_to_string(&glue).unwrap().replacen(
        "__proto__: null,",
        &format!("__proto__: null,\n        {IMPORT}: function(arg0, arg1) {{ return after(arg0, arg1); }},"),
        1,
    );
    let text =
        format!("import {{ after }} from './snippets/fixture-web-0123/js/timer.js';\n{text}");
    std::fs::write(&glue, text).unwrap();
    std::fs::write(
        dir.join("pkg/attune_web_bg.wasm"),
        build_wasm(&format!("import ./attune_web_bg.js {IMPORT}\n")),
    )
    .unwrap();
    let r = run_dir(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

#[test]
fn wasm_bindgen_snippets_are_part_of_the_bundle() {
    let r = snippet_bundle(
        "snippet-ok",
        "export function after(ms, f) { return setTimeout(() => f(), ms); }\n",
    );
    assert!(r.passed(), "{:#?}", r.violations);
    assert!(
        r.files.iter().any(|f| f.path.ends_with("timer.js")),
        "the snippet is not listed"
    );
    assert!(r
        .channels
        .iter()
        .any(|c| c.kind == ChannelKind::OwnModule && c.detail.contains("snippets/")));
    let r = snippet_bundle(
        "snippet-leak",
        "export function after(u) { return fetch(u); }\n",
    );
    let v: Vec<(String, String)> = r
        .violations
        .iter()
        .map(|v| {
            (
                v.api.clone(),
                v.site.file.rsplit('/').next().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        v.contains(&("fetch".to_string(), "timer.js".to_string())),
        "{v:#?}"
    );
}
