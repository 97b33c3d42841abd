//! The model: dense item indices, external ids, catalog fields, neighbour lists (CSR) and a
//! popularity fallback, plus its documented binary format (docs/model-format.md).
//!
//! Parsing validates every length, offset and index before use; hostile bytes give a
//! `ModelError`, never a panic or an allocation larger than the input justifies.
//! This file must stay free of `format!` and other heavy formatting: the Wasm links it.

use alloc::borrow::{Cow, ToOwned};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::lists::{self, BitReader, BitWriter, ListError, Packing};
/// A broken structural rule. Natively (the CLI, its tests) the message names the rule;
/// the Wasm carries only which part of the model is broken, because the ~80 rule texts
/// cost ~0.9 KB gzip of the widget (measured) and a shop fixes a broken model with the
/// CLI anyway (`attune inspect` names the rule).
macro_rules! invalid {
    ($part:expr, $rule:literal $(,)?) => {
        ModelError::Invalid(if cfg!(target_arch = "wasm32") {
            $part
        } else {
            $rule
        })
    };
}
// The parts a Wasm error names ("invalid model: …").
const P_LAYOUT: &str = "section layout";
const P_STRINGS: &str = "string table";
const P_IDS: &str = "item ids";
const P_CATALOG: &str = "catalog";
const P_NEIGHBOURS: &str = "neighbour lists";
const P_POPULAR: &str = "popularity list";
const P_SCORING: &str = "scoring parameters";
const P_FAMILIES: &str = "families";
const P_META: &str = "metadata";

/// Price unknown.
pub const NO_PRICE: u32 = u32::MAX;

/// Magic bytes at the start of every model file.
pub const MAGIC: [u8; 4] = *b"ATTN";
/// The format version this build writes (packed lists, docs/model-format.md).
pub const FORMAT_VERSION: u16 = 2;
/// The oldest version this build reads: version 1 files (u16 targets and weights) load
/// and score exactly as they always did.
pub const OLDEST_VERSION: u16 = 1;
/// Neighbour weights are multiples of `1 / WEIGHT_STEPS` in (0, 1], stored as the u16
/// `v = weight * 65536 - 1`. Similarities live in (0, 1]; a power-of-two grid makes the
/// rounding exact in f32 (0.5 stays 0.5) and costs 2 bytes per edge instead of 4.
pub const WEIGHT_STEPS: u32 = 65_536;

const TAG_IDS: [u8; 4] = *b"IDS_";
const TAG_TITLES: [u8; 4] = *b"TITL";
const TAG_PRICES: [u8; 4] = *b"PRIC";
const TAG_URLS: [u8; 4] = *b"URLS";
const TAG_IMAGES: [u8; 4] = *b"IMGS";
const TAG_NEIGHBORS: [u8; 4] = *b"NBRS";
const TAG_POPULAR: [u8; 4] = *b"POPL";
const TAG_META: [u8; 4] = *b"META";
const TAG_NEXT: [u8; 4] = *b"NEXT";
const TAG_PARAMS: [u8; 4] = *b"PARM";
const TAG_FAMILIES: [u8; 4] = *b"FAML";
/// A sharded model's file map (shard.rs); a model reader skips it.
pub const TAG_SHARD: [u8; 4] = *b"SHRD";

// PARM keys (docs/model-format.md, "Scoring parameters").
const KEY_HISTORY_DECAY: [u8; 4] = *b"HDCY";
const KEY_NEIGHBOR_WEIGHT: [u8; 4] = *b"NBWT";
const KEY_NEXT_DECAY: [u8; 4] = *b"NXDC";
const KEY_NEXT_WEIGHT: [u8; 4] = *b"NXWT";
const KEY_FAMILY_CAP: [u8; 4] = *b"FCAP";
const KEY_REPEAT_ONCE: [u8; 4] = *b"RPT1";
const KEY_POPULARITY_WEIGHT: [u8; 4] = *b"POPW";
/// Largest family cap a model may ask for.
pub const MAX_FAMILY_CAP: u32 = 65_535;

/// How the scorer blends the model's signals; chosen by the builder (stored in `PARM`).
/// `Scoring::default()` is exactly the scoring of models without a `PARM` section.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scoring {
    /// Each step back in the history multiplies an event's weight for the neighbour
    /// (co-purchase) signal by this, in (0, 1].
    pub history_decay: f32,
    /// Weight of the neighbour signal (`NBRS`), finite and >= 0.
    pub neighbor_weight: f32,
    /// Per-step decay for the "what comes next" signal (`NEXT`), in (0, 1]: usually
    /// steeper, because what comes next depends on the latest items.
    pub next_decay: f32,
    /// Weight of the `NEXT` signal, finite and >= 0. Multiplies the stored (0, 1] weights,
    /// so it also carries the section's scale.
    pub next_weight: f32,
    /// At most this many items of one family (near-duplicates, `FAML`) in a list before
    /// the others of that family; 0 = no limit.
    pub family_cap: u32,
    /// A repeated history item counts once, with its strongest weight (normally its most
    /// recent event), instead of the sum over its events. Stored as 1.0 / 0.0.
    pub repeat_once: bool,
    /// Weight of a popularity prior for a non-empty history: each item of the `POPL`
    /// list gains `popularity_weight × its score / the top score`. Finite and >= 0.
    pub popularity_weight: f32,
}

impl Default for Scoring {
    fn default() -> Self {
        Scoring {
            history_decay: crate::score::RECENCY_DECAY,
            neighbor_weight: 1.0,
            next_decay: 0.5,
            next_weight: 1.0,
            family_cap: 0,
            repeat_once: false,
            popularity_weight: 0.0,
        }
    }
}

impl Scoring {
    fn check(&self) -> Result<(), ModelError> {
        let unit = |x: f32| x.is_finite() && x > 0.0 && x <= 1.0;
        let weight = |x: f32| x.is_finite() && x >= 0.0;
        if !unit(self.history_decay) || !unit(self.next_decay) {
            return Err(invalid!(P_SCORING, "scoring decay not in (0, 1]"));
        }
        if !weight(self.neighbor_weight)
            || !weight(self.next_weight)
            || !weight(self.popularity_weight)
        {
            return Err(invalid!(P_SCORING, "scoring weight not finite and >= 0"));
        }
        if self.family_cap > MAX_FAMILY_CAP {
            return Err(invalid!(P_SCORING, "family cap too large"));
        }
        Ok(())
    }
}

const HEADER_LEN: usize = 12; // magic, version, flags, section count
const ENTRY_LEN: usize = 12; // tag, offset, length
const CRC_LEN: usize = 4;

/// Everything a model holds, as plain vectors: what the builder produces and what
/// `Model::from_parts` validates. Item `i` is the dense index `i` in every vector.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelParts {
    /// External item ids (SKUs), unique, non-empty, without whitespace or control
    /// characters (histories are whitespace-separated id lists).
    pub ids: Vec<String>,
    /// Display titles; empty string = unknown. Either empty (no catalog) or `ids.len()` long.
    pub titles: Vec<String>,
    /// Prices in minor units (cents/pence); `NO_PRICE` = unknown. Empty or `ids.len()` long.
    pub prices: Vec<u32>,
    /// Per-item product page URL; empty = none. Empty or `ids.len()` long.
    pub urls: Vec<String>,
    /// Per-item image URL; empty = none. Empty or `ids.len()` long.
    pub images: Vec<String>,
    /// CSR neighbour lists: neighbours of item `i` are
    /// `targets[offsets[i]..offsets[i+1]]` with `weights[..]`, best first, weights > 0.
    /// Weights must be in (0, 1]; `from_parts` rounds them to multiples of 1/65536
    /// (the stored resolution), so a model's parts survive a byte round trip exactly.
    pub offsets: Vec<u32>,
    pub targets: Vec<u32>,
    pub weights: Vec<f32>,
    /// "What comes next" lists (`NEXT`): directed, item `i` → items bought after it,
    /// best first, CSR with the same rules as the neighbours. All three empty = no such
    /// section (the scorer then uses the neighbours alone).
    pub next_offsets: Vec<u32>,
    pub next_targets: Vec<u32>,
    pub next_weights: Vec<f32>,
    /// How the scorer blends the signals (`PARM`, written only when not the default).
    pub scoring: Scoring,
    /// Near-duplicate families (`FAML`) for the diversity rule: `families[i]` is the index
    /// of item `i`'s family representative (itself when alone); items with the same value
    /// are one family. Empty = none, or `ids.len()` long with every value `< ids.len()`.
    pub families: Vec<u32>,
    /// Popularity fallback: item indices, most popular first, with a score each.
    pub popular: Vec<u32>,
    pub popular_scores: Vec<f32>,
    /// Free-form metadata (currency, source, builder settings), written in order.
    /// Keys are unique and non-empty.
    pub meta: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ModelError {
    /// Not an Attune model (wrong magic bytes).
    BadMagic,
    /// A format version this build cannot read.
    UnsupportedVersion(u16),
    /// The checksum does not match: the file is damaged or was altered.
    BadChecksum,
    /// The file ends before a header, table or section it announces.
    Truncated,
    /// A structural rule is broken; the string says which (e.g. "neighbour index out of range").
    Invalid(&'static str),
}

impl core::fmt::Display for ModelError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Static strings only: `write!` with arguments pulls the formatting machinery
        // into the Wasm.
        match self {
            ModelError::BadMagic => f.write_str("not an Attune model (bad magic bytes)"),
            ModelError::UnsupportedVersion(v) => {
                f.write_str("unsupported model format version ")?;
                write_u32(f, u32::from(*v))
            }
            ModelError::BadChecksum => {
                f.write_str("model checksum mismatch (file damaged or altered)")
            }
            ModelError::Truncated => f.write_str("model file is truncated"),
            ModelError::Invalid(why) => {
                f.write_str("invalid model: ")?;
                f.write_str(why)
            }
        }
    }
}

fn write_u32(f: &mut core::fmt::Formatter<'_>, mut v: u32) -> core::fmt::Result {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    f.write_str(core::str::from_utf8(&buf[i..]).unwrap_or("?"))
}

impl core::error::Error for ModelError {}

/// A validated, immutable model ready for scoring.
#[derive(Clone, Debug)]
pub struct Model {
    /// Everything but packed lists (their CSR vectors stay empty here).
    parts: ModelParts,
    /// Item indices sorted by id bytes: `index_of` is a binary search. Smaller in the
    /// Wasm than a HashMap and 4 bytes per item.
    by_id: Vec<u32>,
    /// A version 2 file's `NBRS` / `NEXT`, kept as stored and decoded one list at a time.
    nbrs: Option<Packed>,
    next: Option<Packed>,
}

/// One item's list: indices and weights, best first (ties by lower index for a packed
/// or `from_parts` list). Borrowed from a decoded model, decoded for a packed one.
pub type List<'a> = (Cow<'a, [u32]>, Cow<'a, [f32]>);

/// A packed list section as stored: read in place, one list when asked. Loading checks
/// the header and the checkpoints (O(items / 32)); a list's bits are checked when it is
/// decoded (a broken one reads as empty), and [`Model::verify`] checks them all.
#[derive(Clone, Debug)]
struct Packed {
    sec: Vec<u8>,
    n: usize,
    nnz: usize,
    packing: Packing,
    count_bits: u8,
}

