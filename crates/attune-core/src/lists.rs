//! Packed neighbour lists: the `NBRS` / `NEXT` layout of format version 2 (weight
//! encoding 2, docs/model-format.md "Packed lists"). Owns the bit stream, the weight grid
//! and the codec of one item's list; model.rs owns the section around it.
//!
//! A list is its target indices in ascending order, Rice-coded as gaps, and one 6-bit
//! weight level per target relative to the list's best weight (10 bits), all on a log
//! grid of 1/32 octave. Measured on Online Retail: 4.5 → 2.1–2.2 bytes per edge, offsets
//! included; the NDCG@10 cost of each grid tried is in docs/model-format.md. Decoding checks every index against the item
//! count and the stream's end, so hostile bytes give an error, never a panic.

use alloc::vec::Vec;

/// Items per checkpoint: the section stores the bit position of every 32nd item's list,
/// so one list is found by decoding at most 31 others (a few hundred bits each).
pub const BLOCK: usize = 32;
/// Bits of a weight level relative to the list's best (the writer's choice; the reader
/// takes any 1…8 from the section header). 4 and 5 bits cost up to 1.5% NDCG@10.
pub const WEIGHT_BITS: u8 = 6;
/// Relative levels step by this many 32nds of an octave (4: an eighth of an octave,
/// ±4.4% per weight; 64 levels span 2^-7.9 of the list's best weight).
pub const LEVEL_STEP: u8 = 4;
/// Bits of the best weight's level (32nds of an octave below 1, ±1.1%: down to 2^-32).
const TOP_BITS: u32 = 10;
/// Largest level a weight may have: 2^(-(125 + 31/32)) is still a normal f32.
const MAX_LEVEL: u32 = 32 * 126 - 1;

/// 2^(-j/32), j = 0…31, as the nearest f32 (decimal literals parse the same everywhere).
const STEPS: [f32; 32] = [
    1.0,
    0.9785720620877001,
    0.9576032806985737,
    0.93708381705515,
    0.9170040432046712,
    0.8973545375015536,
    0.8781260801866497,
    0.859309649061239,
    0.8408964152537145,
    0.8228777390769825,
    0.8052451659746271,
    0.7879904225539432,
    0.7711054127039704,
    0.7545822137967114,
    0.7384130729697497,
    0.7225904034885233,
    0.7071067811865476,
    0.691954940981916,
    0.6771277734684463,
    0.6626183215798707,
    0.6484197773255048,
    0.6345254785958666,
    0.620928906036742,
    0.6076236799902345,
    0.5946035575013605,
    0.5818624293887887,
    0.5693943173783458,
    0.5571933712979462,
    0.5452538663326288,
    0.5335702003384118,
    0.5221368912137069,
    0.5109485743270583,
];

/// The weight of level `m`: 2^(-m/32), exact in f32 (a table value times a power of two)
/// and the same bits on every platform.
pub fn level_weight(m: u32) -> f32 {
    let m = m.min(MAX_LEVEL);
    STEPS[(m & 31) as usize] * f32::from_bits((127 - (m >> 5)) << 23)
}

/// The grid index `r` in `0..=max` whose level `base + r·step` is nearest to `w` on a log
/// scale (ties to the larger weight). `w` is in (0, 1].
fn nearest(w: f32, base: u32, step: u32, max: u32) -> u32 {
    // Largest r with weight(base + r·step) >= w: levels fall as r grows.
    let (mut lo, mut hi) = (0u32, max);
    if level_weight(base) < w {
        return 0;
    }
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if level_weight(base + mid * step) >= w {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    if lo < max {
        // Geometric midpoint between the two neighbouring levels, in f64 (exact products).
        let (a, b) = (
            level_weight(base + lo * step) as f64,
            level_weight(base + (lo + 1) * step) as f64,
        );
        if (w as f64) * (w as f64) < a * b {
            return lo + 1;
        }
    }
    lo
}

/// How a section packs its weights (header bytes 10 and 11).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Packing {
    pub weight_bits: u8,
    pub level_step: u8,
}

