//! The published model must not let anyone infer what one customer bought
//! (docs/privacy.md, section 6). Checked on the builder's output, against support counted
//! independently from the interactions: every neighbour pair and every "what comes next"
//! pair is backed by at least `min_support` distinct customers (a guest order is its own
//! customer), so an item bought by a single customer is nobody's neighbour. A property test
//! over random exports, and exact threshold cases that show the check can fail.

use std::collections::{BTreeMap, BTreeSet};

use attune_core::build::{build, BuildSettings, Interactions, Order};
use attune_core::Model;
use proptest::prelude::*;

/// Distinct customers who bought both items of each pair (guest orders count alone).
fn pair_support(inter: &Interactions) -> BTreeMap<(u32, u32), usize> {
    let mut baskets: BTreeMap<(bool, usize), BTreeSet<u32>> = BTreeMap::new();
    for (k, o) in inter.orders.iter().enumerate() {
        let who = match o.customer {
            Some(c) => (true, c as usize),
            None => (false, k),
        };
        baskets
            .entry(who)
            .or_default()
            .extend(o.items.iter().copied());
    }
    let mut support = BTreeMap::new();
    for items in baskets.values() {
        for &a in items {
            for &b in items {
                if a != b {
                    *support.entry((a, b)).or_insert(0) += 1;
                }
            }
        }
    }
    support
}

fn model(inter: &Interactions, min_support: u32, neighbors: usize) -> Model {
    let settings = BuildSettings {
        min_support,
        neighbors,
        ..BuildSettings::default()
    };
    let built = build(inter, &settings).expect("build");
    let ids = (0..inter.n_items).map(|i| format!("i{i}")).collect();
    Model::from_parts(built.into_parts(ids)).expect("valid model")
}

/// Every directed edge of the neighbour and next lists.
fn edges(m: &Model) -> Vec<(u32, u32)> {
    let p = m.to_parts();
    let mut out = Vec::new();
    for (offsets, targets) in [(&p.offsets, &p.targets), (&p.next_offsets, &p.next_targets)] {
        for i in 0..offsets.len().saturating_sub(1) {
            for &t in &targets[offsets[i] as usize..offsets[i + 1] as usize] {
                out.push((i as u32, t));
            }
        }
    }
    out
}

fn check(inter: &Interactions, min_support: u32, neighbors: usize) -> Result<usize, TestCaseError> {
    let m = model(inter, min_support, neighbors);
    let support = pair_support(inter);
    let e = edges(&m);
    for &(a, b) in &e {
        let s = support.get(&(a, b)).copied().unwrap_or(0);
        prop_assert!(
            s >= min_support as usize,
            "pair {a}->{b} has support {s} < {min_support}"
        );
    }
    Ok(e.len())
}

fn interactions() -> impl Strategy<Value = Interactions> {
    (2usize..25).prop_flat_map(|n| {
        let order = (
            prop::option::weighted(0.85, 0u32..30),
            0i64..1000,
            prop::collection::vec(0..n as u32, 1..8),
        )
            .prop_map(|(customer, ts, items)| Order {
                customer,
                ts,
                items,
            });
        prop::collection::vec(order, 1..120)
            .prop_map(move |orders| Interactions { n_items: n, orders })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_pair_under_the_support_threshold_survives(inter in interactions(), min_support in 2u32..6, neighbors in 1usize..12) {
        check(&inter, min_support, neighbors)?;
    }
}

fn orders(rows: &[(Option<u32>, &[u32])]) -> Interactions {
    Interactions {
        n_items: 3,
        orders: rows
            .iter()
            .enumerate()
            .map(|(k, (c, items))| Order {
                customer: *c,
                ts: k as i64,
                items: items.to_vec(),
            })
            .collect(),
    }
}

#[test]
fn exactly_at_the_threshold_a_pair_appears_one_below_it_does_not() {
    // Items 0 and 1 bought together by customers 1, 2, 3 (one of them over two orders).
    let three = orders(&[
        (Some(1), &[0, 1]),
        (Some(2), &[0, 1]),
        (Some(3), &[0]),
        (Some(3), &[1]),
        (Some(4), &[2]),
    ]);
    let m = model(&three, 3, 10);
    assert_eq!(
        edges(&m)
            .iter()
            .filter(|e| **e == (0, 1) || **e == (1, 0))
            .count(),
        2,
        "3 customers, min_support 3"
    );
    assert_eq!(check(&three, 3, 10).unwrap(), edges(&m).len());
    let m = model(&three, 4, 10);
    assert!(
        edges(&m).is_empty(),
        "3 customers, min_support 4: {:?}",
        edges(&m)
    );
    // One customer buying a pair many times is still one customer.
    let one = orders(&[
        (Some(7), &[0, 1]),
        (Some(7), &[0, 1]),
        (Some(7), &[0, 1]),
        (Some(8), &[2]),
    ]);
    assert!(edges(&model(&one, 2, 10)).is_empty());
    // Guest orders (no customer) are separate customers each.
    let guests = orders(&[(None, &[0, 1]), (None, &[0, 1]), (Some(5), &[2])]);
    assert_eq!(edges(&model(&guests, 2, 10)).len(), 2);
}

#[test]
fn the_check_itself_catches_an_under_supported_pair() {
    // A hand-made model with an edge no customer supports must fail the check.
    let inter = orders(&[(Some(1), &[0]), (Some(2), &[1]), (Some(3), &[2])]);
    let mut parts = attune_core::build::build(&inter, &BuildSettings::default())
        .unwrap()
        .into_parts(vec!["a".into(), "b".into(), "c".into()]);
    parts.offsets = vec![0, 1, 1, 1];
    parts.targets = vec![1];
    parts.weights = vec![0.5];
    let m = Model::from_parts(parts).unwrap();
    let support = pair_support(&inter);
    assert!(edges(&m)
        .iter()
        .any(|&(a, b)| support.get(&(a, b)).copied().unwrap_or(0) < 2));
}
