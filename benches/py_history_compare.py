#!/usr/bin/env python3
"""History into a DataFrame: amazcope's `client.history(...)` (an Arrow table read with a
binary COPY) against `pandas.read_sql` through SQLAlchemy (psycopg 3), on the same N
snapshots of one product (default 1,000,000), in the same run. Prints medians and ratios.

What each line measures (all end in a DataFrame holding every row and column):
  arrow table      client.history() alone: the pyarrow.Table (decimal128, UTC timestamps)
  polars           + pl.from_arrow (zero-copy)
  pandas arrow     + .to_pandas(types_mapper=pd.ArrowDtype) (zero-copy, Arrow-backed dtypes)
  pandas objects   + .to_pandas() (money columns become Python Decimal objects, one per
                   value, as read_sql's do: the like-for-like dtype comparison)
  read_sql         pandas.read_sql(SQLAlchemy text query): Decimal objects, UTC timestamps

    DATABASE_URL=postgres://... python benches/py_history_compare.py [--rows N]

Creates a scratch database on the DATABASE_URL server and drops it afterwards. Needs the
amazcope wheel, pandas, SQLAlchemy and psycopg in the running interpreter.
"""
import os
import statistics
import sys
import time
import uuid

import pandas as pd
import polars as pl
import psycopg
import sqlalchemy as sa

import amazcope

ASIN = "B07FNW9FGJ"


def with_db(url, name):
    base, _, query = url.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")


def main():
    rows = 1_000_000
    if "--rows" in sys.argv:
        rows = int(sys.argv[sys.argv.index("--rows") + 1])
    url = os.environ.get("DATABASE_URL") or sys.exit("set DATABASE_URL")
    name = f"amazcope_hist_bench_{uuid.uuid4().hex[:8]}"
    admin = with_db(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    db_url = with_db(url, name)
    try:
        client = amazcope.connect(db_url)
        client.add_user("bench")
        row = client.track("bench", ASIN, "com")
        # N snapshots over the last 80 days, generated server-side.
        with psycopg.connect(db_url, autocommit=True) as c:
            c.execute(
                """INSERT INTO product_snapshots
                     (product_id, scraped_at, price, original_price, currency, bsr_main_category,
                      bsr_small_category, rating, review_count, in_stock, is_prime)
                   SELECT %s, now() - interval '80 days' + (g * (interval '80 days' / %s)),
                          round((20 + 10 * random())::numeric, 2), 39.99, 'USD',
                          (1000 + 500 * random())::int, (10 + 5 * random())::int,
                          4.5, 1000 + g / 1000, true, g %% 2 = 0
                     FROM generate_series(0, %s - 1) g""",
                (row["product_id"], rows, rows),
            )
            c.execute("ANALYZE product_snapshots")
        t_ours, t_pd = [], []
        engine = sa.create_engine(db_url.replace("postgres://", "postgresql+psycopg://", 1))
        query = sa.text(
            """SELECT s.scraped_at, s.price, s.original_price, s.currency, s.bsr_main_category AS bsr,
                      s.bsr_small_category, s.rating, s.review_count, s.in_stock, s.is_prime
                 FROM product_snapshots s JOIN products p ON p.id = s.product_id
                WHERE p.asin = :asin AND p.marketplace = 'com'
                  AND s.scraped_at >= now() - interval '90 days'
                ORDER BY s.scraped_at"""
        )
        ways = {
            "arrow table": lambda t: t,
            "polars": lambda t: pl.from_arrow(t),
            "pandas arrow": lambda t: t.to_pandas(types_mapper=pd.ArrowDtype),
            "pandas objects": lambda t: t.to_pandas(),
        }
        times: dict[str, list[float]] = {k: [] for k in [*ways, "read_sql"]}
        for _ in range(3):
            for label, convert in ways.items():
                t0 = time.perf_counter()
                df = convert(client.history(ASIN, "com", days=90, user="bench"))
                times[label].append(time.perf_counter() - t0)
                assert len(df) == rows, (label, len(df))
                del df
            t0 = time.perf_counter()
            with engine.connect() as conn:
                df2 = pd.read_sql(query, conn, params={"asin": ASIN})
            times["read_sql"].append(time.perf_counter() - t0)
            assert len(df2) == rows, len(df2)
            del df2
        engine.dispose()
        theirs = statistics.median(times["read_sql"])
        print(f"{rows} snapshots, median of 3 runs")
        for label, ts in times.items():
            med = statistics.median(ts)
            ratio = "" if label == "read_sql" else f"  read_sql/this = {theirs / med:.1f}x"
            print(f"  {label:<15} {med:8.3f} s{ratio}")
        print("target: >= 10x read_sql into a DataFrame")
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
