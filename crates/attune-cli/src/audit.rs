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
//!   function of the same name and that function's body is read like any other JS.
//! - JS is lexed (strings, comments, templates and regexes are not code) and matched
//!   against a catalogue of browser APIs and a set of rules for network-capable ones.
//! - Generic DOM calls whose names are data (`createElement(x)`, `setAttribute(x, …)`) are
//!   judged by the string literals of the code that can reach them: the Wasm's literals,
//!   or the JS file's string literals.
//!
//! Static reading is evidence, not proof: a name computed at run time escapes it. The
//! browser tests (tests/e2e/*privacy*) record real traffic; the CSP blocks the rest.
//! The audit never executes the bundle and never panics on what it reads.

mod js;
mod wasm;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha384};

use js::{call_args, matching, Tok, Token};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Dom,
    Storage,
    Timers,
    Events,
    Network,
    Other,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Dom => "DOM",
            Group::Storage => "storage",
            Group::Timers => "timers",
            Group::Events => "events",
            Group::Network => "network",
            Group::Other => "other",
        }
    }
}

/// Where something was found: a file and line, and for Wasm-reachable code the import.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    pub file: String,
    pub line: u32,
    /// The Wasm import through which this glue code is reached.
    pub via: Option<String>,
}

impl std::fmt::Display for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(v) = &self.via {
            write!(f, " (Wasm import {v})")?;
        }
        Ok(())
    }
}

/// A network-capable API reachable outside the allowed channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub api: String,
    pub site: Site,
    pub why: String,
}

/// A request the bundle may make, and why it is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub kind: ChannelKind,
    pub site: Site,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChannelKind {
    /// The loader's fetch of the URL in its own `data-model` attribute.
    Model,
    /// The fetch of the bundle's own `.wasm`.
    OwnWasm,
    /// `import()` of a file of the bundle.
    OwnModule,
    /// `<img src>` for catalog image URLs (from the model): disclosed, not shopper data.
    CatalogImage,
    /// `<a href>`: a request only when the shopper follows the link.
    Link,
}

impl ChannelKind {
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Model => "model (data-model URL)",
            ChannelKind::OwnWasm => "own .wasm",
            ChannelKind::OwnModule => "own module",
            ChannelKind::CatalogImage => "catalog image",
            ChannelKind::Link => "link (on click only)",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct StorageKey {
    pub key: String,
    pub area: String,
    pub site: Site,
}

/// One shipped file and its hashes.
#[derive(Clone, Debug)]
pub struct Shipped {
    pub path: PathBuf,
    /// Where the file sits relative to the loader when deployed (`attune.js`,
    /// `pkg/attune_web.js`, …); empty for a model.
    pub url: String,
    pub role: &'static str,
    pub bytes: u64,
    pub gzip: u64,
    pub sha256: String,
    pub sri: String,
}

#[derive(Clone, Debug, Default)]
pub struct ModelFacts {
    pub path: PathBuf,
    pub items: usize,
    pub image_hosts: BTreeMap<String, usize>,
    pub link_hosts: BTreeMap<String, usize>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct WasmSummary {
    pub file: String,
    pub imports: Vec<(String, String, String)>,
    pub exports: Vec<(String, String)>,
    pub literals: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub files: Vec<Shipped>,
    pub models: Vec<ModelFacts>,
    /// (group, API) → every site it is used at.
    pub apis: BTreeMap<(Group, String), BTreeSet<Site>>,
    pub channels: Vec<Channel>,
    pub violations: Vec<Violation>,
    pub storage_keys: BTreeSet<StorageKey>,
    pub wasm: Vec<WasmSummary>,
    /// Whether each fetch of the model / .wasm passes an SRI `integrity`.
    pub integrity: Vec<(ChannelKind, Site, bool)>,
    pub notes: Vec<String>,
    /// URL path under which the shop serves the bundle, for the page snippet.
    pub url_prefix: String,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.violations.is_empty()
    }

    fn add_use(&mut self, group: Group, api: &str, site: &Site) {
        self.apis
            .entry((group, api.to_string()))
            .or_default()
            .insert(site.clone());
    }

    fn violate(&mut self, api: &str, site: &Site, why: impl Into<String>) {
        let v = Violation {
            api: api.to_string(),
            site: site.clone(),
            why: why.into(),
        };
        if !self.violations.contains(&v) {
            self.violations.push(v);
        }
        self.add_use(Group::Network, api, site);
    }

