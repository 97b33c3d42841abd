//! Parsing and scopes: one JavaScript file parsed by oxc (ES2024 modules, regex vs division,
//! ASI, templates and unicode escapes are the parser's job) and resolved by oxc_semantic, and
//! what the audit can say about the value of an expression: the browser global it may be
//! (`window.fetch`, a destructured `navigator`, an alias through any chain of bindings,
//! parameters and constants), or the string constants it may be.
//!
//! Values are followed through the bindings of a symbol (declarations, assignments,
//! destructuring, `for … of`, the arguments of every call of a local function), never
//! through the heap: a global value stored in an object, an array or passed to code the
//! audit cannot see "escapes", and `rules.rs` makes that a violation. So an alias either
//! is traced here or is reported there. Nothing here reports; nothing here panics.
//!
//! Lifetimes: the program is allocated in the arena for `'a`, so every node a visitor is
//! lent lives for `'a`; the visitors extend the borrow to `'a` (`unsafe { &*(it as *const
//! _) }`) to keep references to nodes in the tables, which never outlive the arena.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use oxc_allocator::Allocator;
use oxc_ast::ast::*;
use oxc_ast_visit::{walk, Visit};
use oxc_semantic::{Scoping, SemanticBuilder, SymbolId};
use oxc_span::{SourceType, Span};
use oxc_syntax::scope::ScopeFlags;

use super::catalogue::{DOCUMENT_PROPS, GLOBAL_NAMES, LOCATION_PROPS, WINDOW_PROPS};

/// What an expression may evaluate to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Val {
    /// A browser global reached from the global object: `[]` is the global object itself,
    /// `["navigator", "sendBeacon"]` is `navigator.sendBeacon`; `"*"` is a property whose
    /// name the audit does not know.
    Global(Vec<String>),
    /// A string constant.
    Str(String),
    /// A function written in this file.
    Func,
    /// Anything else: a local object, a number, a call's result, a value from the Wasm.
    Other,
}

pub type Vals = BTreeSet<Val>;

fn other() -> Vals {
    BTreeSet::from([Val::Other])
}

/// How a symbol gets a value.
#[derive(Clone, Copy)]
pub enum Write<'a> {
    Expr(&'a Expression<'a>),
    /// Property `key` of the value (`const {key: x} = v`); `None`: a computed key or `...rest`.
    Key(&'a Write<'a>, Option<&'a str>),
    /// Element `i` of the value (`const [a, b] = v`); `None`: any element (`for (x of v)`).
    Index(&'a Write<'a>, Option<usize>),
    /// Argument `i` of every call of the local function `f`.
    Arg(SymbolId, usize),
    /// A number (`x++`).
    Number,
    /// A value the audit cannot see (a callback's parameter, `for … in`, `catch`).
    Unknown,
}

/// A function written in the file, by its symbol.
#[derive(Default)]
pub struct LocalFn<'a> {
    /// Argument lists of its direct calls `f(…)`.
    pub calls: Vec<&'a oxc_allocator::Vec<'a, Argument<'a>>>,
    /// Whether it is used other than by a direct call (passed, exported, stored): then its
    /// parameters take values the audit cannot see.
    pub escapes: bool,
    pub exported: bool,
    /// Exported as `default` or `initSync`: the glue's init, called by the loader (which
    /// is judged where it calls it).
    pub init: bool,
    /// What it returns (`return x`, an arrow's expression body).
    pub returns: Vec<&'a Expression<'a>>,
}

/// A parsed file with its scopes and the bindings of every symbol.
pub struct Js<'a> {
    pub source: &'a str,
    pub program: &'a Program<'a>,
    pub scoping: Scoping,
    pub writes: HashMap<SymbolId, Vec<Write<'a>>>,
    pub fns: HashMap<SymbolId, LocalFn<'a>>,
    /// Per symbol: the method names and properties read on it (`x.push(…)` → "push"),
    /// and what `x.push(…)` was given: a local array only filled by `push` and read by
    /// `splice`/`slice`/`length`/iteration holds exactly what was pushed.
    pub uses: HashMap<SymbolId, Vec<&'a str>>,
    pub pushes: HashMap<SymbolId, Vec<&'a Expression<'a>>>,
    /// The glue's Wasm imports: `__wbg_…: function (…) {…}`, by import name.
    pub entries: Vec<(&'a str, &'a Function<'a>)>,
    pub errors: Vec<String>,
    arena: &'a Allocator,
    memo: RefCell<HashMap<SymbolId, Vals>>,
    busy: RefCell<HashSet<SymbolId>>,
    line_starts: Vec<u32>,
}

