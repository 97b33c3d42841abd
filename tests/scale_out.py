"""sql/counts.sql against the builder (issue 13, scale-out): runs the counting SQL in DuckDB
on a sample of data/online-retail and checks its tables against what `attune build` counts
from the same orders (the build summary and `attune inspect`): customers, orders, guest
orders, items, co-bought pairs seen and kept at min-support 2, next pairs seen and kept,
and the popularity counts. Run by scripts/test-scale-out (which installs DuckDB from PyPI).

    python tests/scale_out.py --attune target/release/attune [--until 2011-03-01] [--keep DIR]
"""
import argparse
import pathlib
import re
import subprocess
import sys
import tempfile

import duckdb

ROOT = pathlib.Path(__file__).resolve().parent.parent
RAW = ROOT / "data/online-retail/online-retail.csv.gz"
SQL = ROOT / "sql/counts.sql"
TABLES = ["attune_items", "attune_pairs", "attune_next", "attune_totals"]


def sample(con, until, out):
    """The cleaned orders of Online Retail before `until`, as a generic export: the same
    file feeds `attune build --interactions` and the orders view of the SQL."""
    con.execute(f"""
        COPY (
          SELECT NULLIF(TRIM(CustomerID), '') AS customer, StockCode AS item,
                 InvoiceNo AS order_id, strftime(InvoiceDate, '%Y-%m-%d %H:%M:%S') AS ts
          FROM read_csv('{RAW}', header = true, all_varchar = false,
                        types = {{'InvoiceNo': 'VARCHAR', 'StockCode': 'VARCHAR',
                                  'CustomerID': 'VARCHAR', 'InvoiceDate': 'TIMESTAMP'}})
          WHERE InvoiceDate < TIMESTAMP '{until}'
            AND NOT regexp_matches(InvoiceNo, '^[Cc][0-9]+$')
            AND Quantity > 0
            AND StockCode IS NOT NULL
            AND NOT regexp_matches(StockCode, '\\s')
            AND StockCode NOT IN ('POST', 'D', 'M', 'm', 'C2', 'DOT', 'CRUK', 'PADS', 'S', 'B',
                                  'BANK CHARGES', 'AMAZONFEE')
          ORDER BY InvoiceDate, InvoiceNo, StockCode
        ) TO '{out}' (HEADER, DELIMITER ',')
    """)


def counts(con, orders_csv, out_dir):
    con.execute(f"""
        CREATE OR REPLACE TEMPORARY VIEW orders AS
        SELECT customer, item, order_id, CAST(ts AS TIMESTAMP) AS ts
        FROM read_csv('{orders_csv}', header = true, all_varchar = true)
    """)
    con.execute(SQL.read_text())
    for t in TABLES:
        con.execute(f"COPY (SELECT * FROM {t}) TO '{out_dir / (t + '.csv')}' (HEADER, DELIMITER ',')")


def summary_numbers(text):
    grab = lambda pat: int(re.search(pat, text, re.M).group(1))
    return {
        "customers": grab(r"^customers:\s+(\d+)"),
        "orders": grab(r"^orders:\s+(\d+)"),
        "guest_orders": grab(r"^orders:\s+\d+\s+\((\d+) guest\)"),
        "items": grab(r"^items:\s+(\d+)"),
        "pairs_seen": grab(r"^pairs co-bought:\s+(\d+)"),
        "pairs_dropped": grab(r"dropped \(support < min-support\): (\d+)"),
        "next_pairs_seen": grab(r"^next pairs:\s+(\d+)"),
        "next_pairs_dropped": grab(r"^next pairs:\s+\d+\s+\((\d+) below"),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attune", default=str(ROOT / "target/release/attune"))
    ap.add_argument("--until", default="2011-03-01")
    ap.add_argument("--keep", help="write the sample, tables and model here")
    a = ap.parse_args()
    work = pathlib.Path(a.keep or tempfile.mkdtemp(prefix="attune-scale-out-"))
    work.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    orders_csv = work / "orders.csv"
    sample(con, a.until, orders_csv)
    tables = work / "counts"
    tables.mkdir(exist_ok=True)
    counts(con, orders_csv, tables)

    model = work / "model.bin"
    build = subprocess.run(
        [a.attune, "build", "--interactions", str(orders_csv), "--no-tune", "--out", str(model)],
        capture_output=True, text=True, check=True)
    rust = summary_numbers(build.stderr)
    inspect = subprocess.run([a.attune, "inspect", "--model", str(model)],
                             capture_output=True, text=True, check=True).stdout
    rust_popular = [float(s) for s in re.findall(r", \S+ \(([\d.]+)\)", inspect.split("popular:")[1].split("\n")[0])]

    q = lambda sql: con.execute(sql).fetchone()
    tot = q(f"SELECT customers, guest_orders, orders FROM read_csv('{tables}/attune_totals.csv')")
    items, pairs_seen, next_seen = q(
        f"SELECT COUNT(*), SUM(pairs), SUM(next_pairs) FROM read_csv('{tables}/attune_items.csv')")
    pairs_kept = q(f"SELECT COUNT(*) FROM read_csv('{tables}/attune_pairs.csv')")[0]
    next_kept = q(f"SELECT COUNT(*) FROM read_csv('{tables}/attune_next.csv')")[0]
    sql_popular = [float(r[0]) for r in con.execute(
        f"SELECT customers FROM read_csv('{tables}/attune_items.csv') "
        f"WHERE customers >= 2 ORDER BY customers DESC LIMIT 5").fetchall()]
    sql = {
        "customers": tot[0],
        "orders": tot[2],
        "guest_orders": tot[1],
        "items": items,
        "pairs_seen": pairs_seen,
        "pairs_dropped": pairs_seen - pairs_kept,
        "next_pairs_seen": next_seen,
        "next_pairs_dropped": next_seen - next_kept,
    }
    bad = [k for k in rust if rust[k] != sql[k]]
    for k in rust:
        print(f"{k:20} attune build {rust[k]:>10}   sql/counts.sql {sql[k]:>10}{'   MISMATCH' if k in bad else ''}")
    print(f"{'popular top 5':20} attune build {rust_popular}   sql/counts.sql {sql_popular}")
    if rust_popular != sql_popular:
        bad.append("popular")
    if bad:
        print("scale-out: the SQL counts differ from the builder's:", ", ".join(bad), file=sys.stderr)
        return 1
    print(f"scale-out: sql/counts.sql (DuckDB {duckdb.__version__}) agrees with attune build on {rust['orders']} orders")
    return 0


if __name__ == "__main__":
    sys.exit(main())
