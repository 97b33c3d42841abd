//! Offline evaluation (`attune eval`): cut held-out targets from the data (`cases`),
//! build a model from the rest exactly as `attune build` does (tuning included), and rank
//! through `score::Scorer` on a model that went through its bytes — the path the browser
//! runs (`metrics`).
//!
//! History items are excluded from every list; lists are filled from the popularity
//! fallback (as `attune recommend` does). Test numbers never steer a choice: `attune build`
//! tunes on its own training data only, and defaults are chosen on validation.

use anyhow::{Context, Result};
use attune_core::build::BuildSettings;
use attune_core::Model;

use crate::assemble;
use crate::cases::{split, Kind, Split};
use crate::import::{Format, Imported};
use crate::metrics::{measure, rank_all, Metrics, CUTOFFS};
use crate::tune::{TuneOptions, TuneReport};
use serde::Serialize;

#[derive(Clone, Debug)]
pub struct ProtocolResult {
    pub name: &'static str,
    pub kind: Kind,
    pub val: Metrics,
    pub test: Metrics,
    pub val_popular: Metrics,
    pub test_popular: Metrics,
}

#[derive(Clone, Debug)]
pub struct EvalResult {
    pub format: Format,
    pub items: usize,
    pub train_orders: usize,
    pub repeat_only: [usize; 2],
    pub model_bytes: usize,
    pub edges: usize,
    pub next_edges: usize,
    pub settings: BuildSettings,
    pub tune: Option<TuneReport>,
    pub protocols: Vec<ProtocolResult>,
    /// With titles: the share of the first protocol's test top-10 lists holding 3 or more
    /// near-duplicates (one title family, at the default similarity) — the flood the
    /// family cap prevents.
    pub flooded10: Option<f64>,
}

/// Splits, builds (tuning on the training part when `tune` is given) and measures.
pub fn evaluate(
    imported: &Imported,
    format: Format,
    settings: &BuildSettings,
    tune_opts: Option<&TuneOptions>,
) -> Result<EvalResult> {
    let sp = split(&imported.interactions, format);
    if sp
        .protocols
        .iter()
        .all(|p| p.val.is_empty() && p.test.is_empty())
    {
        anyhow::bail!(match format {
            Format::Baskets => "nothing to evaluate: no basket has 3 or more distinct items",
            _ => "nothing to evaluate: no customer has 3 or more orders (or items)",
        });
    }
    let (mut parts, stats, chosen, report) =
        assemble::model_parts(imported, &sp.train, settings, tune_opts)?;
    let (edges, next_edges) = (stats.edges_kept, stats.next_edges_kept);
    assemble::attach_families(&mut parts, &sp.train, &chosen);
    let model = Model::from_parts(parts).context("the evaluated model failed validation")?;
    // Score what a browser would load: the model after its bytes.
    let bytes = model.to_bytes();
    let model = Model::from_bytes(&bytes).context("re-reading the evaluated model")?;
    let protocols = sp
        .protocols
        .iter()
        .map(|p| ProtocolResult {
            name: p.name,
            kind: p.kind,
            val: measure(&model, &p.val, false),
            test: measure(&model, &p.test, false),
            val_popular: measure(&model, &p.val, true),
            test_popular: measure(&model, &p.test, true),
        })
        .collect();
    let flooded10 = flood_share(&model, &imported.titles, &sp, &chosen);
    Ok(EvalResult {
        format,
        items: imported.ids.len(),
        train_orders: sp.train.orders.len(),
        repeat_only: sp.repeat_only,
        model_bytes: bytes.len(),
        edges,
        next_edges,
        settings: chosen,
        tune: report,
        protocols,
        flooded10,
    })
}