/// Parses `source` as a module (falling back to a classic script, which allows `with` and
/// sloppy-mode code, if it does not parse as one).
pub fn parse<'a>(arena: &'a Allocator, source: &'a str) -> Js<'a> {
    let mut ret = oxc_parser::Parser::new(arena, source, SourceType::mjs()).parse();
    if ret.panicked || ret.diagnostics.has_errors() {
        let script = oxc_parser::Parser::new(arena, source, SourceType::script()).parse();
        if !script.panicked && !script.diagnostics.has_errors() {
            ret = script;
        }
    }
    let errors: Vec<String> = ret
        .diagnostics
        .errors()
        .map(|e| e.to_string())
        .chain(ret.panicked.then(|| "the parser gave up".to_string()))
        .collect();
    let program: &'a Program<'a> = arena.alloc(ret.program);
    let scoping = SemanticBuilder::new()
        .build(program)
        .semantic
        .into_scoping();
    let mut line_starts = vec![0u32];
    for (i, b) in source.bytes().enumerate() {
        if b == b'\n' {
            line_starts.push(i as u32 + 1);
        }
    }
    let mut js = Js {
        source,
        program,
        scoping,
        writes: HashMap::new(),
        fns: HashMap::new(),
        uses: HashMap::new(),
        pushes: HashMap::new(),
        entries: Vec::new(),
        errors,
        arena,
        memo: RefCell::new(HashMap::new()),
        busy: RefCell::new(HashSet::new()),
        line_starts,
    };
    let mut b = Binder {
        js: &mut js,
        exporting: false,
        current: Vec::new(),
    };
    b.visit_program(program);
    // A function referenced other than as a callee escapes.
    let ids: Vec<SymbolId> = js.fns.keys().copied().collect();
    for id in ids {
        let refs = js.scoping.get_resolved_reference_ids(id).len();
        let f = js.fns.get_mut(&id).expect("present");
        if refs > f.calls.len() {
            f.escapes = true;
        }
    }
    js
}

pub fn is_entry_name(name: &str) -> bool {
    name.starts_with("__wbg_") || name.starts_with("__wbindgen_")
}

/// Pass 1: every binding of every symbol, the local functions and their calls, the glue's
/// import entries.
struct Binder<'j, 'a> {
    js: &'j mut Js<'a>,
    exporting: bool,
    /// The local function whose body is being read (for its returns).
    current: Vec<Option<SymbolId>>,
}

impl<'a> Binder<'_, 'a> {
    fn alloc(&self, w: Write<'a>) -> &'a Write<'a> {
        self.js.arena.alloc(w)
    }

    fn add(&mut self, id: Option<SymbolId>, w: Write<'a>) {
        if let Some(id) = id {
            self.js.writes.entry(id).or_default().push(w);
        }
    }

    fn bind(&mut self, p: &'a BindingPattern<'a>, w: Write<'a>) {
        match p {
            BindingPattern::BindingIdentifier(id) => self.add(id.symbol_id.get(), w),
            BindingPattern::ObjectPattern(o) => {
                let inner = self.alloc(w);
                for prop in &o.properties {
                    let key = if prop.computed {
                        None
                    } else {
                        prop.key
                            .static_name()
                            .map(|k| self.js.arena.alloc_str(&k) as &str)
                    };
                    self.bind(&prop.value, Write::Key(inner, key));
                }
                if let Some(rest) = &o.rest {
                    self.bind(&rest.argument, Write::Key(inner, None));
                }
            }
            BindingPattern::ArrayPattern(a) => {
                let inner = self.alloc(w);
                for (i, el) in a.elements.iter().enumerate() {
                    if let Some(el) = el {
                        self.bind(el, Write::Index(inner, Some(i)));
                    }
                }
                if let Some(rest) = &a.rest {
                    self.bind(&rest.argument, Write::Index(inner, None));
                }
            }
            BindingPattern::AssignmentPattern(ap) => {
                self.bind(&ap.left, w);
                self.bind(&ap.left, Write::Expr(&ap.right));
            }
        }
    }

    fn target(&mut self, t: &'a AssignmentTarget<'a>, w: Write<'a>) {
        match t {
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                let s = self.symbol_of(id);
                self.add(s, w)
            }
            AssignmentTarget::ObjectAssignmentTarget(o) => {
                let inner = self.alloc(w);
                for p in &o.properties {
                    match p {
                        AssignmentTargetProperty::AssignmentTargetPropertyIdentifier(p) => {
                            let s = self.symbol_of(&p.binding);
                            let key: &str = self.js.arena.alloc_str(p.binding.name.as_str());
                            self.add(s, Write::Key(inner, Some(key)));
                            if let Some(init) = &p.init {
                                self.add(s, Write::Expr(init));
                            }
                        }
                        AssignmentTargetProperty::AssignmentTargetPropertyProperty(p) => {
                            let key = if p.computed {
                                None
                            } else {
                                p.name
                                    .static_name()
                                    .map(|k| self.js.arena.alloc_str(&k) as &str)
                            };
                            self.maybe_default(&p.binding, Write::Key(inner, key));
                        }
                    }
                }
                if let Some(rest) = &o.rest {
                    self.target(&rest.target, Write::Key(inner, None));
                }
            }
            AssignmentTarget::ArrayAssignmentTarget(a) => {
                let inner = self.alloc(w);
                for (i, el) in a.elements.iter().enumerate() {
                    if let Some(el) = el {
                        self.maybe_default(el, Write::Index(inner, Some(i)));
                    }
                }
                if let Some(rest) = &a.rest {
                    self.target(&rest.target, Write::Index(inner, None));
                }
            }
            _ => {}
        }
    }

    fn maybe_default(&mut self, t: &'a AssignmentTargetMaybeDefault<'a>, w: Write<'a>) {
        match t {
            AssignmentTargetMaybeDefault::AssignmentTargetWithDefault(d) => {
                self.target(&d.binding, w);
                self.target(&d.binding, Write::Expr(&d.init));
            }
            other => {
                if let Some(t) = other.as_assignment_target() {
                    self.target(t, w);
                }
            }
        }
    }

    fn symbol_of(&self, id: &IdentifierReference) -> Option<SymbolId> {
        let r = id.reference_id.get()?;
        self.js.scoping.get_reference(r).symbol_id()
    }

    fn params(&mut self, f: Option<SymbolId>, params: &'a FormalParameters<'a>) {
        for (i, p) in params.items.iter().enumerate() {
            match f {
                Some(f) => self.bind(&p.pattern, Write::Arg(f, i)),
                None => self.bind(&p.pattern, Write::Unknown),
            }
            if let Some(init) = &p.initializer {
                self.bind(&p.pattern, Write::Expr(init));
            }
        }
        if let Some(rest) = &params.rest {
            self.bind(&rest.rest.argument, Write::Unknown);
        }
    }
}