impl Packed {
    fn parse(sec: &[u8], n: usize) -> Result<Packed, ModelError> {
        let mut r = Reader::new(sec);
        r.take(4)?;
        let nnz = r.u32()? as usize;
        r.take(2)?;
        let packing = Packing {
            weight_bits: r.u8()?,
            level_step: r.u8()?,
        };
        let count_bits = r.u8()?;
        if r.take(3)? != [0, 0, 0] {
            return Err(invalid!(P_NEIGHBOURS, "neighbour reserved bytes not zero"));
        }
        if !packing.is_valid() || count_bits > 24 {
            return Err(invalid!(P_NEIGHBOURS, "unknown neighbour weight packing"));
        }
        let checkpoints = n.div_ceil(lists::BLOCK);
        let raw = r.take(
            checkpoints
                .checked_mul(4)
                .ok_or(invalid!(P_LAYOUT, "section too short"))?,
        )?;
        let bits = (sec.len() - r.pos) as u64 * 8;
        // Each edge takes at least 2 bits (a gap's stop bit and a level bit).
        if nnz as u64 > bits / 2 {
            return Err(invalid!(
                P_NEIGHBOURS,
                "neighbour section length does not match edge count",
            ));
        }
        let mut prev = 0u64;
        for (j, c) in raw.chunks_exact(4).enumerate() {
            let c = u64::from(le_u32(c));
            if (j == 0 && c != 0) || c < prev || c > bits {
                return Err(invalid!(
                    P_NEIGHBOURS,
                    "neighbour checkpoints do not match the lists",
                ));
            }
            prev = c;
        }
        Ok(Packed {
            sec: sec.to_vec(),
            n,
            nnz,
            packing,
            count_bits,
        })
    }

    fn stream(&self) -> &[u8] {
        &self.sec[PACKED_HEADER + 4 * self.n.div_ceil(lists::BLOCK)..]
    }

    /// Item `i`'s list, best first; empty when its bits are broken (never a panic).
    fn list(&self, i: usize) -> (Vec<u32>, Vec<f32>) {
        let (mut targets, mut weights) = (Vec::new(), Vec::new());
        if i >= self.n {
            return (targets, weights);
        }
        let at = PACKED_HEADER + 4 * (i / lists::BLOCK);
        let mut r = BitReader::new(self.stream(), u64::from(le_u32(&self.sec[at..at + 4])));
        let first = i - i % lists::BLOCK;
        for j in first..i {
            if lists::read_list(&mut r, self.n, j, self.count_bits, self.packing, |_, _| {})
                .is_err()
            {
                return (targets, weights);
            }
        }
        let mut list: Vec<(u32, f32)> = Vec::new();
        if lists::read_list(&mut r, self.n, i, self.count_bits, self.packing, |t, w| {
            list.push((t, w))
        })
        .is_ok()
        {
            best_first(&mut list);
            for (t, w) in list {
                targets.push(t);
                weights.push(w);
            }
        }
        (targets, weights)
    }

    /// Every list, checked as strictly as a version 1 section.
    fn verify(&self) -> Result<Neighbors, ModelError> {
        read_packed(&self.sec, self.n, self.nnz)
    }
}

impl Model {
    /// Validates the parts (lengths, offsets monotonic, indices in range, unique ids,
    /// finite positive weights) and builds the id lookup. Weights are rounded to the
    /// stored resolution (multiples of 1/65536).
    pub fn from_parts(mut parts: ModelParts) -> Result<Model, ModelError> {
        // A model without neighbours may omit offsets entirely.
        if parts.offsets.is_empty() && parts.targets.is_empty() {
            parts.offsets = vec![0; parts.ids.len() + 1];
        }
        let n = parts.ids.len();
        snap(n, &parts.offsets, &mut parts.targets, &mut parts.weights)?;
        if !parts.next_offsets.is_empty() {
            snap(
                n,
                &parts.next_offsets,
                &mut parts.next_targets,
                &mut parts.next_weights,
            )?;
        }
        Model::validate(parts)
    }

    /// The structural rules of a model (weights already on the stored grid); shared by
    /// `from_parts` and `from_bytes`.
    fn validate(parts: ModelParts) -> Result<Model, ModelError> {
        Model::validate_with(parts, None, None)
    }

    /// `validate`, with packed sections standing in for the CSR lists they replace.
    fn validate_with(
        parts: ModelParts,
        nbrs: Option<Packed>,
        next: Option<Packed>,
    ) -> Result<Model, ModelError> {
        let n = parts.ids.len();
        if n > u32::MAX as usize - 1 {
            return Err(invalid!(P_IDS, "too many items"));
        }
        for id in &parts.ids {
            check_id(id)?;
        }
        let by_id = sorted_ids(&parts.ids)?;
        if !(parts.titles.is_empty() || parts.titles.len() == n) {
            return Err(invalid!(P_CATALOG, "titles length differs from item count"));
        }
        if !(parts.prices.is_empty() || parts.prices.len() == n) {
            return Err(invalid!(P_CATALOG, "prices length differs from item count"));
        }
        if !(parts.urls.is_empty() || parts.urls.len() == n) {
            return Err(invalid!(P_CATALOG, "urls length differs from item count"));
        }
        if !(parts.images.is_empty() || parts.images.len() == n) {
            return Err(invalid!(P_CATALOG, "images length differs from item count"));
        }
        if nbrs.is_none() {
            check_neighbors(n, &parts.offsets, &parts.targets, &parts.weights)?;
        }
        if !(parts.next_offsets.is_empty()
            && parts.next_targets.is_empty()
            && parts.next_weights.is_empty())
        {
            check_neighbors(
                n,
                &parts.next_offsets,
                &parts.next_targets,
                &parts.next_weights,
            )?;
        }
        check_popular(n, &parts.popular, &parts.popular_scores)?;
        parts.scoring.check()?;
        check_families(n, &parts.families)?;
        check_meta(&parts.meta)?;
        Ok(Model {
            parts,
            by_id,
            nbrs,
            next,
        })
    }

    /// Parses and validates the binary format. A version 2 file's lists are read in
    /// place: loading checks their headers and checkpoints, each list is decoded when
    /// asked for (`neighbors`, `next`), and [`Model::verify`] checks every one.
    // Decodes every other section into one `ModelParts` (so an error drops one value, not
    // a different set of vectors per exit), then validates through `from_parts`: the
    // structural rules live in one place, and the Wasm links one copy of them.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        let (s, version) = read_container(bytes)?;
        let need = |i: usize, e: ModelError| s[i].ok_or(e);
        let mut p = ModelParts {
            ids: read_strings(need(S_IDS, invalid!(P_IDS, "missing item id section"))?)?,
            ..ModelParts::default()
        };
        let n = p.ids.len();
        p.titles = read_catalog(s[S_TITLES], n)?;
        p.urls = read_catalog(s[S_URLS], n)?;
        p.images = read_catalog(s[S_IMAGES], n)?;
        if let Some(b) = s[S_PRICES] {
            let mut r = Reader::new(b);
            if r.u32()? as usize != n {
                return Err(invalid!(P_CATALOG, "prices length differs from item count"));
            }
            p.prices = r.words(n, 4)?;
            r.finish()?;
        }
        let (mut nbrs, mut next) = (None, None);
        let sec = need(
            S_NEIGHBORS,
            invalid!(P_NEIGHBOURS, "missing neighbour section"),
        )?;
        match packed(sec, n, version)? {
            Some(pk) => nbrs = Some(pk),
            None => (p.offsets, p.targets, p.weights) = read_neighbors(sec, n, version)?,
        }
        (p.popular, p.popular_scores) = read_popular(need(
            S_POPULAR,
            invalid!(P_POPULAR, "missing popularity section"),
        )?)?;
        if let Some(b) = s[S_META] {
            p.meta = read_meta(b)?;
        }
        if let Some(b) = s[S_NEXT] {
            match packed(b, n, version)? {
                Some(pk) => next = Some(pk),
                None => {
                    (p.next_offsets, p.next_targets, p.next_weights) =
                        read_neighbors(b, n, version)?
                }
            }
        }
        if let Some(b) = s[S_PARAMS] {
            p.scoring = read_params(b)?;
        }
        if let Some(b) = s[S_FAMILIES] {
            p.families = read_families(b, n)?;
        }
        Model::validate_with(p, nbrs, next)
    }

    /// Checks every packed list as strictly as a version 1 file's (targets in range, no
    /// self-loops, lengths adding up to the edge count, checkpoints where lists start, no
    /// bits left over). `from_bytes` leaves this to the lists actually used; the CLI and
    /// the audit run it.
    pub fn verify(&self) -> Result<(), ModelError> {
        for pk in self.nbrs.iter().chain(&self.next) {
            pk.verify()?;
        }
        Ok(())
    }

    /// Serialises to the binary format (version 2, packed lists); deterministic (same
    /// model, same bytes). A model read from a version 1 file is packed too, so its
    /// weights are rounded to version 2's grid.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.write(FORMAT_VERSION, &[])
    }

    /// `to_bytes` with extra sections after the model's own (a shard's `SHRD`).
    pub fn to_bytes_with(&self, extra: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
        self.write(FORMAT_VERSION, extra)
    }

    /// Serialises to format version 1 (u16 targets and weights, 4-byte offsets), which
    /// readers before version 2 understand; weights are rounded to its 1/65536 grid.
    pub fn to_bytes_v1(&self) -> Vec<u8> {
        self.write(1, &[])
    }

    fn write(&self, version: u16, extra: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
        let all = self.to_parts();
        let p = &all;
        let lists = if version == 1 {
            write_neighbors
        } else {
            write_packed
        };
        let mut sections: Vec<([u8; 4], Vec<u8>)> = Vec::new();
        sections.push((TAG_IDS, write_strings(p.ids.iter().map(String::as_str))));
        if !p.titles.is_empty() {
            sections.push((
                TAG_TITLES,
                write_strings(p.titles.iter().map(String::as_str)),
            ));
        }
        if !p.prices.is_empty() {
            let mut b = Vec::with_capacity(4 + 4 * p.prices.len());
            put_u32(&mut b, p.prices.len() as u32);
            for &x in &p.prices {
                put_u32(&mut b, x);
            }
            sections.push((TAG_PRICES, b));
        }
        if !p.urls.is_empty() {
            sections.push((TAG_URLS, write_strings(p.urls.iter().map(String::as_str))));
        }
        if !p.images.is_empty() {
            sections.push((
                TAG_IMAGES,
                write_strings(p.images.iter().map(String::as_str)),
            ));
        }
        sections.push((
            TAG_NEIGHBORS,
            lists(n_items(p), &p.offsets, &p.targets, &p.weights),
        ));
        if !p.next_offsets.is_empty() {
            sections.push((
                TAG_NEXT,
                lists(
                    n_items(p),
                    &p.next_offsets,
                    &p.next_targets,
                    &p.next_weights,
                ),
            ));
        }
        let mut b = Vec::with_capacity(4 + 8 * p.popular.len());
        put_u32(&mut b, p.popular.len() as u32);
        for &x in &p.popular {
            put_u32(&mut b, x);
        }
        for &s in &p.popular_scores {
            put_u32(&mut b, s.to_bits());
        }
        sections.push((TAG_POPULAR, b));
        if p.scoring != Scoring::default() {
            sections.push((TAG_PARAMS, write_params(&p.scoring)));
        }
        if !p.families.is_empty() {
            let n = p.families.len();
            let wide = n > 65_536;
            let mut b = Vec::with_capacity(8 + if wide { 4 } else { 2 } * n);
            put_u32(&mut b, n as u32);
            b.extend_from_slice(&[if wide { 4 } else { 2 }, 0, 0, 0]);
            for &f in &p.families {
                if wide {
                    put_u32(&mut b, f);
                } else {
                    // f < n ≤ 65536.
                    b.extend_from_slice(&(f as u16).to_le_bytes());
                }
            }
            sections.push((TAG_FAMILIES, b));
        }
        if !p.meta.is_empty() {
            let mut b = Vec::new();
            put_u32(&mut b, p.meta.len() as u32);
            b.extend(write_strings(
                p.meta.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]),
            ));
            sections.push((TAG_META, b));
        }
        sections.extend(extra.iter().cloned());
        write_container(&sections, version)
    }

    pub fn len(&self) -> usize {
        self.parts.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Dense index of an external id.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        let ids = &self.parts.ids;
        self.by_id
            .binary_search_by(|&i| ids[i as usize].as_bytes().cmp(id.as_bytes()))
            .ok()
            .map(|pos| self.by_id[pos])
    }
    /// External id of `item`. Panics if `item >= len()`, like slice indexing: indices
    /// come from the model itself or from `index_of`.
    pub fn id(&self, item: u32) -> &str {
        &self.parts.ids[item as usize]
    }
    /// Title, or None when the catalog has none for this item.
    pub fn title(&self, item: u32) -> Option<&str> {
        non_empty(self.parts.titles.get(item as usize))
    }
    /// Price in minor units, or None.
    pub fn price(&self, item: u32) -> Option<u32> {
        self.parts
            .prices
            .get(item as usize)
            .copied()
            .filter(|&p| p != NO_PRICE)
    }
    pub fn url(&self, item: u32) -> Option<&str> {
        non_empty(self.parts.urls.get(item as usize))
    }
    pub fn image(&self, item: u32) -> Option<&str> {
        non_empty(self.parts.images.get(item as usize))
    }
    /// Neighbour indices and weights of `item`, best first. Empty for an unknown index.
    pub fn neighbors(&self, item: u32) -> List<'_> {
        let p = &self.parts;
        list(
            self.nbrs.as_ref(),
            item as usize,
            &p.offsets,
            &p.targets,
            &p.weights,
        )
    }
    /// "What comes next" after `item` (directed), best first. Empty when the model has
    /// no `NEXT` section or for an unknown index.
    pub fn next(&self, item: u32) -> List<'_> {
        let p = &self.parts;
        list(
            self.next.as_ref(),
            item as usize,
            &p.next_offsets,
            &p.next_targets,
            &p.next_weights,
        )
    }
    /// Whether the model carries "what comes next" lists.
    pub fn has_next(&self) -> bool {
        self.next.is_some() || !self.parts.next_offsets.is_empty()
    }
    /// The scoring blend the builder chose (defaults for older models).
    pub fn scoring(&self) -> &Scoring {
        &self.parts.scoring
    }
    /// Replaces the scoring blend (validated), e.g. to try settings without a rebuild.
    pub fn set_scoring(&mut self, scoring: Scoring) -> Result<(), ModelError> {
        scoring.check()?;
        self.parts.scoring = scoring;
        Ok(())
    }
    /// Near-duplicate family of `item`, or None when the model has no families.
    pub fn family(&self, item: u32) -> Option<u32> {
        self.parts.families.get(item as usize).copied()
    }
    /// Popularity fallback, most popular first.
    pub fn popular(&self) -> (&[u32], &[f32]) {
        (&self.parts.popular, &self.parts.popular_scores)
    }
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.parts
            .meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
    /// Everything the model holds as plain vectors (packed lists decoded).
    pub fn to_parts(&self) -> ModelParts {
        let mut p = self.parts.clone();
        if let Some(pk) = &self.nbrs {
            (p.offsets, p.targets, p.weights) = decode_all(pk);
        }
        if let Some(pk) = &self.next {
            (p.next_offsets, p.next_targets, p.next_weights) = decode_all(pk);
        }
        p
    }
    /// Consumes the model, returning its (validated, weight-rounded) parts.
    pub fn into_parts(self) -> ModelParts {
        if self.nbrs.is_some() || self.next.is_some() {
            return self.to_parts();
        }
        self.parts
    }
    /// Total number of neighbour edges.
    pub fn edge_count(&self) -> usize {
        match &self.nbrs {
            Some(pk) => pk.nnz,
            None => self.parts.targets.len(),
        }
    }
}

