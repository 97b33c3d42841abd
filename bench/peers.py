"""The peer models of the relevance benchmark and their small tuning grids.

Owns: most-popular; the `implicit` library's CosineRecommender, BM25Recommender and
AlternatingLeastSquares (used through their own `recommend`, the query history given as the user
row, `recalculate_user=True` for ALS); EASE (Steck, WWW 2019, closed form); and a sequence-aware
item-to-item baseline (last-items transition counts with cosine back-off) that the amazon-beauty
README quotes as the bar for Attune's sequence signal. Every peer gets the same binary user x item
training matrix (or, for the sequence baseline, the same baskets in time order) and answers with
k item indices per query, best first, never a history item. Lists shorter than k (an item-item
model with too few neighbours) are filled with the most popular unseen items, as Attune's own
fallback does, so no peer loses slots to an empty tail. Must not read any test data: tuning
happens in relevance.py on validation only.
"""

from __future__ import annotations

import time
import warnings

warnings.filterwarnings("ignore", message="Method expects CSR input")

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

CHUNK = 2048


# --- shared plumbing -------------------------------------------------------------------------


def user_item_matrix(split) -> sp.csr_matrix:
    """Binary (training users x items): an item counts once per user however often bought."""
    rows, cols = [], []
    for u, baskets in enumerate(split.train_sequences.values()):
        items = {i for b in baskets for i in b}
        rows.extend([u] * len(items))
        cols.extend(items)
    m = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
        shape=(len(split.train_sequences), split.n_items),
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def query_matrix(histories: list, n_items: int) -> sp.csr_matrix:
    """Binary (queries x items) rows built from the query histories."""
    indptr = [0]
    indices = []
    for hist in histories:
        items = sorted(set(hist))
        indices.extend(items)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sp.csr_matrix((data, np.array(indices, dtype=np.int32), np.array(indptr, dtype=np.int64)),
                         shape=(len(histories), n_items))


def popularity_order(X: sp.csr_matrix) -> np.ndarray:
    """Items by number of distinct training users, most popular first (ties by index)."""
    counts = np.asarray(X.sum(axis=0)).ravel()
    return np.lexsort((np.arange(counts.size), -counts))


def fill_popular(recs: np.ndarray, histories: list, pop: np.ndarray) -> np.ndarray:
    """Fill -1 slots with the most popular items not in the history nor already listed."""
    k = recs.shape[1]
    for i in np.nonzero((recs < 0).any(axis=1))[0]:
        row = recs[i]
        have = [int(x) for x in row if x >= 0]
        banned = set(histories[i]) | set(have)
        extra = []
        for item in pop:
            if len(have) + len(extra) >= k:
                break
            if int(item) not in banned:
                extra.append(int(item))
        recs[i] = np.array(have + extra + [-1] * (k - len(have) - len(extra)))
    return recs


def top_k_dense(scores: np.ndarray, Q: sp.csr_matrix, k: int) -> np.ndarray:
    """Top-k item indices per row of a dense score block, history items excluded.
    Consumes `scores` (history entries are overwritten in place): pass a fresh array."""
    rows = np.repeat(np.arange(Q.shape[0]), np.diff(Q.indptr))
    scores[rows, Q.indices] = -np.inf
    n = scores.shape[1]
    k = min(k, n)
    part = np.argpartition(scores, n - k, axis=1)[:, n - k :]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1).astype(np.int64)
    top[~np.isfinite(np.take_along_axis(part_scores, order, axis=1))] = -1
    return top


def clean_implicit(ids: np.ndarray, histories: list, pop: np.ndarray) -> np.ndarray:
    ids = np.array(ids, dtype=np.int64)
    return fill_popular(ids, histories, pop)


# --- peers -----------------------------------------------------------------------------------


