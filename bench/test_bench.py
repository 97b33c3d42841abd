"""Unit tests of the relevance harness: metric arithmetic on hand-checked lists, the Attune
output parser's contract checks, and the leak-freeness of every protocol on small files.

Run: bench/.venv/bin/python -m unittest discover -s bench -p 'test_*.py'
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import attune_cli  # noqa: E402
import metrics  # noqa: E402
import peers  # noqa: E402
import splits  # noqa: E402


class MetricTests(unittest.TestCase):
    def test_single_target_ranks(self):
        recs = np.array([[7, 3, 9, -1], [1, 2, 3, 4], [5, 6, 8, 0]])
        targets = [[3], [4], [42]]
        m = metrics.item_metrics(recs, targets, ks=(1, 2, 4))
        # hits at rank 1 (0-based) and rank 3; the third query misses.
        self.assertAlmostEqual(m["HR@1"], 0.0)
        self.assertAlmostEqual(m["HR@2"], 1 / 3)
        self.assertAlmostEqual(m["HR@4"], 2 / 3)
        self.assertAlmostEqual(m["NDCG@2"], (1 / math.log2(3)) / 3)
        self.assertAlmostEqual(m["NDCG@4"], (1 / math.log2(3) + 1 / math.log2(5)) / 3)

    def test_empty_slot_never_hits(self):
        recs = np.array([[-1, -1]])
        self.assertEqual(metrics.item_metrics(recs, [[-1]], ks=(2,))["HR@2"], 0.0)

    def test_basket_metrics(self):
        recs = np.array([[1, 2, 3], [4, 5, 6]])
        targets = [[2, 3, 9, 10], [7]]
        m = metrics.basket_metrics(recs, targets, ks=(3,))
        self.assertAlmostEqual(m["HR@3"], 0.5)
        self.assertAlmostEqual(m["Recall@3"], (2 / 4 + 0) / 2)
        dcg = 1 / math.log2(3) + 1 / math.log2(4)
        idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)  # min(|set|=4, k=3) ideal hits
        self.assertAlmostEqual(m["NDCG@3"], dcg / idcg / 2)

    def test_coverage_and_violations(self):
        recs = np.array([[0, 1], [1, 2], [2, -1]])
        self.assertAlmostEqual(metrics.coverage(recs, 10, k=2), 0.3)
        self.assertEqual(metrics.history_violations(recs, [[1], [5], [2, 7]]), 2)


class PeerPlumbingTests(unittest.TestCase):
    def test_top_k_excludes_history_and_fills_popular(self):
        Q = peers.query_matrix([[0, 2]], 5)
        scores = np.array([[9.0, 1.0, 8.0, -np.inf, -np.inf]])
        top = peers.top_k_dense(scores, Q, 3)
        self.assertEqual(top.tolist(), [[1, -1, -1]])
        filled = peers.fill_popular(top, [[0, 2]], np.array([2, 4, 0, 3, 1]))
        self.assertEqual(filled.tolist(), [[1, 4, 3]])


class EaseTests(unittest.TestCase):
    def test_closed_form_matches_textbook_in_both_precisions(self):
        import scipy.sparse as sp

        rng = np.random.default_rng(7)
        X = sp.csr_matrix((rng.random((300, 40)) < 0.15).astype(np.float32))
        lam = 5.0
        G = (X.T @ X).toarray().astype(np.float64) + lam * np.eye(40)
        P = np.linalg.inv(G)
        want = -P / np.diag(P)[np.newaxis, :]
        np.fill_diagonal(want, 0.0)
        for dtype, tol in ((np.float64, 1e-6), (np.float32, 1e-4)):  # B is returned as float32
            B = peers.EASE(dtype).fit(None, X, {"lambda": lam}, 1)
            self.assertLess(np.abs(B - want).max(), tol, dtype)
        # The float32 solve ranks like the float64 one.
        Q = X[:50]
        b32 = peers.EASE(np.float32).fit(None, X, {"lambda": lam}, 1)
        b64 = peers.EASE(np.float64).fit(None, X, {"lambda": lam}, 1)
        same = (peers.top_k_dense(Q @ b32, Q, 5) == peers.top_k_dense(Q @ b64, Q, 5)).all(axis=1).mean()
        self.assertGreaterEqual(same, 0.96)


class SequenceBaselineTests(unittest.TestCase):
    def test_transition_counts_and_scores(self):
        class S:
            n_items = 4
            train_sequences = {"u": [[0], [1], [2]], "v": [[0], [1]], "w": [[3]]}

        peer = peers.SequenceTransitions()
        X = None  # only the (stubbed) cosine part would read it
        params = {"steps": 2, "decay": 0.5, "norm": "none", "last": 1, "recency": 1.0, "beta": 0.0, "cos_recency": 1.0, "K": 10}
        peer._cosine = lambda X, K, threads: __import__("scipy.sparse", fromlist=["csr_matrix"]).csr_matrix((4, 4), dtype=np.float32)
        T, _, _ = peer.fit(S, X, params, 1)
        # 0->1 twice (u, v), 1->2 once, 0->2 at two steps (weight 0.5).
        self.assertEqual(T.toarray().tolist(), [[0, 2, 0.5, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
        params["norm"] = "row"
        T, _, _ = peer.fit(S, X, params, 1)
        self.assertAlmostEqual(float(T[0, 1]), 0.8)
        q = splits.Queries([[0]], [[1]])
        Q = peers.query_matrix(q.histories, 4)
        recs = peer.recommend(peer.fit(S, X, params, 1), q, Q, 3, np.array([3, 2, 1, 0]))
        # 1 then 2 from the transitions, then the popularity fill (3); never the history item 0.
        self.assertEqual(recs.tolist(), [[1, 2, 3]])


def _write(dirpath, rel, text):
    path = os.path.join(dirpath, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


RETAIL = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
100,10A,a,1,2011-01-01 10:00:00,1,1,UK
100,10B,b,1,2011-01-01 10:00:00,1,1,UK
101,10C,c,1,2011-01-02 10:00:00,1,1,UK
101,POST,postage,1,2011-01-02 10:00:00,1,1,UK
102,D,"discount, with comma",1,2011-01-03 10:00:00,1,1,UK
102,10A,a,2,2011-01-03 10:00:00,1,1,UK
103,10E,e,1,2011-01-04 10:00:00,1,1,UK
103,10F,f,1,2011-01-04 10:00:00,1,1,UK
103,m,manual,1,2011-01-04 10:00:00,1,1,UK
C104,10E,e,-1,2011-01-05 10:00:00,1,1,UK
105,10G,g,1,2011-01-05 10:00:00,1,,UK
106,10A,a,1,2011-01-01 09:00:00,1,2,UK
106,10E,e,0,2011-01-01 09:00:00,1,2,UK
107,gift_0001_10,voucher,1,2011-01-01 09:00:00,1,2,UK
"""