/// One list of a packed section, or of CSR vectors.
fn list<'a>(
    packed: Option<&Packed>,
    i: usize,
    offsets: &'a [u32],
    targets: &'a [u32],
    weights: &'a [f32],
) -> List<'a> {
    if let Some(pk) = packed {
        let (t, w) = pk.list(i);
        return (Cow::Owned(t), Cow::Owned(w));
    }
    if i + 1 >= offsets.len() {
        return (Cow::Borrowed(&[]), Cow::Borrowed(&[]));
    }
    let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
    (Cow::Borrowed(&targets[a..b]), Cow::Borrowed(&weights[a..b]))
}

/// Every list of a packed section as CSR, each as `Packed::list` gives it.
fn decode_all(pk: &Packed) -> Neighbors {
    let mut offsets = Vec::with_capacity(pk.n + 1);
    let (mut targets, mut weights) = (Vec::new(), Vec::new());
    offsets.push(0);
    for i in 0..pk.n {
        let (t, w) = pk.list(i);
        targets.extend(t);
        weights.extend(w);
        offsets.push(targets.len() as u32);
    }
    (offsets, targets, weights)
}

/// A version 2 packed section (width 0, encoding 2), read in place; `None` for the CSR
/// layout, which `read_neighbors` decodes and checks.
fn packed(sec: &[u8], n: usize, version: u16) -> Result<Option<Packed>, ModelError> {
    if version < 2 || sec.len() < 10 || sec[8..10] != [0, 2] {
        return Ok(None);
    }
    if le_u32(sec) as usize != n {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour item count differs from id count",
        ));
    }
    Packed::parse(sec, n).map(Some)
}

fn n_items(p: &ModelParts) -> usize {
    p.ids.len()
}

fn write_neighbors(n: usize, offsets: &[u32], targets: &[u32], weights: &[f32]) -> Vec<u8> {
    let wide = n > 65_536;
    let nnz = targets.len();
    let mut b = Vec::with_capacity(12 + 4 * (n + 1) + nnz * if wide { 6 } else { 4 });
    put_u32(&mut b, n as u32);
    put_u32(&mut b, nnz as u32);
    b.push(if wide { 4 } else { 2 });
    b.push(1); // weight encoding 1: u16 v, weight = (v + 1) / 65536
    b.extend_from_slice(&[0, 0]);
    for &o in offsets {
        put_u32(&mut b, o);
    }
    for &t in targets {
        if wide {
            put_u32(&mut b, t);
        } else {
            // n ≤ 65536 so every index fits in u16.
            b.extend_from_slice(&(t as u16).to_le_bytes());
        }
    }
    for &w in weights {
        // Valid weights are in (0, 1]: rounded to the 1/65536 grid (exact when on it).
        let v = quantise(w).unwrap_or(0);
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

/// NBRS / NEXT in version 2: header, checkpoints, the packed lists (lists.rs).
fn write_packed(n: usize, offsets: &[u32], targets: &[u32], weights: &[f32]) -> Vec<u8> {
    let p = Packing::WRITER;
    let longest = offsets.windows(2).map(|w| (w[1] - w[0]) as usize).max();
    let count_bits = lists::bit_width(longest.unwrap_or(0));
    let blocks = n.div_ceil(lists::BLOCK);
    let mut w = BitWriter::default();
    let mut checkpoints = Vec::with_capacity(blocks);
    for i in 0..n {
        if i % lists::BLOCK == 0 {
            checkpoints.push(w.bits() as u32);
        }
        let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
        lists::write_list(&mut w, n, count_bits, p, &targets[a..b], &weights[a..b]);
    }
    let stream = w.finish();
    let mut b = Vec::with_capacity(PACKED_HEADER + 4 * blocks + stream.len());
    put_u32(&mut b, n as u32);
    put_u32(&mut b, targets.len() as u32);
    b.extend_from_slice(&[0, 2, p.weight_bits, p.level_step, count_bits, 0, 0, 0]);
    for c in checkpoints {
        put_u32(&mut b, c);
    }
    b.extend_from_slice(&stream);
    b
}

/// Header of a packed list section: n, nnz, width 0, encoding 2, weight bits, level
/// step, count bits, three reserved bytes.
const PACKED_HEADER: usize = 16;

fn write_params(s: &Scoring) -> Vec<u8> {
    let entries: [([u8; 4], f32); 7] = [
        (KEY_HISTORY_DECAY, s.history_decay),
        (KEY_NEIGHBOR_WEIGHT, s.neighbor_weight),
        (KEY_NEXT_DECAY, s.next_decay),
        (KEY_NEXT_WEIGHT, s.next_weight),
        (KEY_FAMILY_CAP, s.family_cap as f32),
        (KEY_REPEAT_ONCE, if s.repeat_once { 1.0 } else { 0.0 }),
        (KEY_POPULARITY_WEIGHT, s.popularity_weight),
    ];
    let mut b = Vec::with_capacity(4 + 8 * entries.len());
    put_u32(&mut b, entries.len() as u32);
    for (k, v) in entries {
        b.extend_from_slice(&k);
        put_u32(&mut b, v.to_bits());
    }
    b
}

/// PARM: count u32, then count × {key [u8; 4], value f32}. Unknown keys are skipped (a
/// newer builder may add knobs an older scorer can ignore); a known key twice is an error.
fn read_params(sec: &[u8]) -> Result<Scoring, ModelError> {
    let mut r = Reader::new(sec);
    let count = r.u32()? as usize;
    if count.checked_mul(8) != Some(sec.len() - 4) {
        return Err(invalid!(
            P_SCORING,
            "parameter section length does not match its count",
        ));
    }
    let mut s = Scoring::default();
    let mut seen = [false; 7];
    for _ in 0..count {
        let e = r.take(8)?;
        let key = [e[0], e[1], e[2], e[3]];
        let v = f32::from_bits(le_u32(&e[4..]));
        let slot = match key {
            KEY_HISTORY_DECAY => 0,
            KEY_NEIGHBOR_WEIGHT => 1,
            KEY_NEXT_DECAY => 2,
            KEY_NEXT_WEIGHT => 3,
            KEY_FAMILY_CAP => 4,
            KEY_REPEAT_ONCE => 5,
            KEY_POPULARITY_WEIGHT => 6,
            _ => continue,
        };
        if seen[slot] {
            return Err(invalid!(P_SCORING, "duplicate scoring parameter"));
        }
        seen[slot] = true;
        match slot {
            0 => s.history_decay = v,
            1 => s.neighbor_weight = v,
            2 => s.next_decay = v,
            3 => s.next_weight = v,
            6 => s.popularity_weight = v,
            5 => {
                if v != 0.0 && v != 1.0 {
                    return Err(invalid!(P_SCORING, "repeat flag not 0 or 1"));
                }
                s.repeat_once = v == 1.0;
            }
            _ => {
                if !(v >= 0.0 && v <= MAX_FAMILY_CAP as f32 && v == (v as u32) as f32) {
                    return Err(invalid!(
                        P_SCORING,
                        "family cap not a whole number in range",
                    ));
                }
                s.family_cap = v as u32;
            }
        }
    }
    Ok(s)
}

/// Rounds each list's weights to the stored grid (lists.rs: the best weight's level and
/// levels relative to it) and puts each list in the order a reader gives it back: best
/// first, ties by lower index. The structural rules are `check_neighbors`'.
fn snap(
    n: usize,
    offsets: &[u32],
    targets: &mut [u32],
    weights: &mut [f32],
) -> Result<(), ModelError> {
    if weights.len() != targets.len() {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour weights and targets differ in length",
        ));
    }
    check_offsets(n, offsets, targets.len())?;
    for &w in weights.iter() {
        quantise(w)?;
    }
    let p = Packing::WRITER;
    let mut list: Vec<(u32, f32)> = Vec::new();
    for o in offsets.windows(2) {
        let (a, b) = (o[0] as usize, o[1] as usize);
        p.snap(&mut weights[a..b]);
        list.clear();
        list.extend(
            targets[a..b]
                .iter()
                .copied()
                .zip(weights[a..b].iter().copied()),
        );
        best_first(&mut list);
        for (k, &(t, w)) in list.iter().enumerate() {
            targets[a + k] = t;
            weights[a + k] = w;
        }
    }
    Ok(())
}

