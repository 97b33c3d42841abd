"""Attune's row of the relevance benchmark, through the `attune` binary's public contract.

Owns turning a `Split` into the files the CLI reads (training interactions as CSV with the
columns user,item,ts[,order]; query histories as lines of space-separated item ids, oldest first)
and reading `attune recommend`'s answer back (exactly one line per input line, ids best first).
The ids are passed through as strings and mapped back to the split's item indices here, so the
lists are scored by the same metric code as the peers. Contract breaches (missing or extra lines,
history items, unknown or duplicate ids) are counted and reported, never silently fixed.
"""

from __future__ import annotations

import csv
import os
import subprocess
import time

import numpy as np


class AttuneUnavailable(Exception):
    pass


def write_training_csv(split, path: str) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["user", "item", "ts", "order"])
        for row in split.train:
            w.writerow([row.user, split.items[row.item], row.ts, row.order])


def write_queries(split, histories: list, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for hist in histories:
            f.write(" ".join(split.items[i] for i in hist))
            f.write("\n")


def _run(cmd: list, stdin_path: str | None, stdout_path: str | None, log_path: str, threads: int) -> float:
    env = dict(os.environ)
    env.setdefault("RAYON_NUM_THREADS", str(threads))
    t = time.perf_counter()
    with open(log_path, "ab") as log:
        log.write(("$ " + " ".join(cmd) + "\n").encode())
        log.flush()
        stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
        stdout = open(stdout_path, "wb") if stdout_path else log
        try:
            proc = subprocess.run(cmd, stdin=stdin, stdout=stdout, stderr=log, env=env)
        finally:
            if stdin_path:
                stdin.close()
            if stdout_path:
                stdout.close()
    if proc.returncode != 0:
        with open(log_path, "rb") as f:
            tail = f.read()[-1500:].decode(errors="replace")
        raise AttuneUnavailable(f"`{' '.join(cmd)}` exited with {proc.returncode}:\n{tail}")
    return time.perf_counter() - t


def parse_recommendations(split, histories: list, path: str, k: int):
    """(n, k) item indices (-1 = empty slot) and a count of each contract breach."""
    index = {item: n for n, item in enumerate(split.items)}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    breaches = {"line count mismatch": 0, "history item returned": 0, "unknown id": 0, "duplicate id": 0, "more than k ids": 0}
    if len(lines) != len(histories):
        breaches["line count mismatch"] = abs(len(lines) - len(histories))
    recs = np.full((len(histories), k), -1, dtype=np.int64)
    for i, hist in enumerate(histories):
        if i >= len(lines):
            break
        ids = lines[i].split()
        if len(ids) > k:
            breaches["more than k ids"] += 1
        seen_hist = set(hist)
        slot, listed = 0, set()
        for token in ids[:k]:
            item = index.get(token)
            if item is None:
                breaches["unknown id"] += 1
                slot += 1  # an unknown id still occupies its rank
                continue
            if item in listed:
                breaches["duplicate id"] += 1
                slot += 1
                continue
            if item in seen_hist:
                breaches["history item returned"] += 1
            listed.add(item)
            recs[i, slot] = item
            slot += 1
    return recs, {k_: v for k_, v in breaches.items() if v}


def run(binary: str, split, protocols: list, workdir: str, k: int, threads: int,
        extra_args: tuple = (), train_csv: str | None = None) -> dict:
    """Build one model from the split's training data and answer every protocol's validation and
    test queries. Returns build time, model bytes and per protocol/phase (recs, seconds, breaches).
    `extra_args` go to `attune build` (the privacy settings); `train_csv` reuses a file already
    written for this split."""
    if not (binary and os.path.isfile(binary) and os.access(binary, os.X_OK)):
        raise AttuneUnavailable(f"no attune binary at {binary}")
    os.makedirs(workdir, exist_ok=True)
    log = os.path.join(workdir, "attune.log")
    open(log, "w").close()
    model = os.path.join(workdir, "model.bin")
    if train_csv is None:
        train_csv = os.path.join(workdir, "train.csv")
        write_training_csv(split, train_csv)
    # The harness already cleaned the data exactly as the peers see it: skip nothing more.
    build_s = _run([binary, "build", "--interactions", train_csv, "--out", model, "--skip-items", "", *extra_args],
                   None, None, log, threads)
    out = {"build_seconds": build_s, "model_bytes": os.path.getsize(model), "runs": {}}
    written = {}
    for proto in protocols:
        for phase in ("val", "test"):
            queries = getattr(proto, phase)
            # The targets are written too (one line per query, space-separated ids), so the
            # engine can be tuned on validation from these files without this harness.
            write_queries(split, queries.targets, os.path.join(workdir, f"{proto.name}.{phase}.targets.txt"))
            # Protocols of one dataset may share their histories (Online Retail): answer once.
            key = (phase, id(queries.histories))
            if key not in written:
                qpath = os.path.join(workdir, f"{proto.name}.{phase}.queries.txt")
                rpath = os.path.join(workdir, f"{proto.name}.{phase}.recs.txt")
                write_queries(split, queries.histories, qpath)
                secs = _run([binary, "recommend", "--model", model, "-k", str(k)], qpath, rpath, log, threads)
                written[key] = (rpath, secs)
            rpath, secs = written[key]
            recs, breaches = parse_recommendations(split, queries.histories, rpath, k)
            out["runs"][(proto.name, phase)] = {"recs": recs, "seconds": secs, "breaches": breaches}
    return out
