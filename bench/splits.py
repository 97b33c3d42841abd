"""Datasets and evaluation protocols of the relevance benchmark.

This module owns reading the three real datasets in ../shared/data, cleaning them, and cutting
every protocol's train / validation / test data. Every model (the peers and Attune) is fed from
the same `Split`, so the comparison is like for like. It must stay deterministic (fixed seeds,
sorted iteration) and leak-free: no validation or test target, and nothing that shares an order
with a target, is ever in the training data or the query history.

Items are dense indices into `Split.items` (the external id strings, passed through unchanged
except Groceries, whose names contain spaces and so are joined with "_" to fit the one-line,
space-separated history contract of `attune recommend`).
"""

from __future__ import annotations

import csv
import hashlib
import os
import pickle
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

# Bumped whenever a protocol changes, so cached splits are never silently reused.
PROTOCOL_VERSION = 4

SEED = 20240601

# Online Retail codes that are postage, fees, discounts and manual adjustments, not products.
# Compared case-insensitively: the file also has a lower-case "m" manual line.
NON_PRODUCT_CODES = {"POST", "D", "M", "C2", "DOT", "CRUK", "PADS", "S", "B", "BANK CHARGES", "AMAZONFEE"}


def is_non_product(code: str) -> bool:
    upper = code.upper()
    return upper in NON_PRODUCT_CODES or upper.startswith("GIFT_")


@dataclass
class Interaction:
    """One training line as Attune's CSV gets it: user, item index, time, order."""

    user: str
    item: int
    ts: str
    order: str


@dataclass
class Queries:
    """One evaluation set: a history per query (oldest first) and its target item set."""

    histories: list  # list[list[int]], oldest first; may repeat items (repeat purchases)
    targets: list  # list[list[int]], sorted, never overlapping the history
    # The same histories cut into orders (list[list[list[int]]]) where orders exist; None means
    # every item is its own order (Beauty) or order is meaningless (Groceries).
    baskets: list | None = None


@dataclass
class Protocol:
    name: str  # e.g. "beauty", "retail-next-item", "retail-next-basket", "groceries"
    title: str
    kind: str  # "item" (one target, HR/NDCG@5/10/20) or "basket" (target set, HR/Recall/NDCG@10)
    description: str
    val: Queries
    test: Queries


@dataclass
class Split:
    """The training data shared by one dataset's protocols, and those protocols."""

    dataset: str
    items: list  # item index -> external id string
    train: list  # list[Interaction], in time order per user
    # Per training user, the sequence of baskets (lists of item indices) in time order. For
    # single-event datasets (Beauty) each basket has one item; for Groceries one basket per row.
    train_sequences: dict
    has_order: bool  # whether consecutive baskets mean anything (sequence-aware models apply)
    protocols: list = field(default_factory=list)
    notes: dict = field(default_factory=dict)

    @property
    def n_items(self) -> int:
        return len(self.items)


# ---------------------------------------------------------------------------------------------
# Amazon Beauty: exactly the S3-Rec / ICLRec protocol.


def beauty(path: str) -> Split:
    """Per user: train on items[:-2]; validation items[:-2] -> items[-2]; test items[:-1] ->
    items[-1]; the same model (trained on items[:-2]) serves both, as in the papers' code."""
    sequences = {}
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 4:
                raise ValueError(f"{path}:{line_no}: a user needs at least 3 items, got {len(parts) - 1}")
            sequences[parts[0]] = parts[1:]
    item_ids = sorted({i for seq in sequences.values() for i in seq}, key=lambda s: (len(s), s))
    index = {item: n for n, item in enumerate(item_ids)}

    train, train_sequences = [], {}
    val_h, val_t, test_h, test_t = [], [], [], []
    skipped = Counter()
    for user in sorted(sequences, key=lambda s: (len(s), s)):
        seq = [index[i] for i in sequences[user]]
        prefix = seq[:-2]
        for pos, item in enumerate(prefix):
            train.append(Interaction(user, item, str(pos), f"{user}-{pos}"))
        train_sequences[user] = [[i] for i in prefix]
        # A target already in its history can never be hit (history items are excluded); the
        # papers keep such users and count a miss, and so do we.
        val_h.append(prefix)
        val_t.append([seq[-2]])
        test_h.append(seq[:-1])
        test_t.append([seq[-1]])
        if seq[-1] in seq[:-1]:
            skipped["test target repeats a history item (kept, unhittable)"] += 1
        if seq[-2] in seq[:-2]:
            skipped["validation target repeats a history item (kept, unhittable)"] += 1

    split = Split("amazon-beauty", item_ids, train, train_sequences, has_order=True)
    split.notes = {"users": len(sequences), "items": len(item_ids), "train_interactions": len(train), **skipped}
    split.protocols.append(
        Protocol(
            "beauty",
            "Amazon Beauty — S3-Rec/ICLRec protocol (full ranking)",
            "item",
            "Per user (all 22,363; 5-core): the model is trained on items[:-2]; validation queries "
            "items[:-2] and targets items[-2]; test queries items[:-1] and targets items[-1] with the "
            "SAME model (not retrained on the validation item, as in the S3-Rec/ICLRec code). All "
            "12,101 items are ranked, history items excluded; one target, HR@k and NDCG@k.",
            Queries(val_h, val_t),
            Queries(test_h, test_t),
        )
    )
    return split


