//! The held-out cases of `attune eval`: which interactions are cut from the data and
//! what each query and its targets are. Shared by the evaluation (`eval`) and the
//! tuning (`tune`, its `Case`); depends on nothing else of the CLI but `import::Format`.
//!
//! One model serves both splits, as in the S3-Rec/ICLRec code and the benchmark harness
//! (bench/splits.py): it is trained without each evaluated user's last two interactions;
//! the validation query ends before the second-to-last, the test query before the last.
//! Protocols, by input layout:
//! - sequences (Amazon Beauty, `user item item …`): users with ≥ 3 items; validation
//!   items[:-2] → items[-2], test items[:-1] → items[-1]; one target; full ranking.
//! - csv (order exports): customers with ≥ 3 non-empty orders, orders in time order; an
//!   order is never split. Next basket: the target is the held-out order's items not
//!   already in the history (HR@k = any hit, Recall@k, NDCG@k over min(k, |set|)); users
//!   whose held-out order only repeats history have no case. Next item: one of those items
//!   drawn with a fixed seed (leave-last-out without the within-order leak). When every
//!   order holds one item both are plain leave-last-out.
//! - baskets (Groceries): basket completion. Baskets with ≥ 3 distinct items are shuffled
//!   with a fixed seed; the first item is the validation target, the second the test
//!   target; the validation query is the rest, the test query the rest plus the
//!   validation item; training holds every basket without those two items.

use attune_core::build::{Interactions, Order};
use attune_core::random::Draws;

use crate::import::Format;

/// Seed of every random choice in the protocols (which basket item is held out, which
/// item of a held-out order is the next-item target).
pub const SEED: u64 = 20240601;

/// One evaluation query: a history (oldest first) and its target items (sorted, none of
/// them in the history).
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub history: Vec<u32>,
    pub targets: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One target per query: HR@k and NDCG@k.
    Item,
    /// A target set: HR@k (any hit), Recall@k, NDCG@k.
    Basket,
}

#[derive(Clone, Debug)]
pub struct Protocol {
    pub name: &'static str,
    pub kind: Kind,
    pub val: Vec<Case>,
    pub test: Vec<Case>,
}

/// Training data and the protocols evaluated on it.
#[derive(Clone, Debug)]
pub struct Split {
    pub train: Interactions,
    pub protocols: Vec<Protocol>,
    /// Eligible users or baskets whose held-out order only repeats history (no case).
    pub repeat_only: [usize; 2],
}

/// Cuts the protocol matching the input layout (see the module docs).
pub fn split(inter: &Interactions, format: Format) -> Split {
    match format {
        Format::Baskets => basket_completion(inter),
        Format::Csv | Format::Sequences => leave_last_out(inter, format),
    }
}

fn leave_last_out(inter: &Interactions, format: Format) -> Split {
    let seqs = attune_core::build::customer_sequences(inter);
    let mut held_out = vec![false; inter.orders.len()];
    let mut rng = Draws::seeded(SEED);
    let mut basket = [Vec::new(), Vec::new()];
    let mut item = [Vec::new(), Vec::new()];
    let mut repeat_only = [0, 0];
    let items_of = |orders: &[u32]| -> Vec<u32> {
        orders
            .iter()
            .flat_map(|&o| inter.orders[o as usize].items.iter().copied())
            .collect()
    };
    for s in &seqs {
        if s.len() < 3 {
            continue;
        }
        let l = s.len();
        held_out[s[l - 1] as usize] = true;
        held_out[s[l - 2] as usize] = true;
        // Validation: history s[..l-2] → s[l-2]; test: s[..l-1] → s[l-1].
        for (phase, cut) in [(0, l - 2), (1, l - 1)] {
            let history = items_of(&s[..cut]);
            let mut seen = history.clone();
            seen.sort_unstable();
            seen.dedup();
            // Order items are sorted and distinct (import), so the set stays sorted.
            let targets: Vec<u32> = inter.orders[s[cut] as usize]
                .items
                .iter()
                .copied()
                .filter(|i| seen.binary_search(i).is_err())
                .collect();
            if targets.is_empty() {
                repeat_only[phase] += 1;
                // The paper protocol (one item per order) keeps such users as misses.
                if format == Format::Sequences {
                    let t = inter.orders[s[cut] as usize].items.clone();
                    item[phase].push(Case {
                        history,
                        targets: t,
                    });
                }
                continue;
            }
            let one = targets[rng.below(targets.len())];
            item[phase].push(Case {
                history: history.clone(),
                targets: vec![one],
            });
            basket[phase].push(Case { history, targets });
        }
    }
    let train = Interactions {
        n_items: inter.n_items,
        orders: inter
            .orders
            .iter()
            .zip(&held_out)
            .filter(|(_, &h)| !h)
            .map(|(o, _)| o.clone())
            .collect(),
    };
    let [item_val, item_test] = item;
    let [basket_val, basket_test] = basket;
    let mut protocols = vec![Protocol {
        name: if format == Format::Sequences {
            "leave-last-out (S3-Rec/ICLRec protocol)"
        } else {
            "next item (one item of the held-out order)"
        },
        kind: Kind::Item,
        val: item_val,
        test: item_test,
    }];
    // With one item per order the basket view repeats the item view.
    let multi = inter.orders.iter().any(|o| o.items.len() > 1);
    if format == Format::Csv && multi {
        protocols.push(Protocol {
            name: "next basket (the whole held-out order)",
            kind: Kind::Basket,
            val: basket_val,
            test: basket_test,
        });
    }
    Split {
        train,
        protocols,
        repeat_only,
    }
}

