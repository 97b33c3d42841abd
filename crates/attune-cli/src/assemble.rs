//! From built lists to model parts, shared by `attune build` (`commands`) and `attune eval`
//! (`eval`): the catalogue fields, the near-duplicate families, and the settings in words
//! (the model's META and the reports). Knows nothing of files or output.

use anyhow::Result;
use attune_core::build::{families_from_titles, BuildSettings, BuildStats, Interactions};
use attune_core::ModelParts;

use crate::import::Imported;
use crate::tune::{build_tuned, TuneOptions, TuneReport};

/// Near-duplicate families from the titles for the diversity rule (`FAML`), when the
/// settings ask for a cap and the catalogue has titles with at least one family of two.
pub fn attach_families(parts: &mut ModelParts, inter: &Interactions, settings: &BuildSettings) {
    let cap = settings.scoring.family_cap;
    if cap == 0 || parts.titles.is_empty() {
        return;
    }
    let mut weight = vec![0u32; parts.ids.len()];
    if settings.dp.is_some() {
        // Under differential privacy raw counts would spend privacy outside the budget:
        // the family's name comes from the published (noisy) popularity instead.
        for (&i, &p) in parts.popular.iter().zip(&parts.popular_scores) {
            if let Some(w) = weight.get_mut(i as usize) {
                *w = p.max(0.0) as u32;
            }
        }
    } else {
        for o in &inter.orders {
            for &i in &o.items {
                if let Some(w) = weight.get_mut(i as usize) {
                    *w += 1;
                }
            }
        }
    }
    let families = families_from_titles(&parts.titles, &weight, settings.family_similarity);
    if families.iter().enumerate().any(|(i, &f)| f as usize != i) {
        parts.families = families;
    }
}

/// Takes the `hidden` items (a feed's `out_of_stock` products) out of every list the
/// scorer draws candidates from — neighbours, "what comes next", popular — so they are
/// never recommended; the model format has no availability field, and this needs none.
/// Their own lists stay: a shopper looking at a sold-out product still gets suggestions.
/// Lists were cut to their top K before, so a list can end up shorter than K. Returns
/// how many items were hidden.
pub fn hide_items(parts: &mut ModelParts, hidden: &[bool]) -> usize {
    let is_hidden = |i: u32| hidden.get(i as usize).copied().unwrap_or(false);
    if !parts
        .ids
        .iter()
        .enumerate()
        .any(|(i, _)| is_hidden(i as u32))
    {
        return 0;
    }
    fn keep_visible(
        offsets: &mut [u32],
        targets: &mut Vec<u32>,
        weights: &mut Vec<f32>,
        is_hidden: &dyn Fn(u32) -> bool,
    ) {
        if offsets.is_empty() {
            return;
        }
        let mut kept = 0usize;
        let mut start = offsets[0] as usize;
        for off in offsets.iter_mut().skip(1) {
            let end = *off as usize;
            for k in start..end {
                if !is_hidden(targets[k]) {
                    targets[kept] = targets[k];
                    weights[kept] = weights[k];
                    kept += 1;
                }
            }
            start = end;
            *off = kept as u32;
        }
        targets.truncate(kept);
        weights.truncate(kept);
    }
    keep_visible(
        &mut parts.offsets,
        &mut parts.targets,
        &mut parts.weights,
        &is_hidden,
    );
    keep_visible(
        &mut parts.next_offsets,
        &mut parts.next_targets,
        &mut parts.next_weights,
        &is_hidden,
    );
    let (popular, scores): (Vec<u32>, Vec<f32>) = parts
        .popular
        .iter()
        .zip(&parts.popular_scores)
        .filter(|(&i, _)| !is_hidden(i))
        .map(|(&i, &s)| (i, s))
        .unzip();
    parts.popular = popular;
    parts.popular_scores = scores;
    (0..parts.ids.len() as u32)
        .filter(|&i| is_hidden(i))
        .count()
}

/// The neighbour method in words (model META `similarity`).
pub fn similarity_text(s: &BuildSettings) -> String {
    match &s.regression {
        Some(r) => format!(
            "regression (EASE over the {} most co-bought candidates), ridge {} x mean buyers",
            r.candidates, r.ridge
        ),
        None => format!(
            "co-purchase / (n_i^{} n_j^{}), customer weight 1/ln(e+items)",
            1.0 - s.popularity_exponent,
            s.popularity_exponent
        ),
    }
}

/// Every setting that shapes the model, on one line (build summary, `eval`).
pub fn describe(s: &BuildSettings) -> String {
    let method = match &s.regression {
        Some(r) => format!("regression ridge {} ({} candidates)", r.ridge, r.candidates),
        None => format!(
            "co-occurrence, popularity exponent {}",
            s.popularity_exponent
        ),
    };
    let sc = &s.scoring;
    format!(
        "{method}, {} neighbours, min support {}; next {} per item over {} orders (step decay {}, \
         row exponent {}); per order: history decay {}, next decay {}; next weight {}; \
         repeats {}; popularity prior {}",
        s.neighbors,
        s.min_support,
        s.next.neighbors,
        s.next.steps,
        s.next.step_decay,
        s.next.row_exponent,
        sc.history_decay,
        sc.next_decay,
        sc.next_weight,
        if sc.repeat_once { "once" } else { "added" },
        sc.popularity_weight
    )
}

/// Builds the model parts from imported interactions, tuning when `tune` is given
/// (shared by `build` and `eval`). Returns the parts, the builder's stats, the settings
/// used and the tuning report.
pub fn model_parts(
    imported: &Imported,
    interactions: &Interactions,
    settings: &BuildSettings,
    tune: Option<&TuneOptions>,
) -> Result<(ModelParts, BuildStats, BuildSettings, Option<TuneReport>)> {
    let (built, chosen, report) = build_tuned(interactions, settings, tune)?;
    let stats = built.stats.clone();
    let mut parts = built.into_parts(imported.ids.clone());
    parts.titles = imported.titles.clone();
    parts.prices = imported.prices.clone();
    Ok((parts, stats, chosen, report))
}
