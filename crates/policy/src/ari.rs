//! The adjusted Rand index (Hubert and Arabie, 1985): how well two partitions of the same items
//! agree, corrected for chance. 1 for identical partitions, about 0 for unrelated ones.

use std::collections::BTreeMap;

/// The adjusted Rand index of two labellings of the same items (`a[i]` and `b[i]` label item
/// `i`). Two partitions that are both all-singletons or both one block are identical: 1.
pub fn adjusted_rand_index<A: Ord, B: Ord>(a: &[A], b: &[B]) -> f64 {
    let n = a.len().min(b.len());
    let pairs = |k: usize| (k * k.saturating_sub(1) / 2) as f64;
    let mut cells: BTreeMap<(&A, &B), usize> = BTreeMap::new();
    let mut rows: BTreeMap<&A, usize> = BTreeMap::new();
    let mut cols: BTreeMap<&B, usize> = BTreeMap::new();
    for (x, y) in a.iter().zip(b).take(n) {
        *cells.entry((x, y)).or_default() += 1;
        *rows.entry(x).or_default() += 1;
        *cols.entry(y).or_default() += 1;
    }
    let index: f64 = cells.values().map(|&k| pairs(k)).sum();
    let sum_a: f64 = rows.values().map(|&k| pairs(k)).sum();
    let sum_b: f64 = cols.values().map(|&k| pairs(k)).sum();
    let total = pairs(n);
    if total == 0.0 {
        return 1.0;
    }
    let expected = sum_a * sum_b / total;
    let max = (sum_a + sum_b) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_and_relabelled_partitions_score_one() {
        assert_eq!(
            adjusted_rand_index(&[1, 1, 2, 2], &["x", "x", "y", "y"]),
            1.0
        );
    }

    #[test]
    fn hand_computed_case() {
        // a = {0,1,2},{3,4,5}; b = {0,1},{2,3},{4,5}. Contingency cells 2,1,1,2 → index 2;
        // rows 3+3 → 6; cols 1+1+1 → 3; total 15; expected 6*3/15 = 1.2; max 4.5.
        let a = [0, 0, 0, 1, 1, 1];
        let b = [0, 0, 1, 1, 2, 2];
        let ari = adjusted_rand_index(&a, &b);
        assert!((ari - (2.0 - 1.2) / (4.5 - 1.2)).abs() < 1e-12, "{ari}");
    }
}
