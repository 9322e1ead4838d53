#!/usr/bin/env python3
"""History into a DataFrame: amazcope's `client.history(...)` (Arrow, columnar) then
`.to_pandas()`, against `pandas.read_sql` through SQLAlchemy, on the same N snapshots of one
product (default 1,000,000), in the same run. Prints seconds and the ratio.

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
        for _ in range(3):
            t0 = time.perf_counter()
            df = client.history(ASIN, "com", days=90, user="bench").to_pandas()
            t_ours.append(time.perf_counter() - t0)
            assert len(df) == rows, len(df)
            t0 = time.perf_counter()
            with engine.connect() as conn:
                df2 = pd.read_sql(query, conn, params={"asin": ASIN})
            t_pd.append(time.perf_counter() - t0)
            assert len(df2) == rows, len(df2)
        engine.dispose()
        ours, theirs = statistics.median(t_ours), statistics.median(t_pd)
        print(f"amazcope history -> pandas      {rows} rows  median {ours:.3f} s")
        print(f"pandas.read_sql (SQLAlchemy)    {rows} rows  median {theirs:.3f} s")
        print(f"ratio read_sql/amazcope = {theirs / ours:.1f}x (target >= 10x)")
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