/// Best weight first, ties by lower index (weights are on a grid: never NaN).
fn best_first(list: &mut [(u32, f32)]) {
    crate::sort::heapsort_by(list, |x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
}

fn non_empty(s: Option<&String>) -> Option<&str> {
    s.map(String::as_str).filter(|s| !s.is_empty())
}

/// Rounds a weight in (0, 1] to the stored grid (what `Model::from_parts` keeps).
/// Values outside (0, 1] are returned unchanged (and rejected by `from_parts`).
pub fn snap_weight(w: f32) -> f32 {
    match quantise(w) {
        Ok(v) => dequantise(v),
        Err(_) => w,
    }
}

/// Weight → stored u16 `v` (weight = (v + 1) / 65536). Tiny positive weights round up
/// to the smallest step rather than vanish.
fn quantise(w: f32) -> Result<u16, ModelError> {
    if !(w.is_finite() && w > 0.0 && w <= 1.0) {
        return Err(invalid!(P_NEIGHBOURS, "neighbour weight not in (0, 1]"));
    }
    // Round half away from zero, as `f32::round` (std only, and the Wasm is no_std):
    // x is in (0, 65536], so its integer part and `x - int` are exact.
    let x = w * WEIGHT_STEPS as f32;
    let int = x as u32;
    let q = int + u32::from(x - int as f32 >= 0.5);
    Ok((q.max(1) - 1) as u16)
}

fn dequantise(v: u16) -> f32 {
    (v as u32 + 1) as f32 / WEIGHT_STEPS as f32
}

fn check_id(id: &str) -> Result<(), ModelError> {
    if id.is_empty() {
        return Err(invalid!(P_IDS, "empty item id"));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid!(
            P_IDS,
            "item id contains whitespace or a control character",
        ));
    }
    Ok(())
}

fn sorted_ids(ids: &[String]) -> Result<Vec<u32>, ModelError> {
    let mut by_id: Vec<u32> = (0..ids.len() as u32).collect();
    // Equal ids compare equal, so the order among duplicates is arbitrary, but they are
    // rejected just below; heapsort keeps std's sorts out of the Wasm.
    crate::sort::heapsort_by(&mut by_id, |&a, &b| {
        ids[a as usize].as_bytes().cmp(ids[b as usize].as_bytes())
    });
    if by_id
        .windows(2)
        .any(|w| ids[w[0] as usize] == ids[w[1] as usize])
    {
        return Err(invalid!(P_IDS, "duplicate item id"));
    }
    Ok(by_id)
}

fn check_neighbors(
    n: usize,
    offsets: &[u32],
    targets: &[u32],
    weights: &[f32],
) -> Result<(), ModelError> {
    if targets.len() != weights.len() {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour offsets do not end at the edge count",
        ));
    }
    check_offsets(n, offsets, targets.len())?;
    // Per-row duplicate check with a stamp buffer: O(n + edges), no hashing.
    let mut seen = vec![u32::MAX; n];
    for i in 0..n {
        let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
        let mut prev = f32::INFINITY;
        for k in a..b {
            let t = targets[k] as usize;
            if t >= n {
                return Err(invalid!(P_NEIGHBOURS, "neighbour index out of range"));
            }
            if t == i {
                return Err(invalid!(P_NEIGHBOURS, "item is its own neighbour"));
            }
            if seen[t] == i as u32 {
                return Err(invalid!(P_NEIGHBOURS, "duplicate neighbour"));
            }
            seen[t] = i as u32;
            // Weights are on the grid (never NaN): compared exactly as their stored u16.
            if weights[k] > prev {
                return Err(invalid!(P_NEIGHBOURS, "neighbours not sorted best first"));
            }
            prev = weights[k];
        }
    }
    Ok(())
}

fn check_offsets(n: usize, offsets: &[u32], edges: usize) -> Result<(), ModelError> {
    if offsets.len() != n + 1 {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour offsets length is not item count + 1",
        ));
    }
    if offsets[0] != 0 {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour offsets do not start at 0"
        ));
    }
    if offsets[n] as usize != edges {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour offsets do not end at the edge count",
        ));
    }
    if offsets.windows(2).any(|w| w[0] > w[1]) {
        return Err(invalid!(P_NEIGHBOURS, "neighbour offsets not monotonic"));
    }
    Ok(())
}

fn check_popular(n: usize, popular: &[u32], scores: &[f32]) -> Result<(), ModelError> {
    if popular.len() != scores.len() {
        return Err(invalid!(
            P_POPULAR,
            "popular items and scores differ in length",
        ));
    }
    if popular.len() > n {
        return Err(invalid!(P_POPULAR, "more popular items than items"));
    }
    let mut seen = vec![false; n];
    let mut prev = f32::INFINITY;
    for (&i, &s) in popular.iter().zip(scores) {
        let i = i as usize;
        if i >= n {
            return Err(invalid!(P_POPULAR, "popular index out of range"));
        }
        if seen[i] {
            return Err(invalid!(P_POPULAR, "duplicate popular item"));
        }
        seen[i] = true;
        if !(s.is_finite() && s >= 0.0) {
            return Err(invalid!(P_POPULAR, "popularity score not finite and >= 0"));
        }
        if s > prev {
            return Err(invalid!(
                P_POPULAR,
                "popular items not sorted most popular first",
            ));
        }
        prev = s;
    }
    Ok(())
}

fn check_families(n: usize, families: &[u32]) -> Result<(), ModelError> {
    if families.is_empty() {
        return Ok(());
    }
    if families.len() != n {
        return Err(invalid!(
            P_FAMILIES,
            "families length differs from item count",
        ));
    }
    if families.iter().any(|&f| f as usize >= n) {
        return Err(invalid!(P_FAMILIES, "family index out of range"));
    }
    Ok(())
}

/// FAML: `n` u32, width u8 (2 or 4), three zero bytes, `n` family indices of that width.
fn read_families(sec: &[u8], n: usize) -> Result<Vec<u32>, ModelError> {
    let mut r = Reader::new(sec);
    if r.u32()? as usize != n {
        return Err(invalid!(
            P_FAMILIES,
            "families length differs from item count",
        ));
    }
    let width = r.u8()?;
    if r.take(3)? != [0, 0, 0] {
        return Err(invalid!(P_FAMILIES, "family reserved bytes not zero"));
    }
    if !(width == 4 || (width == 2 && n <= 65_536)) {
        return Err(invalid!(P_FAMILIES, "unknown family width"));
    }
    if n.checked_mul(width as usize) != Some(sec.len() - 8) {
        return Err(invalid!(
            P_FAMILIES,
            "family section length does not match its count",
        ));
    }
    r.words(n, width as usize)
}

fn check_meta(meta: &[(String, String)]) -> Result<(), ModelError> {
    for (i, (k, _)) in meta.iter().enumerate() {
        if k.is_empty() {
            return Err(invalid!(P_META, "empty meta key"));
        }
        if meta[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(invalid!(P_META, "duplicate meta key"));
        }
    }
    Ok(())
}

// ---- container: header, section table, CRC ----

fn write_container(sections: &[([u8; 4], Vec<u8>)], version: u16) -> Vec<u8> {
    let table_end = HEADER_LEN + ENTRY_LEN * sections.len();
    let body: usize = sections.iter().map(|(_, b)| b.len()).sum();
    let mut out = Vec::with_capacity(table_end + body + CRC_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    put_u32(&mut out, sections.len() as u32);
    let mut offset = table_end;
    for (tag, b) in sections {
        out.extend_from_slice(tag);
        put_u32(&mut out, offset as u32);
        put_u32(&mut out, b.len() as u32);
        offset += b.len();
    }
    for (_, b) in sections {
        out.extend_from_slice(b);
    }
    let crc = crc32(&out);
    put_u32(&mut out, crc);
    out
}

// Slots of the known sections in what `read_container` returns.
const S_IDS: usize = 0;
const S_TITLES: usize = 1;
const S_PRICES: usize = 2;
const S_URLS: usize = 3;
const S_IMAGES: usize = 4;
const S_NEIGHBORS: usize = 5;
const S_POPULAR: usize = 6;
const S_META: usize = 7;
const S_NEXT: usize = 8;
const S_PARAMS: usize = 9;
const S_FAMILIES: usize = 10;
const TAGS: [[u8; 4]; 11] = [
    TAG_IDS,
    TAG_TITLES,
    TAG_PRICES,
    TAG_URLS,
    TAG_IMAGES,
    TAG_NEIGHBORS,
    TAG_POPULAR,
    TAG_META,
    TAG_NEXT,
    TAG_PARAMS,
    TAG_FAMILIES,
];

/// Checks header, table bounds and checksum; returns the body of each known section
/// (slot `S_*`), `None` when absent. Unknown sections are skipped: forward compatible.
type Sections<'a> = [Option<&'a [u8]>; 11];

fn read_container(bytes: &[u8]) -> Result<(Sections<'_>, u16), ModelError> {
    let m = bytes.len().min(4);
    if bytes[..m] != MAGIC[..m] {
        return Err(ModelError::BadMagic);
    }
    if bytes.len() < HEADER_LEN {
        return Err(ModelError::Truncated);
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if !(OLDEST_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(ModelError::UnsupportedVersion(version));
    }
    if u16::from_le_bytes([bytes[6], bytes[7]]) != 0 {
        return Err(invalid!(P_LAYOUT, "unknown header flags"));
    }
    let count = le_u32(&bytes[8..12]) as usize;
    let table_end = count
        .checked_mul(ENTRY_LEN)
        .and_then(|t| t.checked_add(HEADER_LEN))
        .ok_or(ModelError::Truncated)?;
    // Sections must lie between the table and the CRC; a cut-off file fails here,
    // before the checksum, so truncation reports as such.
    let content_end = bytes
        .len()
        .checked_sub(CRC_LEN)
        .ok_or(ModelError::Truncated)?;
    if table_end > content_end {
        return Err(ModelError::Truncated);
    }
    let mut slots: [Option<&[u8]>; 11] = [None; 11];
    let mut duplicate = false;
    let mut prev_end = table_end;
    for entry in bytes[HEADER_LEN..table_end].chunks_exact(ENTRY_LEN) {
        let off = le_u32(&entry[4..]) as usize;
        let end = off
            .checked_add(le_u32(&entry[8..]) as usize)
            .filter(|&e| e <= content_end)
            .ok_or(ModelError::Truncated)?;
        if off < prev_end {
            return Err(invalid!(P_LAYOUT, "sections overlap or are out of order"));
        }
        prev_end = end;
        if let Some(i) = TAGS.iter().position(|t| t[..] == entry[..4]) {
            duplicate |= slots[i].is_some();
            slots[i] = Some(&bytes[off..end]);
        }
    }
    if crc32(&bytes[..content_end]) != le_u32(&bytes[content_end..]) {
        return Err(ModelError::BadChecksum);
    }
    if duplicate {
        return Err(invalid!(P_LAYOUT, "duplicate section"));
    }
    Ok((slots, version))
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }
    fn take(&mut self, len: usize) -> Result<&'a [u8], ModelError> {
        let s = self
            .pos
            .checked_add(len)
            .and_then(|end| self.b.get(self.pos..end))
            .ok_or(invalid!(P_LAYOUT, "section too short"))?;
        self.pos += len;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, ModelError> {
        Ok(le_u32(self.take(4)?))
    }
    fn u8(&mut self) -> Result<u8, ModelError> {
        Ok(self.take(1)?[0])
    }
    /// `count` little-endian words of `width` bytes (2 or 4), widened to u32; the
    /// length check comes before any allocation. One loop for every integer array of
    /// the format: each `collect` over a different iterator is another copy in the Wasm.
    fn words(&mut self, count: usize, width: usize) -> Result<Vec<u32>, ModelError> {
        let raw = self.take(
            count
                .checked_mul(width)
                .ok_or(invalid!(P_LAYOUT, "section too short"))?,
        )?;
        let mut out = Vec::with_capacity(count);
        for c in raw.chunks_exact(width) {
            out.push(if width == 4 {
                le_u32(c)
            } else {
                u32::from(c[0]) | u32::from(c[1]) << 8
            });
        }
        Ok(out)
    }
    fn finish(&self) -> Result<(), ModelError> {
        if self.pos != self.b.len() {
            return Err(invalid!(P_LAYOUT, "trailing bytes in section"));
        }
        Ok(())
    }
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// String table: count u32, offsets u32[count+1] into the byte blob, blob.
fn write_strings<'s>(strings: impl Iterator<Item = &'s str> + Clone) -> Vec<u8> {
    let count = strings.clone().count();
    let blob: usize = strings.clone().map(str::len).sum();
    let mut b = Vec::with_capacity(4 + 4 * (count + 1) + blob);
    put_u32(&mut b, count as u32);
    let mut at = 0u32;
    put_u32(&mut b, 0);
    for s in strings.clone() {
        at += s.len() as u32;
        put_u32(&mut b, at);
    }
    for s in strings {
        b.extend_from_slice(s.as_bytes());
    }
    b
}

