//! The model: dense item indices, external ids, catalog fields, neighbour lists (CSR) and a
//! popularity fallback, plus its documented binary format (docs/model-format.md).
//!
//! Parsing validates every length, offset and index before use; hostile bytes give a
//! `ModelError`, never a panic or an allocation larger than the input justifies.

/// Price unknown.
pub const NO_PRICE: u32 = u32::MAX;

/// Everything a model holds, as plain vectors: what the builder produces and what
/// `Model::from_parts` validates. Item `i` is the dense index `i` in every vector.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelParts {
    /// External item ids (SKUs), unique, non-empty.
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
    pub offsets: Vec<u32>,
    pub targets: Vec<u32>,
    pub weights: Vec<f32>,
    /// Popularity fallback: item indices, most popular first, with a score each.
    pub popular: Vec<u32>,
    pub popular_scores: Vec<f32>,
    /// Free-form metadata (currency, source, builder settings), written in order.
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
        todo!()
    }
}

impl std::error::Error for ModelError {}

/// A validated, immutable model ready for scoring.
#[derive(Clone, Debug)]
pub struct Model {
    // private; see ModelParts
}

impl Model {
    /// Validates the parts (lengths, offsets monotonic, indices in range, unique ids,
    /// finite positive weights) and builds the id lookup.
    pub fn from_parts(parts: ModelParts) -> Result<Model, ModelError> {
        todo!()
    }
    /// Parses and validates the binary format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelError> {
        todo!()
    }
    /// Serialises to the binary format; deterministic (same model, same bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        todo!()
    }
    pub fn len(&self) -> usize {
        todo!()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Dense index of an external id.
    pub fn index_of(&self, id: &str) -> Option<u32> {
        todo!()
    }
    pub fn id(&self, item: u32) -> &str {
        todo!()
    }
    /// Title, or None when the catalog has none for this item.
    pub fn title(&self, item: u32) -> Option<&str> {
        todo!()
    }
    /// Price in minor units, or None.
    pub fn price(&self, item: u32) -> Option<u32> {
        todo!()
    }
    pub fn url(&self, item: u32) -> Option<&str> {
        todo!()
    }
    pub fn image(&self, item: u32) -> Option<&str> {
        todo!()
    }
    /// Neighbour indices and weights of `item`, best first.
    pub fn neighbors(&self, item: u32) -> (&[u32], &[f32]) {
        todo!()
    }
    /// Popularity fallback, most popular first.
    pub fn popular(&self) -> (&[u32], &[f32]) {
        todo!()
    }
    pub fn meta(&self, key: &str) -> Option<&str> {
        todo!()
    }
    pub fn parts(&self) -> &ModelParts {
        todo!()
    }
}