# ---------------------------------------------------------------------------------------------
# Online Retail: whole invoices are held out, never split.


def read_online_retail(path: str):
    """Clean lines as the `attune` CLI does: drop cancellations (C invoices), quantity <= 0,
    non-product codes, and (for these per-customer protocols) lines without a customer.
    Returns {customer: [(date, invoice, [stock codes in file order, distinct])]} in time order."""
    invoices = defaultdict(dict)  # customer -> invoice -> [date, [codes]]
    dropped = Counter()
    kept = 0
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        for row in reader:
            invoice = row["InvoiceNo"].strip()
            code = row["StockCode"].strip()
            customer = row["CustomerID"].strip()
            try:
                quantity = int(float(row["Quantity"]))
            except ValueError:
                dropped["unreadable quantity"] += 1
                continue
            if invoice.upper().startswith("C"):
                dropped["cancellation"] += 1
            elif quantity <= 0:
                dropped["quantity <= 0"] += 1
            elif is_non_product(code):
                dropped["non-product code"] += 1
            elif not customer:
                dropped["no customer"] += 1
            elif any(ch.isspace() for ch in code) or not code:
                dropped["unusable item id"] += 1
            else:
                kept += 1
                entry = invoices[customer].setdefault(invoice, [row["InvoiceDate"].strip(), []])
                if code not in entry[1]:
                    entry[1].append(code)
                # An invoice's lines share one time; keep the earliest if they ever differ.
                entry[0] = min(entry[0], row["InvoiceDate"].strip())
    history = {}
    for customer, by_invoice in invoices.items():
        history[customer] = sorted(((d, inv, codes) for inv, (d, codes) in by_invoice.items()))
    return history, kept, dropped


def online_retail(path: str) -> Split:
    """Customers with >= 3 invoices are evaluated. Their last invoice is the test order, the
    second-to-last the validation order; training holds every other invoice of every customer.
    Validation queries = items of invoices[:-2], test queries = items of invoices[:-1] (oldest
    first, items within an invoice in file order). Targets are the held-out invoice's items not
    already in the query history (history items are never recommended); a customer whose held-out
    invoice is only repeat purchases has no case in that set.
    - next-item: the target is ONE of those items, drawn with a fixed seed (leave-last-out without
      the within-invoice leak: the rest of that invoice is not in the history).
    - next-basket: the target is the whole set (HR / Recall / NDCG)."""
    history, kept, dropped = read_online_retail(path)
    item_ids = sorted({c for invs in history.values() for _, _, codes in invs for c in codes})
    index = {item: n for n, item in enumerate(item_ids)}

    rng = random.Random(SEED)
    train, train_sequences = [], {}
    sets = {"val": ([], [], [], []), "test": ([], [], [], [])}  # histories, basket targets, item targets, orders
    counts = Counter()
    for customer in sorted(history):
        invs = history[customer]
        evaluated = len(invs) >= 3
        train_invs = invs[:-2] if evaluated else invs
        for date, inv, codes in train_invs:
            for c in codes:
                train.append(Interaction(customer, index[c], date, inv))
        train_sequences[customer] = [[index[c] for c in codes] for _, _, codes in train_invs]
        if not evaluated:
            continue
        counts["evaluated customers"] += 1
        for name, cut in (("val", len(invs) - 2), ("test", len(invs) - 1)):
            hist = [index[c] for _, _, codes in invs[:cut] for c in codes]
            seen = set(hist)
            target = sorted({index[c] for c in invs[cut][2]} - seen)
            if not target:
                counts[f"{name}: held-out invoice only repeats history (no case)"] += 1
                continue
            histories, baskets, singles, orders = sets[name]
            histories.append(hist)
            baskets.append(target)
            singles.append([rng.choice(target)])
            orders.append([[index[c] for c in codes] for _, _, codes in invs[:cut]])

    split = Split("online-retail", item_ids, train, train_sequences, has_order=True)
    split.notes = {
        "lines_kept": kept,
        **{f"dropped: {k}": v for k, v in sorted(dropped.items())},
        "customers": len(history),
        "items": len(item_ids),
        "train_interactions": len(train),
        **counts,
    }
    common = (
        "Cleaned like the CLI (cancellations, quantity <= 0, non-product codes and lines without a "
        "customer dropped; an item counted once per invoice). Customers with >= 3 invoices are "
        "evaluated: last invoice = test, second-to-last = validation, trained on every other invoice "
        "(same model for both). Queries = all items of the earlier invoices, oldest first. Targets "
        "are the held-out invoice's items that are NOT in the query history (history items are never "
        "recommended); a held-out invoice of repeat purchases only gives no case. Nothing of the "
        "held-out invoice is in the history, so order inside an invoice cannot leak."
    )
    v, t = sets["val"], sets["test"]
    split.protocols.append(
        Protocol(
            "retail-next-item",
            "Online Retail — leave-last-invoice-out, one target item",
            "item",
            common + " Target: one item of that set drawn with a fixed seed; HR@k, NDCG@k.",
            Queries(v[0], v[2], v[3]),
            Queries(t[0], t[2], t[3]),
        )
    )
    split.protocols.append(
        Protocol(
            "retail-next-basket",
            "Online Retail — next basket (whole last invoice)",
            "basket",
            common + " Target: the whole set; HR@10 = any hit, Recall@10 = hits / |set|, "
            "NDCG@10 with binary gains (ideal DCG over min(|set|, 10)).",
            Queries(v[0], v[1], v[3]),
            Queries(t[0], t[1], t[3]),
        )
    )
    return split