fn read_strings(sec: &[u8]) -> Result<Vec<String>, ModelError> {
    let mut r = Reader::new(sec);
    let count = r.u32()? as usize;
    let offsets = r.words(
        count
            .checked_add(1)
            .ok_or(invalid!(P_STRINGS, "section too short"))?,
        4,
    )?;
    let blob = &sec[r.pos..];
    if offsets[0] != 0 {
        return Err(invalid!(P_STRINGS, "string offsets do not start at 0"));
    }
    if offsets[count] as usize != blob.len() {
        return Err(invalid!(
            P_STRINGS,
            "string offsets do not end at the blob length",
        ));
    }
    let mut out = Vec::with_capacity(count);
    for w in offsets.windows(2) {
        let s = blob
            .get(w[0] as usize..w[1] as usize)
            .ok_or(invalid!(P_STRINGS, "string offsets not monotonic"))?;
        let s = core::str::from_utf8(s).map_err(|_| invalid!(P_STRINGS, "string is not UTF-8"))?;
        out.push(s.to_owned());
    }
    Ok(out)
}

/// A per-item catalog section (titles, URLs, images): none, or one string per item.
fn read_catalog(sec: Option<&[u8]>, n: usize) -> Result<Vec<String>, ModelError> {
    let Some(b) = sec else {
        return Ok(Vec::new());
    };
    let v = read_strings(b)?;
    if v.len() != n {
        return Err(invalid!(
            P_CATALOG,
            "catalog section length differs from item count",
        ));
    }
    Ok(v)
}

/// CSR offsets, targets and weights as stored (on the 1/65536 grid), not yet validated.
type Neighbors = (Vec<u32>, Vec<u32>, Vec<f32>);

/// NBRS / NEXT: offsets, targets and weights, not yet validated (`from_parts` does).
fn read_neighbors(sec: &[u8], n: usize, version: u16) -> Result<Neighbors, ModelError> {
    let mut r = Reader::new(sec);
    if r.u32()? as usize != n {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour item count differs from id count",
        ));
    }
    let nnz = r.u32()? as usize;
    let width = r.u8()?;
    let encoding = r.u8()?;
    let _ = version; // packed sections (version 2) are `Packed`'s
    if r.take(2)? != [0, 0] {
        return Err(invalid!(P_NEIGHBOURS, "neighbour reserved bytes not zero"));
    }
    if !(width == 4 || (width == 2 && n <= 65_536)) {
        return Err(invalid!(P_NEIGHBOURS, "unknown neighbour target width"));
    }
    if encoding != 1 {
        return Err(invalid!(P_NEIGHBOURS, "unknown neighbour weight encoding"));
    }
    let offsets = r.words(
        n.checked_add(1)
            .ok_or(invalid!(P_NEIGHBOURS, "section too short"))?,
        4,
    )?;
    // Exact-length check before allocating edge vectors: nnz is bounded by the section.
    if nnz.checked_mul(width as usize + 2) != Some(sec.len() - r.pos) {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour section length does not match edge count",
        ));
    }
    let targets = r.words(nnz, width as usize)?;
    let weights = floats(&r.words(nnz, 2)?, dequantise_word);
    Ok((offsets, targets, weights))
}

/// A packed section (version 2) decoded whole; lists come out best first, ties by
/// lower index (what `from_parts` makes of any list).
fn read_packed(sec: &[u8], n: usize, nnz: usize) -> Result<Neighbors, ModelError> {
    let mut r = Reader::new(sec);
    r.take(10)?;
    let p = Packing {
        weight_bits: r.u8()?,
        level_step: r.u8()?,
    };
    let count_bits = r.u8()?;
    if r.take(3)? != [0, 0, 0] {
        return Err(invalid!(P_NEIGHBOURS, "neighbour reserved bytes not zero"));
    }
    if !p.is_valid() || count_bits > 24 {
        return Err(invalid!(P_NEIGHBOURS, "unknown neighbour weight packing"));
    }
    let blocks = n.div_ceil(lists::BLOCK);
    let checkpoints = r.words(blocks, 4)?;
    let stream = &sec[r.pos..];
    // Each edge takes at least 2 bits (a gap's stop bit and a level bit): the edge count
    // is bounded by the section before any vector is sized from it.
    if nnz > stream.len() * 4 {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour section length does not match edge count",
        ));
    }
    let mut offsets = Vec::with_capacity(n + 1);
    let mut targets = Vec::with_capacity(nnz);
    let mut weights = Vec::with_capacity(nnz);
    offsets.push(0u32);
    let mut bits = BitReader::new(stream, 0);
    let mut list: Vec<(u32, f32)> = Vec::new();
    for i in 0..n {
        if i % lists::BLOCK == 0 && u64::from(checkpoints[i / lists::BLOCK]) != bits.pos {
            return Err(invalid!(
                P_NEIGHBOURS,
                "neighbour checkpoints do not match the lists",
            ));
        }
        list.clear();
        lists::read_list(&mut bits, n, i, count_bits, p, |t, w| list.push((t, w))).map_err(
            |e| match e {
                ListError::Short => invalid!(P_NEIGHBOURS, "neighbour lists run past the section"),
                ListError::OutOfRange => invalid!(P_NEIGHBOURS, "neighbour index out of range"),
                ListError::SelfLoop => invalid!(P_NEIGHBOURS, "item is its own neighbour"),
            },
        )?;
        if targets.len() + list.len() > nnz {
            return Err(invalid!(
                P_NEIGHBOURS,
                "neighbour offsets do not end at the edge count",
            ));
        }
        best_first(&mut list);
        for &(t, w) in &list {
            targets.push(t);
            weights.push(w);
        }
        offsets.push(targets.len() as u32);
    }
    if targets.len() != nnz {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour offsets do not end at the edge count",
        ));
    }
    // The stream ends in its last byte, padded with zero bits: one encoding per model.
    let end = bits.pos;
    if end.div_ceil(8) != stream.len() as u64
        || (end % 8 != 0 && stream[stream.len() - 1] >> (end % 8) != 0)
    {
        return Err(invalid!(
            P_NEIGHBOURS,
            "neighbour section length does not match edge count",
        ));
    }
    Ok((offsets, targets, weights))
}

fn read_popular(sec: &[u8]) -> Result<(Vec<u32>, Vec<f32>), ModelError> {
    let mut r = Reader::new(sec);
    let m = r.u32()? as usize;
    if m.checked_mul(8) != Some(sec.len() - 4) {
        return Err(invalid!(
            P_POPULAR,
            "popularity section length does not match its count",
        ));
    }
    let items = r.words(m, 4)?;
    let scores = floats(&r.words(m, 4)?, f32::from_bits);
    Ok((items, scores))
}

/// `words` mapped to f32 (a plain function, not a closure: one copy of the loop).
fn floats(words: &[u32], f: fn(u32) -> f32) -> Vec<f32> {
    words.iter().map(|&w| f(w)).collect()
}

fn dequantise_word(v: u32) -> f32 {
    dequantise(v as u16)
}

fn read_meta(sec: &[u8]) -> Result<Vec<(String, String)>, ModelError> {
    let mut r = Reader::new(sec);
    let pairs = r.u32()? as usize;
    let strings = read_strings(&sec[4..])?;
    if pairs.checked_mul(2) != Some(strings.len()) {
        return Err(invalid!(
            P_META,
            "meta pair count does not match its strings",
        ));
    }
    let mut it = strings.into_iter();
    let mut out = Vec::with_capacity(pairs);
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((k, v));
    }
    Ok(out)
}

/// The body of the first section tagged `tag` in a model file that `Model::from_bytes`
/// accepted (bounds are checked again: `None` on a malformed table).
pub fn section(bytes: &[u8], tag: [u8; 4]) -> Option<&[u8]> {
    let count = le_u32(bytes.get(8..12)?) as usize;
    for e in 0..count {
        let at = HEADER_LEN + ENTRY_LEN * e;
        let entry = bytes.get(at..at + ENTRY_LEN)?;
        if entry[..4] == tag {
            let off = le_u32(&entry[4..]) as usize;
            return bytes.get(off..off.checked_add(le_u32(&entry[8..]) as usize)?);
        }
    }
    None
}

