"""Long history (issue 15) from Python: rows before the oldest raw snapshot come from the
daily rollups with `resolution` "daily", stats still see the archived day, and `chart()`
returns the SVG the command line draws."""

import datetime as dt
from pathlib import Path

import psycopg
import pytest

from amazcope import errors
from test_db import ASIN
from test_insights import MONEY, UTC_US, two_snapshots


def drop_first_day(database_url: str) -> None:
    """What retention leaves: the raw snapshot of T1's day gone, its rollup kept."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM product_snapshots WHERE scraped_at < '2026-03-02'")


def test_history_reads_the_rollups_before_the_raw_snapshots(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, old, new = two_snapshots(database_url, pages, tmp_path)
    raw = client.history(ASIN, "com", days=100000, user="ana")
    assert raw.column("resolution").to_pylist() == ["raw", "raw"]
    drop_first_day(database_url)

    t = client.history(ASIN, "com", days=100000, user="ana")
    assert t.schema == raw.schema
    assert t.schema.field("price").type == MONEY and t.schema.field("scraped_at").type == UTC_US
    rows = t.to_pylist()
    assert [r["resolution"] for r in rows] == ["daily", "raw"]
    assert rows[0]["scraped_at"] == dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    assert [r["price"] for r in rows] == [old, new]
    assert rows[0]["in_stock"] is True and rows[0]["currency"] == "USD"

    daily = client.history(ASIN, "com", days=100000, user="ana", daily=True)
    assert daily.column("resolution").to_pylist() == ["daily", "daily"]
    assert daily.column("price").to_pylist() == [old, new]

    w30 = client.stats(ASIN, "com", user="ana").slice(0, 1).to_pylist()[0]
    assert (w30["min_price"], w30["max_price"], w30["snapshot_count"]) == (new, old, 2), w30


def test_chart_is_the_svg_of_the_history(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, _, _ = two_snapshots(database_url, pages, tmp_path)
    drop_first_day(database_url)
    svg = client.chart(ASIN, "com", user="ana", width=800, height=400)
    assert svg.startswith("<svg") and 'width="800"' in svg
    for text in ["Price (USD)", "Sales rank (BSR)", "Date (UTC)", ASIN]:
        assert text in svg, text
    with pytest.raises(errors.NotFound):
        client.chart(ASIN, "com", user="bob")
    with pytest.raises(ValueError, match="200 to 8000"):
        client.chart(ASIN, "com", user="ana", width=5)