impl EvalResult {
    /// Tables per protocol, and a headline line at cut-off `k` (5, 10 or 20).
    pub fn to_text(&self, k: usize) -> String {
        let c = CUTOFFS.iter().position(|&x| x == k).unwrap_or(1);
        let mut t = format!(
            "items {}; training orders {}; model {} bytes ({:.1} bytes/item), {} neighbour + {} next edges\n\
             settings: {}\n",
            self.items,
            self.train_orders,
            self.model_bytes,
            self.model_bytes as f64 / self.items.max(1) as f64,
            self.edges,
            self.next_edges,
            assemble::describe(&self.settings)
        );
        if let Some(r) = &self.tune {
            t += &format!("tuning: {}\n", r.summary());
        }
        if let Some(f) = self.flooded10 {
            t += &format!(
                "test top-10 lists with 3+ near-duplicates: {:.1}% (family cap {})\n",
                100.0 * f,
                self.settings.scoring.family_cap
            );
        }
        for p in &self.protocols {
            t += &format!(
                "\n{} — validation {} queries, test {} queries\n",
                p.name, p.val.queries, p.test.queries
            );
            t += "                   HR@5    HR@10   HR@20   R@10    NDCG@5  NDCG@10 NDCG@20 Cov@10\n";
            for (name, m) in [
                ("attune val", &p.val),
                ("attune test", &p.test),
                ("popular val", &p.val_popular),
                ("popular test", &p.test_popular),
            ] {
                t += &format!(
                    "{name:<17} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>6.3}\n",
                    m.hr[0],
                    m.hr[1],
                    m.hr[2],
                    m.recall[1],
                    m.ndcg[0],
                    m.ndcg[1],
                    m.ndcg[2],
                    m.coverage10
                );
            }
            t += &format!(
                "NDCG@{k}: validation {:.4}, test {:.4} (popularity {:.4} / {:.4}); HR@{k} test {:.4}\n",
                p.val.ndcg[c], p.test.ndcg[c], p.val_popular.ndcg[c], p.test_popular.ndcg[c], p.test.hr[c]
            );
        }
        t
    }

    /// The `eval --json` object (one line).
    pub fn to_json(&self) -> String {
        let s = &self.settings;
        let json = EvalJson {
            format: match self.format {
                Format::Csv => "csv",
                Format::Baskets => "baskets",
                Format::Sequences => "sequences",
            },
            items: self.items,
            train_orders: self.train_orders,
            repeat_only: self.repeat_only,
            model_bytes: self.model_bytes,
            bytes_per_item: self.model_bytes as f64 / self.items.max(1) as f64,
            edges: self.edges,
            next_edges: self.next_edges,
            settings: assemble::describe(s),
            similarity: assemble::similarity_text(s),
            tuning: self.tune.as_ref().map(TuneReport::summary),
            flooded10: self.flooded10,
            protocols: self
                .protocols
                .iter()
                .map(|p| ProtocolJson {
                    name: p.name,
                    kind: match p.kind {
                        Kind::Item => "item",
                        Kind::Basket => "basket",
                    },
                    val: MetricsJson::of(&p.val),
                    test: MetricsJson::of(&p.test),
                    popular_val: MetricsJson::of(&p.val_popular),
                    popular_test: MetricsJson::of(&p.test_popular),
                })
                .collect(),
        };
        // Plain structs of strings and numbers: serialising them cannot fail.
        serde_json::to_string(&json).unwrap_or_default()
    }
}

/// The shape of `eval --json` (field names are the contract bench/ reads).
#[derive(Serialize)]
struct EvalJson {
    format: &'static str,
    items: usize,
    train_orders: usize,
    repeat_only: [usize; 2],
    model_bytes: usize,
    bytes_per_item: f64,
    edges: usize,
    next_edges: usize,
    settings: String,
    similarity: String,
    tuning: Option<String>,
    flooded10: Option<f64>,
    protocols: Vec<ProtocolJson>,
}

#[derive(Serialize)]
struct ProtocolJson {
    name: &'static str,
    kind: &'static str,
    val: MetricsJson,
    test: MetricsJson,
    popular_val: MetricsJson,
    popular_test: MetricsJson,
}