// ---- CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) ----

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32 as used by zip, gzip and PNG.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(l: List<'_>) -> (Vec<u32>, Vec<f32>) {
        (l.0.into_owned(), l.1.into_owned())
    }

    fn v(t: &[u32], w: &[f32]) -> (Vec<u32>, Vec<f32>) {
        (t.to_vec(), w.to_vec())
    }

    pub(crate) fn small_parts() -> ModelParts {
        ModelParts {
            ids: vec!["A".into(), "B".into(), "C".into(), "D".into()],
            titles: vec![
                "Apple".into(),
                "".into(),
                "Cherry \u{e9}".into(),
                "Date".into(),
            ],
            prices: vec![120, NO_PRICE, 5, 0],
            urls: vec![],
            images: vec!["/i/a.png".into(), "".into(), "".into(), "".into()],
            offsets: vec![0, 2, 3, 3, 4],
            targets: vec![1, 2, 0, 0],
            weights: vec![0.5, 0.25, 1.0, 0.125],
            popular: vec![0, 2, 1],
            popular_scores: vec![9.0, 4.0, 4.0],
            meta: vec![
                ("currency".into(), "GBP".into()),
                ("source".into(), "x.csv".into()),
            ],
            ..Default::default()
        }
    }

    fn small_bytes() -> Vec<u8> {
        Model::from_parts(small_parts()).unwrap().to_bytes()
    }

    fn small_bytes_v1() -> Vec<u8> {
        Model::from_parts(small_parts()).unwrap().to_bytes_v1()
    }

    /// A packed NBRS body for `n` items from (targets, weights) lists, unchecked.
    fn packed(n: usize, lists: &[(&[u32], &[f32])], checkpoints: Option<Vec<u32>>) -> Vec<u8> {
        let p = Packing::WRITER;
        let mut w = BitWriter::default();
        for (t, wt) in lists {
            lists::write_list(&mut w, n, 2, p, t, wt);
        }
        let stream = w.finish();
        let nnz: usize = lists.iter().map(|l| l.0.len()).sum();
        let mut b = Vec::new();
        put_u32(&mut b, n as u32);
        put_u32(&mut b, nnz as u32);
        b.extend_from_slice(&[0, 2, p.weight_bits, p.level_step, 2, 0, 0, 0]);
        for c in checkpoints.unwrap_or(vec![0]) {
            put_u32(&mut b, c);
        }
        b.extend_from_slice(&stream);
        b
    }

    #[test]
    fn packed_lists_are_read_in_place() {
        // A list with a target past the item count (CRC valid): loading does not decode
        // lists, so the model loads; that list reads as empty, the others as written, and
        // `verify` names the rule.
        let none: (&[u32], &[f32]) = (&[], &[]);
        let body = packed(
            4,
            &[
                (&[1, 2], &[1.0, 0.5]),
                (&[3], &[0.25]),
                (&[7], &[1.0]),
                none,
            ],
            None,
        );
        let m = Model::from_bytes(&with_section(&small_bytes(), b"NBRS", body)).unwrap();
        assert_eq!(own(m.neighbors(0)), v(&[1, 2], &[1.0, 0.5]));
        assert_eq!(own(m.neighbors(1)), v(&[3], &[0.25]));
        assert_eq!(own(m.neighbors(2)), v(&[], &[]));
        assert_eq!(own(m.neighbors(3)), v(&[], &[]));
        assert_eq!(m.edge_count(), 4);
        assert_eq!(
            m.verify().unwrap_err(),
            ModelError::Invalid("neighbour index out of range")
        );
        // A model of many items finds each list from its checkpoint, and its parts
        // decode to what `from_parts` made.
        let n = 100u32;
        let mut p = ModelParts {
            ids: (0..n).map(|i| i.to_string()).collect(),
            ..Default::default()
        };
        p.offsets.push(0);
        for i in 0..n {
            for d in 1..=(i % 7) {
                p.targets.push((i + d * 13) % n);
                p.weights.push(1.0 / d as f32);
            }
            p.offsets.push(p.targets.len() as u32);
        }
        let built = Model::from_parts(p).unwrap();
        let read = Model::from_bytes(&built.to_bytes()).unwrap();
        assert!(read.nbrs.is_some() && built.nbrs.is_none());
        read.verify().unwrap();
        for i in 0..n {
            assert_eq!(own(read.neighbors(i)), own(built.neighbors(i)), "item {i}");
        }
        assert_eq!(read.to_parts(), built.to_parts());
        assert_eq!(read.to_bytes(), built.to_bytes());
    }

    #[test]
    fn broken_packed_lists_are_refused() {
        let b = small_bytes();
        let none: (&[u32], &[f32]) = (&[], &[]);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                packed(4, &[(&[5], &[1.0]), none, none, none], None),
                "neighbour index out of range",
            ),
            (
                packed(4, &[none, none, none, (&[3], &[1.0])], None),
                "item is its own neighbour",
            ),
            (
                packed(
                    4,
                    &[(&[1, 2], &[1.0, 0.5]), none, none, none],
                    Some(vec![3]),
                ),
                "neighbour checkpoints do not match the lists",
            ),
            (
                {
                    let mut x = packed(4, &[(&[1, 2], &[1.0, 0.5]), none, none, none], None);
                    x.truncate(x.len() - 1);
                    x
                },
                "neighbour lists run past the section",
            ),
            (
                {
                    let mut x = packed(4, &[(&[1], &[1.0]), none, none, none], None);
                    x[4] = 2; // nnz 2, one edge
                    x
                },
                "neighbour offsets do not end at the edge count",
            ),
            (
                {
                    let mut x = packed(4, &[(&[1], &[1.0]), none, none, none], None);
                    x[10] = 9; // 9-bit levels
                    x
                },
                "unknown neighbour weight packing",
            ),
            (
                {
                    let mut x = packed(4, &[(&[1], &[1.0]), none, none, none], None);
                    x[13] = 1;
                    x
                },
                "neighbour reserved bytes not zero",
            ),
            (
                {
                    let mut x = packed(4, &[(&[1], &[1.0]), none, none, none], None);
                    x.push(0);
                    x
                },
                "neighbour section length does not match edge count",
            ),
        ];
        for (body, why) in cases {
            let got = Model::from_bytes(&with_section(&b, b"NBRS", body)).and_then(|m| {
                // Whatever loads never panics on the list it cannot decode.
                for i in 0..5 {
                    let _ = m.neighbors(i);
                }
                m.verify().map(|_| m)
            });
            assert_eq!(got.unwrap_err(), ModelError::Invalid(why), "{why}");
        }
        // The same body, well formed, loads; a version 1 file may not use packing.
        let good = packed(
            4,
            &[(&[2, 1], &[0.5, 1.0]), none, (&[0], &[0.25]), none],
            None,
        );
        let m = Model::from_bytes(&with_section(&b, b"NBRS", good.clone())).unwrap();
        assert_eq!(own(m.neighbors(0)), v(&[1u32, 2][..], &[1.0f32, 0.5][..]));
        assert_eq!(own(m.neighbors(2)), v(&[0u32][..], &[0.25f32][..]));
        assert_eq!(
            Model::from_bytes(&with_section(&small_bytes_v1(), b"NBRS", good)).unwrap_err(),
            ModelError::Invalid("neighbour reserved bytes not zero")
        );
    }

    /// Rewrites the CRC so a test reaches the structural check it targets.
    fn reseal(b: &mut [u8]) {
        let end = b.len() - 4;
        let c = crc32(&b[..end]);
        b[end..].copy_from_slice(&c.to_le_bytes());
    }

    fn section_offset(b: &[u8], tag: &[u8; 4]) -> usize {
        let count = le_u32(&b[8..12]) as usize;
        for e in 0..count {
            let at = 12 + 12 * e;
            if &b[at..at + 4] == tag {
                return le_u32(&b[at + 4..at + 8]) as usize;
            }
        }
        panic!("no section");
    }

    #[test]
    fn crc32_known_vector() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn accessors() {
        let m = Model::from_parts(small_parts()).unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m.index_of("C"), Some(2));
        assert_eq!(m.index_of("Z"), None);
        assert_eq!(m.index_of(""), None);
        assert_eq!(m.id(3), "D");
        assert_eq!(m.title(0), Some("Apple"));
        assert_eq!(m.title(1), None);
        assert_eq!(m.price(0), Some(120));
        assert_eq!(m.price(1), None);
        assert_eq!(m.price(3), Some(0));
        assert_eq!(m.url(0), None);
        assert_eq!(m.image(0), Some("/i/a.png"));
        assert_eq!(m.image(1), None);
        assert_eq!(own(m.neighbors(0)), v(&[1u32, 2][..], &[0.5f32, 0.25][..]));
        assert_eq!(own(m.neighbors(2)), v(&[][..], &[][..]));
        assert_eq!(own(m.neighbors(99)), v(&[][..], &[][..]));
        assert_eq!(m.popular().0, &[0, 2, 1]);
        assert_eq!(m.meta("currency"), Some("GBP"));
        assert_eq!(m.meta("nope"), None);
        assert_eq!(m.edge_count(), 4);
    }

    #[test]
    fn round_trip_is_exact_and_deterministic() {
        let m = Model::from_parts(small_parts()).unwrap();
        let b = m.to_bytes();
        let m2 = Model::from_bytes(&b).unwrap();
        assert_eq!(m2.to_parts(), m.to_parts());
        assert_eq!(m2.to_bytes(), b);
        assert_eq!(&b[..4], b"ATTN");
        assert_eq!(&b[4..6], &[2, 0]);
        // Version 1 files load as they always did (these weights are on both grids).
        let v1 = m.to_bytes_v1();
        assert_eq!(&v1[4..6], &[1, 0]);
        let m1 = Model::from_bytes(&v1).unwrap();
        assert_eq!(m1.to_parts(), m.to_parts());
        assert_eq!(m1.to_bytes(), b);
        // Packed lists are smaller than version 1's u16 arrays and offsets.
        assert!(b.len() < v1.len(), "{} vs {}", b.len(), v1.len());
    }

    #[test]
    fn version_1_weights_are_kept_exactly() {
        // A version 1 file's weights are on the 1/65536 grid, not on version 2's: read
        // from the file they are kept, so an old model scores exactly as before.
        let mut p = small_parts();
        p.weights = vec![0.3, 0.2, 1.0, 0.1];
        let v1 = write_v1_for_test(&p);
        let m = Model::from_bytes(&v1).unwrap();
        let q = |w: f32| (w * 65536.0).round() / 65536.0;
        assert_eq!(m.to_parts().weights, vec![q(0.3), q(0.2), 1.0, q(0.1)]);
        assert_eq!(
            own(m.neighbors(0)),
            v(&[1u32, 2][..], &[q(0.3), q(0.2)][..])
        );
        // Written again, it becomes version 2 on its grid.
        let m2 = Model::from_bytes(&m.to_bytes()).unwrap();
        let top = Packing::WRITER.top_level(q(0.3));
        assert_eq!(m2.neighbors(0).1[0], Packing::WRITER.weight(top, 0));
    }

    /// Version 1 bytes of parts as they are (weights rounded to 1/65536, not to the
    /// packed grid), as an older `attune build` wrote them.
    fn write_v1_for_test(p: &ModelParts) -> Vec<u8> {
        let mut p = p.clone();
        for w in p.weights.iter_mut().chain(p.next_weights.iter_mut()) {
            *w = dequantise(quantise(*w).unwrap());
        }
        Model {
            parts: p,
            by_id: Vec::new(),
            nbrs: None,
            next: None,
        }
        .to_bytes_v1()
    }

    #[test]
    fn weights_are_rounded_to_the_stored_grid() {
        let mut p = small_parts();
        p.weights = vec![0.3, 1e-9, 1.0, 0.1];
        let m = Model::from_parts(p).unwrap();
        let w = &m.to_parts().weights;
        // A list's best weight to 1/32 octave, the others relative to it in 1/8 octave
        // steps; tiny positive weights round up to the lowest level, never to 0.
        let pk = Packing::WRITER;
        let top = pk.top_level(0.3);
        assert_eq!(w[0], pk.weight(top, 0));
        assert!((w[0] / 0.3 - 1.0).abs() < 0.011, "{}", w[0]);
        assert_eq!(w[1], pk.weight(top, 63));
        assert!(w[1] > 0.0);
        assert_eq!(w[3], pk.weight(pk.top_level(0.1), 0));
        assert_eq!(w[2], 1.0);
        // Idempotent: the parts of a model make the same model.
        let again = Model::from_parts(m.to_parts().clone()).unwrap();
        assert_eq!(again.to_parts(), m.to_parts());
    }

    #[test]
    fn minimal_model_without_neighbours() {
        let p = ModelParts {
            ids: vec!["x".into()],
            ..Default::default()
        };
        let m = Model::from_parts(p).unwrap();
        assert_eq!(m.to_parts().offsets, vec![0, 0]);
        let m2 = Model::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(m2.to_parts(), m.to_parts());
        let empty = Model::from_parts(ModelParts::default()).unwrap();
        assert!(empty.is_empty());
        assert!(Model::from_bytes(&empty.to_bytes()).unwrap().is_empty());
    }

    #[test]
    fn bad_magic() {
        let mut b = small_bytes();
        b[0] = b'X';
        assert_eq!(Model::from_bytes(&b).unwrap_err(), ModelError::BadMagic);
        assert_eq!(
            Model::from_bytes(b"PK\x03\x04").unwrap_err(),
            ModelError::BadMagic
        );
        assert_eq!(Model::from_bytes(b"").unwrap_err(), ModelError::Truncated);
    }

    #[test]
    fn unsupported_version() {
        let mut b = small_bytes();
        b[4] = 3;
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            ModelError::UnsupportedVersion(3)
        );
        assert_eq!(
            ModelError::UnsupportedVersion(3).to_string(),
            "unsupported model format version 3"
        );
        b[4] = 0;
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            ModelError::UnsupportedVersion(0)
        );
    }

    #[test]
    fn bad_checksum_on_any_flipped_content_byte() {
        let b = small_bytes();
        let table_end = 12 + 12 * le_u32(&b[8..12]) as usize;
        for i in table_end..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x40;
            assert_eq!(
                Model::from_bytes(&c).unwrap_err(),
                ModelError::BadChecksum,
                "byte {i}"
            );
        }
    }

    #[test]
    fn truncation_at_every_length() {
        let b = small_bytes();
        for len in 0..b.len() {
            assert_eq!(
                Model::from_bytes(&b[..len]).unwrap_err(),
                ModelError::Truncated,
                "len {len}"
            );
        }
    }

    #[test]
    fn out_of_range_neighbour() {
        let mut b = small_bytes_v1();
        let at = section_offset(&b, b"NBRS");
        // header 12 bytes, offsets 5*4, then u16 targets
        let t0 = at + 12 + 20;
        b[t0..t0 + 2].copy_from_slice(&7u16.to_le_bytes());
        reseal(&mut b);
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            ModelError::Invalid("neighbour index out of range")
        );
        // self-loop
        let mut b = small_bytes_v1();
        b[t0..t0 + 2].copy_from_slice(&0u16.to_le_bytes());
        reseal(&mut b);
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            ModelError::Invalid("item is its own neighbour")
        );
    }

    #[test]
    fn non_monotonic_offsets() {
        let mut b = small_bytes_v1();
        let at = section_offset(&b, b"NBRS");
        // offsets [0,2,3,3,4] -> [0,3,2,3,4]
        b[at + 12 + 4..at + 12 + 8].copy_from_slice(&3u32.to_le_bytes());
        b[at + 12 + 8..at + 12 + 12].copy_from_slice(&2u32.to_le_bytes());
        reseal(&mut b);
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            ModelError::Invalid("neighbour offsets not monotonic")
        );
        // string table offsets
        let mut b = small_bytes();
        let at = section_offset(&b, b"IDS_");
        // ids A,B,C,D: offsets [0,1,2,3,4] -> [0,2,1,3,4]
        b[at + 8..at + 12].copy_from_slice(&2u32.to_le_bytes());
        b[at + 12..at + 16].copy_from_slice(&1u32.to_le_bytes());
        reseal(&mut b);
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            ModelError::Invalid("string offsets not monotonic")
        );
    }

    #[test]
    fn bad_utf8() {
        let mut b = small_bytes();
        let at = section_offset(&b, b"IDS_");
        let blob = at + 4 + 5 * 4;
        b[blob] = 0xFF;
        reseal(&mut b);
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            ModelError::Invalid("string is not UTF-8")
        );
    }

    #[test]
    fn huge_counts_do_not_allocate() {
        let mut b = small_bytes();
        let at = section_offset(&b, b"IDS_");
        b[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        reseal(&mut b);
        assert_eq!(
            Model::from_bytes(&b).unwrap_err(),
            ModelError::Invalid("section too short")
        );
        let mut b = small_bytes();
        b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Model::from_bytes(&b).unwrap_err(), ModelError::Truncated);
    }

    #[test]
    fn unknown_sections_are_skipped_and_duplicates_rejected() {
        let m = Model::from_parts(small_parts()).unwrap();
        let b = m.to_bytes();
        // Rebuild the container with an extra unknown section in the middle.
        let count = le_u32(&b[8..12]) as usize;
        let mut secs: Vec<([u8; 4], Vec<u8>)> = Vec::new();
        for e in 0..count {
            let at = 12 + 12 * e;
            let tag = [b[at], b[at + 1], b[at + 2], b[at + 3]];
            let off = le_u32(&b[at + 4..at + 8]) as usize;
            let len = le_u32(&b[at + 8..at + 12]) as usize;
            secs.push((tag, b[off..off + len].to_vec()));
        }
        let mut with_unknown = secs.clone();
        with_unknown.insert(2, (*b"ZZZZ", vec![1, 2, 3]));
        let m2 = Model::from_bytes(&write_container(&with_unknown, FORMAT_VERSION)).unwrap();
        assert_eq!(m2.to_parts(), m.to_parts());
        let mut dup = secs.clone();
        dup.push(secs[0].clone());
        assert_eq!(
            Model::from_bytes(&write_container(&dup, FORMAT_VERSION)).unwrap_err(),
            ModelError::Invalid("duplicate section")
        );
        let missing: Vec<_> = secs.iter().filter(|(t, _)| t != b"NBRS").cloned().collect();
        assert_eq!(
            Model::from_bytes(&write_container(&missing, FORMAT_VERSION)).unwrap_err(),
            ModelError::Invalid("missing neighbour section")
        );
    }

    #[test]
    fn from_parts_rejects_broken_parts() {
        type Case = (fn(&mut ModelParts), &'static str);
        let cases: Vec<Case> = vec![
            (|p| p.ids[1] = "A".into(), "duplicate item id"),
            (|p| p.ids[1] = "".into(), "empty item id"),
            (
                |p| p.ids[1] = "a b".into(),
                "item id contains whitespace or a control character",
            ),
            (
                |p| p.titles.pop().map(drop).unwrap_or(()),
                "titles length differs from item count",
            ),
            (
                |p| p.prices.push(1),
                "prices length differs from item count",
            ),
            (|p| p.targets[0] = 9, "neighbour index out of range"),
            (|p| p.targets[1] = 0, "item is its own neighbour"),
            (|p| p.targets[1] = 1, "duplicate neighbour"),
            (
                |p| p.weights[0] = f32::NAN,
                "neighbour weight not in (0, 1]",
            ),
            (|p| p.weights[0] = 0.0, "neighbour weight not in (0, 1]"),
            (|p| p.weights[0] = 1.5, "neighbour weight not in (0, 1]"),
            (
                |p| p.offsets = vec![0, 3, 2, 3, 4],
                "neighbour offsets not monotonic",
            ),
            (
                |p| p.offsets = vec![0, 2, 3, 4],
                "neighbour offsets length is not item count + 1",
            ),
            (
                |p| p.offsets[4] = 3,
                "neighbour offsets do not end at the edge count",
            ),
            (|p| p.popular[1] = 0, "duplicate popular item"),
            (|p| p.popular[1] = 4, "popular index out of range"),
            (
                |p| p.popular_scores[2] = 5.0,
                "popular items not sorted most popular first",
            ),
            (
                |p| p.popular_scores[2] = -1.0,
                "popularity score not finite and >= 0",
            ),
            (
                |p| p.popular_scores.pop().map(drop).unwrap_or(()),
                "popular items and scores differ in length",
            ),
            (|p| p.meta[1].0 = "currency".into(), "duplicate meta key"),
        ];
        for (mutate, why) in cases {
            let mut p = small_parts();
            mutate(&mut p);
            assert_eq!(
                Model::from_parts(p).unwrap_err(),
                ModelError::Invalid(why),
                "{why}"
            );
        }
    }

    /// small_parts plus "what comes next" lists, a scoring blend and families.
    fn rich_parts() -> ModelParts {
        let mut p = small_parts();
        // 0 → {3: 0.75}; 1 → {}; 2 → {0: 1.0, 1: 0.5}; 3 → {}
        p.next_offsets = vec![0, 1, 1, 3, 3];
        p.next_targets = vec![3, 0, 1];
        p.next_weights = vec![0.75, 1.0, 0.5];
        p.scoring = Scoring {
            history_decay: 0.5,
            neighbor_weight: 0.25,
            next_decay: 0.125,
            next_weight: 3.0,
            family_cap: 2,
            repeat_once: true,
            popularity_weight: 0.5,
        };
        p.families = vec![0, 0, 2, 3];
        p
    }

    fn tags(b: &[u8]) -> Vec<[u8; 4]> {
        let count = le_u32(&b[8..12]) as usize;
        (0..count)
            .map(|e| {
                let at = 12 + 12 * e;
                [b[at], b[at + 1], b[at + 2], b[at + 3]]
            })
            .collect()
    }

    #[test]
    fn next_params_and_families_round_trip() {
        let m = Model::from_parts(rich_parts()).unwrap();
        assert_eq!(own(m.next(2)), v(&[0u32, 1][..], &[1.0f32, 0.5][..]));
        assert_eq!(own(m.next(1)), v(&[][..], &[][..]));
        assert_eq!(own(m.next(99)), v(&[][..], &[][..]));
        assert!(m.has_next());
        assert_eq!(m.scoring().next_weight, 3.0);
        assert_eq!(m.family(3), Some(3));
        let b = m.to_bytes();
        assert_eq!(
            tags(&b),
            vec![
                *b"IDS_", *b"TITL", *b"PRIC", *b"IMGS", *b"NBRS", *b"NEXT", *b"POPL", *b"PARM",
                *b"FAML", *b"META"
            ]
        );
        let m2 = Model::from_bytes(&b).unwrap();
        assert_eq!(m2.to_parts(), m.to_parts());
        assert_eq!(m2.to_bytes(), b);
        // Without them, none of the new sections is written and the defaults apply.
        let plain = Model::from_parts(small_parts()).unwrap();
        let b = plain.to_bytes();
        assert!(!tags(&b)
            .iter()
            .any(|t| t == b"NEXT" || t == b"PARM" || t == b"FAML"));
        let plain = Model::from_bytes(&b).unwrap();
        assert!(!plain.has_next());
        assert_eq!(own(plain.next(0)), v(&[][..], &[][..]));
        assert_eq!(*plain.scoring(), Scoring::default());
        assert_eq!(plain.scoring().history_decay, crate::score::RECENCY_DECAY);
        assert_eq!(plain.family(0), None);
    }

    /// The body of `tag` in a model's bytes, replaced by `body` (CRC recomputed).
    fn with_section(b: &[u8], tag: &[u8; 4], body: Vec<u8>) -> Vec<u8> {
        let count = le_u32(&b[8..12]) as usize;
        let mut secs: Vec<([u8; 4], Vec<u8>)> = Vec::new();
        for e in 0..count {
            let at = 12 + 12 * e;
            let t = [b[at], b[at + 1], b[at + 2], b[at + 3]];
            let off = le_u32(&b[at + 4..at + 8]) as usize;
            let len = le_u32(&b[at + 8..at + 12]) as usize;
            secs.push((
                t,
                if &t == tag {
                    body.clone()
                } else {
                    b[off..off + len].to_vec()
                },
            ));
        }
        write_container(&secs, u16::from_le_bytes([b[4], b[5]]))
    }

    fn params(entries: &[(&[u8; 4], f32)]) -> Vec<u8> {
        let mut b = Vec::new();
        put_u32(&mut b, entries.len() as u32);
        for (k, v) in entries {
            b.extend_from_slice(*k);
            put_u32(&mut b, v.to_bits());
        }
        b
    }

    #[test]
    fn params_skip_unknown_keys_and_reject_bad_values() {
        let b = Model::from_parts(rich_parts()).unwrap().to_bytes();
        // Unknown keys are skipped; missing keys keep their defaults.
        let m = Model::from_bytes(&with_section(
            &b,
            b"PARM",
            params(&[(b"ZZZZ", -7.0), (b"NXWT", 2.0)]),
        ))
        .unwrap();
        assert_eq!(
            *m.scoring(),
            Scoring {
                next_weight: 2.0,
                ..Scoring::default()
            }
        );
        let bad: Vec<(Vec<u8>, &str)> = vec![
            (
                params(&[(b"NXWT", 1.0), (b"NXWT", 2.0)]),
                "duplicate scoring parameter",
            ),
            (params(&[(b"HDCY", 0.0)]), "scoring decay not in (0, 1]"),
            (params(&[(b"NXDC", 1.5)]), "scoring decay not in (0, 1]"),
            (
                params(&[(b"NXDC", f32::NAN)]),
                "scoring decay not in (0, 1]",
            ),
            (
                params(&[(b"NBWT", -1.0)]),
                "scoring weight not finite and >= 0",
            ),
            (
                params(&[(b"NXWT", f32::INFINITY)]),
                "scoring weight not finite and >= 0",
            ),
            (
                params(&[(b"FCAP", 2.5)]),
                "family cap not a whole number in range",
            ),
            (
                params(&[(b"FCAP", 70000.0)]),
                "family cap not a whole number in range",
            ),
            (
                params(&[(b"FCAP", -1.0)]),
                "family cap not a whole number in range",
            ),
            (params(&[(b"RPT1", 0.5)]), "repeat flag not 0 or 1"),
            (
                {
                    let mut p = params(&[(b"NXWT", 1.0)]);
                    p.push(0);
                    p
                },
                "parameter section length does not match its count",
            ),
        ];
        for (body, why) in bad {
            assert_eq!(
                Model::from_bytes(&with_section(&b, b"PARM", body)).unwrap_err(),
                ModelError::Invalid(why),
                "{why}"
            );
        }
        // A NEXT list breaking the neighbour rules is rejected like NBRS.
        let mut p = rich_parts();
        p.next_targets[0] = 0; // item 0 next to itself
        assert_eq!(
            Model::from_parts(p).unwrap_err(),
            ModelError::Invalid("item is its own neighbour")
        );
        // Lists are put best first (ties by lower index), whatever order they came in.
        let mut p = rich_parts();
        p.next_weights = vec![0.75, 0.5, 1.0];
        let m = Model::from_parts(p).unwrap();
        assert_eq!(own(m.next(2)), v(&[1u32, 0][..], &[1.0f32, 0.5][..]));
        // A version 1 file's lists must be best first already.
        let mut v1 = small_parts();
        v1.weights = vec![0.25, 0.5, 1.0, 0.125];
        let v1 = write_v1_for_test(&v1);
        assert_eq!(
            Model::from_bytes(&v1).unwrap_err(),
            ModelError::Invalid("neighbours not sorted best first")
        );
        let mut p = rich_parts();
        p.next_offsets.pop();
        assert_eq!(
            Model::from_parts(p).unwrap_err(),
            ModelError::Invalid("neighbour offsets length is not item count + 1")
        );
        let mut p = rich_parts();
        p.next_weights.pop();
        assert_eq!(
            Model::from_parts(p).unwrap_err(),
            ModelError::Invalid("neighbour weights and targets differ in length")
        );
        let mut p = rich_parts();
        p.families.pop();
        assert_eq!(
            Model::from_parts(p).unwrap_err(),
            ModelError::Invalid("families length differs from item count")
        );
        let mut p = rich_parts();
        p.scoring.family_cap = MAX_FAMILY_CAP + 1;
        assert_eq!(
            Model::from_parts(p).unwrap_err(),
            ModelError::Invalid("family cap too large")
        );
        // A NEXT section out of range in the bytes (version 1 layout).
        let b1 = Model::from_parts(rich_parts()).unwrap().to_bytes_v1();
        let mut bad_next = Vec::new();
        put_u32(&mut bad_next, 4);
        put_u32(&mut bad_next, 1);
        bad_next.extend_from_slice(&[2, 1, 0, 0]);
        for o in [0u32, 1, 1, 1, 1] {
            put_u32(&mut bad_next, o);
        }
        bad_next.extend_from_slice(&9u16.to_le_bytes());
        bad_next.extend_from_slice(&0u16.to_le_bytes());
        assert_eq!(
            Model::from_bytes(&with_section(&b1, b"NEXT", bad_next)).unwrap_err(),
            ModelError::Invalid("neighbour index out of range")
        );
        let fam = |n: u32, width: u8, ids: &[u32]| {
            let mut f = Vec::new();
            put_u32(&mut f, n);
            f.extend_from_slice(&[width, 0, 0, 0]);
            for &i in ids {
                if width == 2 {
                    f.extend_from_slice(&(i as u16).to_le_bytes());
                } else {
                    put_u32(&mut f, i);
                }
            }
            f
        };
        let bad: Vec<(Vec<u8>, &str)> = vec![
            (
                fam(3, 2, &[1, 2, 0]),
                "families length differs from item count",
            ),
            (fam(4, 2, &[1, 2, 0, 4]), "family index out of range"),
            (fam(4, 3, &[0, 0, 0, 0]), "unknown family width"),
            (
                fam(4, 2, &[0, 0, 0]),
                "family section length does not match its count",
            ),
        ];
        for (body, why) in bad {
            assert_eq!(
                Model::from_bytes(&with_section(&b, b"FAML", body)).unwrap_err(),
                ModelError::Invalid(why),
                "{why}"
            );
        }
        let mut reserved = fam(4, 2, &[0, 0, 0, 0]);
        reserved[6] = 1;
        assert_eq!(
            Model::from_bytes(&with_section(&b, b"FAML", reserved)).unwrap_err(),
            ModelError::Invalid("family reserved bytes not zero")
        );
        // Wide ids are read too.
        let wide = Model::from_bytes(&with_section(&b, b"FAML", fam(4, 4, &[3, 3, 2, 3]))).unwrap();
        assert_eq!(wide.family(0), Some(3));
    }

    #[test]
    fn rich_model_truncation_and_flips() {
        let b = Model::from_parts(rich_parts()).unwrap().to_bytes();
        for len in 0..b.len() {
            assert_eq!(
                Model::from_bytes(&b[..len]).unwrap_err(),
                ModelError::Truncated,
                "len {len}"
            );
        }
        let table_end = 12 + 12 * le_u32(&b[8..12]) as usize;
        for i in table_end..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x01;
            assert_eq!(Model::from_bytes(&c).unwrap_err(), ModelError::BadChecksum);
        }
    }

    #[test]
    fn wide_targets_above_65536_items() {
        let n = 65_537usize;
        let mut p = ModelParts {
            ids: (0..n).map(|i| i.to_string()).collect(),
            offsets: vec![0; n + 1],
            ..Default::default()
        };
        // one edge from item 0 to the last item
        for o in p.offsets.iter_mut().skip(1) {
            *o = 1;
        }
        p.targets = vec![(n - 1) as u32];
        p.weights = vec![0.5];
        let m = Model::from_parts(p).unwrap();
        let b = m.to_bytes();
        let m2 = Model::from_bytes(&b).unwrap();
        assert_eq!(&m2.neighbors(0).0[..], &[(n - 1) as u32]);
        assert_eq!(m2.index_of("65536"), Some(65_536));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn arb_parts() -> impl Strategy<Value = ModelParts> {
            (1usize..12).prop_flat_map(|n| {
                let ids = proptest::collection::btree_set("[A-Za-z0-9_é-]{1,6}", n..=n)
                    .prop_map(|s| s.into_iter().collect::<Vec<String>>());
                let rows = proptest::collection::vec(
                    proptest::collection::btree_map(0..n as u32, 1u32..=65536, 0..n),
                    n..=n,
                );
                let titles = proptest::option::of(proptest::collection::vec(".{0,8}", n..=n));
                let prices = proptest::option::of(proptest::collection::vec(any::<u32>(), n..=n));
                let pop = proptest::collection::btree_map(0..n as u32, 0u32..1000, 0..=n);
                let meta = proptest::collection::btree_map("[a-z]{1,5}", ".{0,8}", 0..4);
                let next = proptest::option::of(proptest::collection::vec(
                    proptest::collection::btree_map(0..n as u32, 1u32..=65536, 0..n),
                    n..=n,
                ));
                let scoring =
                    proptest::option::of((1u32..=64, 0u32..100, 1u32..=64, 0u32..100, 0u32..5));
                let families =
                    proptest::option::of(proptest::collection::vec(0u32..n as u32, n..=n));
                (
                    ids,
                    rows,
                    titles,
                    prices,
                    pop,
                    meta,
                    (next, scoring, families),
                )
                    .prop_map(
                        move |(ids, rows, titles, prices, pop, meta, (next, scoring, families))| {
                            let mut p = ModelParts {
                                ids,
                                ..Default::default()
                            };
                            p.offsets.push(0);
                            for (i, row) in rows.into_iter().enumerate() {
                                let mut edges: Vec<(u32, u32)> =
                                    row.into_iter().filter(|&(t, _)| t as usize != i).collect();
                                edges.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                                for (t, q) in edges {
                                    p.targets.push(t);
                                    p.weights.push(q as f32 / 65536.0);
                                }
                                p.offsets.push(p.targets.len() as u32);
                            }
                            p.titles = titles.unwrap_or_default();
                            p.prices = prices.unwrap_or_default();
                            let mut pop: Vec<(u32, u32)> = pop.into_iter().collect();
                            pop.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                            p.popular = pop.iter().map(|x| x.0).collect();
                            p.popular_scores = pop.iter().map(|x| x.1 as f32).collect();
                            p.meta = meta.into_iter().collect();
                            if let Some(rows) = next {
                                p.next_offsets.push(0);
                                for (i, row) in rows.into_iter().enumerate() {
                                    let mut edges: Vec<(u32, u32)> =
                                        row.into_iter().filter(|&(t, _)| t as usize != i).collect();
                                    edges.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                                    for (t, q) in edges {
                                        p.next_targets.push(t);
                                        p.next_weights.push(q as f32 / 65536.0);
                                    }
                                    p.next_offsets.push(p.next_targets.len() as u32);
                                }
                            }
                            if let Some((hd, nw, nd, xw, cap)) = scoring {
                                p.scoring = Scoring {
                                    history_decay: hd as f32 / 64.0,
                                    neighbor_weight: nw as f32 / 8.0,
                                    next_decay: nd as f32 / 64.0,
                                    next_weight: xw as f32 / 8.0,
                                    family_cap: cap,
                                    repeat_once: cap % 2 == 1,
                                    popularity_weight: nw as f32 / 16.0,
                                };
                            }
                            p.families = families.unwrap_or_default();
                            p
                        },
                    )
            })
        }

        proptest! {
            #[test]
            fn round_trip_arbitrary_valid_parts(p in arb_parts()) {
                let m = Model::from_parts(p.clone()).unwrap();
                // Snapping is idempotent: the parts of a model make the same model.
                let again = Model::from_parts(m.to_parts().clone()).unwrap();
                prop_assert_eq!(again.to_parts(), m.to_parts());
                // A version 1 file of the same parts loads to the same model.
                prop_assert_eq!(Model::from_bytes(&m.to_bytes_v1()).unwrap().to_parts().ids.len(), p.ids.len());
                let b = m.to_bytes();
                let m2 = Model::from_bytes(&b).unwrap();
                prop_assert_eq!(m2.to_parts(), m.to_parts());
                prop_assert_eq!(m2.to_bytes(), b);
                for (i, id) in p.ids.iter().enumerate() {
                    prop_assert_eq!(m2.index_of(id), Some(i as u32));
                }
            }

            #[test]
            fn random_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..512)) {
                let _ = Model::from_bytes(&b);
                let mut with_magic = b"ATTN\x01\x00\x00\x00".to_vec();
                with_magic.extend_from_slice(&b);
                let _ = Model::from_bytes(&with_magic);
            }

            #[test]
            fn mutations_never_panic(p in arb_parts(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), seal in any::<bool>()) {
                let mut b = Model::from_parts(p).unwrap().to_bytes();
                for (i, v) in edits {
                    let at = i.index(b.len());
                    b[at] = v;
                }
                if seal { reseal(&mut b); }
                if let Ok(m) = Model::from_bytes(&b) {
                    // Whatever parses is a valid model: it re-serialises and re-parses.
                    let again = Model::from_bytes(&m.to_bytes()).unwrap();
                    prop_assert_eq!(again.to_parts(), m.to_parts());
                }
            }
        }
    }
}