class Peer:
    """A model family: `grid` yields hyper-parameter dicts; `fit` then `recommend`."""

    name = "peer"
    label = "peer"
    needs_order = False

    def grid(self, split, quick: bool) -> list:
        return [{}]

    def fit(self, split, X: sp.csr_matrix, params: dict, threads: int):
        raise NotImplementedError

    def recommend(self, fitted, queries, Q: sp.csr_matrix, k: int, pop: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def release(self):
        """Drop anything cached across a grid (big dense matrices)."""


class MostPopular(Peer):
    name = "popular"
    label = "most popular"

    def fit(self, split, X, params, threads):
        return None

    def recommend(self, fitted, queries, Q, k, pop):
        recs = np.full((Q.shape[0], k), -1, dtype=np.int64)
        return fill_popular(recs, queries.histories, pop)


class _ImplicitItemItem(Peer):
    def make(self, params, threads):
        raise NotImplementedError

    def fit(self, split, X, params, threads):
        model = self.make(params, threads)
        model.fit(X, show_progress=False)
        return model

    def recommend(self, fitted, queries, Q, k, pop):
        ids, _ = fitted.recommend(np.arange(Q.shape[0]), Q, N=k, filter_already_liked_items=True)
        return clean_implicit(ids, queries.histories, pop)


class ImplicitCosine(_ImplicitItemItem):
    name = "implicit-cosine"
    label = "implicit CosineRecommender"

    def grid(self, split, quick):
        return [{"K": 100}] if quick else [{"K": K} for K in (10, 20, 50, 200, 1000)]

    def make(self, params, threads):
        from implicit.nearest_neighbours import CosineRecommender

        return CosineRecommender(K=params["K"], num_threads=threads)


class ImplicitBM25(_ImplicitItemItem):
    name = "implicit-bm25"
    label = "implicit BM25Recommender"

    def grid(self, split, quick):
        if quick:
            return [{"K": 100, "K1": 1.2, "B": 0.75}]
        return [{"K": K, "K1": K1, "B": B} for K in (50, 200, 1000) for K1 in (1.2, 100.0) for B in (0.0, 0.25, 0.5, 0.75)]

    def make(self, params, threads):
        from implicit.nearest_neighbours import BM25Recommender

        return BM25Recommender(K=params["K"], K1=params["K1"], B=params["B"], num_threads=threads)


class ImplicitALS(Peer):
    name = "implicit-als"
    label = "implicit ALS"

    def grid(self, split, quick):
        if quick:
            return [{"factors": 128, "regularization": 1.0, "alpha": 10.0, "iterations": 15}]
        if split.n_items < 1000:
            # A small catalogue (Groceries) needs few factors and strong regularisation, or
            # ALS just reproduces the query basket, which is excluded.
            shape = [(f, r, a) for f in (4, 16, 64) for r in (10.0, 100.0) for a in (1.0, 10.0)]
        elif split.n_items <= 5000:
            shape = [(f, 1.0, a) for f in (32, 64, 128) for a in (1.0, 3.0, 10.0)]
        else:
            # Large catalogue (Beauty): a 256-factor fit with per-query recalculation takes
            # minutes on two cores; validation favoured more factors and a higher alpha there.
            shape = [(f, 1.0, a) for f in (128, 256) for a in (10.0, 30.0)]
        return [{"factors": f, "regularization": r, "alpha": a, "iterations": 15} for f, r, a in shape]

    def fit(self, split, X, params, threads):
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        # implicit parallelises ALS itself; a BLAS thread pool underneath only oversubscribes.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=params["factors"],
                regularization=params["regularization"],
                alpha=params["alpha"],
                iterations=params["iterations"],
                num_threads=threads,
                random_state=42,
            )
            model.fit(X, show_progress=False)
        return model

    def recommend(self, fitted, queries, Q, k, pop):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):
            ids, _ = fitted.recommend(np.arange(Q.shape[0]), Q, N=k, filter_already_liked_items=True, recalculate_user=True)
        return clean_implicit(ids, queries.histories, pop)


class EASE(Peer):
    """B = I - P diagMat(1/diag(P)), P = (X'X + lambda I)^-1 (Steck 2019), dense Cholesky inverse.

    Solved in float32 (LAPACK spotrf/spotri): twice as fast as float64 on 12k items, and with
    lambda >= 3 the system is well conditioned enough that rankings match float64
    (checked in test_bench.py on a small catalogue)."""

    name = "ease"
    label = "EASE"

    def __init__(self, dtype=np.float32):
        self.dtype = dtype
        self._gram = None
        self._gram_key = None

    def grid(self, split, quick):
        if quick:
            return [{"lambda": 100.0}]
        # A dense solve costs ~n^3: on 12k items each lambda takes 10-60 s on two shared cores.
        lams = (10.0, 30.0, 100.0, 300.0) if split.n_items > 5000 else (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)
        return [{"lambda": lam} for lam in lams]

    def fit(self, split, X, params, threads):
        key = (id(X), X.shape, X.nnz)
        if self._gram_key != key:
            self._gram = (X.T @ X).toarray().astype(self.dtype)
            self._gram_key = key
        G = self._gram.copy()
        G[np.diag_indices_from(G)] += params["lambda"]
        potrf, potri = sla.lapack.get_lapack_funcs(("potrf", "potri"), (G,))
        chol, info = potrf(G, lower=1, clean=1, overwrite_a=1)
        if info != 0:
            raise RuntimeError(f"EASE: Cholesky failed (info={info})")
        P, info = potri(chol, lower=1, overwrite_c=1)
        if info != 0:
            raise RuntimeError(f"EASE: inverse failed (info={info})")
        del chol
        # potri fills the lower triangle only (the upper one is zero: clean=1 above).
        P += P.T
        diag = np.diag(P) / 2
        np.fill_diagonal(P, diag)
        P /= -diag[np.newaxis, :]
        np.fill_diagonal(P, 0.0)
        return P.astype(np.float32, copy=False)

    def recommend(self, B, queries, Q, k, pop):
        out = []
        for start in range(0, Q.shape[0], CHUNK):
            q = Q[start : start + CHUNK]
            out.append(top_k_dense(q @ B, q, k))
        return fill_popular(np.vstack(out), queries.histories, pop)

    def release(self):
        self._gram = None
        self._gram_key = None


