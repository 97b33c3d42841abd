//! Self-tuning build: `attune build` chooses the neighbour method and the scoring blend
//! for *this* catalogue by validation on its own training data, so no single dataset's
//! best settings are baked in.
//!
//! The training interactions are cut once more, the way the evaluation cuts them (never
//! touching anything the caller holds out): when at least 50 customers have ≥ 2 orders,
//! each one's last order is held out (query: every earlier item, oldest first; targets:
//! the order's items not already bought); otherwise (single-basket data such as
//! Groceries) one seeded item of each basket with ≥ 3 items is held out and the rest,
//! shuffled, is the query. Models are built on the remainder; the neighbour method
//! (regression with three ridges, co-occurrence with two popularity exponents) and then
//! the blend (next weight, history decay, repeats, next decay, popularity prior) are chosen by coordinate
//! ascent on NDCG@10 through the same scorer the browser runs, a change being kept only
//! when it wins by `MARGIN_SE` paired standard errors (so noise leaves the defaults in
//! place). The choice is then built from all the training data. Deterministic: fixed
//! seed, fixed grid order. A differentially private build (`--dp-epsilon`) is never tuned:
//! scoring a holdout of the raw data would be a release outside the privacy budget.

use anyhow::{Context, Result};
use attune_core::build::{
    build, customer_sequences, sized_for, stored_scoring, BuildSettings, Built, Interactions,
    Order, Regression,
};
use attune_core::{Model, Scoring};

use attune_core::random::Draws;

use crate::cases::{Case, SEED};
use crate::metrics::per_case_ndcg10;

/// Neighbour methods tried: regression (ridge 1, 3, 10) and co-occurrence (β 0, 0.5).
pub const METHODS: [Method; 5] = [
    Method::Regression(3.0),
    Method::Regression(1.0),
    Method::Regression(10.0),
    Method::Cooccurrence(0.0),
    Method::Cooccurrence(0.5),
];
/// Weights of the "what comes next" signal, P(next | item), relative to the neighbours
/// (0 = neighbours only).
pub const NEXT_WEIGHTS: [f32; 6] = [0.0, 0.3, 1.0, 3.0, 10.0, 30.0];
/// Per-order history decays for the neighbour signal.
pub const HISTORY_DECAYS: [f32; 6] = [0.3, 0.5, 0.7, 0.8, 0.9, 1.0];
/// Per-order decays for the next signal.
pub const NEXT_DECAYS: [f32; 4] = [0.1, 0.2, 0.35, 0.5];
/// Weights of the popularity prior (0 = none).
pub const POPULARITY_WEIGHTS: [f32; 4] = [0.0, 0.01, 0.03, 0.1];
/// Fewer held-out cases than this and the defaults are kept (too noisy to choose).
pub const MIN_CASES: usize = 50;
/// A candidate replaces the current choice only when its mean NDCG@10 is higher by this
/// many standard errors of the paired per-case difference: on a few hundred cases many
/// settings tie within noise, and then the defaults (chosen on validation across
/// datasets) are the better bet than the holdout's luck.
pub const MARGIN_SE: f64 = 1.5;

/// How the neighbour lists are computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Method {
    /// Ridge relative to the mean buyers per item.
    Regression(f64),
    /// Popularity exponent β.
    Cooccurrence(f64),
}