    fn channel(&mut self, kind: ChannelKind, site: &Site, detail: impl Into<String>) {
        let c = Channel {
            kind,
            site: site.clone(),
            detail: detail.into(),
        };
        if !self.channels.contains(&c) {
            self.channels.push(c);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The catalogue: browser APIs by name, for the listing. (name, required object, group,
// display). The network rules live in `scan`, not here.

type Entry = (&'static str, Option<&'static str>, Group, &'static str);

const CATALOGUE: &[Entry] = &[
    // DOM
    ("document", None, Group::Dom, "document"),
    ("createElement", None, Group::Dom, "Document.createElement"),
    (
        "createElementNS",
        None,
        Group::Dom,
        "Document.createElementNS",
    ),
    (
        "createTextNode",
        None,
        Group::Dom,
        "Document.createTextNode",
    ),
    (
        "createDocumentFragment",
        None,
        Group::Dom,
        "Document.createDocumentFragment",
    ),
    ("appendChild", None, Group::Dom, "Node.appendChild"),
    ("insertBefore", None, Group::Dom, "Node.insertBefore"),
    ("removeChild", None, Group::Dom, "Node.removeChild"),
    (
        "replaceChildren",
        None,
        Group::Dom,
        "Element.replaceChildren",
    ),
    ("replaceWith", None, Group::Dom, "Element.replaceWith"),
    ("attachShadow", None, Group::Dom, "Element.attachShadow"),
    ("shadowRoot", None, Group::Dom, "Element.shadowRoot"),
    ("setAttribute", None, Group::Dom, "Element.setAttribute"),
    ("getAttribute", None, Group::Dom, "Element.getAttribute"),
    (
        "removeAttribute",
        None,
        Group::Dom,
        "Element.removeAttribute",
    ),
    ("hasAttribute", None, Group::Dom, "Element.hasAttribute"),
    (
        "toggleAttribute",
        None,
        Group::Dom,
        "Element.toggleAttribute",
    ),
    ("textContent", None, Group::Dom, "Node.textContent"),
    ("querySelector", None, Group::Dom, "querySelector"),
    ("querySelectorAll", None, Group::Dom, "querySelectorAll"),
    (
        "getElementById",
        None,
        Group::Dom,
        "Document.getElementById",
    ),
    ("closest", None, Group::Dom, "Element.closest"),
    ("dataset", None, Group::Dom, "HTMLElement.dataset"),
    ("ownerDocument", None, Group::Dom, "Node.ownerDocument"),
    ("baseURI", None, Group::Dom, "Node.baseURI"),
    ("isConnected", None, Group::Dom, "Node.isConnected"),
    ("customElements", None, Group::Dom, "customElements"),
    ("HTMLElement", None, Group::Dom, "HTMLElement"),
    ("adoptedStyleSheets", None, Group::Dom, "adoptedStyleSheets"),
    ("CSSStyleSheet", None, Group::Dom, "CSSStyleSheet"),
    ("replaceSync", None, Group::Dom, "CSSStyleSheet.replaceSync"),
    (
        "setProperty",
        None,
        Group::Dom,
        "CSSStyleDeclaration.setProperty",
    ),
    ("classList", None, Group::Dom, "Element.classList"),
    ("hidden", None, Group::Dom, "HTMLElement.hidden"),
    ("focus", None, Group::Dom, "HTMLElement.focus"),
    ("currentScript", None, Group::Dom, "document.currentScript"),
    (
        "observedAttributes",
        None,
        Group::Dom,
        "custom element observedAttributes",
    ),
    (
        "connectedCallback",
        None,
        Group::Dom,
        "custom element connectedCallback",
    ),
    (
        "disconnectedCallback",
        None,
        Group::Dom,
        "custom element disconnectedCallback",
    ),
    (
        "attributeChangedCallback",
        None,
        Group::Dom,
        "custom element attributeChangedCallback",
    ),
    (
        "define",
        Some("customElements"),
        Group::Dom,
        "customElements.define",
    ),
    (
        "get",
        Some("customElements"),
        Group::Dom,
        "customElements.get",
    ),
    ("style", None, Group::Dom, "HTMLElement.style"),
    ("mode", None, Group::Dom, "ShadowRootInit.mode"),
    // storage
    ("localStorage", None, Group::Storage, "window.localStorage"),
    (
        "sessionStorage",
        None,
        Group::Storage,
        "window.sessionStorage",
    ),
    ("getItem", None, Group::Storage, "Storage.getItem"),
    ("setItem", None, Group::Storage, "Storage.setItem"),
    ("removeItem", None, Group::Storage, "Storage.removeItem"),
    ("indexedDB", None, Group::Storage, "indexedDB"),
    ("caches", None, Group::Storage, "CacheStorage"),
    ("cookie", None, Group::Storage, "document.cookie (read)"),
    // timers
    ("setTimeout", None, Group::Timers, "setTimeout"),
    ("setInterval", None, Group::Timers, "setInterval"),
    ("clearTimeout", None, Group::Timers, "clearTimeout"),
    ("clearInterval", None, Group::Timers, "clearInterval"),
    (
        "requestAnimationFrame",
        None,
        Group::Timers,
        "requestAnimationFrame",
    ),
    (
        "requestIdleCallback",
        None,
        Group::Timers,
        "requestIdleCallback",
    ),
    ("queueMicrotask", None, Group::Timers, "queueMicrotask"),
    ("now", Some("Date"), Group::Timers, "Date.now"),
    ("now", Some("performance"), Group::Timers, "performance.now"),
    // events
    (
        "addEventListener",
        None,
        Group::Events,
        "EventTarget.addEventListener",
    ),
    (
        "removeEventListener",
        None,
        Group::Events,
        "EventTarget.removeEventListener",
    ),
    (
        "dispatchEvent",
        None,
        Group::Events,
        "EventTarget.dispatchEvent",
    ),
    ("CustomEvent", None, Group::Events, "CustomEvent"),
    ("MutationObserver", None, Group::Events, "MutationObserver"),
    (
        "IntersectionObserver",
        None,
        Group::Events,
        "IntersectionObserver",
    ),
    ("ResizeObserver", None, Group::Events, "ResizeObserver"),
    (
        "BroadcastChannel",
        None,
        Group::Events,
        "BroadcastChannel (same-origin tabs only)",
    ),
    // network (reachable only at the sites the rules allow)
    ("fetch", None, Group::Network, "fetch"),
    // other
    ("console", None, Group::Other, "console"),
    ("parse", Some("JSON"), Group::Other, "JSON.parse"),
    ("stringify", Some("JSON"), Group::Other, "JSON.stringify"),
    ("NumberFormat", None, Group::Other, "Intl.NumberFormat"),
    (
        "resolvedOptions",
        None,
        Group::Other,
        "Intl.NumberFormat.resolvedOptions",
    ),
    ("URL", None, Group::Other, "URL (parsing only)"),
    (
        "URLSearchParams",
        None,
        Group::Other,
        "URLSearchParams (parsing only)",
    ),
    (
        "encodeURIComponent",
        None,
        Group::Other,
        "encodeURIComponent",
    ),
    (
        "decodeURIComponent",
        None,
        Group::Other,
        "decodeURIComponent",
    ),
    ("get", Some("Reflect"), Group::Other, "Reflect.get"),
    ("set", Some("Reflect"), Group::Other, "Reflect.set"),
    ("apply", Some("Reflect"), Group::Other, "Reflect.apply"),
    ("TextEncoder", None, Group::Other, "TextEncoder"),
    ("TextDecoder", None, Group::Other, "TextDecoder"),
    ("WebAssembly", None, Group::Other, "WebAssembly"),
    (
        "FinalizationRegistry",
        None,
        Group::Other,
        "FinalizationRegistry",
    ),
    ("globalThis", None, Group::Other, "globalThis"),
    ("window", None, Group::Other, "window"),
    ("self", None, Group::Other, "self"),
    ("navigator", None, Group::Other, "navigator (read)"),
    (
        "globalPrivacyControl",
        None,
        Group::Other,
        "navigator.globalPrivacyControl",
    ),
    ("Window", None, Group::Other, "Window (instanceof)"),
    ("Response", None, Group::Other, "Response (type check)"),
    ("Request", None, Group::Other, "Request (type check)"),
    ("meta", Some("import"), Group::Other, "import.meta.url"),
];

fn catalogue(name: &str, obj: Option<&str>) -> Option<(Group, &'static str)> {
    CATALOGUE
        .iter()
        .find(|(n, o, _, _)| *n == name && (o.is_none() || *o == obj))
        .map(|&(_, _, g, d)| (g, d))
}

/// APIs that can send data off the page whatever their arguments. Any reachable use fails.
const NETWORK: &[(&str, &str)] = &[
    ("XMLHttpRequest", "XMLHttpRequest sends requests"),
    ("WebSocket", "WebSocket opens a connection"),
    ("WebSocketStream", "WebSocketStream opens a connection"),
    ("EventSource", "EventSource opens a connection"),
    ("sendBeacon", "navigator.sendBeacon posts data"),
    ("fetchLater", "fetchLater sends a deferred request"),
    (
        "RTCPeerConnection",
        "WebRTC connects to peers and STUN/TURN servers",
    ),
    (
        "webkitRTCPeerConnection",
        "WebRTC connects to peers and STUN/TURN servers",
    ),
    ("RTCDataChannel", "WebRTC data channels send data"),
    ("WebTransport", "WebTransport opens a connection"),
    ("Worker", "a Worker loads and runs a script"),
    ("SharedWorker", "a SharedWorker loads and runs a script"),
    ("serviceWorker", "a service worker can make any request"),
    ("importScripts", "importScripts loads scripts"),
    ("pushManager", "push subscriptions talk to a push service"),
    (
        "registerProtocolHandler",
        "protocol handlers send URLs elsewhere",
    ),
    ("backgroundFetch", "background fetch makes requests"),
    (
        "PresentationRequest",
        "presentation requests open remote displays",
    ),
    (
        "postMessage",
        "postMessage sends data to other windows, frames or workers",
    ),
    ("audioWorklet", "worklets load scripts"),
    ("paintWorklet", "worklets load scripts"),
    ("addModule", "worklets load scripts"),
];

/// Markup and code sinks: they can create any element (and so any request) from a string.
const SINKS: &[&str] = &[
    "innerHTML",
    "outerHTML",
    "insertAdjacentHTML",
    "createContextualFragment",
    "setHTMLUnsafe",
    "parseHTMLUnsafe",
    "srcdoc",
    "DOMParser",
    "eval",
    "execScript",
];

/// Elements that load or submit a URL once they are in the document and given one.
/// (`createElement` makes HTML elements: `image`, `svg` or `use` made that way are inert
/// unknown elements. A `<style>` loads only what its CSS names: every string literal, in
/// the JS and in the Wasm, is checked for `url(`, `@import` and `image-set(` instead.)
const FETCHING_TAGS: &[&str] = &[
    "script",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "link",
    "form",
    "base",
    "meta",
    "portal",
    "fencedframe",
    "video",
    "audio",
    "source",
    "track",
    "input",
];

/// Attributes (and properties) that make a request or carry a URL that will be requested.
const URL_ATTRS: &[&str] = &[
    "srcset",
    "ping",
    "action",
    "formaction",
    "formAction",
    "srcdoc",
    "background",
    "poster",
    "codebase",
    "archive",
    "data",
    "http-equiv",
    "httpEquiv",
    "xlink:href",
    "manifest",
    "lowsrc",
    "dynsrc",
    "longdesc",
    "imagesrcset",
    "attributionsrc",
    "attributionSrc",
];

/// Property names that reach the network when written through reflection.
const REFLECT_DANGER: &[&str] = &[
    "location",
    "cookie",
    "fetch",
    "sendBeacon",
    "open",
    "opener",
    "parent",
    "top",
    "XMLHttpRequest",
    "WebSocket",
    "EventSource",
    "Image",
    "Worker",
    "postMessage",
    "innerHTML",
    "outerHTML",
    "srcdoc",
    "srcset",
    "action",
    "formAction",
    "ping",
    "eval",
    "Function",
];

const GLOBAL_NAMES: &[&str] = &[
    "window",
    "self",
    "globalThis",
    "top",
    "parent",
    "frames",
    "global",
];

// ---------------------------------------------------------------------------------------

struct JsFile {
    /// Path as shown in the report.
    name: String,
    path: PathBuf,
    toks: Vec<Token>,
    /// Wasm import name → token range of its glue function (glue files only).
    entries: BTreeMap<String, (usize, usize)>,
    is_loader: bool,
}

impl JsFile {
    fn site(&self, k: usize, via: Option<&str>) -> Site {
        Site {
            file: self.name.clone(),
            line: self.toks.get(k).map_or(0, |t| t.line),
            via: via.map(String::from),
        }
    }

    fn strings(&self) -> BTreeSet<String> {
        self.toks
            .iter()
            .filter_map(|t| t.string().map(String::from))
            .collect()
    }
}

/// Names bound to the window or the document in this file (`const w = window`).
#[derive(Default)]
struct Aliases {
    window: BTreeSet<String>,
    document: BTreeSet<String>,
}

fn aliases(toks: &[Token]) -> Aliases {
    let mut a = Aliases::default();
    for n in GLOBAL_NAMES {
        a.window.insert(n.to_string());
    }
    a.document.insert("document".into());
    for k in 0..toks.len().saturating_sub(2) {
        if let (Some(name), true, Some(v)) =
            (toks[k].ident(), toks[k + 1].is("="), toks[k + 2].ident())
        {
            let end = toks.get(k + 3);
            let plain = end.is_none_or(|t| t.is(";") || t.is(",") || t.is(")"));
            if plain && GLOBAL_NAMES.contains(&v) {
                a.window.insert(name.to_string());
            }
            if plain && v == "document" {
                a.document.insert(name.to_string());
            }
            // const d = w.document
            if v != "document"
                && a.window.contains(v)
                && toks.get(k + 3).is_some_and(|t| t.is("."))
                && toks.get(k + 4).is_some_and(|t| t.is_ident("document"))
            {
                a.document.insert(name.to_string());
            }
        }
    }
    a
}

/// The glue's import object: `name: function(…) {…}` entries (wasm-bindgen ≥ 0.2.100) or
/// `imports.wbg.name = function(…) {…}` (older).
fn glue_entries(toks: &[Token]) -> BTreeMap<String, (usize, usize)> {
    let mut out = BTreeMap::new();
    for k in 0..toks.len().saturating_sub(2) {
        let Some(name) = toks[k].ident() else {
            continue;
        };
        if !(name.starts_with("__wbg_") || name.starts_with("__wbindgen_")) {
            continue;
        }
        if !(toks[k + 1].is(":") || toks[k + 1].is("=")) || !toks[k + 2].is_ident("function") {
            continue;
        }
        // The body: the first `{` after the parameter list.
        let Some(open) = (k + 3..toks.len()).find(|&j| toks[j].is("(")) else {
            continue;
        };
        let close_params = matching(toks, open);
        let Some(body) = (close_params..toks.len()).find(|&j| toks[j].is("{")) else {
            continue;
        };
        let end = matching(toks, body);
        out.insert(name.to_string(), (k, end));
    }
    out
}

/// Where a Wasm import's glue function is reached from, if the code being scanned is one.
#[derive(Clone, Copy)]
enum Mode<'a> {
    /// Code that runs when the file is loaded or called from the page.
    TopLevel,
    /// The glue function behind a Wasm import: arguments come from the Wasm.
    Import(&'a str),
}

/// Capabilities whose reach depends on names held as data.
#[derive(Default)]
struct Generic {
    create_element: Vec<Site>,
    set_attribute: Vec<Site>,
    reflect_get: Vec<Site>,
    reflect_set: Vec<Site>,
    call: Vec<Site>,
    global: Vec<Site>,
}

struct Ctx<'a> {
    file: &'a JsFile,
    funcs: Vec<js::Func>,
    /// Other shipped files, by path relative to the bundle, for import() and URL checks.
    shipped_js: &'a BTreeSet<PathBuf>,
    shipped_wasm: &'a BTreeSet<PathBuf>,
    aliases: Aliases,
}

fn is_assign(t: Option<&Token>) -> bool {
    t.is_some_and(|t| matches!(t.tok, Tok::Punct("=" | "+=" | "||=" | "??=" | "&&=")))
}

/// Resolves `./x.js` (or `x.js`) against the directory of `from`; `None` for anything that
/// is not a plain relative path (a scheme, `//host`, an absolute path).
fn resolve(from: &Path, spec: &str) -> Option<PathBuf> {
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

fn normalize(p: &Path) -> PathBuf {
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

impl Ctx<'_> {
    fn toks(&self) -> &[Token] {
        &self.file.toks
    }

    /// Every right-hand side assigned to `name` in the file (`name = …`, `const name = …`).
    fn bindings(&self, name: &str) -> Vec<std::ops::Range<usize>> {
        let t = self.toks();
        let mut out = Vec::new();
        for k in 0..t.len().saturating_sub(1) {
            if !t[k].is_ident(name) || !t[k + 1].is("=") {
                continue;
            }
            if k > 0 && (t[k - 1].is(".") || t[k - 1].is("?.")) {
                continue;
            }
            let start = k + 2;
            let mut depth = 0i32;
            let mut end = start;
            while end < t.len() {
                match t[end].tok {
                    Tok::Punct("(" | "[" | "{") => depth += 1,
                    Tok::Punct(")" | "]" | "}") => {
                        if depth == 0 {
                            break;
                        }
                        depth -= 1;
                    }
                    Tok::Punct(";" | ",") if depth == 0 => break,
                    _ => {}
                }
                end += 1;
            }
            out.push(start..end);
        }
        out
    }

    /// The string values argument `index` of the call whose `(` is at `open` can take, when
    /// every one is a literal: directly, through a `cond ? 'a' : 'b'`, through a constant, or
    /// through a parameter of a helper function whose every call passes literals.
    fn literal_values(&self, open: usize, index: usize, depth: u32) -> Option<BTreeSet<String>> {
        let t = self.toks();
        let r = call_args(t, open).get(index)?.clone();
        self.values_of(r, open, depth)
    }

    fn values_of(
        &self,
        r: std::ops::Range<usize>,
        at: usize,
        depth: u32,
    ) -> Option<BTreeSet<String>> {
        let t = self.toks();
        if depth > 4 || r.is_empty() {
            return None;
        }
        if r.len() == 1 {
            if let Some(s) = t[r.start].string() {
                return Some(BTreeSet::from([s.to_string()]));
            }
        }
        // c ? 'a' : 'b'
        if let Some(q) = (r.start..r.end).find(|&j| t[j].is("?")) {
            let colon = (q + 1..r.end).find(|&j| t[j].is(":"))?;
            let mut a = self.values_of(q + 1..colon, at, depth + 1)?;
            a.extend(self.values_of(colon + 1..r.end, at, depth + 1)?);
            return Some(a);
        }
        let name = if r.len() == 1 {
            t[r.start].ident()?
        } else {
            return None;
        };
        if let Some(v) = self.for_of_values(name, at, depth) {
            return Some(v);
        }
        // A parameter of the innermost function around `at`.
        let func = self
            .funcs
            .iter()
            .filter(|f| f.body.contains(&at))
            .min_by_key(|f| f.body.len());
        if let Some(f) = func {
            if let Some(i) = f.params.iter().position(|p| p.as_deref() == Some(name)) {
                let fname = f.name.as_deref()?;
                let mut out = BTreeSet::new();
                let mut calls = 0;
                for j in 0..t.len().saturating_sub(1) {
                    if !t[j].is_ident(fname)
                        || !t[j + 1].is("(")
                        || f.body.contains(&j) && j + 1 == f.body.start
                    {
                        continue;
                    }
                    let prev = if j > 0 { t.get(j - 1) } else { None };
                    if prev.is_some_and(|p| p.is_ident("function")) {
                        continue; // its own declaration
                    }
                    // A declaration `name(params) {` is not a call.
                    let close = matching(t, j + 1);
                    if t.get(close + 1).is_some_and(|n| n.is("{"))
                        && self.funcs.iter().any(|g| g.body.start == close + 1)
                    {
                        continue;
                    }
                    calls += 1;
                    out.extend(self.literal_values(j + 1, i, depth + 1)?);
                }
                return (calls > 0).then_some(out);
            }
        }
        // A constant bound once to literal values.
        let b = self.bindings(name);
        if b.is_empty() {
            return None;
        }
        let mut out = BTreeSet::new();
        for r in b {
            out.extend(self.values_of(r, at, depth + 1)?);
        }
        Some(out)
    }

    /// `for (const name of ['a', 'b'])` or `for (const [name, v] of [['a', x], ['b', y]])`
    /// around `at`: the literal values `name` takes.
    fn for_of_values(&self, name: &str, at: usize, depth: u32) -> Option<BTreeSet<String>> {
        let t = self.toks();
        for k in 0..at.min(t.len()) {
            if !(t[k].is_ident("for") && t.get(k + 1).is_some_and(|x| x.is("("))) {
                continue;
            }
            let close = matching(t, k + 1);
            // The loop body must contain `at`.
            let body_end = if t.get(close + 1).is_some_and(|x| x.is("{")) {
                matching(t, close + 1)
            } else {
                js::expr_end(t, close + 1)
            };
            if !(k < at && at <= body_end) {
                continue;
            }
            let mut j = k + 2;
            if t.get(j)
                .and_then(|x| x.ident())
                .is_some_and(|x| matches!(x, "const" | "let" | "var"))
            {
                j += 1;
            }
            let (pos, of_at) = if t.get(j).is_some_and(|x| x.is_ident(name)) {
                (None, j + 1)
            } else if t.get(j).is_some_and(|x| x.is("[")) {
                let end = matching(t, j);
                let names = call_args(t, j);
                let p = names
                    .iter()
                    .position(|r| r.len() == 1 && t[r.start].is_ident(name))?;
                (Some(p), end + 1)
            } else {
                continue;
            };
            if !t.get(of_at).is_some_and(|x| x.is_ident("of"))
                || !t.get(of_at + 1).is_some_and(|x| x.is("["))
            {
                return None;
            }
            let mut out = BTreeSet::new();
            for el in call_args(t, of_at + 1) {
                match pos {
                    None => out.extend(self.values_of(el, at, depth + 1)?),
                    Some(p) => {
                        if !t[el.start].is("[") {
                            return None;
                        }
                        let inner = call_args(t, el.start);
                        out.extend(self.values_of(inner.get(p)?.clone(), at, depth + 1)?);
                    }
                }
            }
            return Some(out);
        }
        None
    }

    /// What a URL expression points at, if it is one the bundle may fetch.
    fn url_kind(
        &self,
        r: std::ops::Range<usize>,
        depth: u32,
    ) -> std::result::Result<(ChannelKind, String), String> {
        let t = self.toks();
        let mut r = r;
        // `await x` / `(x)`
        while r.start < r.end
            && (t[r.start].is_ident("await")
                || (t[r.start].is("(") && matching(t, r.start) + 1 == r.end))
        {
            if t[r.start].is("(") {
                r = r.start + 1..r.end - 1;
            } else {
                r.start += 1;
            }
        }
        let text = js::text(&t[r.clone()]);
        if r.is_empty() {
            return Err("no URL".into());
        }
        // new URL(A, B)
        if t[r.start].is_ident("new")
            && t.get(r.start + 1).is_some_and(|x| x.is_ident("URL"))
            && t.get(r.start + 2).is_some_and(|x| x.is("("))
        {
            let args = call_args(t, r.start + 2);
            let a = args.first().map(|a| &t[a.clone()]).unwrap_or(&[]);
            let b = args
                .get(1)
                .map(|b| js::text(&t[b.clone()]))
                .unwrap_or_default();
            if b == "import.meta.url" && a.len() == 1 {
                if let Some(spec) = a[0].string() {
                    return match resolve(&self.file.path, spec) {
                        Some(p) if self.shipped_wasm.contains(&p) => {
                            Ok((ChannelKind::OwnWasm, spec.to_string()))
                        }
                        Some(p) if self.shipped_js.contains(&p) => {
                            Ok((ChannelKind::OwnModule, spec.to_string()))
                        }
                        _ => Err(format!("{text}: not a file of this bundle")),
                    };
                }
            }
            let a_text = js::text(a);
            let from_model_attr = a_text.ends_with(".model")
                || a_text.ends_with("dataset.model")
                || a_text.contains("getAttribute('data-model')");
            if self.file.is_loader && from_model_attr {
                return Ok((
                    ChannelKind::Model,
                    format!("{a_text} (the script tag's data-model attribute)"),
                ));
            }
            return Err(text);
        }
        // An identifier: every value bound to it must be an allowed URL.
        if r.len() == 1 {
            if let Some(name) = t[r.start].ident() {
                if depth > 3 {
                    return Err(text);
                }
                let mut found = None;
                for b in self.bindings(name) {
                    let rhs = js::text(&t[b.clone()]);
                    // The wasm-bindgen init reassigns its parameter to the fetch itself.
                    if rhs.starts_with("fetch(") || rhs == name || rhs == format!("await {name}") {
                        continue;
                    }
                    match self.url_kind(b, depth + 1) {
                        Ok(k) => {
                            found.get_or_insert(k);
                        }
                        Err(e) => return Err(format!("{name} = {e}")),
                    }
                }
                return found.ok_or_else(|| format!("{name}: no URL the audit can trace"));
            }
            if let Some(s) = t[r.start].string() {
                return match resolve(&self.file.path, s) {
                    Some(p) if self.shipped_wasm.contains(&p) => {
                        Ok((ChannelKind::OwnWasm, s.to_string()))
                    }
                    _ => Err(format!("'{s}'")),
                };
            }
        }
        Err(text)
    }

    fn scan(
        &self,
        range: std::ops::Range<usize>,
        mode: Mode,
        report: &mut Report,
        generic: &mut Generic,
    ) {
        let t = self.toks();
        let via = match mode {
            Mode::TopLevel => None,
            Mode::Import(n) => Some(n),
        };
        let site = |k: usize| self.file.site(k, via);
        let mut listed_any = false;
        let strings = self.file.strings();
        let mut k = range.start;
        while k < range.end.min(t.len()) {
            let tok = &t[k];
            let prev = if k > 0 { t.get(k - 1) } else { None };
            let next = t.get(k + 1);
            let member = prev.is_some_and(|p| p.is(".") || p.is("?."));
            let obj = if member && k >= 2 {
                t[k - 2].ident()
            } else {
                None
            };

            // obj[expr] on a global: anything could be reached.
            if tok.is("[")
                && prev.and_then(|p| p.ident()).is_some_and(|o| {
                    self.aliases.window.contains(o)
                        || self.aliases.document.contains(o)
                        || o == "navigator"
                })
            {
                let close = matching(t, k);
                let keys = if close > k + 1 {
                    self.values_of(k + 1..close, k, 0)
                } else {
                    None
                };
                if close == k + 2 && t[k + 1].string().is_some() {
                    // window['name']: judged as the name below.
                } else if let Some(keys) = keys.filter(|ks| ks.iter().all(|n| harmless_global(n))) {
                    for n in keys {
                        if let Some((group, display)) = catalogue(&n, None) {
                            report.add_use(group, display, &site(k));
                        }
                    }
                } else if close > k + 1 {
                    report.violate(
                        "computed property of a global",
                        &site(k),
                        format!(
                            "{}[{}] can reach any browser API",
                            prev.and_then(|p| p.ident()).unwrap_or("?"),
                            js::text(&t[k + 1..close])
                        ),
                    );
                }
            }

            let (name, member, obj) = match (&tok.tok, prev, next) {
                (Tok::Ident(n), _, _) => (n.as_str(), member, obj),
                // window['fetch'] is window.fetch
                (Tok::Str(s), Some(p), Some(n)) if p.is("[") && n.is("]") => (
                    s.as_str(),
                    true,
                    if k >= 2 { t[k - 2].ident() } else { None },
                ),
                _ => {
                    k += 1;
                    continue;
                }
            };
            let call = next.is_some_and(|n| n.is("(")) && tok.ident().is_some();
            let after_new = prev.is_some_and(|p| p.is_ident("new"));

            if let Some((group, display)) = catalogue(name, obj) {
                if name != "fetch" {
                    report.add_use(group, display, &site(k));
                }
                listed_any = true;
            }

            if let Some((_, why)) = NETWORK.iter().find(|(n, _)| *n == name) {
                report.violate(name, &site(k), *why);
            } else if SINKS.contains(&name) {
                report.violate(
                    name,
                    &site(k),
                    "a markup or code sink can create any element, and so any request",
                );
            } else {
                match name {
                    "Function" if call || after_new => {
                        report.violate("Function constructor", &site(k), "runs code from a string")
                    }
                    "Image" | "Audio" if after_new => report.violate(
                        &format!("new {name}()"),
                        &site(k),
                        "a detached media element requests its src at once (a tracking pixel)",
                    ),
                    "open"
                        if call
                            && (!member
                                || obj.is_some_and(|o| {
                                    self.aliases.window.contains(o)
                                        || self.aliases.document.contains(o)
                                })) =>
                    {
                        report.violate("window.open", &site(k), "opens a URL in another window")
                    }
                    "write" | "writeln"
                        if member && obj.is_some_and(|o| self.aliases.document.contains(o)) =>
                    {
                        report.violate(
                            "document.write",
                            &site(k),
                            "a markup sink can create any element",
                        )
                    }
                    "location" => self.location(k, report, &site(k)),
                    "submit" | "requestSubmit" if member && call => report.violate(
                        &format!("form.{name}"),
                        &site(k),
                        "submits a form to its action URL",
                    ),
                    "cookie" if is_assign(next) => report.violate(
                        "document.cookie (write)",
                        &site(k),
                        "cookies are sent to the server with every request",
                    ),
                    "setTimeout" | "setInterval"
                        if call && t.get(k + 2).is_some_and(|a| a.string().is_some()) =>
                    {
                        report.violate(name, &site(k), "a string timer is eval")
                    }
                    "src" | "href" if member && is_assign(next) => {
                        if obj.is_some_and(|o| o == "location" || self.aliases.window.contains(o)) {
                            report.violate("location.href (write)", &site(k), "navigates to a URL");
                        } else if name == "src" {
                            report.channel(
                                ChannelKind::CatalogImage,
                                &site(k),
                                "element.src set by the bundle",
                            );
                        } else {
                            report.channel(
                                ChannelKind::Link,
                                &site(k),
                                "element.href set by the bundle",
                            );
                        }
                    }
                    n if member && is_assign(next) && URL_ATTRS.contains(&n) && n != "data" => {
                        report.violate(
                            &format!(".{n} ="),
                            &site(k),
                            "sets a URL the browser will request",
                        )
                    }
                    "setAttribute" | "setAttributeNS" if call => {
                        self.set_attribute(k, mode, report, generic, &strings)
                    }
                    "createElement" | "createElementNS" if call => {
                        self.create_element(k, mode, report, generic, &strings)
                    }
                    "fetch" => self.fetch(k, mode, report),
                    "import" if next.is_some_and(|n| n.is("(")) => {
                        self.dynamic_import(k, mode, report)
                    }
                    "import" | "export" if !member => self.static_import(k, report),
                    "get" | "set" | "apply" | "construct" | "defineProperty"
                        if member && obj == Some("Reflect") =>
                    {
                        match (mode, name) {
                            (Mode::Import(_), "get") => generic.reflect_get.push(site(k)),
                            (Mode::Import(_), "set" | "defineProperty") => {
                                generic.reflect_set.push(site(k))
                            }
                            (Mode::Import(_), _) => generic.call.push(site(k)),
                            (Mode::TopLevel, _) => {
                                let args = call_args(t, k + 1);
                                let key = args.get(1).and_then(|a| {
                                    (a.len() == 1).then(|| t[a.start].string()).flatten()
                                });
                                match key {
                                    Some(key) if !REFLECT_DANGER.contains(&key) => {}
                                    _ => report.violate(
                                        &format!("Reflect.{name}"),
                                        &site(k),
                                        "reflective access with a key the audit cannot vet",
                                    ),
                                }
                            }
                        }
                    }
                    "call" | "apply"
                        if member
                            && call
                            && matches!(mode, Mode::Import(_))
                            && obj.is_some_and(|o| o.starts_with("arg")) =>
                    {
                        generic.call.push(site(k))
                    }
                    n if GLOBAL_NAMES.contains(&n)
                        && !member
                        && matches!(mode, Mode::Import(_)) =>
                    {
                        generic.global.push(site(k))
                    }
                    _ => {}
                }
            }
            // Storage keys
            if matches!(name, "getItem" | "setItem" | "removeItem") && call {
                let area = match obj {
                    Some("sessionStorage") => "sessionStorage",
                    _ => "localStorage",
                };
                if let Some(a) = call_args(t, k + 1).first() {
                    self.storage_key(a.clone(), area, &site(k), report);
                }
            }
            k += 1;
        }
        if let Mode::Import(name) = mode {
            if !listed_any {
                let short = wasm::short_name(name);
                report.add_use(
                    Group::Other,
                    &format!("{short} (plain JS, no browser API)"),
                    &site(range.start),
                );
            }
        }
    }

    fn location(&self, k: usize, report: &mut Report, site: &Site) {
        let t = self.toks();
        let next = t.get(k + 1);
        if is_assign(next) {
            report.violate("location (write)", site, "navigates to a URL");
            return;
        }
        if next.is_some_and(|n| n.is(".")) {
            let m = t.get(k + 2).and_then(|x| x.ident()).unwrap_or("");
            let writes = matches!(
                m,
                "href" | "pathname" | "search" | "hash" | "host" | "hostname" | "port" | "protocol"
            ) && is_assign(t.get(k + 3));
            if writes || matches!(m, "assign" | "replace") {
                report.violate(&format!("location.{m}"), site, "navigates to a URL");
            }
        }
    }

    fn storage_key(
        &self,
        arg: std::ops::Range<usize>,
        area: &str,
        site: &Site,
        report: &mut Report,
    ) {
        let t = self.toks();
        let key = if arg.len() == 1 {
            if let Some(s) = t[arg.start].string() {
                Some(s.to_string())
            } else if let Some(name) = t[arg.start].ident() {
                let b = self.bindings(name);
                match b.as_slice() {
                    [one] if one.len() == 1 => t[one.start].string().map(String::from),
                    _ => None,
                }
            } else {
                None
            }
        } else {
            None
        };
        let key = key.unwrap_or_else(|| format!("(computed: {})", js::text(&t[arg])));
        report.storage_keys.insert(StorageKey {
            key,
            area: area.into(),
            site: site.clone(),
        });
    }

    fn set_attribute(
        &self,
        k: usize,
        mode: Mode,
        report: &mut Report,
        generic: &mut Generic,
        strings: &BTreeSet<String>,
    ) {
        let t = self.toks();
        let site = self.file.site(
            k,
            match mode {
                Mode::Import(n) => Some(n),
                _ => None,
            },
        );
        let names = match mode {
            Mode::TopLevel => self.literal_values(k + 1, 0, 0),
            Mode::Import(_) => {
                let args = call_args(t, k + 1);
                args.first()
                    .and_then(|a| (a.len() == 1).then(|| t[a.start].string()).flatten())
                    .map(|s| BTreeSet::from([s.to_string()]))
            }
        };
        match names {
            Some(names) => {
                for n in names {
                    check_attr(&n, &site, report);
                }
            }
            None => match mode {
                Mode::Import(_) => generic.set_attribute.push(site),
                Mode::TopLevel => {
                    // Judged by every string literal of the file, as for the Wasm.
                    for s in strings {
                        if is_danger_attr(s) {
                            report.violate(
                                &format!("setAttribute({s:?}, …)"),
                                &site,
                                "an attribute name from data, and the file holds this name",
                            );
                        }
                    }
                }
            },
        }
    }

    fn create_element(
        &self,
        k: usize,
        mode: Mode,
        report: &mut Report,
        generic: &mut Generic,
        strings: &BTreeSet<String>,
    ) {
        let t = self.toks();
        let site = self.file.site(
            k,
            match mode {
                Mode::Import(n) => Some(n),
                _ => None,
            },
        );
        // createElementNS(ns, name): the name is the second argument.
        let at = if t[k].is_ident("createElementNS") {
            1
        } else {
            0
        };
        let tags = match mode {
            Mode::TopLevel => self.literal_values(k + 1, at, 0),
            Mode::Import(_) => {
                let args = call_args(t, k + 1);
                args.get(at)
                    .and_then(|a| (a.len() == 1).then(|| t[a.start].string()).flatten())
                    .map(|s| BTreeSet::from([s.to_string()]))
            }
        };
        match tags {
            Some(tags) => {
                for tag in tags {
                    check_tag(&tag, &site, report);
                }
            }
            None => match mode {
                Mode::Import(_) => generic.create_element.push(site),
                Mode::TopLevel => {
                    for s in strings {
                        let l = s.to_ascii_lowercase();
                        if FETCHING_TAGS.contains(&l.as_str()) {
                            report.violate(
                                &format!("createElement({s:?})"),
                                &site,
                                "an element name from data, and the file holds this name",
                            );
                        } else if l == "img" {
                            report.channel(
                                ChannelKind::CatalogImage,
                                &site,
                                "createElement(name) and the file names img",
                            );
                        }
                    }
                }
            },
        }
    }

    fn fetch(&self, k: usize, mode: Mode, report: &mut Report) {
        let t = self.toks();
        let site = self.file.site(
            k,
            match mode {
                Mode::Import(n) => Some(n),
                _ => None,
            },
        );
        report.add_use(Group::Network, "fetch", &site);
        if let Mode::Import(_) = mode {
            report.violate("fetch", &site, "the Wasm can call fetch with any URL");
            return;
        }
        let prev = if k > 0 { t.get(k - 1) } else { None };
        if prev.is_some_and(|p| p.is(".") || p.is("?.")) {
            let obj = if k >= 2 { t[k - 2].ident() } else { None };
            if !obj.is_some_and(|o| self.aliases.window.contains(o)) {
                // Some object's own `fetch` method: not the global one.
                return;
            }
        }
        if !t.get(k + 1).is_some_and(|n| n.is("(")) {
            report.violate(
                "fetch",
                &site,
                "fetch is taken as a value (aliased), so its URLs cannot be checked",
            );
            return;
        }
        let args = call_args(t, k + 1);
        let Some(url) = args.first() else {
            report.violate("fetch", &site, "fetch without a URL");
            return;
        };
        let integrity = args
            .get(1)
            .is_some_and(|o| t[o.clone()].iter().any(|x| x.is_ident("integrity")));
        let method = args.get(1).is_some_and(|o| {
            t[o.clone()]
                .iter()
                .any(|x| x.is_ident("method") || x.is_ident("body"))
        });
        match self.url_kind(url.clone(), 0) {
            Ok((kind @ (ChannelKind::Model | ChannelKind::OwnWasm), detail)) if !method => {
                report.integrity.push((kind, site.clone(), integrity));
                report.channel(kind, &site, detail);
            }
            Ok((_, detail)) if method => report.violate(
                "fetch",
                &site,
                format!("{detail}: fetch with a method or body"),
            ),
            Ok((_, detail)) => report.violate(
                "fetch",
                &site,
                format!("fetch({detail}): not the model or the own .wasm"),
            ),
            Err(e) => report.violate(
                "fetch",
                &site,
                format!("fetch({e}): not the model or the own .wasm"),
            ),
        }
    }

    fn dynamic_import(&self, k: usize, mode: Mode, report: &mut Report) {
        let t = self.toks();
        let site = self.file.site(
            k,
            match mode {
                Mode::Import(n) => Some(n),
                _ => None,
            },
        );
        let args = call_args(t, k + 1);
        let spec = args
            .first()
            .and_then(|a| (a.len() == 1).then(|| t[a.start].string()).flatten());
        report.add_use(Group::Network, "import()", &site);
        match (mode, spec) {
            (Mode::TopLevel, Some(spec)) => match resolve(&self.file.path, spec) {
                Some(p) if self.shipped_js.contains(&p) => {
                    report.channel(ChannelKind::OwnModule, &site, format!("import('{spec}')"))
                }
                _ => report.violate(
                    "import()",
                    &site,
                    format!("import('{spec}'): not a file of this bundle"),
                ),
            },
            _ => report.violate(
                "import()",
                &site,
                format!(
                    "dynamic import of {}",
                    args.first()
                        .map(|a| js::text(&t[a.clone()]))
                        .unwrap_or_default()
                ),
            ),
        }
    }

    /// `import … from 'x'`, `import 'x'`, `export … from 'x'`: module specifiers must be
    /// files of the bundle.
    fn static_import(&self, k: usize, report: &mut Report) {
        let t = self.toks();
        if t.get(k + 1).is_some_and(|n| n.is(".") || n.is("(")) {
            return;
        }
        // The specifier is the first string after `from`, or right after `import`.
        let mut j = k + 1;
        let spec = loop {
            match t.get(j) {
                Some(x) if x.is(";") => break None,
                Some(x) if x.is_ident("from") => break t.get(j + 1).and_then(|s| s.string()),
                Some(x) if j == k + 1 && x.string().is_some() => break x.string(),
                Some(x) if x.is("{") => j = matching(t, j) + 1,
                Some(_) if j > k + 8 => break None,
                Some(_) => j += 1,
                None => break None,
            }
        };
        if let Some(spec) = spec {
            let site = self.file.site(k, None);
            match resolve(&self.file.path, spec) {
                Some(p) if self.shipped_js.contains(&p) => report.channel(
                    ChannelKind::OwnModule,
                    &site,
                    format!("import from '{spec}'"),
                ),
                _ => report.violate(
                    "import",
                    &site,
                    format!("module '{spec}' is not a file of this bundle"),
                ),
            }
        }
    }
}

/// The attributes (or properties) without which an element from FETCHING_TAGS requests
/// nothing; empty = it is dangerous by itself.
fn fetch_attributes(tag: &str) -> &'static [&'static str] {
    match tag {
        "script" | "embed" | "track" => &["src"],
        "iframe" | "frame" => &["src", "srcdoc"],
        "object" => &["data"],
        "applet" => &["code", "archive", "codebase"],
        "link" => &["rel", "relList"],
        "form" => &["action", "formaction"],
        "base" => &["href"],
        "meta" => &["http-equiv", "httpEquiv"],
        "portal" | "fencedframe" => &["src", "config"],
        "video" | "audio" => &["src", "poster"],
        "source" => &["src", "srcset"],
        "input" => &["src", "formaction", "formAction"],
        _ => &[],
    }
}

/// A global property that reaching by a computed key is fine: storage areas and other
/// names with no network reach.
fn harmless_global(name: &str) -> bool {
    matches!(
        name,
        "localStorage" | "sessionStorage" | "dataLayer" | "attune" | "console" | "JSON" | "Intl"
    )
}

/// String specifiers of `import(…)`, `import … from '…'`, `import '…'`, `export … from '…'`.
fn import_specifiers(t: &[Token]) -> Vec<String> {
    let mut out = Vec::new();
    for k in 0..t.len() {
        let s = if t[k].is_ident("import") && t.get(k + 1).is_some_and(|n| n.is("(")) {
            t.get(k + 2)
                .and_then(|x| x.string())
                .filter(|_| t.get(k + 3).is_some_and(|n| n.is(")") || n.is(",")))
        } else if t[k].is_ident("from")
            || (t[k].is_ident("import") && t.get(k + 1).is_some_and(|n| n.string().is_some()))
        {
            t.get(k + 1).and_then(|x| x.string())
        } else {
            None
        };
        if let Some(s) = s {
            out.push(s.to_string());
        }
    }
    out
}

fn is_danger_attr(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    URL_ATTRS.iter().any(|a| a.eq_ignore_ascii_case(&l))
        || (l.starts_with("on") && l.len() > 2 && l.chars().all(|c| c.is_ascii_lowercase()))
}

fn check_attr(name: &str, site: &Site, report: &mut Report) {
    let l = name.to_ascii_lowercase();
    if is_danger_attr(&l) {
        report.violate(
            &format!("setAttribute('{name}')"),
            site,
            "an attribute that requests a URL or runs code",
        );
    } else if l == "src" {
        report.channel(ChannelKind::CatalogImage, site, "setAttribute('src')");
    } else if l == "href" {
        report.channel(ChannelKind::Link, site, "setAttribute('href')");
    }
}

fn check_tag(tag: &str, site: &Site, report: &mut Report) {
    let l = tag.to_ascii_lowercase();
    if FETCHING_TAGS.contains(&l.as_str()) {
        report.violate(
            &format!("createElement('{tag}')"),
            site,
            "an element that loads or submits a URL",
        );
    } else if l == "img" {
        report.channel(ChannelKind::CatalogImage, site, "createElement('img')");
    }
}

// ---------------------------------------------------------------------------------------

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

fn display_path(p: &Path) -> String {
    normalize(p).to_string_lossy().replace('\\', "/")
}

/// Audits the bundle: the loader, every `.js` and `.wasm` in `pkg`, and the models.
pub fn audit(loader: &Path, pkg: &Path, models: &[PathBuf]) -> Result<Report> {
    let mut report = Report::default();
    let read = |p: &Path| std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()));

    let mut entries: Vec<PathBuf> = std::fs::read_dir(pkg)
        .with_context(|| format!("{}: cannot read the bundle directory", pkg.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (n.ends_with(".js") || n.ends_with(".mjs") || n.ends_with(".wasm"))
                && !n.ends_with(".d.ts")
        })
        .collect();
    entries.sort();
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

    // Hash and lex.
    let mut js_files = Vec::new();
    let loader_bytes = read(loader)?;
    let loader_dir = loader_at
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    report.files.push(shipped(
        loader,
        relative_url(&loader_dir, &loader_at),
        "loader",
        &loader_bytes,
    ));
    let mut sources = vec![(loader.to_path_buf(), loader_bytes, true)];
    for p in &entries {
        let bytes = read(p)?;
        let role = if shipped_wasm.contains(&normalize(p)) {
            "wasm"
        } else {
            "glue"
        };
        report.files.push(shipped(
            p,
            relative_url(&loader_dir, &normalize(p)),
            role,
            &bytes,
        ));
        if role == "glue" {
            sources.push((p.clone(), bytes, false));
        }
    }
    // (real path, bytes, is the loader, where it sits when deployed)
    let mut queue: Vec<(PathBuf, Vec<u8>, bool, PathBuf)> = sources
        .into_iter()
        .map(|(path, bytes, is_loader)| {
            let at = if is_loader {
                loader_at.clone()
            } else {
                normalize(&path)
            };
            (path, bytes, is_loader, at)
        })
        .collect();
    // The bundle is the loader, the glue and every module they import: a relative import
    // of a file that exists beside the importing file joins the bundle and is audited too.
    while let Some((path, bytes, is_loader, at)) = queue.pop() {
        let text = String::from_utf8_lossy(&bytes);
        let toks = js::lex(&text);
        for spec in import_specifiers(&toks) {
            let (Some(virt), Some(real)) = (resolve(&at, &spec), resolve(&normalize(&path), &spec))
            else {
                continue;
            };
            if shipped_js.contains(&virt) || !real.is_file() || js_files.len() + queue.len() > 64 {
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
            queue.push((real, bytes, false, virt));
        }
        let entries = if is_loader {
            BTreeMap::new()
        } else {
            glue_entries(&toks)
        };
        js_files.push(JsFile {
            name: display_path(&path),
            path: at,
            toks,
            entries,
            is_loader,
        });
    }

    // Every JS file's top level (outside the glue functions only Wasm imports reach).
    let mut generic = Generic::default();
    for f in &js_files {
        let ctx = Ctx {
            file: f,
            funcs: js::functions(&f.toks),
            shipped_js: &shipped_js,
            shipped_wasm: &shipped_wasm,
            aliases: aliases(&f.toks),
        };
        let mut start = 0;
        let mut ranges = Vec::new();
        for &(s, e) in f.entries.values().collect::<BTreeSet<_>>() {
            if s > start {
                ranges.push(start..s);
            }
            start = start.max(e + 1);
        }
        ranges.push(start..f.toks.len());
        for r in ranges {
            ctx.scan(r, Mode::TopLevel, &mut report, &mut generic);
        }
    }

    // Each Wasm module: its imports, through the glue.
    let mut literals = BTreeSet::new();
    let mut data = Vec::new();
    let mut wasm_storage = false;
    for w in &wasm_files {
        let bytes = read(w)?;
        let facts = wasm::read(&bytes).with_context(|| format!("{}: cannot audit", w.display()))?;
        let stem = w.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let glue_stem = stem.strip_suffix("_bg").unwrap_or(stem);
        let glue = js_files
            .iter()
            .find(|f| {
                !f.is_loader
                    && f.path.file_stem().and_then(|s| s.to_str()) == Some(glue_stem)
                    && !f.entries.is_empty()
            })
            .or_else(|| js_files.iter().find(|f| !f.entries.is_empty()));
        let mut summary = WasmSummary {
            file: display_path(w),
            literals: facts.literals.len(),
            ..WasmSummary::default()
        };
        for imp in &facts.imports {
            let mut maps_to = String::new();
            let glue_module = imp.module.starts_with("./") && imp.module.ends_with("_bg.js")
                || imp.module == "wbg"
                || imp.module == "__wbindgen_placeholder__";
            let site = Site {
                file: display_path(w),
                line: 0,
                via: Some(imp.name.clone()),
            };
            if imp.kind != "func" {
                maps_to = format!("({} import)", imp.kind);
            } else if !glue_module {
                report.violate(&format!("{}::{}", imp.module, imp.name), &site, "a Wasm import from outside the bundle's glue: the page must supply it, so it can be anything");
            } else if let Some(g) = glue {
                match g.entries.get(&imp.name) {
                    Some(&(s, e)) => {
                        let ctx = Ctx {
                            file: g,
                            funcs: Vec::new(),
                            shipped_js: &shipped_js,
                            shipped_wasm: &shipped_wasm,
                            aliases: aliases(&g.toks),
                        };
                        let before: BTreeSet<_> = report.apis.keys().cloned().collect();
                        ctx.scan(s..e + 1, Mode::Import(&imp.name), &mut report, &mut generic);
                        let added: Vec<String> = report
                            .apis
                            .iter()
                            .filter(|(key, sites)| {
                                !before.contains(key)
                                    || sites.iter().any(|x| x.via.as_deref() == Some(&imp.name))
                            })
                            .map(|((_, api), _)| api.clone())
                            .collect();
                        maps_to = added.join(", ");
                        if added
                            .iter()
                            .any(|a| a.starts_with("Storage.") || a.contains("localStorage"))
                        {
                            wasm_storage = true;
                        }
                        maps_to = format!(
                            "{maps_to}  [{}:{}]",
                            g.name,
                            g.toks.get(s).map_or(0, |t| t.line)
                        );
                    }
                    None => report.violate(
                        &imp.name,
                        &site,
                        "a Wasm import the glue does not define: what it does cannot be read",
                    ),
                }
            } else {
                report.violate(
                    &imp.name,
                    &site,
                    "no wasm-bindgen glue found to read this import from",
                );
            }
            summary
                .imports
                .push((imp.module.clone(), imp.name.clone(), maps_to));
        }
        summary.exports = facts
            .exports
            .iter()
            .map(|(n, k)| (n.clone(), k.to_string()))
            .collect();
        literals.extend(facts.literals.iter().cloned());
        data.extend_from_slice(&facts.data);
        report.wasm.push(summary);
    }

    // Generic capabilities, judged by the Wasm's literals.
    let first = |v: &Vec<Site>| v.first().cloned();
    if let Some(site) = first(&generic.create_element) {
        // An element made from a name the Wasm holds loads something only if the Wasm can
        // also give it the attribute that makes it load (a <link> without `rel` is inert),
        // through a name-generic setAttribute or property write.
        let can_set = !generic.set_attribute.is_empty() || !generic.reflect_set.is_empty();
        for l in &literals {
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
        for l in &literals {
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
        for l in &literals {
            if REFLECT_DANGER.contains(&l.as_str()) {
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
    for needle in ["url(", "@import", "image-set("] {
        if data
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
        {
            let site = Site {
                file: report
                    .wasm
                    .first()
                    .map(|w| w.file.clone())
                    .unwrap_or_default(),
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
    for f in &js_files {
        for (k, tk) in f.toks.iter().enumerate() {
            if let Some(s) = tk.string() {
                for needle in ["url(", "@import", "image-set("] {
                    if s.to_ascii_lowercase().contains(needle) {
                        report.violate(
                            &format!("CSS {needle}"),
                            &f.site(k, None),
                            "a stylesheet string can load a URL",
                        );
                    }
                }
            }
        }
    }
    // Storage keys in the Wasm: literals in Attune's namespace.
    if wasm_storage {
        for l in &literals {
            if l.starts_with("attune:")
                && l.len() > 7
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ":._-".contains(c))
            {
                report.storage_keys.insert(StorageKey {
                    key: l.clone(),
                    area: "localStorage".into(),
                    site: Site {
                        file: report
                            .wasm
                            .first()
                            .map(|w| w.file.clone())
                            .unwrap_or_default(),
                        line: 0,
                        via: None,
                    },
                });
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

    let images = report
        .channels
        .iter()
        .any(|c| c.kind == ChannelKind::CatalogImage);
    let no_referrer = js_files
        .iter()
        .any(|f| f.toks.iter().any(|t| t.string() == Some("no-referrer")));
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
    report.url_prefix = "/attune/".into();
    report
        .violations
        .sort_by(|a, b| (&a.site, &a.api).cmp(&(&b.site, &b.api)));
    report
        .channels
        .sort_by(|a, b| (a.kind, &a.site).cmp(&(b.kind, &b.site)));
    Ok(report)
}

// ---------------------------------------------------------------------------------------
// Reports

fn url_path(p: &Path) -> String {
    let s = display_path(p);
    s.trim_start_matches("./").to_string()
}

/// How a page pins the bundle: an import map with `integrity` for every script, the CSP
/// source that allows that inline import map, and the loader tag with the hashes.
#[derive(Clone, Debug)]
pub struct PageSnippet {
    pub importmap: String,
    pub csp_hash: String,
    pub html: String,
}

impl Report {
    /// The pinning snippet for a page serving the bundle under `url_prefix`.
    // Import-map integrity, not `<link rel=modulepreload integrity>`: in Chromium a failed
    // modulepreload does not stop a later import() from fetching the file again unchecked
    // (tests/e2e/privacy-integrity.test.mjs shows both).
    pub fn page(&self) -> Option<PageSnippet> {
        let loader = self.files.iter().find(|f| f.role == "loader")?;
        let wasm = self.files.iter().find(|f| f.role == "wasm")?;
        let model = self.files.iter().find(|f| f.role == "model");
        let prefix = if self.url_prefix.ends_with('/') {
            self.url_prefix.clone()
        } else {
            format!("{}/", self.url_prefix)
        };
        let mut scripts = serde_json::Map::new();
        for f in self
            .files
            .iter()
            .filter(|f| matches!(f.role, "loader" | "glue" | "module"))
        {
            scripts.insert(format!("{prefix}{}", f.url), Value::String(f.sri.clone()));
        }
        let importmap = json!({ "integrity": scripts }).to_string();
        let csp_hash = format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(importmap.as_bytes()))
        );
        let model_url = model
            .and_then(|m| m.path.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("model.bin");
        let html = format!(
            "<script type=\"importmap\">{importmap}</script>\n<script type=\"module\" src=\"{prefix}{}\" integrity=\"{}\"\n        data-model=\"{prefix}{model_url}\" data-model-integrity=\"{}\"\n        data-wasm-integrity=\"{}\"></script>",
            loader.url,
            loader.sri,
            model.map_or("sha384-… (attune audit --model FILE)", |m| m.sri.as_str()),
            wasm.sri
        );
        Some(PageSnippet {
            importmap,
            csp_hash,
            html,
        })
    }

    pub fn to_json(&self) -> Value {
        let site = |s: &Site| json!({"file": s.file, "line": s.line, "via_wasm_import": s.via});
        let mut groups = serde_json::Map::new();
        for ((g, api), sites) in &self.apis {
            let entry = groups.entry(g.name()).or_insert_with(|| json!([]));
            if let Value::Array(a) = entry {
                a.push(json!({"api": api, "sites": sites.iter().map(site).collect::<Vec<_>>()}));
            }
        }
        json!({
            "tool": format!("attune audit {}", env!("CARGO_PKG_VERSION")),
            "passed": self.passed(),
            "files": self.files.iter().map(|f| json!({
                "path": display_path(&f.path), "url": f.url, "role": f.role, "bytes": f.bytes, "gzip": f.gzip,
                "sha256": f.sha256, "sri": f.sri,
            })).collect::<Vec<_>>(),
            "violations": self.violations.iter().map(|v| json!({"api": v.api, "why": v.why, "site": site(&v.site)})).collect::<Vec<_>>(),
            "network_channels": self.channels.iter().map(|c| json!({"kind": c.kind.name(), "detail": c.detail, "site": site(&c.site)})).collect::<Vec<_>>(),
            "integrity_checked": self.integrity.iter().map(|(k, s, ok)| json!({"fetch": k.name(), "site": site(s), "integrity": ok})).collect::<Vec<_>>(),
            "apis": groups,
            "storage_keys": self.storage_keys.iter().map(|k| json!({"key": k.key, "area": k.area, "site": site(&k.site)})).collect::<Vec<_>>(),
            "wasm": self.wasm.iter().map(|w| json!({
                "file": w.file,
                "imports": w.imports.iter().map(|(m, n, to)| json!({"module": m, "name": n, "maps_to": to})).collect::<Vec<_>>(),
                "exports": w.exports.iter().map(|(n, k)| json!({"name": n, "kind": k})).collect::<Vec<_>>(),
                "string_literals": w.literals,
            })).collect::<Vec<_>>(),
            "models": self.models.iter().map(|m| json!({
                "path": display_path(&m.path), "items": m.items, "error": m.error,
                "image_hosts": m.image_hosts, "link_hosts": m.link_hosts,
            })).collect::<Vec<_>>(),
            "page": self.page().map(|p| json!({"importmap": p.importmap, "csp_script_source": format!("'{}'", p.csp_hash), "html": p.html})),
            "notes": self.notes,
        })
    }

    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Attune privacy audit\n");
        let _ = writeln!(s, "Generated by `attune audit` {}. Reproduce with `cargo run --release --bin attune -- audit` (docs/privacy.md).\n", env!("CARGO_PKG_VERSION"));
        if self.passed() {
            let _ = writeln!(s, "**Result: PASS.** No network-capable API is reachable beyond the channels listed below.\n");
        } else {
            let _ = writeln!(
                s,
                "**Result: FAIL.** {} network-capable use(s) outside the allowed channels:\n",
                self.violations.len()
            );
            let _ = writeln!(s, "| API | where | why |\n|---|---|---|");
            for v in &self.violations {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | {} |",
                    v.api.replace('|', "\\|"),
                    v.site,
                    v.why.replace('|', "\\|")
                );
            }
            s.push('\n');
        }
        let _ = writeln!(s, "## Shipped files\n\n| file | role | bytes | gzip | SHA-256 | SRI |\n|---|---|---:|---:|---|---|");
        for f in &self.files {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} | `{}` | `{}` |",
                display_path(&f.path),
                f.role,
                f.bytes,
                f.gzip,
                f.sha256,
                f.sri
            );
        }
        if let Some(p) = self.page() {
            let _ = writeln!(
                s,
                "\nPinning the bundle in a page (docs/privacy.md, section 5). The import map pins every \
                 script the page loads for Attune (allow it in the CSP with `script-src … '{}'`); the \
                 loader checks the `.wasm` and the model against the `data-*-integrity` values:\n\n```html\n{}\n```",
                p.csp_hash, p.html
            );
        }
        let _ = writeln!(s, "\n## Network\n\nEvery request the bundle can make, and why it is allowed:\n\n| channel | where | what |\n|---|---|---|");
        for c in &self.channels {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                c.kind.name(),
                c.site,
                c.detail.replace('|', "\\|")
            );
        }
        if !self.integrity.is_empty() {
            let _ = writeln!(
                s,
                "\nIntegrity (SRI) passed to each fetch of the model or the .wasm:\n"
            );
            for (k, site, ok) in &self.integrity {
                let _ = writeln!(
                    s,
                    "- {} at {}: {}",
                    k.name(),
                    site,
                    if *ok { "yes" } else { "no" }
                );
            }
        }
        let _ = writeln!(s, "\n## Browser APIs reachable, by group\n");
        let mut last = None;
        for ((g, api), sites) in &self.apis {
            if last != Some(*g) {
                let _ = writeln!(s, "\n### {}\n\n| API | where |\n|---|---|", g.name());
                last = Some(*g);
            }
            let mut w: Vec<String> = sites.iter().take(6).map(|x| x.to_string()).collect();
            if sites.len() > 6 {
                w.push(format!("… {} more", sites.len() - 6));
            }
            let _ = writeln!(s, "| `{}` | {} |", api.replace('|', "\\|"), w.join("; "));
        }
        let _ = writeln!(s, "\n## Storage keys\n");
        if self.storage_keys.is_empty() {
            let _ = writeln!(s, "None found.");
        }
        for k in &self.storage_keys {
            let _ = writeln!(s, "- `{}` ({}) at {}", k.key, k.area, k.site);
        }
        for w in &self.wasm {
            let _ = writeln!(s, "\n## Wasm module `{}`\n\n{} imports (the only way the module can act outside itself), {} exports, {} string literals.\n", w.file, w.imports.len(), w.exports.len(), w.literals);
            let _ = writeln!(s, "| import | maps to |\n|---|---|");
            for (m, n, to) in &w.imports {
                let _ = writeln!(s, "| `{m}` `{n}` | {} |", to.replace('|', "\\|"));
            }
            let _ = writeln!(
                s,
                "\nExports: {}",
                w.exports
                    .iter()
                    .map(|(n, _)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        for m in &self.models {
            let _ = writeln!(s, "\n## Model `{}`\n", display_path(&m.path));
            if let Some(e) = &m.error {
                let _ = writeln!(s, "Not a usable model: {e}");
                continue;
            }
            let _ = writeln!(s, "{} items.", m.items);
            let hosts = |h: &BTreeMap<String, usize>| {
                if h.is_empty() {
                    "none".to_string()
                } else {
                    h.iter()
                        .map(|(k, v)| format!("{k} ({v})"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            let _ = writeln!(
                s,
                "Image URL hosts: {}.  \nProduct link hosts: {}.",
                hosts(&m.image_hosts),
                hosts(&m.link_hosts)
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "\n## Notes\n");
            for n in &self.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        let _ = writeln!(s, "\n## Check it yourself\n\n- `wasm-tools print {0} | grep '(import'` or `wasm-objdump -x -j Import {0}`: the import list above.\n- `grep -n '__wbg_' {1}`: each import's JS body.\n- `sha256sum` / `openssl dgst -sha384 -binary FILE | base64`: the hashes above.\n- The browser's network panel (filter: all, preserve log) while browsing: only the files above, GET, from the shop's origin (and catalog image hosts, if the model has image URLs).",
            self.wasm.first().map_or("pkg/attune_web_bg.wasm".into(), |w| w.file.clone()),
            self.files.iter().find(|f| f.role == "glue").map_or("pkg/attune_web.js".into(), |f| url_path(&f.path)));
        s
    }

    /// The terminal summary: verdict, violations, channels, hashes, storage keys.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for ((g, api), sites) in &self.apis {
            let _ = writeln!(
                s,
                "{:<8} {:<48} {}",
                g.name(),
                api,
                sites
                    .iter()
                    .next()
                    .map(|x| x.to_string())
                    .unwrap_or_default()
            );
        }
        s.push('\n');
        for c in &self.channels {
            let _ = writeln!(s, "allowed  {:<22} {}  {}", c.kind.name(), c.site, c.detail);
        }
        for k in &self.storage_keys {
            let _ = writeln!(s, "storage  {} ({}) at {}", k.key, k.area, k.site);
        }
        s.push('\n');
        for f in &self.files {
            let _ = writeln!(
                s,
                "{}  {} bytes\n  sha256 {}\n  {}",
                display_path(&f.path),
                f.bytes,
                f.sha256,
                f.sri
            );
        }
        s.push('\n');
        for n in &self.notes {
            let _ = writeln!(s, "note: {n}");
        }
        for v in &self.violations {
            let _ = writeln!(s, "VIOLATION {} at {}: {}", v.api, v.site, v.why);
        }
        let _ = writeln!(
            s,
            "{}",
            if self.passed() {
                "PASS: no network-capable API beyond the bundle's own files and the model"
                    .to_string()
            } else {
                format!(
                    "FAIL: {} network-capable use(s) outside the allowed channels",
                    self.violations.len()
                )
            }
        );
        s
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
    let json = serde_json::to_string_pretty(&report.to_json())?;
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