impl Packing {
    pub const WRITER: Packing = Packing {
        weight_bits: WEIGHT_BITS,
        level_step: LEVEL_STEP,
    };

    /// Whether a reader can use it: 1…8 bits, steps of 1…32 32nds, every level a
    /// normal f32.
    pub fn is_valid(self) -> bool {
        (1..=8).contains(&self.weight_bits)
            && (1..=32).contains(&self.level_step)
            && ((1u32 << TOP_BITS) - 1) + self.max_rel() * u32::from(self.level_step) <= MAX_LEVEL
    }

    fn max_rel(self) -> u32 {
        (1u32 << self.weight_bits) - 1
    }

    /// Level of a list's best weight `w` (in (0, 1]).
    pub fn top_level(self, w: f32) -> u32 {
        nearest(w, 0, 1, (1 << TOP_BITS) - 1)
    }

    /// Relative level of `w` in a list whose best weight has level `top`.
    pub fn rel_level(self, w: f32, top: u32) -> u32 {
        nearest(w, top, u32::from(self.level_step), self.max_rel())
    }

    pub fn weight(self, top: u32, rel: u32) -> f32 {
        level_weight(top + rel * u32::from(self.level_step))
    }

    /// Rounds one list's weights (each in (0, 1]) to what the packed layout stores.
    pub fn snap(self, weights: &mut [f32]) {
        let best = weights.iter().copied().fold(0.0f32, f32::max);
        if best <= 0.0 {
            return;
        }
        let top = self.top_level(best);
        for w in weights.iter_mut() {
            *w = self.weight(top, self.rel_level(*w, top));
        }
    }
}

/// The Rice parameter of a list of `count` targets among `n` items: log2 of the mean gap
/// times ln 2 (≈ 11/16), the optimum for geometric gaps; both sides compute it, so it is
/// not stored.
pub fn rice_k(n: usize, count: usize) -> u32 {
    let mean = n.saturating_sub(count) * 11 / (16 * (count + 1));
    mean.max(1).ilog2()
}

/// Bits needed for `v` (0 for 0).
pub fn bit_width(v: usize) -> u8 {
    (usize::BITS - v.leading_zeros()) as u8
}

/// Little-endian bit stream: bit `i` is bit `i % 8` of byte `i / 8`.
#[derive(Default)]
pub struct BitWriter {
    pub bytes: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    pub fn bits(&self) -> u64 {
        self.bytes.len() as u64 * 8 + u64::from(self.n)
    }
    pub fn put(&mut self, v: u32, bits: u32) {
        debug_assert!(bits <= 32);
        if bits == 0 {
            return;
        }
        self.acc |= u64::from(v & (u32::MAX >> (32 - bits))) << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    pub fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.bytes.push(self.acc as u8);
        }
        self.bytes
    }
}

/// Reads a bit stream written by [`BitWriter`]; `None` past the end.
pub struct BitReader<'a> {
    b: &'a [u8],
    pub pos: u64,
}

impl<'a> BitReader<'a> {
    pub fn new(b: &'a [u8], pos: u64) -> Self {
        BitReader { b, pos }
    }
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.b.get((self.pos >> 3) as usize)?;
        let v = u32::from(byte >> (self.pos & 7)) & 1;
        self.pos += 1;
        Some(v)
    }
    pub fn get(&mut self, bits: u32) -> Option<u32> {
        let mut v = 0u32;
        for i in 0..bits {
            v |= self.bit()? << i;
        }
        Some(v)
    }
    /// A run of one bits ended by a zero, at most `cap` long.
    fn unary(&mut self, cap: u32) -> Option<u32> {
        let mut q = 0;
        while self.bit()? == 1 {
            q += 1;
            if q > cap {
                return None;
            }
        }
        Some(q)
    }
}

