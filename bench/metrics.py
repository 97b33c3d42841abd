"""Ranking metrics shared by every model of the relevance benchmark, Attune included.

Owns only arithmetic on recommendation lists (rows of dense item indices, best first, -1 for an
empty slot) against target sets. One target per query gives the S3-Rec/ICLRec numbers: HR@k =
target in the top k; NDCG@k = 1/log2(rank+2) for a hit at 0-based rank. A target set (next
basket) gives HR@k = any hit, Recall@k = hits/|set|, NDCG@k = DCG of binary gains over the ideal
DCG of min(|set|, k) hits. It must not know which model produced a list.
"""

from __future__ import annotations

import numpy as np

ITEM_KS = (5, 10, 20)
BASKET_KS = (5, 10, 20)


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(k) + 2.0)


def hit_matrix(recs: np.ndarray, targets: list) -> np.ndarray:
    """Boolean (n, width): slot j of query i holds one of its targets."""
    n, width = recs.shape
    hits = np.zeros((n, width), dtype=bool)
    for i, target in enumerate(targets):
        row = recs[i]
        if len(target) == 1:
            hits[i] = row == target[0]
        else:
            hits[i] = np.isin(row, target)
    hits &= recs >= 0
    return hits


def item_metrics(recs: np.ndarray, targets: list, ks=ITEM_KS) -> dict:
    """HR@k and NDCG@k for one target per query (mean over queries)."""
    hits = hit_matrix(recs, targets)
    out = {}
    for k in ks:
        h = hits[:, :k]
        out[f"HR@{k}"] = float(h.any(axis=1).mean())
        out[f"NDCG@{k}"] = float((h * _discounts(h.shape[1])).sum(axis=1).mean())
    return out


def basket_metrics(recs: np.ndarray, targets: list, ks=BASKET_KS) -> dict:
    """HR@k (any hit), Recall@k and NDCG@k (binary gains) for a target set per query."""
    hits = hit_matrix(recs, targets)
    sizes = np.array([len(t) for t in targets], dtype=float)
    out = {}
    for k in ks:
        h = hits[:, :k]
        disc = _discounts(k)
        ideal = np.cumsum(disc)[np.minimum(sizes, k).astype(int) - 1]
        out[f"HR@{k}"] = float(h.any(axis=1).mean())
        out[f"Recall@{k}"] = float((h.sum(axis=1) / sizes).mean())
        out[f"NDCG@{k}"] = float(((h * disc[: h.shape[1]]).sum(axis=1) / ideal).mean())
    return out


def coverage(recs: np.ndarray, n_items: int, k: int = 10) -> float:
    """Share of the catalogue that appears in at least one top-k list."""
    top = recs[:, :k]
    return float(np.unique(top[top >= 0]).size / n_items)


def history_violations(recs: np.ndarray, histories: list) -> int:
    """Number of recommended slots holding an item of that query's own history."""
    bad = 0
    for row, hist in zip(recs, histories):
        bad += int(np.isin(row[row >= 0], hist).sum())
    return bad


def evaluate(kind: str, recs: np.ndarray, targets: list, n_items: int) -> dict:
    m = item_metrics(recs, targets) if kind == "item" else basket_metrics(recs, targets)
    m["coverage@10"] = coverage(recs, n_items, 10)
    return m
