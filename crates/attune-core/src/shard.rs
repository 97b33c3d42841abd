//! Sharded models (docs/model-format.md "Sharded models"): a small head (the popularity
//! list with its items' catalog fields, the scoring blend, metadata) and shards, each
//! holding the lists of the items that hash to it plus the catalog fields of every item
//! those lists name. Each file is an ordinary model with one extra `SHRD` section, so
//! older tools read any of them as a model of its own items.
//!
//! `split` writes them from a model; `merge` joins a head and any set of its shards into
//! one model whose items keep their order in the whole model (so ties break as they do in
//! the single file). The head and all shards merge back to the single file's scoring.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use crate::model::{section, Model, ModelError, ModelParts, NO_PRICE, TAG_SHARD};

/// The hashing rule of `SHRD` rule 1: FNV-1a (32-bit) of the id's UTF-8 bytes, masked
/// by `shards − 1` (shards is a power of two).
pub const RULE_FNV1A: u8 = 1;
/// `shard` value of the head.
pub const HEAD: u32 = u32::MAX;
const NO_FAMILY: u32 = u32::MAX;

pub fn fnv1a(id: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in id.as_bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The shard holding `id`'s lists.
pub fn shard_of(id: &str, shards: u32) -> u32 {
    fnv1a(id) & (shards - 1)
}

/// What a `SHRD` section says: which file this is, how ids map to shards, and for each
/// of the file's items its index and family in the whole model.
#[derive(Clone, Debug, PartialEq)]
pub struct ShardInfo {
    pub shard: u32,
    pub shards: u32,
    pub items: u32,
    pub global: Vec<u32>,
    pub families: Vec<u32>,
}

impl ShardInfo {
    fn write(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(20 + 8 * self.global.len());
        for v in [self.shard, self.shards] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&[RULE_FNV1A, 0, 0, 0]);
        for v in [self.items, self.global.len() as u32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for v in self.global.iter().chain(&self.families) {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// Reads and checks the section of a model of `n` items.
    pub fn read(sec: &[u8], n: usize) -> Result<ShardInfo, ModelError> {
        let bad = ModelError::Invalid("shard section");
        let word = |i: usize| -> Result<u32, ModelError> {
            let b = sec.get(4 * i..4 * i + 4).ok_or(bad.clone())?;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let (shard, shards, items, m) = (word(0)?, word(1)?, word(3)?, word(4)? as usize);
        if sec.get(8..12) != Some(&[RULE_FNV1A, 0, 0, 0][..])
            || !shards.is_power_of_two()
            || (shard != HEAD && shard >= shards)
            || m != n
            || sec.len() != 20 + 8 * n
        {
            return Err(bad);
        }
        let global: Vec<u32> = (0..n).map(|i| word(5 + i)).collect::<Result<_, _>>()?;
        let families: Vec<u32> = (0..n).map(|i| word(5 + n + i)).collect::<Result<_, _>>()?;
        if global.windows(2).any(|w| w[0] >= w[1])
            || global.last().is_some_and(|&g| g >= items)
            || families.iter().any(|&f| f != NO_FAMILY && f >= items)
        {
            return Err(bad);
        }
        Ok(ShardInfo {
            shard,
            shards,
            items,
            global,
            families,
        })
    }
}

/// The head and the shards of a model, as file bytes (shard `k` is `shards[k]`).
pub struct Sharded {
    pub head: Vec<u8>,
    pub shards: Vec<Vec<u8>>,
}

/// The model's parts restricted to `keep` (global indices, ascending), with the lists of
/// the items `owns` says, remapped to the kept items; a `SHRD` section appended.
fn subset(p: &ModelParts, keep: &[u32], owns: &dyn Fn(u32) -> bool, info: ShardInfo) -> Vec<u8> {
    let n = p.ids.len();
    let mut local = vec![u32::MAX; n];
    for (k, &g) in keep.iter().enumerate() {
        local[g as usize] = k as u32;
    }
    let pick = |v: &Vec<String>| -> Vec<String> {
        if v.is_empty() {
            Vec::new()
        } else {
            keep.iter().map(|&g| v[g as usize].clone()).collect()
        }
    };
    let mut q = ModelParts {
        ids: pick(&p.ids),
        titles: pick(&p.titles),
        urls: pick(&p.urls),
        images: pick(&p.images),
        prices: if p.prices.is_empty() {
            Vec::new()
        } else {
            keep.iter().map(|&g| p.prices[g as usize]).collect()
        },
        ..ModelParts::default()
    };
    let lists = |offsets: &[u32], targets: &[u32], weights: &[f32]| {
        let (mut o, mut t, mut w) = (vec![0u32], Vec::new(), Vec::new());
        for &g in keep {
            if owns(g) {
                let (a, b) = (
                    offsets[g as usize] as usize,
                    offsets[g as usize + 1] as usize,
                );
                for e in a..b {
                    t.push(local[targets[e] as usize]);
                    w.push(weights[e]);
                }
            }
            o.push(t.len() as u32);
        }
        (o, t, w)
    };
    (q.offsets, q.targets, q.weights) = lists(&p.offsets, &p.targets, &p.weights);
    if !p.next_offsets.is_empty() {
        (q.next_offsets, q.next_targets, q.next_weights) =
            lists(&p.next_offsets, &p.next_targets, &p.next_weights);
    }
    if info.shard == HEAD {
        for (&i, &s) in p.popular.iter().zip(&p.popular_scores) {
            q.popular.push(local[i as usize]);
            q.popular_scores.push(s);
        }
        q.scoring = p.scoring;
        q.meta = p.meta.clone();
    }
    let model = Model::from_parts(q).unwrap_or_else(|_| unreachable!("a subset of a valid model"));
    model.to_bytes_with(&[(TAG_SHARD, info.write())])
}

/// Splits a model into a head and `shards` shards (a power of two ≥ 1).
pub fn split(model: &Model, shards: u32) -> Sharded {
    assert!(shards.is_power_of_two());
    let p = model.to_parts();
    let n = p.ids.len();
    let owner: Vec<u32> = p.ids.iter().map(|id| shard_of(id, shards)).collect();
    let family = |g: u32| p.families.get(g as usize).copied().unwrap_or(NO_FAMILY);
    let info = |shard: u32, keep: &[u32]| ShardInfo {
        shard,
        shards,
        items: n as u32,
        global: keep.to_vec(),
        families: keep.iter().map(|&g| family(g)).collect(),
    };
    let mut head: Vec<u32> = p.popular.clone();
    crate::sort::heapsort_by(&mut head, |a, b| a.cmp(b));
    let head_bytes = subset(&p, &head, &|_| false, info(HEAD, &head));
    let mut files = Vec::with_capacity(shards as usize);
    let mut mark = vec![u32::MAX; n];
    let mut owned: Vec<Vec<u32>> = vec![Vec::new(); shards as usize];
    for g in 0..n as u32 {
        owned[owner[g as usize] as usize].push(g);
    }
    for k in 0..shards {
        let mut keep: Vec<u32> = Vec::new();
        for &g in &owned[k as usize] {
            let mut take = |x: u32| {
                if mark[x as usize] != k {
                    mark[x as usize] = k;
                    keep.push(x);
                }
            };
            take(g);
            let (a, b) = (
                p.offsets[g as usize] as usize,
                p.offsets[g as usize + 1] as usize,
            );
            p.targets[a..b].iter().for_each(|&t| take(t));
            if !p.next_offsets.is_empty() {
                let (a, b) = (
                    p.next_offsets[g as usize] as usize,
                    p.next_offsets[g as usize + 1] as usize,
                );
                p.next_targets[a..b].iter().for_each(|&t| take(t));
            }
        }
        crate::sort::heapsort_by(&mut keep, |a, b| a.cmp(b));
        files.push(subset(
            &p,
            &keep,
            &|g| owner[g as usize] == k,
            info(k, &keep),
        ));
    }
    Sharded {
        head: head_bytes,
        shards: files,
    }
}

/// Joins a head (first) and any of its shards into one model: the items of all files in
/// their order in the whole model, each item's lists from the shard that owns it, the
/// head's popularity list, blend and metadata, families from the `SHRD` sections.
pub fn merge(files: &[&[u8]]) -> Result<Model, ModelError> {
    struct Item {
        global: u32,
        family: u32,
        file: usize,
        local: u32,
    }
    let mut models = Vec::with_capacity(files.len());
    let mut infos = Vec::with_capacity(files.len());
    for (f, bytes) in files.iter().enumerate() {
        let m = Model::from_bytes(bytes)?;
        let sec = section(bytes, TAG_SHARD).ok_or(ModelError::Invalid("not a model shard"))?;
        let info = ShardInfo::read(sec, m.len())?;
        if (f == 0) != (info.shard == HEAD) {
            return Err(ModelError::Invalid("a sharded model starts with its head"));
        }
        if f > 0 && (info.shards != infos_first(&infos).0 || info.items != infos_first(&infos).1) {
            return Err(ModelError::Invalid("shard of another model"));
        }
        models.push(m);
        infos.push(info);
    }
    fn infos_first(v: &[ShardInfo]) -> (u32, u32) {
        (v[0].shards, v[0].items)
    }
    let mut items: Vec<Item> = Vec::new();
    for (f, info) in infos.iter().enumerate() {
        for (l, (&g, &fam)) in info.global.iter().zip(&info.families).enumerate() {
            items.push(Item {
                global: g,
                family: fam,
                file: f,
                local: l as u32,
            });
        }
    }
    // By global index; for one item, the file that owns its lists first.
    let owns = |it: &Item| -> bool {
        let info = &infos[it.file];
        info.shard != HEAD && shard_of(models[it.file].id(it.local), info.shards) == info.shard
    };
    crate::sort::heapsort_by(&mut items, |a, b| {
        a.global
            .cmp(&b.global)
            .then(owns(b).cmp(&owns(a)))
            .then(a.file.cmp(&b.file))
    });
    let mut uniq: Vec<Item> = Vec::with_capacity(items.len());
    for it in items {
        if uniq.last().is_some_and(|u| u.global == it.global) {
            continue;
        }
        uniq.push(it);
    }
    let total = infos[0].items as usize;
    let mut local_of = vec![u32::MAX; total];
    for (k, it) in uniq.iter().enumerate() {
        local_of[it.global as usize] = k as u32;
    }
    let head = &models[0];
    let mut p = ModelParts {
        scoring: *head.scoring(),
        ..ModelParts::default()
    };
    let catalog = |m: &Model| m.to_parts();
    let parts: Vec<ModelParts> = models.iter().map(catalog).collect();
    let any = |f: fn(&ModelParts) -> bool| parts.iter().any(f);
    let (titles, prices, urls, images) = (
        any(|q| !q.titles.is_empty()),
        any(|q| !q.prices.is_empty()),
        any(|q| !q.urls.is_empty()),
        any(|q| !q.images.is_empty()),
    );
    let mut next_lists = false;
    p.offsets.push(0);
    let mut next_offsets = vec![0u32];
    for it in &uniq {
        let q = &parts[it.file];
        let l = it.local as usize;
        p.ids.push(q.ids[l].clone());
        let text = |v: &Vec<String>| v.get(l).cloned().unwrap_or_default();
        if titles {
            p.titles.push(text(&q.titles));
        }
        if urls {
            p.urls.push(text(&q.urls));
        }
        if images {
            p.images.push(text(&q.images));
        }
        if prices {
            p.prices.push(q.prices.get(l).copied().unwrap_or(NO_PRICE));
        }
        let g = |t: u32| -> Result<u32, ModelError> {
            let gl = infos[it.file].global[t as usize] as usize;
            Ok(local_of[gl])
        };
        let (a, b) = (q.offsets[l] as usize, q.offsets[l + 1] as usize);
        for e in a..b {
            p.targets.push(g(q.targets[e])?);
            p.weights.push(q.weights[e]);
        }
        p.offsets.push(p.targets.len() as u32);
        if !q.next_offsets.is_empty() {
            next_lists = true;
            let (a, b) = (q.next_offsets[l] as usize, q.next_offsets[l + 1] as usize);
            for e in a..b {
                p.next_targets.push(g(q.next_targets[e])?);
                p.next_weights.push(q.next_weights[e]);
            }
        }
        next_offsets.push(p.next_targets.len() as u32);
    }
    if next_lists {
        p.next_offsets = next_offsets;
    }
    let hp = &parts[0];
    for (&i, &s) in hp.popular.iter().zip(&hp.popular_scores) {
        p.popular
            .push(local_of[infos[0].global[i as usize] as usize]);
        p.popular_scores.push(s);
    }
    p.meta = hp.meta.clone();
    if uniq.iter().any(|it| it.family != NO_FAMILY) {
        // A family is the first present item of it (the scorer compares them only).
        let mut first = vec![u32::MAX; total];
        for (k, it) in uniq.iter().enumerate() {
            let key = if it.family == NO_FAMILY {
                it.global
            } else {
                it.family
            } as usize;
            if first[key] == u32::MAX {
                first[key] = k as u32;
            }
            p.families.push(first[key]);
        }
    }
    Model::from_parts(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{recommend, Query, Signal};

    #[test]
    fn fnv1a_known_vectors() {
        // The published FNV-1a 32-bit test vectors (the bootstrap computes the same).
        assert_eq!(fnv1a(""), 0x811c_9dc5);
        assert_eq!(fnv1a("a"), 0xe40c_292c);
        assert_eq!(fnv1a("foobar"), 0xbf9c_f968);
        assert_eq!(shard_of("foobar", 16), 0x8);
        assert_eq!(shard_of("foobar", 1), 0);
    }

    fn model() -> Model {
        // 12 items; i → (i+1, i+5) neighbours, i → i+2 next, families of pairs.
        let n = 12u32;
        let mut p = ModelParts {
            ids: (0..n).map(|i| alloc::format!("SKU{i}")).collect(),
            titles: (0..n).map(|i| alloc::format!("Item {i}")).collect(),
            prices: (0..n).map(|i| 100 + i).collect(),
            families: (0..n).map(|i| i - i % 2).collect(),
            popular: vec![3, 0, 7],
            popular_scores: vec![9.0, 5.0, 1.0],
            ..ModelParts::default()
        };
        p.offsets.push(0);
        p.next_offsets.push(0);
        for i in 0..n {
            p.targets.extend([(i + 1) % n, (i + 5) % n]);
            p.weights.extend([1.0, 0.5]);
            p.offsets.push(p.targets.len() as u32);
            p.next_targets.push((i + 2) % n);
            p.next_weights.push(0.25);
            p.next_offsets.push(p.next_targets.len() as u32);
        }
        p.scoring.family_cap = 1;
        Model::from_parts(p).unwrap()
    }

    fn ids(m: &Model, h: &[&str]) -> Vec<alloc::string::String> {
        let history: Vec<(u32, Signal)> = h
            .iter()
            .filter_map(|id| m.index_of(id))
            .map(|i| (i, Signal::Purchase))
            .collect();
        let exclude: Vec<u32> = history.iter().map(|x| x.0).collect();
        let q = Query {
            history: &history,
            exclude: &exclude,
            k: 6,
            fill_popular: true,
        };
        recommend(m, &q)
            .iter()
            .map(|r| m.id(r.item).into())
            .collect()
    }

    #[test]
    fn head_and_all_shards_merge_to_the_model() {
        let m = model();
        let s = split(&m, 4);
        assert_eq!(s.shards.len(), 4);
        let mut files: Vec<&[u8]> = vec![&s.head];
        files.extend(s.shards.iter().map(Vec::as_slice));
        let merged = merge(&files).unwrap();
        assert_eq!(merged.len(), m.len());
        let (a, b) = (m.to_parts(), merged.to_parts());
        assert_eq!(
            (&a.ids, &a.titles, &a.prices),
            (&b.ids, &b.titles, &b.prices)
        );
        assert_eq!(
            (&a.offsets, &a.targets, &a.weights),
            (&b.offsets, &b.targets, &b.weights)
        );
        assert_eq!(
            (&a.next_targets, &a.popular, &a.scoring),
            (&b.next_targets, &b.popular, &b.scoring)
        );
        for h in [&["SKU0"][..], &["SKU3", "SKU4"], &["SKU11"], &[]] {
            assert_eq!(ids(&merged, h), ids(&m, h), "{h:?}");
        }
    }

    #[test]
    fn a_shard_holds_its_items_lists_and_what_they_name() {
        let m = model();
        let s = split(&m, 4);
        let k = shard_of("SKU0", 4) as usize;
        // The head alone: popular items with their catalog fields, no lists.
        let head = merge(&[&s.head]).unwrap();
        assert_eq!(head.len(), 3);
        assert_eq!(head.title(head.index_of("SKU3").unwrap()), Some("Item 3"));
        assert_eq!(ids(&head, &[]), ["SKU3", "SKU0", "SKU7"]);
        assert!(head.neighbors(0).0.is_empty());
        // Head and SKU0's shard: SKU0's lists, and a title for each item they name.
        let part = merge(&[&s.head, &s.shards[k]]).unwrap();
        let i = part.index_of("SKU0").unwrap();
        let named: Vec<&str> = part.neighbors(i).0.iter().map(|&t| part.id(t)).collect();
        assert_eq!(named, ["SKU1", "SKU5"]);
        assert_eq!(part.id(part.next(i).0[0]), "SKU2");
        for t in ["SKU1", "SKU5", "SKU2"] {
            assert!(part.title(part.index_of(t).unwrap()).is_some(), "{t}");
        }
        // What it recommends for SKU0 is what the whole model does.
        assert_eq!(
            ids(&part, &["SKU0"]),
            ids(&m, &["SKU0"])[..ids(&part, &["SKU0"]).len()]
        );
        assert_eq!(ids(&part, &["SKU0"])[..3], ids(&m, &["SKU0"])[..3]);
        // Files out of place are refused.
        assert!(merge(&[&s.shards[k]]).is_err());
        assert!(merge(&[&s.head, &s.head]).is_err());
        assert!(merge(&[&m.to_bytes()]).is_err());
        let other = split(&m, 2);
        assert!(merge(&[&s.head, &other.shards[0]]).is_err());
    }
}