fn basket_completion(inter: &Interactions) -> Split {
    let mut rng = Draws::seeded(SEED);
    let mut train = Interactions {
        n_items: inter.n_items,
        orders: Vec::with_capacity(inter.orders.len()),
    };
    let (mut val, mut test) = (Vec::new(), Vec::new());
    for o in &inter.orders {
        let mut items = o.items.clone();
        if items.len() >= 3 {
            rng.shuffle(&mut items);
            let (v, t) = (items[0], items[1]);
            let rest = items[2..].to_vec();
            let mut with_v = rest.clone();
            with_v.push(v);
            val.push(Case {
                history: rest.clone(),
                targets: vec![v],
            });
            test.push(Case {
                history: with_v,
                targets: vec![t],
            });
            items = rest;
            items.sort_unstable();
        }
        train.orders.push(Order {
            customer: o.customer,
            ts: o.ts,
            items,
        });
    }
    Split {
        train,
        protocols: vec![Protocol {
            name: "basket completion (one random item held out)",
            kind: Kind::Item,
            val,
            test,
        }],
        repeat_only: [0, 0],
    }
}

/// A test order: customer `c` at `ts` buying `items` (the unit tests' one fixture).
#[cfg(test)]
pub(crate) fn test_order(c: u32, ts: i64, items: &[u32]) -> Order {
    Order {
        customer: Some(c),
        ts,
        items: items.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::test_order as o;

    #[test]
    fn sequences_follow_the_paper_protocol() {
        // One item per order: user 0 buys 0, 1, 2, 3 (ts = position).
        let mut orders: Vec<Order> = (0..4).map(|p| o(0, p, &[p as u32])).collect();
        orders.push(o(1, 0, &[1]));
        orders.push(o(1, 1, &[2])); // only two items: trains, never evaluated
        let inter = Interactions { n_items: 4, orders };
        let s = split(&inter, Format::Sequences);
        assert_eq!(s.protocols.len(), 1);
        let p = &s.protocols[0];
        assert_eq!(
            p.val,
            vec![Case {
                history: vec![0, 1],
                targets: vec![2]
            }]
        );
        assert_eq!(
            p.test,
            vec![Case {
                history: vec![0, 1, 2],
                targets: vec![3]
            }]
        );
        // Training: user 0's first two items and all of user 1.
        let train: Vec<Vec<u32>> = s.train.orders.iter().map(|o| o.items.clone()).collect();
        assert_eq!(train, vec![vec![0], vec![1], vec![1], vec![2]]);
        // A target repeating history stays as an (unhittable) case, as in the papers.
        let inter = Interactions {
            n_items: 3,
            orders: vec![o(0, 0, &[0]), o(0, 1, &[1]), o(0, 2, &[2]), o(0, 3, &[0])],
        };
        let s = split(&inter, Format::Sequences);
        assert_eq!(s.protocols[0].test[0].targets, vec![0]);
        assert_eq!(s.repeat_only, [0, 1]);
    }

    #[test]
    fn orders_are_held_out_whole() {
        // Customer 0: {0,1} then {2} then {1,3} (test: 3 only, 1 repeats history).
        let inter = Interactions {
            n_items: 4,
            orders: vec![
                o(0, 30, &[1, 3]),
                o(0, 10, &[0, 1]),
                o(0, 20, &[2]),
                o(1, 5, &[0, 2]),
            ],
        };
        let s = split(&inter, Format::Csv);
        assert_eq!(s.protocols.len(), 2);
        let (item, basket) = (&s.protocols[0], &s.protocols[1]);
        assert_eq!(
            basket.val,
            vec![Case {
                history: vec![0, 1],
                targets: vec![2]
            }]
        );
        assert_eq!(
            basket.test,
            vec![Case {
                history: vec![0, 1, 2],
                targets: vec![3]
            }]
        );
        assert_eq!(item.test[0].targets, vec![3]);
        // Training: the first order of customer 0 and customer 1's order.
        assert_eq!(s.train.orders.len(), 2);
        assert_eq!(s.train.orders[0].items, vec![0, 1]);
    }

    #[test]
    fn basket_completion_holds_out_two_seeded_items() {
        let inter = Interactions {
            n_items: 6,
            orders: vec![o(0, 0, &[0, 1, 2, 3]), o(1, 0, &[4, 5])],
        };
        let s = split(&inter, Format::Baskets);
        let p = &s.protocols[0];
        assert_eq!(p.val.len(), 1);
        let (v, t) = (p.val[0].targets[0], p.test[0].targets[0]);
        assert_ne!(v, t);
        let mut rest = p.val[0].history.clone();
        assert_eq!(rest.len(), 2);
        assert!(!rest.contains(&v) && !rest.contains(&t));
        assert_eq!(*p.test[0].history.last().unwrap(), v);
        rest.sort_unstable();
        assert_eq!(s.train.orders[0].items, rest);
        assert_eq!(s.train.orders[1].items, vec![4, 5]);
        // Same seed, same split.
        assert_eq!(split(&inter, Format::Baskets).protocols[0].val, p.val);
    }
}