/// Appends one list: `targets` distinct, none ≥ `n`; `weights` its weights (any order,
/// each in (0, 1]). Writes count, best level, Rice-coded ascending targets, levels.
pub fn write_list(
    w: &mut BitWriter,
    n: usize,
    count_bits: u8,
    p: Packing,
    targets: &[u32],
    weights: &[f32],
) {
    let count = targets.len();
    w.put(count as u32, u32::from(count_bits));
    if count == 0 {
        return;
    }
    let best = weights.iter().copied().fold(0.0f32, f32::max);
    let top = p.top_level(best);
    w.put(top, TOP_BITS);
    let mut order: Vec<u32> = (0..count as u32).collect();
    crate::sort::heapsort_by(&mut order, |&a, &b| {
        targets[a as usize].cmp(&targets[b as usize])
    });
    let k = rice_k(n, count);
    let mut next = 0u32; // the smallest index the next target can have
    for &j in &order {
        let gap = targets[j as usize] - next;
        let q = gap >> k;
        for _ in 0..q {
            w.put(1, 1);
        }
        w.put(0, 1);
        w.put(gap, k);
        next = targets[j as usize] + 1;
    }
    for &j in &order {
        w.put(
            p.rel_level(weights[j as usize], top),
            u32::from(p.weight_bits),
        );
    }
}

/// Why a packed list does not decode (model.rs turns it into its `ModelError`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ListError {
    /// The stream ends inside the list.
    Short,
    /// A target at or past the item count.
    OutOfRange,
    /// The item is listed as its own neighbour.
    SelfLoop,
}