class ProtocolTests(unittest.TestCase):
    def test_online_retail_holds_out_whole_invoices(self):
        with tempfile.TemporaryDirectory() as d:
            path = _write(d, "online-retail/online-retail.csv", RETAIL)
            s = splits.online_retail(path)
            ids = s.items
            # POST, D, m (manual, lower case) and gift_* are not products; 10G has no customer;
            # 10E in C104 is a cancellation and in 106 has quantity 0.
            self.assertEqual(ids, ["10A", "10B", "10C", "10E", "10F"])
            train_pairs = {(r.user, ids[r.item]) for r in s.train}
            # customer 1 has invoices 100, 101, 102 (10A only), 103: test = 103 (10E, 10F),
            # validation = 102 (a repeat of 10A only: no validation case); trained on 100, 101.
            self.assertEqual(train_pairs, {("1", "10A"), ("1", "10B"), ("1", "10C"), ("2", "10A")})
            nb = next(p for p in s.protocols if p.kind == "basket")
            self.assertEqual(len(nb.val.histories), 0)
            self.assertEqual([[ids[i] for i in h] for h in nb.test.histories], [["10A", "10B", "10C", "10A"]])
            self.assertEqual([[[ids[i] for i in o] for o in b] for b in nb.test.baskets], [[["10A", "10B"], ["10C"], ["10A"]]])
            self.assertEqual([[ids[i] for i in t] for t in nb.test.targets], [["10E", "10F"]])
            ni = next(p for p in s.protocols if p.kind == "item")
            self.assertIn(ids[ni.test.targets[0][0]], {"10E", "10F"})

    def test_beauty_protocol(self):
        with tempfile.TemporaryDirectory() as d:
            path = _write(d, "b/Beauty.txt", "1 1 2 3 4 5\n2 6 7 8\n")
            s = splits.beauty(path)
            p = s.protocols[0]
            ids = s.items
            self.assertEqual(sorted((r.user, ids[r.item]) for r in s.train), [("1", "1"), ("1", "2"), ("1", "3"), ("2", "6")])
            self.assertEqual([[ids[i] for i in h] for h in p.val.histories], [["1", "2", "3"], ["6"]])
            self.assertEqual([ids[t[0]] for t in p.val.targets], ["4", "7"])
            self.assertEqual([[ids[i] for i in h] for h in p.test.histories], [["1", "2", "3", "4"], ["6", "7"]])
            self.assertEqual([ids[t[0]] for t in p.test.targets], ["5", "8"])

    def test_groceries_targets_never_trained(self):
        with tempfile.TemporaryDirectory() as d:
            path = _write(d, "g/groceries.csv", "whole milk,yogurt,rolls/buns,soda\nbeef,soda\nwhole milk\n")
            s = splits.groceries(path)
            p = s.protocols[0]
            self.assertIn("whole_milk", s.items)
            basket0 = {r.item for r in s.train if r.user == "b0"}
            v, t = p.val.targets[0][0], p.test.targets[0][0]
            self.assertNotIn(v, basket0)
            self.assertNotIn(t, basket0)
            self.assertEqual(set(p.val.histories[0]), basket0)
            self.assertEqual(set(p.test.histories[0]), basket0 | {v})
            self.assertEqual(len(p.val.histories), 1)  # 2- and 1-item baskets train only