#[derive(Serialize)]
struct MetricsJson {
    queries: usize,
    #[serde(rename = "hr@5")]
    hr5: f64,
    #[serde(rename = "hr@10")]
    hr10: f64,
    #[serde(rename = "hr@20")]
    hr20: f64,
    #[serde(rename = "recall@5")]
    recall5: f64,
    #[serde(rename = "recall@10")]
    recall10: f64,
    #[serde(rename = "recall@20")]
    recall20: f64,
    #[serde(rename = "ndcg@5")]
    ndcg5: f64,
    #[serde(rename = "ndcg@10")]
    ndcg10: f64,
    #[serde(rename = "ndcg@20")]
    ndcg20: f64,
    #[serde(rename = "coverage@10")]
    coverage10: f64,
}

impl MetricsJson {
    fn of(m: &Metrics) -> MetricsJson {
        MetricsJson {
            queries: m.queries,
            hr5: m.hr[0],
            hr10: m.hr[1],
            hr20: m.hr[2],
            recall5: m.recall[0],
            recall10: m.recall[1],
            recall20: m.recall[2],
            ndcg5: m.ndcg[0],
            ndcg10: m.ndcg[1],
            ndcg20: m.ndcg[2],
            coverage10: m.coverage10,
        }
    }
}

/// See [`EvalResult::flooded10`].
fn flood_share(model: &Model, titles: &[String], sp: &Split, s: &BuildSettings) -> Option<f64> {
    let cases = &sp.protocols.first()?.test;
    if titles.is_empty() || cases.is_empty() {
        return None;
    }
    let mut weight = vec![0u32; titles.len()];
    for o in &sp.train.orders {
        for &i in &o.items {
            weight[i as usize] += 1;
        }
    }
    let fam = attune_core::build::families_from_titles(titles, &weight, s.family_similarity);
    let lists = rank_all(model, cases, false, 10);
    let flooded = lists
        .iter()
        .filter(|l| {
            l.iter().any(|&a| {
                l.iter()
                    .filter(|&&b| fam[b as usize] == fam[a as usize])
                    .count()
                    >= 3
            })
        })
        .count();
    Some(flooded as f64 / lists.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use attune_core::build::Interactions;

    use crate::cases::test_order as o;

    #[test]
    fn too_little_data_is_a_clear_error() {
        let imp = Imported {
            ids: vec!["a".into(), "b".into()],
            interactions: Interactions {
                n_items: 2,
                orders: vec![o(0, 0, &[0]), o(0, 1, &[1])],
            },
            ..Default::default()
        };
        let e = evaluate(&imp, Format::Csv, &BuildSettings::default(), None).unwrap_err();
        assert!(e.to_string().contains("3 or more orders"), "{e}");
        let e = evaluate(&imp, Format::Baskets, &BuildSettings::default(), None).unwrap_err();
        assert!(e.to_string().contains("3 or more distinct items"), "{e}");
    }

    #[test]
    fn evaluates_through_the_model_bytes() {
        // 40 customers buy 0 then 1 then 2; the model learns "2 follows 1".
        let mut orders = Vec::new();
        for c in 0..40 {
            for (t, i) in [0u32, 1, 2].iter().enumerate() {
                orders.push(o(c, t as i64, &[*i]));
            }
        }
        // 20 customers with longer sequences, so training (all but the last two) sees
        // 1 → 2; their own targets 3 and 4 are never trained on (misses).
        for c in 40..60 {
            for (t, i) in [0u32, 1, 2, 3, 4].iter().enumerate() {
                orders.push(o(c, t as i64, &[*i]));
            }
        }
        let imp = Imported {
            ids: (0..5).map(|i| format!("i{i}")).collect(),
            interactions: Interactions { n_items: 5, orders },
            ..Default::default()
        };
        let r = evaluate(&imp, Format::Sequences, &BuildSettings::default(), None).unwrap();
        let p = &r.protocols[0];
        assert_eq!(p.val.queries, 60);
        // The first 40: test [0, 1] → 2, ranked first (what comes after 1); 40/60 hits.
        assert_eq!(p.test.hr[0], 40.0 / 60.0);
        assert_eq!(p.test.ndcg[0], 40.0 / 60.0);
        assert!(r.model_bytes > 0);
        let json = r.to_json();
        assert!(json.starts_with("{\"format\":\"sequences\""), "{json}");
        assert!(r.to_text(10).contains("NDCG@10: validation"));
    }
}