/// Decodes item `item`'s list starting at the reader's position; calls `out` with each
/// (target, weight) in ascending target order.
pub fn read_list(
    r: &mut BitReader<'_>,
    n: usize,
    item: usize,
    count_bits: u8,
    p: Packing,
    mut out: impl FnMut(u32, f32),
) -> Result<usize, ListError> {
    let count = r.get(u32::from(count_bits)).ok_or(ListError::Short)? as usize;
    if count == 0 {
        return Ok(0);
    }
    if count >= n {
        return Err(ListError::OutOfRange);
    }
    let top = r.get(TOP_BITS).ok_or(ListError::Short)?;
    let k = rice_k(n, count);
    let cap = (n >> k) as u32 + 1;
    // Targets are decoded into the reader's scratch first: the levels follow them.
    let start = r.pos;
    let mut next = 0u64;
    for _ in 0..count {
        let q = r.unary(cap).ok_or(ListError::OutOfRange)?;
        let low = r.get(k).ok_or(ListError::Short)?;
        let t = next + (u64::from(q) << k) + u64::from(low);
        if t >= n as u64 {
            return Err(ListError::OutOfRange);
        }
        if t == item as u64 {
            return Err(ListError::SelfLoop);
        }
        next = t + 1;
    }
    // Second pass over the targets, now pairing each with its level.
    let mut levels = BitReader::new(r.b, r.pos);
    r.pos = start;
    let mut next = 0u64;
    for _ in 0..count {
        let q = r.unary(cap).ok_or(ListError::Short)?;
        let low = r.get(k).ok_or(ListError::Short)?;
        let t = next + (u64::from(q) << k) + u64::from(low);
        next = t + 1;
        let rel = levels
            .get(u32::from(p.weight_bits))
            .ok_or(ListError::Short)?;
        out(t as u32, p.weight(top, rel));
    }
    r.pos = levels.pos;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_exact_powers() {
        assert_eq!(level_weight(0), 1.0);
        assert_eq!(level_weight(32), 0.5);
        assert_eq!(level_weight(16 * 32), 1.0 / 65536.0);
        assert_eq!(level_weight(16), core::f32::consts::FRAC_1_SQRT_2);
        for m in 0..MAX_LEVEL {
            assert!(level_weight(m + 1) < level_weight(m), "{m}");
            assert!(level_weight(m + 1).is_normal());
        }
    }

    #[test]
    fn nearest_rounds_on_a_log_scale() {
        let p = Packing::WRITER;
        assert_eq!(p.top_level(1.0), 0);
        assert_eq!(p.top_level(0.5), 32);
        // 0.75 = 2^-0.415: level 13.28 of 32 per octave, nearer 13 on a log scale.
        assert_eq!(p.top_level(0.75), 13);
        assert_eq!(level_weight(13), 2f32.powf(-13.0 / 32.0));
        // Relative levels step by an eighth of an octave (4 of 32).
        assert_eq!(p.rel_level(0.25, 32), 8);
        assert_eq!(p.rel_level(0.5, 32), 0);
        assert_eq!(p.rel_level(0.9, 32), 0);
        assert_eq!(p.rel_level(1e-9, 32), 63);
        // On-grid weights are fixed points.
        for top in [0u32, 3, 100, 1023] {
            for rel in 0..64 {
                let w = p.weight(top, rel);
                assert_eq!(p.rel_level(w, top), rel);
            }
            assert_eq!(p.top_level(level_weight(top)), top);
        }
        assert!(p.is_valid());
        assert!(!Packing {
            weight_bits: 8,
            level_step: 32
        }
        .is_valid());
        assert!(!Packing {
            weight_bits: 4,
            level_step: 33
        }
        .is_valid());
        assert!(!Packing {
            weight_bits: 0,
            level_step: 1
        }
        .is_valid());
    }

    #[test]
    fn lists_round_trip_in_target_order() {
        let p = Packing::WRITER;
        let n = 5000;
        let lists: Vec<(Vec<u32>, Vec<f32>)> = vec![
            (vec![], vec![]),
            (vec![4999, 0, 17], vec![1.0, 0.5, 0.25]),
            (vec![3], vec![0.01]),
            (
                (0..200).map(|i| i * 24 + 1).collect(),
                (0..200).map(|i| 1.0 / (1 + i) as f32).collect(),
            ),
        ];
        let mut w = BitWriter::default();
        for (t, wt) in &lists {
            write_list(&mut w, n, 8, p, t, wt);
        }
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes, 0);
        for (i, (t, wt)) in lists.iter().enumerate() {
            let mut got = Vec::new();
            let count = read_list(&mut r, n, 4000 + i, 8, p, |a, b| got.push((a, b))).unwrap();
            assert_eq!(count, t.len());
            let mut want: Vec<(u32, f32)> = t.iter().copied().zip(wt.iter().copied()).collect();
            let mut snapped: Vec<f32> = want.iter().map(|x| x.1).collect();
            p.snap(&mut snapped);
            for (x, s) in want.iter_mut().zip(snapped) {
                x.1 = s;
            }
            want.sort_by_key(|x| x.0);
            assert_eq!(got, want);
        }
        assert!(r.pos <= bytes.len() as u64 * 8);
        // Cut short, the last list is refused.
        let mut r = BitReader::new(&bytes[..bytes.len() - 20], 0);
        let mut res = Ok(0);
        for i in 0..lists.len() {
            res = read_list(&mut r, n, 4000 + i, 8, p, |_, _| {});
        }
        assert_eq!(res, Err(ListError::Short));
        // A target past the item count or the item itself is refused.
        let mut r = BitReader::new(&bytes, 0);
        let _ = read_list(&mut r, n, 0, 8, p, |_, _| {});
        assert_eq!(
            read_list(&mut r, 4000, 1, 8, p, |_, _| {}),
            Err(ListError::OutOfRange)
        );
        let mut r = BitReader::new(&bytes, 0);
        let _ = read_list(&mut r, n, 0, 8, p, |_, _| {});
        assert_eq!(
            read_list(&mut r, n, 17, 8, p, |_, _| {}),
            Err(ListError::SelfLoop)
        );
    }
}