impl Method {
    fn of(s: &BuildSettings) -> Method {
        match &s.regression {
            Some(r) => Method::Regression(r.ridge),
            None => Method::Cooccurrence(s.popularity_exponent),
        }
    }
    fn apply(self, s: &BuildSettings) -> BuildSettings {
        let mut out = s.clone();
        match self {
            Method::Regression(ridge) => {
                out.regression = Some(Regression {
                    ridge,
                    ..s.regression.clone().unwrap_or_default()
                })
            }
            Method::Cooccurrence(beta) => {
                out.regression = None;
                out.popularity_exponent = beta;
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TuneOptions {
    /// At most this many held-out cases (an evenly spaced subset when there are more).
    pub max_cases: usize,
    /// Coordinate-ascent rounds over the scoring blend.
    pub rounds: usize,
}

impl Default for TuneOptions {
    fn default() -> Self {
        TuneOptions {
            max_cases: 10_000,
            rounds: 2,
        }
    }
}

/// What the tuning did, for the build summary and `eval --json`.
#[derive(Clone, Debug, PartialEq)]
pub struct TuneReport {
    pub protocol: &'static str,
    pub cases: usize,
    pub trials: usize,
    /// Internal NDCG@10 of the chosen settings and of the untuned settings.
    pub best: f64,
    pub untuned: f64,
    /// Set when tuning was skipped, with the reason.
    pub skipped: Option<&'static str>,
    /// Every trial in order: what was tried, its holdout NDCG@10, and whether it was
    /// kept (an ablation of each signal on this catalogue's own data).
    pub trace: Vec<Trial>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    pub what: String,
    pub ndcg10: f64,
    pub kept: bool,
}

impl TuneReport {
    pub fn summary(&self) -> String {
        match self.skipped {
            Some(why) => format!("skipped ({why}); defaults used"),
            None => format!(
                "{} on the training data, {} cases, {} trials: NDCG@10 {:.4} (untuned {:.4})",
                self.protocol, self.cases, self.trials, self.best, self.untuned
            ),
        }
    }
}

/// The held-out cases of the training data and what remains to build from.
pub struct Holdout {
    pub protocol: &'static str,
    pub train: Interactions,
    pub cases: Vec<Case>,
}

/// Cuts `inter` as described in the module docs.
pub fn holdout(inter: &Interactions) -> Holdout {
    let seqs = customer_sequences(inter);
    let eligible = seqs.iter().filter(|s| s.len() >= 2).count();
    let mut rng = Draws::seeded(SEED ^ 0x7475_6e65); // "tune": not the evaluation's draws
    if eligible >= MIN_CASES {
        let mut held = vec![false; inter.orders.len()];
        let mut cases = Vec::new();
        for s in seqs.iter().filter(|s| s.len() >= 2) {
            let last = s[s.len() - 1] as usize;
            held[last] = true;
            let history: Vec<u32> = s[..s.len() - 1]
                .iter()
                .flat_map(|&o| inter.orders[o as usize].items.iter().copied())
                .collect();
            let mut seen = history.clone();
            seen.sort_unstable();
            seen.dedup();
            let targets: Vec<u32> = inter.orders[last]
                .items
                .iter()
                .copied()
                .filter(|i| seen.binary_search(i).is_err())
                .collect();
            if !targets.is_empty() {
                cases.push(Case { history, targets });
            }
        }
        let train = Interactions {
            n_items: inter.n_items,
            orders: inter
                .orders
                .iter()
                .zip(&held)
                .filter(|(_, &h)| !h)
                .map(|(o, _)| o.clone())
                .collect(),
        };
        return Holdout {
            protocol: "last-order holdout",
            train,
            cases,
        };
    }
    let mut cases = Vec::new();
    let mut orders = Vec::with_capacity(inter.orders.len());
    for o in &inter.orders {
        let mut items = o.items.clone();
        if items.len() >= 3 {
            rng.shuffle(&mut items);
            let target = items.pop().unwrap_or_default();
            cases.push(Case {
                history: items.clone(),
                targets: vec![target],
            });
            items.sort_unstable();
        }
        orders.push(Order {
            customer: o.customer,
            ts: o.ts,
            items,
        });
    }
    Holdout {
        protocol: "basket-completion holdout",
        train: Interactions {
            n_items: inter.n_items,
            orders,
        },
        cases,
    }
}

/// A built tuning model and what converts settings-unit scoring for it.
struct Candidate {
    model: Model,
    neighbor_scale: f64,
    built_next_scale: f64,
    order_size: f64,
    has_next: bool,
}

fn candidate(train: &Interactions, settings: &BuildSettings) -> Result<Candidate> {
    let built = build(train, settings).context("building a tuning model")?;
    let (neighbor_scale, built_next_scale, order_size) =
        (built.neighbor_scale, built.next_scale, built.order_size);
    let has_next = !built.next_targets.is_empty();
    let ids = (0..train.n_items).map(|i| i.to_string()).collect();
    let model =
        Model::from_parts(built.into_parts(ids)).context("tuning model failed validation")?;
    Ok(Candidate {
        model,
        neighbor_scale,
        built_next_scale,
        order_size,
        has_next,
    })
}

impl Candidate {
    /// Per-case NDCG@10 with settings-unit scoring `s`.
    fn score(&mut self, s: &Scoring, cases: &[Case]) -> Result<Vec<f64>> {
        self.model.set_scoring(stored_scoring(
            s,
            self.neighbor_scale,
            self.built_next_scale,
            self.order_size,
        ))?;
        Ok(per_case_ndcg10(&self.model, cases))
    }
}

/// The trace as text, one trial per line.
pub fn trace_text(r: &TuneReport) -> String {
    let mut t = String::new();
    for tr in &r.trace {
        t += &format!(
            "  {} {:.4}  {}\n",
            if tr.kept { "kept" } else { "    " },
            tr.ndcg10,
            tr.what
        );
    }
    t
}

/// The tuned knobs in words, for the trace.
fn describe_choice(m: Method, s: &Scoring) -> String {
    let method = match m {
        Method::Regression(r) => format!("regression ridge {r}"),
        Method::Cooccurrence(b) => format!("co-occurrence β {b}"),
    };
    format!(
        "{method}, next weight {}, history decay {}, repeats {}, next decay {}, popularity {}",
        s.next_weight,
        s.history_decay,
        if s.repeat_once { "once" } else { "added" },
        s.next_decay,
        s.popularity_weight
    )
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// Whether `cand` beats `cur` by more than `MARGIN_SE` standard errors of the paired
/// per-case difference.
pub fn clearly_better(cand: &[f64], cur: &[f64]) -> bool {
    let n = cand.len().min(cur.len());
    if n < 2 {
        return false;
    }
    let d: Vec<f64> = cand.iter().zip(cur).map(|(a, b)| a - b).collect();
    let m = mean(&d);
    let var = d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
    m > 0.0 && m > MARGIN_SE * (var / n as f64).sqrt()
}

/// Builds from `train`; with `opts`, first tunes the neighbour method and the scoring
/// blend on a holdout of `train` (module docs). Returns the built lists, the settings used
/// (settings units) and the tuning report.
pub fn build_tuned(
    train: &Interactions,
    base: &BuildSettings,
    opts: Option<&TuneOptions>,
) -> Result<(Built, BuildSettings, Option<TuneReport>)> {
    // The effective sizes, so the summary and `eval --json` report what was built.
    let base = &sized_for(base, train.n_items);
    let Some(opts) = opts else {
        return Ok((
            build(train, base).context("building the model")?,
            base.clone(),
            None,
        ));
    };
    if base.dp.is_some() {
        // Choosing settings by scoring a holdout of the raw data would be one more
        // unaccounted release: a private build uses the settings as given.
        let report = TuneReport {
            protocol: "none",
            cases: 0,
            trials: 0,
            best: 0.0,
            untuned: 0.0,
            skipped: Some("differential privacy: tuning would read the raw data"),
            trace: Vec::new(),
        };
        let built = build(train, base).context("building the model")?;
        return Ok((built, base.clone(), Some(report)));
    }
    let h = holdout(train);
    let mut cases = h.cases;
    if cases.len() < MIN_CASES {
        let report = TuneReport {
            protocol: h.protocol,
            cases: cases.len(),
            trials: 0,
            best: 0.0,
            untuned: 0.0,
            skipped: Some("fewer than 50 held-out cases"),
            trace: Vec::new(),
        };
        let built = build(train, base).context("building the model")?;
        return Ok((built, base.clone(), Some(report)));
    }
    if cases.len() > opts.max_cases {
        let step = cases.len() as f64 / opts.max_cases as f64;
        cases = (0..opts.max_cases)
            .map(|k| cases[(k as f64 * step) as usize].clone())
            .collect();
    }
    let mut trials = 0;
    // Candidates are built once per method and kept (a few MB each).
    let mut built: Vec<(Method, Candidate)> = Vec::new();
    let mut method = Method::of(base);
    let mut scoring = base.scoring;
    built.push((method, candidate(&h.train, base)?));
    let mut cur = built[0].1.score(&scoring, &cases)?;
    trials += 1;
    let untuned = mean(&cur);
    let mut trace = vec![Trial {
        what: format!("start: {}", describe_choice(method, &scoring)),
        ndcg10: untuned,
        kept: true,
    }];
    for _ in 0..opts.rounds.max(1) {
        let before = (method, scoring);
        // Neighbour method, with the current blend. On each axis the best candidate that
        // clearly beats the axis's starting point wins (not the first: no lock-in).
        let start = cur.clone();
        let mut pick: Option<(usize, Method, Vec<f64>)> = None;
        for &m in METHODS.iter() {
            if m == method {
                continue;
            }
            let k = match built.iter().position(|(x, _)| *x == m) {
                Some(k) => k,
                None => {
                    built.push((m, candidate(&h.train, &m.apply(base))?));
                    built.len() - 1
                }
            };
            let v = built[k].1.score(&scoring, &cases)?;
            trials += 1;
            trace.push(Trial {
                what: describe_choice(m, &scoring),
                ndcg10: mean(&v),
                kept: false,
            });
            if clearly_better(&v, &start) && pick.as_ref().is_none_or(|p| mean(&v) > mean(&p.2)) {
                pick = Some((trace.len() - 1, m, v));
            }
        }
        if let Some((t, m, v)) = pick {
            trace[t].kept = true;
            (method, cur) = (m, v);
        }
        let k = built
            .iter()
            .position(|(x, _)| *x == method)
            .context("tuning candidate lost")?;
        let c = &mut built[k].1;
        // The blend, one knob at a time: next weight, history decay, repeats, next decay,
        // popularity prior.
        for axis in 0..5 {
            let cands: Vec<Scoring> = match axis {
                0 if c.has_next => NEXT_WEIGHTS
                    .iter()
                    .map(|&w| Scoring {
                        next_weight: w,
                        ..scoring
                    })
                    .collect(),
                1 => HISTORY_DECAYS
                    .iter()
                    .map(|&d| Scoring {
                        history_decay: d,
                        ..scoring
                    })
                    .collect(),
                2 => [false, true]
                    .iter()
                    .map(|&r| Scoring {
                        repeat_once: r,
                        ..scoring
                    })
                    .collect(),
                3 if c.has_next && scoring.next_weight > 0.0 => NEXT_DECAYS
                    .iter()
                    .map(|&d| Scoring {
                        next_decay: d,
                        ..scoring
                    })
                    .collect(),
                4 => POPULARITY_WEIGHTS
                    .iter()
                    .map(|&w| Scoring {
                        popularity_weight: w,
                        ..scoring
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let start = cur.clone();
            let mut pick: Option<(usize, Scoring, Vec<f64>)> = None;
            for cand in cands {
                if cand == scoring {
                    continue;
                }
                let v = c.score(&cand, &cases)?;
                trials += 1;
                trace.push(Trial {
                    what: describe_choice(method, &cand),
                    ndcg10: mean(&v),
                    kept: false,
                });
                if clearly_better(&v, &start) && pick.as_ref().is_none_or(|p| mean(&v) > mean(&p.2))
                {
                    pick = Some((trace.len() - 1, cand, v));
                }
            }
            if let Some((t, sc, v)) = pick {
                trace[t].kept = true;
                (scoring, cur) = (sc, v);
            }
        }
        if (method, scoring) == before {
            break;
        }
    }
    let chosen = BuildSettings {
        scoring,
        ..method.apply(base)
    };
    let out = build(train, &chosen).context("building the model")?;
    let report = TuneReport {
        protocol: h.protocol,
        cases: cases.len(),
        trials,
        best: mean(&cur),
        untuned,
        skipped: None,
        trace,
    };
    Ok((out, chosen, Some(report)))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::cases::test_order as o;

    #[test]
    fn holdout_picks_the_protocol_the_data_supports() {
        // 60 customers with 3 orders: last-order holdout.
        let mut orders = Vec::new();
        for c in 0..60 {
            orders.push(o(c, 1, &[0]));
            orders.push(o(c, 2, &[1]));
            orders.push(o(c, 3, if c % 2 == 0 { &[1, 2] } else { &[2] }));
        }
        let inter = Interactions { n_items: 3, orders };
        let h = holdout(&inter);
        assert_eq!(h.protocol, "last-order holdout");
        assert_eq!(h.train.orders.len(), 120);
        // Targets drop repeats: {1, 2} after {0}, {1} → {2}.
        assert_eq!(
            h.cases[0],
            Case {
                history: vec![0, 1],
                targets: vec![2]
            }
        );
        assert_eq!(h.cases.len(), 60);
        // Single baskets: completion, one item of each basket with ≥ 3 items.
        let inter = Interactions {
            n_items: 4,
            orders: vec![o(0, 0, &[0, 1, 2, 3]), o(1, 0, &[0, 1])],
        };
        let h = holdout(&inter);
        assert_eq!(h.protocol, "basket-completion holdout");
        assert_eq!(h.cases.len(), 1);
        let c = &h.cases[0];
        assert_eq!(c.history.len(), 3);
        assert!(!c.history.contains(&c.targets[0]));
        assert_eq!(h.train.orders[0].items.len(), 3);
        assert_eq!(h.train.orders[1].items, vec![0, 1]);
    }

    #[test]
    fn tuning_prefers_what_the_holdout_rewards() {
        // P=0, X=1, S=2, Z=3, Q=4. Type A buys P, X, S, Z (Z held out: never seen, a miss);
        // type B buys Q, X, S (S held out). After X, co-purchase ties P and S (P first, the
        // lower index) while "what comes next" knows S follows X.
        let mut orders = Vec::new();
        for c in 0..60u32 {
            for (t, i) in [0u32, 1, 2, 3].iter().enumerate() {
                orders.push(o(c, t as i64, &[*i]));
            }
        }
        for c in 60..120u32 {
            for (t, i) in [4u32, 1, 2].iter().enumerate() {
                orders.push(o(c, t as i64, &[*i]));
            }
        }
        let inter = Interactions { n_items: 5, orders };
        let base = BuildSettings {
            scoring: Scoring {
                next_weight: 0.0,
                ..BuildSettings::default().scoring
            },
            ..BuildSettings::default()
        };
        let (built, chosen, report) =
            build_tuned(&inter, &base, Some(&TuneOptions::default())).unwrap();
        let report = report.unwrap();
        assert_eq!(report.skipped, None);
        assert_eq!(report.protocol, "last-order holdout");
        assert_eq!(report.cases, 120);
        // Untuned: B's target at rank 2 → (60 · 1/log2 3) / 120; tuned: rank 1 → 0.5.
        let untuned = 60.0 / 3f64.log2() / 120.0;
        assert!((report.untuned - untuned).abs() < 1e-9, "{report:?}");
        assert!((report.best - 0.5).abs() < 1e-9, "{report:?}");
        assert!(chosen.scoring.next_weight > 0.0);
        assert!(!built.next_offsets.is_empty());
        // Deterministic.
        let again = build_tuned(&inter, &base, Some(&TuneOptions::default())).unwrap();
        assert_eq!(again.1, chosen);
        assert_eq!(again.0, built);
        // Too little data: the defaults are kept and said so.
        let small = Interactions {
            n_items: 2,
            orders: vec![o(0, 0, &[0, 1])],
        };
        let (_, s, r) = build_tuned(&small, &base, Some(&TuneOptions::default())).unwrap();
        assert_eq!(s, base);
        assert!(r.unwrap().skipped.is_some());
        // Without options: a plain build.
        let (b, s, r) = build_tuned(&inter, &base, None).unwrap();
        assert_eq!(s, base);
        assert!(r.is_none());
        assert_eq!(b, build(&inter, &base).unwrap());
    }
}