# ---------------------------------------------------------------------------------------------
# Groceries: basket completion.


def groceries(path: str) -> Split:
    """Baskets with >= 3 distinct items are evaluated (the issue's ">= 3 interactions" rule):
    their items are shuffled with a fixed seed; the first is the validation target, the second
    the test target. Training holds every basket without those two items (baskets of 1-2 items
    whole). Validation query = basket minus both targets; test query = basket minus the test
    target. Basket order in the file is a catalogue order, so it is never used."""
    baskets = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            names = [n.strip() for n in line.strip().split(",") if n.strip()]
            items = list(dict.fromkeys("_".join(n.split()) for n in names))
            if items:
                baskets.append(items)
    item_ids = sorted({i for b in baskets for i in b})
    index = {item: n for n, item in enumerate(item_ids)}
    rng = random.Random(SEED)
    train, train_sequences = [], {}
    val_h, val_t, test_h, test_t = [], [], [], []
    for n, basket in enumerate(baskets):
        user = f"b{n}"
        items = [index[i] for i in basket]
        if len(items) >= 3:
            rng.shuffle(items)
            v, t, rest = items[0], items[1], items[2:]
            val_h.append(rest)
            val_t.append([v])
            test_h.append(rest + [v])
            test_t.append([t])
        else:
            rest = items
        for i in rest:
            train.append(Interaction(user, i, "0", user))
        train_sequences[user] = [rest]
    split = Split("groceries", item_ids, train, train_sequences, has_order=False)
    split.notes = {"baskets": len(baskets), "items": len(item_ids), "evaluated baskets": len(val_h),
                   "train_interactions": len(train)}
    split.protocols.append(
        Protocol(
            "groceries",
            "Groceries — basket completion",
            "item",
            "Baskets with >= 3 distinct items (6,033 of 9,835) are evaluated: items shuffled with a "
            "fixed seed, the first is the validation target, the second the test target. Training = "
            "all baskets without those two items (smaller baskets whole), one row per basket. "
            "Validation query = the rest of the basket; test query = the rest plus the validation "
            "item (in shuffled order: baskets have no order). 169 items ranked, query items excluded.",
            Queries(val_h, val_t),
            Queries(test_h, test_t),
        )
    )
    return split


# ---------------------------------------------------------------------------------------------

DATASETS = {
    "amazon-beauty": ("amazon-beauty/Beauty.txt", beauty),
    "online-retail": ("online-retail/online-retail.csv", online_retail),
    "groceries": ("groceries/groceries.csv", groceries),
}


def load(dataset: str, data_dir: str, cache_dir: str | None) -> Split:
    """The dataset's split, from the cache when the source file and protocol are unchanged."""
    rel, make = DATASETS[dataset]
    path = os.path.join(data_dir, rel)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{dataset}: {path} not found (is --data pointing at shared/data?)")
    st = os.stat(path)
    key = hashlib.sha256(f"{PROTOCOL_VERSION}|{SEED}|{os.path.abspath(path)}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:16]
    cached = os.path.join(cache_dir, f"split-{dataset}-{key}.pkl") if cache_dir else None
    if cached and os.path.isfile(cached):
        with open(cached, "rb") as f:
            return pickle.load(f)
    split = make(path)
    if cached:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = cached + ".tmp"
        with open(tmp, "wb") as f:
            pickle.dump(split, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cached)
    return split
