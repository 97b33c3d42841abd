//! Small in-place sorting for code that the Wasm bundle links: a heapsort and a top-k
//! selection, both generic over a comparator.
//!
//! Why not `slice::sort*`: every monomorphisation of the standard library's sorts
//! (driftsort / ipnsort, with their small-sort networks) costs kilobytes of Wasm; the
//! three sorts the scorer used cost about 5.5 KB gzip of a 45 KB budget (measured).
//! Heapsort is a few hundred bytes, O(n log n) worst case, allocation-free and needs no
//! unsafe code. It is not stable: callers that need a deterministic order give a total
//! order (e.g. score, then item index), which every list here has anyway.

use alloc::vec::Vec;
use core::cmp::Ordering;

/// Sorts `v` in place so that `cmp(v[i], v[i + 1]) != Greater` for all `i`.
/// Unstable; O(n log n); no allocation.
pub fn heapsort_by<T, F>(v: &mut [T], mut cmp: F)
where
    F: FnMut(&T, &T) -> Ordering,
{
    let n = v.len();
    if n < 2 {
        return;
    }
    for start in (0..n / 2).rev() {
        sift_down(v, start, n, &mut cmp);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, &mut cmp);
    }
}

/// Keeps the `k` first elements of `v` in `cmp` order (the rest dropped), sorted.
/// O(n log k) comparisons: the best-k are found with a bounded max-heap of size k.
pub fn top_k_by<T, F>(v: &mut Vec<T>, k: usize, mut cmp: F)
where
    F: FnMut(&T, &T) -> Ordering,
{
    if k == 0 {
        v.clear();
        return;
    }
    if v.len() > k {
        // v[..k] becomes a max-heap (by cmp) of the best k seen so far: its root is the
        // worst kept element, replaced whenever a better one comes along.
        for start in (0..k / 2).rev() {
            sift_down(v, start, k, &mut cmp);
        }
        for i in k..v.len() {
            if cmp(&v[i], &v[0]) == Ordering::Less {
                v.swap(0, i);
                sift_down(v, 0, k, &mut cmp);
            }
        }
        v.truncate(k);
    }
    heapsort_by(v, cmp);
}

/// Restores the max-heap property below `root` within `v[..end]`.
fn sift_down<T, F>(v: &mut [T], mut root: usize, end: usize, cmp: &mut F)
where
    F: FnMut(&T, &T) -> Ordering,
{
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && cmp(&v[child], &v[child + 1]) == Ordering::Less {
            child += 1;
        }
        if cmp(&v[root], &v[child]) != Ordering::Less {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sorts_small_cases() {
        let mut v: Vec<u32> = vec![];
        heapsort_by(&mut v, |a, b| a.cmp(b));
        assert!(v.is_empty());
        let mut v = vec![3];
        heapsort_by(&mut v, |a, b| a.cmp(b));
        assert_eq!(v, [3]);
        let mut v = vec![5, 1, 4, 1, 5, 9, 2, 6];
        heapsort_by(&mut v, |a, b| a.cmp(b));
        assert_eq!(v, [1, 1, 2, 4, 5, 5, 6, 9]);
        heapsort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, [9, 6, 5, 5, 4, 2, 1, 1]);
    }

    #[test]
    fn top_k_keeps_the_best_in_order() {
        let mut v = vec![5, 1, 4, 1, 5, 9, 2, 6];
        top_k_by(&mut v, 3, |a, b| b.cmp(a));
        assert_eq!(v, [9, 6, 5]);
        let mut v = vec![2, 1];
        top_k_by(&mut v, 5, |a, b| a.cmp(b));
        assert_eq!(v, [1, 2]);
        let mut v = vec![2, 1];
        top_k_by(&mut v, 0, |a, b| a.cmp(b));
        assert!(v.is_empty());
    }

    proptest! {
        #[test]
        fn matches_std_sort(mut v in proptest::collection::vec((0u8..20, 0u16..1000), 0..200), k in 0usize..50) {
            // A total order (key, then payload) so unstable and stable sorts agree.
            let total = |a: &(u8, u16), b: &(u8, u16)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
            let mut want = v.clone();
            want.sort_by(total);
            let mut top = v.clone();
            heapsort_by(&mut v, total);
            prop_assert_eq!(&v, &want);
            top_k_by(&mut top, k, total);
            want.truncate(k);
            prop_assert_eq!(top, want);
        }
    }
}