fn function_value<'a>(e: &'a Expression<'a>) -> Option<&'a FormalParameters<'a>> {
    match e.without_parentheses() {
        Expression::FunctionExpression(f) => Some(&f.params),
        Expression::ArrowFunctionExpression(f) => Some(&f.params),
        _ => None,
    }
}

impl<'a> Visit<'a> for Binder<'_, 'a> {
    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        // SAFETY of lifetimes: the AST lives in the arena for 'a.
        let it: &'a VariableDeclarator<'a> = unsafe { &*(it as *const _) };
        if let Some(init) = &it.init {
            self.bind(&it.id, Write::Expr(init));
            if let (BindingPattern::BindingIdentifier(id), Some(params)) =
                (&it.id, function_value(init))
            {
                if let Some(s) = id.symbol_id.get() {
                    self.js.fns.entry(s).or_default();
                    let exporting = self.exporting;
                    self.exporting = false;
                    self.params(Some(s), params);
                    self.exporting = exporting;
                    if exporting {
                        self.js.fns.entry(s).or_default().exported = true;
                    }
                    // Visit the function's body without binding its parameters again.
                    self.current.push(Some(s));
                    match init.without_parentheses() {
                        Expression::FunctionExpression(f) => {
                            if let Some(body) = &f.body {
                                self.visit_function_body(body);
                            }
                        }
                        Expression::ArrowFunctionExpression(f) => {
                            if let Some(e) = f.get_expression() {
                                self.js.fns.entry(s).or_default().returns.push(e);
                            }
                            self.visit_arrow_function_body(&f.body)
                        }
                        _ => {}
                    }
                    self.current.pop();
                    return;
                }
            }
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        let it: &'a Function<'a> = unsafe { &*(it as *const _) };
        let sym = it.id.as_ref().and_then(|id| id.symbol_id.get());
        if let Some(s) = sym {
            let f = self.js.fns.entry(s).or_default();
            f.exported |= self.exporting;
        }
        // A wasm-bindgen snippet (`inline_js`): its exported functions are the Wasm's
        // imports from that module, as `__wbg_…` entries are from the glue.
        if self.exporting {
            if let Some(id) = &it.id {
                let name: &'a str = self.js.arena.alloc_str(id.name.as_str());
                self.js.entries.push((name, it));
            }
        }
        self.params(sym, &it.params);
        let exporting = self.exporting;
        self.exporting = false;
        self.current.push(sym);
        if let Some(body) = &it.body {
            self.visit_function_body(body);
        }
        self.current.pop();
        self.exporting = exporting;
        let _ = flags;
    }

    fn visit_arrow_function_expression(&mut self, it: &ArrowFunctionExpression<'a>) {
        let it: &'a ArrowFunctionExpression<'a> = unsafe { &*(it as *const _) };
        self.params(None, &it.params);
        self.current.push(None);
        self.visit_arrow_function_body(&it.body);
        self.current.pop();
    }