class SequenceTransitions(Peer):
    """Last-items transition counts with item-item cosine back-off.

    Training: for every training sequence of orders o_0, o_1, ... (Beauty: one item per order),
    T[a, c] += decay^(d-1) for each a in o_i and c in o_{i+d}, 1 <= d <= `steps`, a != c.
    With norm="row" each row of T is divided by its sum (an estimate of P(next = c | a)).
    The cosine part is implicit's CosineRecommender item-item matrix (top-`K` neighbours) on the
    same binary user x item matrix.
    Query: score(c) = sum over the last `last` orders of the history, the j-th from the end
    weighted recency^(j-1), of T[a, c] for a in that order, plus `beta` * sum over ALL history
    items (each weighted cos_recency^(j-1), j counted in orders from the end) of cos[a, c].
    A small beta makes the cosine a back-off: it decides where transitions are absent or tied."""

    name = "seq-transitions"
    label = "last-items transitions + cosine (tuned)"
    needs_order = True

    def __init__(self):
        self._cos = {}

    def grid(self, split, quick):
        base = {"steps": 3, "decay": 0.5, "norm": "none", "last": 3, "recency": 0.5, "beta": 0.1, "cos_recency": 0.8, "K": 100}
        if quick:
            return [base]
        return [dict(base, steps=steps, norm=norm, beta=beta)
                for steps in (1, 3) for norm in ("none", "row") for beta in (0.3, 3.0, 30.0)]

    def _cosine(self, X, K, threads):
        key = (id(X), X.shape, X.nnz, K)
        if key not in self._cos:
            from implicit.nearest_neighbours import CosineRecommender

            m = CosineRecommender(K=K, num_threads=threads)
            m.fit(X, show_progress=False)
            self._cos = {key: m.similarity.tocsr().astype(np.float32)}
        return self._cos[key]

    def fit(self, split, X, params, threads):
        n = split.n_items
        rows, cols, vals = [], [], []
        for baskets in split.train_sequences.values():
            for i, src in enumerate(baskets):
                src = np.asarray(src, dtype=np.int64)
                for d in range(1, params["steps"] + 1):
                    if i + d >= len(baskets):
                        break
                    dst = np.asarray(baskets[i + d], dtype=np.int64)
                    rows.append(np.repeat(src, dst.size))
                    cols.append(np.tile(dst, src.size))
                    vals.append(np.full(src.size * dst.size, params["decay"] ** (d - 1), dtype=np.float64))
        if rows:
            r, c, v = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
            keep = r != c
            T = sp.csr_matrix((v[keep], (r[keep], c[keep])), shape=(n, n))
            T.sum_duplicates()
        else:
            T = sp.csr_matrix((n, n))
        if params["norm"] == "row":
            sums = np.asarray(T.sum(axis=1)).ravel()
            sums[sums == 0] = 1.0
            T = sp.diags(1.0 / sums) @ T
        return T.tocsr().astype(np.float32), self._cosine(X, params["K"], threads), params

    @staticmethod
    def _weights(queries, n, last, recency, all_items) -> sp.csr_matrix:
        baskets = queries.baskets or [[[i] for i in h] for h in queries.histories]
        indptr, indices, data = [0], [], []
        for orders in baskets:
            w = {}
            span = orders if all_items else orders[-last:]
            for j, order in enumerate(reversed(span)):
                for item in order:
                    w.setdefault(item, recency**j)  # the most recent occurrence counts
            indices.extend(w.keys())
            data.extend(w.values())
            indptr.append(len(indices))
        return sp.csr_matrix((np.array(data, dtype=np.float32), np.array(indices, dtype=np.int64), np.array(indptr)),
                             shape=(len(baskets), n))

    def recommend(self, fitted, queries, Q, k, pop):
        T, C, p = fitted
        n = T.shape[0]
        WT = self._weights(queries, n, p["last"], p["recency"], all_items=False)
        WC = self._weights(queries, n, 0, p["cos_recency"], all_items=True)
        out = []
        for start in range(0, Q.shape[0], CHUNK):
            sl = slice(start, start + CHUNK)
            scores = (WT[sl] @ T).toarray() + p["beta"] * (WC[sl] @ C).toarray()
            scores[scores == 0] = -np.inf  # no signal at all: leave the slot to the popularity fill
            out.append(top_k_dense(scores, Q[sl], k))
        return fill_popular(np.vstack(out), queries.histories, pop)

    def release(self):
        self._cos = {}


class LastItemTransitions(SequenceTransitions):
    """The amazon-beauty README's "last-items transition counts + cosine back-off" recipe, fixed
    (not tuned): raw counts of what came right after the LAST history item (one step), the
    cosine sum over the whole history weighted 0.001 so it only orders items the transitions
    leave tied or unscored. On Beauty it reproduces the README row (NDCG@10 ~0.049-0.050)."""

    name = "seq-last-item"
    label = "last-item transition counts + cosine back-off (README recipe, fixed)"

    def grid(self, split, quick):
        return [{"steps": 1, "decay": 1.0, "norm": "none", "last": 1, "recency": 1.0, "beta": 0.001, "cos_recency": 1.0, "K": 100}]


ALL = [MostPopular, ImplicitCosine, ImplicitBM25, ImplicitALS, EASE, LastItemTransitions, SequenceTransitions]


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t