class AttuneParserTests(unittest.TestCase):
    def test_contract_breaches_are_counted(self):
        class S:
            items = ["a", "b", "c", "d"]

        with tempfile.TemporaryDirectory() as d:
            path = _write(d, "recs.txt", "b c zz\nc c a\n")
            recs, breaches = attune_cli.parse_recommendations(S, [[0], [0]], path, 3)
            self.assertEqual(recs.tolist(), [[1, 2, -1], [2, -1, 0]])
            self.assertEqual(breaches, {"unknown id": 1, "duplicate id": 1, "history item returned": 1})
            path = _write(d, "short.txt", "b\n")
            _, breaches = attune_cli.parse_recommendations(S, [[0], [0]], path, 3)
            self.assertEqual(breaches, {"line count mismatch": 1})

    def test_empty_line_is_an_empty_list(self):
        class S:
            items = ["a", "b"]

        with tempfile.TemporaryDirectory() as d:
            path = _write(d, "recs.txt", "\nb\n")
            recs, breaches = attune_cli.parse_recommendations(S, [[0], [0]], path, 2)
            self.assertEqual(recs.tolist(), [[-1, -1], [1, -1]])
            self.assertEqual(breaches, {})



class PrivacyTableTests(unittest.TestCase):
    def test_relative_cost_and_seed_range(self):
        import relevance

        def row(setting, hr, nd, seeds=(), lo=None, hi=None):
            return {"setting": setting, "seeds": list(seeds), "model_bytes": 1000.0,
                    "protocols": {"g": {"test": {"HR@10": hr, "NDCG@10": nd},
                                        "test_ndcg10_range": [lo if lo is not None else nd, hi if hi is not None else nd]}}}

        ds = {"protocols": {"g": {"title": "Groceries: completion"}},
              "attune": {"privacy": [row("min-support 2 (default)", 0.4, 0.2),
                                     row("dp-epsilon 1", 0.3, 0.15, seeds=(1, 2, 3), lo=0.14, hi=0.16)]}}
        lines = relevance.privacy_table(ds)
        self.assertIn("| min-support 2 (default) | 0.4000 | 0.2000 | 1,000 |", lines)
        # 0.15 / 0.2 - 1 = -25%, with the spread of the seeds.
        self.assertIn("| dp-epsilon 1 | 0.3000 | 0.1500 (-25%) [0.1400–0.1600] | 1,000 |", lines)
        self.assertEqual(relevance.privacy_table({"attune": {}}), [])


if __name__ == "__main__":
    unittest.main()
