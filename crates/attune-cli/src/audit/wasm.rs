//! What the audit reads from a `.wasm` file: its imports (the only way a Wasm module can act
//! on the outside world), its exports, and the string literals its code refers to.
//!
//! The literals matter for the generic imports: `createElement` and `setAttribute` take
//! their names from the module's memory, so which elements and attributes the module can
//! make depends on the strings it holds. Rust passes a `&str` as (pointer, length), so a
//! literal shows up as two `i32.const` in a row, or as such a pair in a static table; any
//! other constant pointing into the data is kept as a possible start of a literal too.
//! This is evidence, not proof (a name could be computed at run time); the browser tests
//! and the CSP cover what static reading cannot.

use std::collections::BTreeSet;

use anyhow::{Context, Result};
use wasmparser::{DataKind, ExternalKind, Operator, Parser, Payload, TypeRef};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub module: String,
    pub name: String,
    /// "func", "memory", "table", "global" or "tag".
    pub kind: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct WasmFacts {
    pub imports: Vec<Import>,
    pub exports: Vec<(String, &'static str)>,
    /// String literals the code (or a static table) refers to.
    pub literals: BTreeSet<String>,
    /// All bytes of the active data segments, for substring checks (`url(`, `@import`).
    pub data: Vec<u8>,
    pub has_start: bool,
}

struct Segment {
    at: u32,
    bytes: Vec<u8>,
}

/// Longest literal the audit reconstructs; names it looks for are far shorter.
const MAX_LITERAL: u32 = 4096;

pub fn read(bytes: &[u8]) -> Result<WasmFacts> {
    // Validate first: a module the browser would refuse says nothing about the bundle.
    let mut validator = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all());
    validator
        .validate_all(bytes)
        .context("not a valid WebAssembly module")?;

    let mut facts = WasmFacts::default();
    let mut segments: Vec<Segment> = Vec::new();
    // (value, value of the i32.const right after it, if any)
    let mut consts: Vec<(u32, Option<u32>)> = Vec::new();
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::ImportSection(reader) => {
                for group in reader {
                    for imp in group? {
                        let (_, imp) = imp?;
                        let kind = match imp.ty {
                            TypeRef::Func(_) | TypeRef::FuncExact(_) => "func",
                            TypeRef::Memory(_) => "memory",
                            TypeRef::Table(_) => "table",
                            TypeRef::Global(_) => "global",
                            TypeRef::Tag(_) => "tag",
                        };
                        facts.imports.push(Import {
                            module: imp.module.to_string(),
                            name: imp.name.to_string(),
                            kind,
                        });
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e?;
                    let kind = match e.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => "func",
                        ExternalKind::Memory => "memory",
                        ExternalKind::Table => "table",
                        ExternalKind::Global => "global",
                        ExternalKind::Tag => "tag",
                    };
                    facts.exports.push((e.name.to_string(), kind));
                }
            }
            Payload::StartSection { .. } => facts.has_start = true,
            Payload::DataSection(reader) => {
                for d in reader {
                    let d = d?;
                    if let DataKind::Active { offset_expr, .. } = d.kind {
                        let mut ops = offset_expr.get_operators_reader();
                        if let Ok(Operator::I32Const { value }) = ops.read() {
                            segments.push(Segment {
                                at: value as u32,
                                bytes: d.data.to_vec(),
                            });
                        }
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut ops = body.get_operators_reader()?;
                let mut prev: Option<usize> = None;
                while !ops.eof() {
                    match ops.read()? {
                        Operator::I32Const { value } => {
                            if let Some(p) = prev {
                                consts[p].1 = Some(value as u32);
                            }
                            consts.push((value as u32, None));
                            prev = Some(consts.len() - 1);
                        }
                        _ => prev = None,
                    }
                }
            }
            _ => {}
        }
    }
    for s in &segments {
        facts.data.extend_from_slice(&s.bytes);
    }
    facts.literals = literals(&segments, &consts);
    Ok(facts)
}

fn slice(segments: &[Segment], at: u32, len: u32) -> Option<&[u8]> {
    segments.iter().find_map(|s| {
        let off = at.checked_sub(s.at)? as usize;
        s.bytes.get(off..off.checked_add(len as usize)?)
    })
}

fn in_data(segments: &[Segment], at: u32) -> bool {
    slice(segments, at, 1).is_some()
}