    fn visit_return_statement(&mut self, it: &ReturnStatement<'a>) {
        let it: &'a ReturnStatement<'a> = unsafe { &*(it as *const _) };
        if let (Some(Some(f)), Some(a)) = (self.current.last(), &it.argument) {
            self.js.fns.entry(*f).or_default().returns.push(a);
        }
        walk::walk_return_statement(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        let it: &'a AssignmentExpression<'a> = unsafe { &*(it as *const _) };
        self.target(&it.left, Write::Expr(&it.right));
        // The older glue: `imports.wbg.__wbg_x = function (…) {…}`.
        if let (Some(m), Expression::FunctionExpression(f)) =
            (it.left.as_member_expression(), &it.right)
        {
            if let Some(name) = m.static_property_name() {
                if is_entry_name(name) {
                    self.js.entries.push((name, f));
                }
            }
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_for_of_statement(&mut self, it: &ForOfStatement<'a>) {
        let it: &'a ForOfStatement<'a> = unsafe { &*(it as *const _) };
        let each = Write::Index(self.alloc(Write::Expr(&it.right)), None);
        match &it.left {
            ForStatementLeft::VariableDeclaration(d) => {
                for decl in &d.declarations {
                    self.bind(&decl.id, each);
                }
            }
            left => {
                if let Some(t) = left.as_assignment_target() {
                    self.target(t, each);
                }
            }
        }
        walk::walk_for_of_statement(self, it);
    }

    fn visit_for_in_statement(&mut self, it: &ForInStatement<'a>) {
        let it: &'a ForInStatement<'a> = unsafe { &*(it as *const _) };
        match &it.left {
            ForStatementLeft::VariableDeclaration(d) => {
                for decl in &d.declarations {
                    self.bind(&decl.id, Write::Unknown);
                }
            }
            left => {
                if let Some(t) = left.as_assignment_target() {
                    self.target(t, Write::Unknown);
                }
            }
        }
        walk::walk_for_in_statement(self, it);
    }

    fn visit_catch_parameter(&mut self, it: &CatchParameter<'a>) {
        let it: &'a CatchParameter<'a> = unsafe { &*(it as *const _) };
        self.bind(&it.pattern, Write::Unknown);
        walk::walk_catch_parameter(self, it);
    }

    fn visit_update_expression(&mut self, it: &UpdateExpression<'a>) {
        if let SimpleAssignmentTarget::AssignmentTargetIdentifier(id) = &it.argument {
            let s = self.symbol_of(id);
            self.add(s, Write::Number);
        }
        walk::walk_update_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let it: &'a CallExpression<'a> = unsafe { &*(it as *const _) };
        if let Expression::Identifier(id) = it.callee.without_parentheses() {
            if let Some(s) = self.symbol_of(id) {
                self.js.fns.entry(s).or_default().calls.push(&it.arguments);
            }
        }
        if let Expression::StaticMemberExpression(m) = it.callee.without_parentheses() {
            if let Expression::Identifier(id) = m.object.without_parentheses() {
                if let Some(s) = self.symbol_of(id) {
                    match m.property.name.as_str() {
                        "push" => {
                            for a in &it.arguments {
                                match a.as_expression() {
                                    Some(e) => self.js.pushes.entry(s).or_default().push(e),
                                    None => self.js.uses.entry(s).or_default().push("(spread)"),
                                }
                            }
                        }
                        "splice" if it.arguments.len() > 2 => {
                            self.js.uses.entry(s).or_default().push("(insert)")
                        }
                        _ => {}
                    }
                }
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if let Expression::Identifier(id) = it.object.without_parentheses() {
            if let Some(s) = self.symbol_of(id) {
                let name: &'a str = self.js.arena.alloc_str(it.property.name.as_str());
                self.js.uses.entry(s).or_default().push(name);
            }
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_object_property(&mut self, it: &ObjectProperty<'a>) {
        let it: &'a ObjectProperty<'a> = unsafe { &*(it as *const _) };
        if let (Some(name), Expression::FunctionExpression(f)) = (it.key.static_name(), &it.value) {
            if is_entry_name(&name) && !it.computed {
                let name: &'a str = self.js.arena.alloc_str(&name);
                self.js.entries.push((name, f));
            }
        }
        walk::walk_object_property(self, it);
    }

    fn visit_export_declaration(&mut self, it: &ExportDeclaration<'a>) {
        self.exporting = true;
        walk::walk_export_declaration(self, it);
        self.exporting = false;
    }

    fn visit_export_named_declaration(&mut self, it: &ExportNamedDeclaration<'a>) {
        walk::walk_export_named_declaration(self, it);
        // `export { f as default }`: a local function called from the importing file.
        for s in &it.specifiers {
            if let ModuleExportName::IdentifierReference(id) = &s.local {
                if let Some(sym) = self.symbol_of(id) {
                    let init = matches!(s.exported.name().as_str(), "default" | "initSync");
                    let f = self.js.fns.entry(sym).or_default();
                    f.exported = true;
                    f.init |= init;
                }
            }
        }
    }

    fn visit_export_default_declaration(&mut self, it: &ExportDefaultDeclaration<'a>) {
        self.exporting = true;
        walk::walk_export_default_declaration(self, it);
        self.exporting = false;
    }
}

/// Strips what does not change a value: parentheses, `await`, TS wrappers.
pub fn inner<'b, 'a>(e: &'b Expression<'a>) -> &'b Expression<'a> {
    let mut e = e.get_inner_expression();
    while let Expression::AwaitExpression(a) = e {
        e = a.argument.get_inner_expression();
    }
    e
}

impl<'a> Js<'a> {
    pub fn line(&self, span: Span) -> u32 {
        match self.line_starts.binary_search(&span.start) {
            Ok(i) => i as u32 + 1,
            Err(i) => i as u32,
        }
    }

    pub fn text(&self, span: Span) -> String {
        let s = self
            .source
            .get(span.start as usize..span.end as usize)
            .unwrap_or("");
        let s = canonical(s);
        if s.chars().count() > 120 {
            format!("{}…", s.chars().take(117).collect::<String>())
        } else {
            s
        }
    }

    pub fn symbol(&self, id: &IdentifierReference) -> Option<SymbolId> {
        let r = id.reference_id.get()?;
        self.scoping.get_reference(r).symbol_id()
    }

    /// Every value `e` may take.
    pub fn eval(&self, e: &Expression<'a>) -> Vals {
        self.eval_d(e, 0)
    }

    fn eval_d(&self, e: &Expression<'a>, d: u32) -> Vals {
        if d > 24 {
            return other();
        }
        let e = inner(e);
        match e {
            Expression::StringLiteral(s) => BTreeSet::from([Val::Str(s.value.to_string())]),
            Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
                match t.quasis.first().and_then(|q| q.value.cooked.as_ref()) {
                    Some(c) => BTreeSet::from([Val::Str(c.to_string())]),
                    None => other(),
                }
            }
            Expression::Identifier(id) => self.ident(id, d),
            Expression::ThisExpression(_) => other(),
            Expression::FunctionExpression(_)
            | Expression::ArrowFunctionExpression(_)
            | Expression::ClassExpression(_) => BTreeSet::from([Val::Func]),
            Expression::StaticMemberExpression(m) => {
                let obj = self.eval_d(&m.object, d + 1);
                member(&obj, Some(m.property.name.as_str()))
            }
            Expression::ComputedMemberExpression(m) => {
                let obj = self.eval_d(&m.object, d + 1);
                let keys = self.strings_d(&m.expression, d + 1);
                match keys {
                    Some(keys) => keys.iter().flat_map(|k| member(&obj, Some(k))).collect(),
                    None => member(&obj, None),
                }
            }
            Expression::ChainExpression(c) => match &c.expression {
                ChainElement::CallExpression(call) => self.call_value(call, d),
                other_el => match other_el.as_member_expression() {
                    Some(MemberExpression::StaticMemberExpression(m)) => member(
                        &self.eval_d(&m.object, d + 1),
                        Some(m.property.name.as_str()),
                    ),
                    Some(MemberExpression::ComputedMemberExpression(m)) => {
                        let obj = self.eval_d(&m.object, d + 1);
                        match self.strings_d(&m.expression, d + 1) {
                            Some(keys) => keys.iter().flat_map(|k| member(&obj, Some(k))).collect(),
                            None => member(&obj, None),
                        }
                    }
                    _ => other(),
                },
            },
            Expression::ConditionalExpression(c) => {
                let mut v = self.eval_d(&c.consequent, d + 1);
                v.extend(self.eval_d(&c.alternate, d + 1));
                v
            }
            Expression::LogicalExpression(l) => {
                let mut v = self.eval_d(&l.left, d + 1);
                v.extend(self.eval_d(&l.right, d + 1));
                v
            }
            Expression::SequenceExpression(s) => match s.expressions.last() {
                Some(last) => self.eval_d(last, d + 1),
                None => other(),
            },
            Expression::AssignmentExpression(a) => self.eval_d(&a.right, d + 1),
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let (l, r) = (self.eval_d(&b.left, d + 1), self.eval_d(&b.right, d + 1));
                let strs = |v: &Vals| -> Option<Vec<String>> {
                    v.iter()
                        .map(|x| match x {
                            Val::Str(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect()
                };
                match (strs(&l), strs(&r)) {
                    (Some(l), Some(r)) if l.len() * r.len() <= 32 => l
                        .iter()
                        .flat_map(|a| r.iter().map(move |b| Val::Str(format!("{a}{b}"))))
                        .collect(),
                    _ => other(),
                }
            }
            Expression::CallExpression(call) => self.call_value(call, d),
            _ => other(),
        }
    }

    /// `f.bind(…)` is `f`; `Reflect.get(o, k)` is `o[k]`; anything else is a result.
    fn call_value(&self, call: &CallExpression<'a>, d: u32) -> Vals {
        if let Some(MemberExpression::StaticMemberExpression(m)) =
            call.callee.as_member_expression()
        {
            let obj = self.eval_d(&m.object, d + 1);
            if m.property.name == "bind" && obj.iter().any(|v| matches!(v, Val::Global(_))) {
                return obj;
            }
            if m.property.name == "get" && obj.contains(&Val::Global(vec!["Reflect".into()])) {
                let target = call
                    .arguments
                    .first()
                    .and_then(|a| a.as_expression())
                    .map(|e| self.eval_d(e, d + 1))
                    .unwrap_or_else(other);
                let key = call
                    .arguments
                    .get(1)
                    .and_then(|a| a.as_expression())
                    .and_then(|e| self.strings_d(e, d + 1));
                return match key {
                    Some(keys) => keys.iter().flat_map(|k| member(&target, Some(k))).collect(),
                    None => member(&target, None),
                };
            }
        }
        other()
    }

    fn ident(&self, id: &IdentifierReference, d: u32) -> Vals {
        let Some(sym) = self.symbol(id) else {
            let name = id.name.as_str();
            return match name {
                "undefined" | "NaN" | "Infinity" => other(),
                n if GLOBAL_NAMES.contains(&n) => BTreeSet::from([Val::Global(Vec::new())]),
                n => BTreeSet::from([Val::Global(vec![n.to_string()])]),
            };
        };
        self.symbol_vals(sym, d)
    }

    pub fn symbol_vals(&self, sym: SymbolId, d: u32) -> Vals {
        if let Some(v) = self.memo.borrow().get(&sym) {
            return v.clone();
        }
        if !self.busy.borrow_mut().insert(sym) {
            return BTreeSet::new(); // a cycle: the other bindings give the values
        }
        let mut out = BTreeSet::new();
        if self.fns.contains_key(&sym) && !self.writes.contains_key(&sym) {
            out.insert(Val::Func);
        }
        let decl_flags = self.scoping.symbol_flags(sym);
        if decl_flags.is_function() || decl_flags.is_class() {
            out.insert(Val::Func);
        }
        if decl_flags.is_import() {
            out.insert(Val::Other);
        }
        for w in self.writes.get(&sym).map(Vec::as_slice).unwrap_or(&[]) {
            out.extend(self.write_vals(w, d + 1));
        }
        if out.is_empty() {
            out.insert(Val::Other); // declared, never given a value: undefined
        }
        self.busy.borrow_mut().remove(&sym);
        if d == 0 || self.busy.borrow().is_empty() {
            self.memo.borrow_mut().insert(sym, out.clone());
        }
        out
    }

    /// The expressions a binding may take, when the audit can list them (array and object
    /// literals projected by index and key, call-site arguments).
    pub fn write_exprs(&self, w: &Write<'a>, d: u32) -> Option<Vec<&'a Expression<'a>>> {
        if d > 12 {
            return None;
        }
        match *w {
            Write::Expr(e) => Some(vec![e]),
            Write::Unknown | Write::Number => None,
            Write::Arg(f, i) => {
                let f = self.fns.get(&f)?;
                if f.escapes || f.exported || f.calls.is_empty() {
                    return None;
                }
                let mut out = Vec::new();
                for args in &f.calls {
                    match args.get(i) {
                        Some(a) => out.push(a.as_expression()?),
                        None => return None, // undefined, or after a spread
                    }
                    if args.iter().take(i + 1).any(|a| a.is_spread()) {
                        return None;
                    }
                }
                Some(out)
            }
            Write::Index(inner_w, idx) => {
                let mut out = Vec::new();
                for x in self.write_exprs(inner_w, d + 1)? {
                    if let (Some(pushed), None) = (self.pushed(x), idx) {
                        out.extend(pushed);
                        continue;
                    }
                    for arr in self.resolve_literal(x, d)? {
                        let Expression::ArrayExpression(arr) = arr else {
                            return None;
                        };
                        match idx {
                            Some(i) => match arr.elements.get(i) {
                                Some(el) => out.push(el.as_expression()?),
                                None => return None,
                            },
                            None => {
                                for el in &arr.elements {
                                    out.push(el.as_expression()?);
                                }
                            }
                        }
                    }
                }
                Some(out)
            }
            Write::Key(inner_w, key) => {
                let key = key?;
                let mut out = Vec::new();
                for x in self.write_exprs(inner_w, d + 1)? {
                    for obj in self.resolve_literal(x, d)? {
                        let Expression::ObjectExpression(obj) = obj else {
                            return None;
                        };
                        let mut found = None;
                        for p in &obj.properties {
                            match p {
                                ObjectPropertyKind::ObjectProperty(p) => {
                                    if p.computed {
                                        return None;
                                    }
                                    if p.key.static_name().as_deref() == Some(key) {
                                        found = Some(&p.value);
                                    }
                                }
                                ObjectPropertyKind::SpreadProperty(_) => return None,
                            }
                        }
                        out.push(found?);
                    }
                }
                Some(out)
            }
        }
    }

    /// The elements of a local array only ever filled by `push` (`x`, `x.splice(…)`,
    /// `x.slice(…)`): what was pushed.
    fn pushed(&self, x: &'a Expression<'a>) -> Option<Vec<&'a Expression<'a>>> {
        let x = match inner(x) {
            Expression::CallExpression(c) => match inner(&c.callee) {
                Expression::StaticMemberExpression(m)
                    if matches!(m.property.name.as_str(), "splice" | "slice") =>
                {
                    &m.object
                }
                _ => return None,
            },
            e => e,
        };
        let Expression::Identifier(id) = inner(x) else {
            return None;
        };
        let sym = self.symbol(id)?;
        let writes = self.writes.get(&sym)?;
        let empty = matches!(writes.as_slice(), [Write::Expr(e)]
            if matches!(inner(e), Expression::ArrayExpression(a) if a.elements.is_empty()));
        let uses = self.uses.get(&sym).map(Vec::as_slice).unwrap_or(&[]);
        let refs = self.scoping.get_resolved_reference_ids(sym).len();
        // Every reference is a member use (`x.push`, `x.length`, …): the array goes nowhere.
        let ok_uses = uses
            .iter()
            .all(|u| matches!(*u, "push" | "splice" | "slice" | "length"));
        (empty && ok_uses && uses.len() >= refs && refs > 0)
            .then(|| self.pushes.get(&sym).cloned().unwrap_or_default())
    }

    /// `x` as the array or object literals it is bound to (through constants).
    fn resolve_literal(&self, x: &'a Expression<'a>, d: u32) -> Option<Vec<&'a Expression<'a>>> {
        let x = inner(x);
        match x {
            Expression::ArrayExpression(_) | Expression::ObjectExpression(_) => Some(vec![x]),
            Expression::Identifier(id) => {
                let sym = self.symbol(id)?;
                let mut out = Vec::new();
                for w in self.writes.get(&sym)? {
                    for e in self.write_exprs(w, d + 1)? {
                        out.extend(self.resolve_literal(e, d + 1)?);
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    fn write_vals(&self, w: &Write<'a>, d: u32) -> Vals {
        if d > 24 {
            return other();
        }
        if let Some(xs) = self.write_exprs(w, d) {
            return xs.iter().flat_map(|x| self.eval_d(x, d + 1)).collect();
        }
        match *w {
            Write::Expr(e) => self.eval_d(e, d + 1),
            Write::Key(inner_w, key) => member(&self.write_vals(inner_w, d + 1), key),
            Write::Index(inner_w, _) => {
                let v = self.write_vals(inner_w, d + 1);
                let mut out = member(&v, None);
                out.insert(Val::Other);
                out
            }
            Write::Arg(..) | Write::Unknown | Write::Number => other(),
        }
    }

    /// Whether a binding takes its value from a parameter of the glue's init (`default` /
    /// `initSync`, or a local function only called with one): a value the importing file
    /// supplies, judged where it calls the init.
    pub fn supplied_by_importer(&self, w: &Write<'a>) -> bool {
        self.supplied(w, 0)
    }

    fn supplied(&self, w: &Write<'a>, d: u32) -> bool {
        if d > 8 {
            return false;
        }
        match *w {
            Write::Arg(f, i) => self.fns.get(&f).is_some_and(|f| {
                f.init
                    || !f.escapes
                        && !f.exported
                        && !f.calls.is_empty()
                        && f.calls.iter().all(|args| {
                            args.get(i)
                                .and_then(|a| a.as_expression())
                                .is_some_and(|e| self.supplied(&Write::Expr(e), d + 1))
                        })
            }),
            Write::Key(i, _) | Write::Index(i, _) => self.supplied(i, d + 1),
            Write::Expr(e) => match inner(e) {
                Expression::Identifier(id) => self.symbol(id).is_some_and(|s| {
                    self.writes.get(&s).is_some_and(|ws| {
                        ws.iter()
                            .any(|w| matches!(w, Write::Arg(..)) && self.supplied(w, d + 1))
                    })
                }),
                _ => false,
            },
            Write::Unknown | Write::Number => false,
        }
    }

    /// Whether `e` can only be a number (or a string of digits): no property name, URL or
    /// CSS function can come of it.
    pub fn numeric(&self, e: &Expression<'a>, d: u32) -> bool {
        if d > 10 {
            return false;
        }
        use BinaryOperator as B;
        match inner(e) {
            Expression::NumericLiteral(_) | Expression::BigIntLiteral(_) => true,
            Expression::UpdateExpression(_) => true,
            Expression::UnaryExpression(u) => matches!(
                u.operator,
                UnaryOperator::UnaryNegation | UnaryOperator::UnaryPlus | UnaryOperator::BitwiseNot
            ),
            Expression::BinaryExpression(b) => match b.operator {
                B::Addition => self.numeric(&b.left, d + 1) && self.numeric(&b.right, d + 1),
                B::Subtraction
                | B::Multiplication
                | B::Division
                | B::Remainder
                | B::Exponential
                | B::ShiftLeft
                | B::ShiftRight
                | B::ShiftRightZeroFill
                | B::BitwiseOR
                | B::BitwiseXOR
                | B::BitwiseAnd => true,
                _ => false,
            },
            Expression::ConditionalExpression(c) => {
                self.numeric(&c.consequent, d + 1) && self.numeric(&c.alternate, d + 1)
            }
            Expression::CallExpression(c) => {
                let arg0 = c.arguments.first().and_then(|a| a.as_expression());
                match inner(&c.callee) {
                    Expression::Identifier(id) if self.symbol(id).is_none() => {
                        match id.name.as_str() {
                            "Number" | "parseInt" | "parseFloat" => true,
                            "String" => arg0.is_some_and(|a| self.numeric(a, d + 1)),
                            _ => false,
                        }
                    }
                    Expression::Identifier(id) => self.symbol(id).is_some_and(|s| {
                        self.fns.get(&s).is_some_and(|f| {
                            !f.returns.is_empty()
                                && f.returns.iter().all(|r| self.numeric(r, d + 1))
                        })
                    }),
                    Expression::StaticMemberExpression(m) => {
                        matches!(m.property.name.as_str(), "toFixed" | "toPrecision")
                            || matches!(inner(&m.object), Expression::Identifier(o) if o.name == "Math" && self.symbol(o).is_none())
                    }
                    _ => false,
                }
            }
            Expression::StaticMemberExpression(m) => m.property.name == "length",
            Expression::Identifier(id) => self.symbol(id).is_some_and(|s| {
                let ws = self.writes.get(&s).map(Vec::as_slice).unwrap_or(&[]);
                !ws.is_empty() && !self.busy.borrow().contains(&s) && {
                    self.busy.borrow_mut().insert(s);
                    let ok = ws.iter().all(|w| match w {
                        Write::Number => true,
                        Write::Expr(x) => self.numeric(x, d + 1),
                        _ => false,
                    });
                    self.busy.borrow_mut().remove(&s);
                    ok
                }
            }),
            _ => false,
        }
    }

    /// Whether `e` is the Wasm instance's exports (or a member of them): a value passed
    /// there is handed to the Wasm.
    pub fn is_wasm_exports(&self, e: &Expression<'a>, d: u32) -> bool {
        if d > 8 {
            return false;
        }
        match inner(e) {
            Expression::StaticMemberExpression(m) => {
                m.property.name == "exports" || self.is_wasm_exports(&m.object, d + 1)
            }
            Expression::ComputedMemberExpression(m) => self.is_wasm_exports(&m.object, d + 1),
            Expression::Identifier(id) => self.symbol(id).is_some_and(|s| {
                self.writes.get(&s).is_some_and(|ws| {
                    ws.iter()
                        .any(|w| matches!(w, Write::Expr(x) if self.is_wasm_exports(x, d + 1)))
                })
            }),
            _ => false,
        }
    }

    /// The string constants `e` may be, if it can only be string constants.
    pub fn strings(&self, e: &Expression<'a>) -> Option<BTreeSet<String>> {
        self.strings_d(e, 0)
    }

    fn strings_d(&self, e: &Expression<'a>, d: u32) -> Option<BTreeSet<String>> {
        if let Expression::NumericLiteral(n) = inner(e) {
            return Some(BTreeSet::from([n.value.to_string()]));
        }
        let v = self.eval_d(e, d);
        v.iter()
            .map(|x| match x {
                Val::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect::<Option<BTreeSet<String>>>()
            .filter(|s| !s.is_empty())
    }

    /// Every string literal and template text in the file, with its span.
    pub fn literals(&self) -> Vec<(String, Span)> {
        struct L(Vec<(String, Span)>);
        impl<'a> Visit<'a> for L {
            fn visit_string_literal(&mut self, it: &StringLiteral<'a>) {
                self.0.push((it.value.to_string(), it.span));
            }
            fn visit_template_element(&mut self, it: &TemplateElement<'a>) {
                let s = it.value.cooked.as_ref().unwrap_or(&it.value.raw);
                self.0.push((s.to_string(), it.span));
            }
        }
        let mut l = L(Vec::new());
        l.visit_program(self.program);
        l.0
    }

    /// Module specifiers: `import … from 'x'`, `export … from 'x'`, `import('x')`.
    pub fn specifiers(&self) -> Vec<String> {
        struct S<'j, 'a>(&'j Js<'a>, Vec<String>);
        impl<'a> Visit<'a> for S<'_, 'a> {
            fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
                self.1.push(it.source.value.to_string());
            }
            fn visit_export_all_declaration(&mut self, it: &ExportAllDeclaration<'a>) {
                self.1.push(it.source.value.to_string());
            }
            fn visit_export_from_declaration(&mut self, it: &ExportFromDeclaration<'a>) {
                self.1.push(it.source.value.to_string());
            }
            fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
                if let Some(s) = self.0.strings(&it.source) {
                    self.1.extend(s);
                }
                walk::walk_import_expression(self, it);
            }
        }
        let mut s = S(self, Vec::new());
        s.visit_program(self.program);
        s.1
    }
}

/// Source text in one form whatever the formatting (so the readable and the minified file
/// print the same): no whitespace but between two word characters, strings in single
/// quotes.
pub fn canonical(src: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mut out = String::new();
    let mut space = false;
    let mut chars = src.chars();
    while let Some(c) = chars.next() {
        if matches!(c, '\'' | '"' | '`') {
            out.push(if c == '`' { '`' } else { '\'' });
            while let Some(d) = chars.next() {
                if d == '\\' {
                    out.push(d);
                    if let Some(e) = chars.next() {
                        out.push(e);
                    }
                    continue;
                }
                if d == c {
                    break;
                }
                if d == '\'' && c == '"' {
                    out.push('\\');
                }
                out.push(d);
            }
            out.push(if c == '`' { '`' } else { '\'' });
            space = false;
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && word(c) && out.ends_with(word) {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// `v.key` for every value: globals extend their path (a window's window is the window;
/// any node's `ownerDocument` is the document); other values stay other.
pub fn member(v: &Vals, key: Option<&str>) -> Vals {
    let mut out = BTreeSet::new();
    for x in v {
        match (x, key) {
            (Val::Global(p), Some(k)) => {
                if p.is_empty() && GLOBAL_NAMES.contains(&k) || WINDOW_PROPS.contains(&k) {
                    out.insert(Val::Global(Vec::new()));
                } else if DOCUMENT_PROPS.contains(&k) {
                    out.insert(Val::Global(vec!["document".into()]));
                } else {
                    let mut p = p.clone();
                    if p.len() < 6 {
                        p.push(k.to_string());
                    }
                    out.insert(Val::Global(p));
                }
            }
            (Val::Global(p), None) => {
                let mut p = p.clone();
                p.push("*".into());
                out.insert(Val::Global(p));
            }
            (Val::Str(_), _) => {
                out.insert(Val::Other);
            }
            (_, Some(k)) if WINDOW_PROPS.contains(&k) => {
                out.insert(Val::Global(Vec::new()));
            }
            (_, Some(k)) if DOCUMENT_PROPS.contains(&k) => {
                out.insert(Val::Global(vec!["document".into()]));
            }
            (_, Some(k)) if LOCATION_PROPS.contains(&k) => {
                out.insert(Val::Global(vec!["location".into()]));
            }
            _ => {
                out.insert(Val::Other);
            }
        }
    }
    if out.is_empty() {
        out.insert(Val::Other);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_ignores_formatting() {
        assert_eq!(
            canonical("getStringFromWasm0(arg1, arg2)"),
            "getStringFromWasm0(arg1,arg2)"
        );
        assert_eq!(canonical("new  URL( \"a'b\" ,\n x )"), "new URL('a\\'b',x)");
        assert_eq!(canonical("typeof x === 'y'"), "typeof x==='y'");
    }

    /// The values of `name` evaluated after `code`.
    fn vals(code: &str, name: &str) -> Vals {
        let arena = Allocator::default();
        let probe = format!("{code}\n;{name};");
        let js = parse(&arena, &probe);
        let Some(Statement::ExpressionStatement(s)) = js.program.body.last() else {
            panic!("no probe");
        };
        js.eval(&s.expression)
    }

    #[test]
    fn values_through_bindings() {
        let g = |p: &[&str]| Val::Global(p.iter().map(|s| s.to_string()).collect());
        assert_eq!(vals("const w = window;", "w"), BTreeSet::from([g(&[])]));
        assert_eq!(
            vals("const { fetch: f } = self;", "f"),
            BTreeSet::from([g(&["fetch"])])
        );
        assert_eq!(
            vals("let a; a = navigator; const b = a;", "b.sendBeacon"),
            BTreeSet::from([g(&["navigator", "sendBeacon"])])
        );
        assert_eq!(
            vals(
                "function h(x) { return x; } h(document);",
                "document.defaultView"
            ),
            BTreeSet::from([g(&[])])
        );
        assert_eq!(
            vals("const k = 'a' + 'b';", "k"),
            BTreeSet::from([Val::Str("ab".into())])
        );
        assert_eq!(
            vals("for (const [k] of [['x'], ['y']]) {}", "0"),
            BTreeSet::from([Val::Other])
        );
        assert_eq!(
            vals("", "location.href"),
            BTreeSet::from([g(&["location", "href"])])
        );
    }
}