fn as_literal(bytes: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(bytes).ok()?;
    (!s.is_empty() && !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t'))
        .then(|| s.to_string())
}

fn literals(segments: &[Segment], consts: &[(u32, Option<u32>)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut starts: BTreeSet<u32> = BTreeSet::new();
    // (pointer, length) as two constants in a row.
    for &(a, next) in consts {
        if !in_data(segments, a) {
            continue;
        }
        starts.insert(a);
        if let Some(len) = next.filter(|&l| l > 0 && l <= MAX_LITERAL) {
            if let Some(s) = slice(segments, a, len).and_then(as_literal) {
                out.insert(s);
                starts.insert(a + len);
            }
        }
    }
    // (pointer, length) pairs in static tables (arrays of &str, panic locations).
    for seg in segments {
        let first = ((4 - seg.at % 4) % 4) as usize;
        for w in (first..seg.bytes.len().saturating_sub(7)).step_by(4) {
            let a = u32::from_le_bytes(seg.bytes[w..w + 4].try_into().unwrap_or([0; 4]));
            let len = u32::from_le_bytes(seg.bytes[w + 4..w + 8].try_into().unwrap_or([0; 4]));
            if len > 0 && len <= MAX_LITERAL {
                if let Some(s) = slice(segments, a, len).and_then(as_literal) {
                    out.insert(s);
                    starts.insert(a);
                    starts.insert(a + len);
                }
            }
        }
    }
    // Any other referenced address starts a literal that runs to the next referenced
    // address: literals are packed without separators, and an address stored in a local
    // before its length is still a start.
    let starts: Vec<u32> = starts.into_iter().collect();
    for (k, &a) in starts.iter().enumerate() {
        let seg_end = segments
            .iter()
            .find(|s| a >= s.at && ((a - s.at) as usize) < s.bytes.len())
            .map_or(a, |s| s.at + s.bytes.len() as u32);
        let end = starts
            .get(k + 1)
            .copied()
            .unwrap_or(u32::MAX)
            .min(a.saturating_add(64))
            .min(seg_end);
        if let Some(s) = slice(segments, a, end.saturating_sub(a)).and_then(as_literal) {
            out.insert(s);
        }
    }
    out
}

/// `__wbg_getItem_49556a3e59cfb688` → `getItem`; `__wbg_set_textContent_0177…` →
/// `set_textContent`: the Rust-side name wasm-bindgen put between prefix and hash.
pub fn short_name(import: &str) -> &str {
    let s = import
        .strip_prefix("__wbg_")
        .or_else(|| import.strip_prefix("__wbindgen_"))
        .unwrap_or(import);
    let s = s.strip_prefix("__wbindgen_").unwrap_or(s);
    match s.rsplit_once('_') {
        Some((head, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            head
        }
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names() {
        assert_eq!(short_name("__wbg_getItem_49556a3e59cfb688"), "getItem");
        assert_eq!(
            short_name("__wbg_set_textContent_0177b2a6d9293c2c"),
            "set_textContent"
        );
        assert_eq!(
            short_name("__wbg___wbindgen_throw_4c88d8bf264fd984"),
            "throw"
        );
        assert_eq!(
            short_name("__wbindgen_init_externref_table"),
            "init_externref_table"
        );
        assert_eq!(short_name("plain"), "plain");
    }

    #[test]
    fn invalid_modules_are_an_error_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\0asm",
            b"\0asm\x01\0\0\0\x02\xff\xff",
            b"not wasm at all",
        ] {
            assert!(read(bytes).is_err());
        }
        // The smallest valid module: header only.
        let facts = read(b"\0asm\x01\0\0\0").unwrap();
        assert!(facts.imports.is_empty() && facts.literals.is_empty());
    }

    #[test]
    fn literals_from_const_pairs_tables_and_boundaries() {
        let segs = vec![Segment {
            at: 100,
            bytes: b"imgsrcscriptdescriptionX\x6a\0\0\0\x06\0\0\0tail".to_vec(),
        }];
        // (100, 3) as a const pair; 103 referenced alone (runs to the next start, 106);
        // a table entry (106, 6) → "script".
        let consts = vec![(100, Some(3)), (3, None), (103, None)];
        let lits = literals(&segs, &consts);
        assert!(lits.contains("img"));
        assert!(lits.contains("src"));
        assert!(lits.contains("script"));
        assert!(!lits.iter().any(|l| l.contains("description")), "{lits:?}");
    }
}
