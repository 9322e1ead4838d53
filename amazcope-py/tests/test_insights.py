"""stats, replay, summary, trends and compare against real PostgreSQL (a new database per
test): values read back from a two-snapshot history, typed columns, tenancy and errors."""

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pyarrow as pa
import pytest

import amazcope
from amazcope import errors
from test_db import ASIN, PAGE, T1, T2, cheaper_copy

MONEY = pa.decimal128(10, 2)
UTC_US = pa.timestamp("us", tz="UTC")


def two_snapshots(database_url: str, pages: Path, tmp: Path) -> tuple[amazcope.Client, Decimal, Decimal]:
    """ana tracks the product (price threshold 5 %); bob exists and tracks nothing. The
    product has two snapshots: the fixture at T1 and a copy 40 % cheaper at T2."""
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.add_user("bob")
    client.track("ana", ASIN, "com", price_threshold=5.0)
    cheaper, old, new = cheaper_copy(pages, tmp)
    client.import_pages([pages / PAGE], "ana", scraped_at=T1)
    client.import_pages([cheaper], "ana", scraped_at=T2)
    return client, old, new


def test_stats_windows_hold_the_prices_seen(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, old, new = two_snapshots(database_url, pages, tmp_path)
    t = client.stats(ASIN, "com", user="ana")
    assert t.column("days").to_pylist() == [30, 90, 180, 365]
    assert t.schema.field("min_price").type == MONEY
    assert t.schema.field("at").type == UTC_US
    w30 = t.slice(0, 1).to_pylist()[0]
    assert w30["at"] == T2, "windows end at the newest snapshot"
    assert w30["snapshot_count"] == 2 and w30["priced_count"] == 2
    assert w30["min_price"] == new and w30["min_price_at"] == T2
    assert w30["max_price"] == old
    assert w30["avg_price"] == ((old + new) / 2).quantize(Decimal("0.01"))
    assert w30["currency"] == "USD"
    assert w30["days_observed"] == 2


def test_replay_raises_the_price_drop_without_writing(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, old, new = two_snapshots(database_url, pages, tmp_path)
    stored = client.alerts("ana").num_rows
    t = client.replay(ASIN, "com", user="ana")
    kinds = t.column("alert_type").to_pylist()
    assert "price_change" in kinds, kinds
    row = t.filter(pa.compute.equal(t.column("alert_type"), "price_change")).to_pylist()[0]
    assert row["created_at"] == T2
    assert row["change_percentage"] == pytest.approx(float((new - old) / old * 100), abs=0.01)
    assert t.schema.field("created_at").type == UTC_US
    assert client.alerts("ana").num_rows == stored, "replay must not store alerts"


def test_replay_honours_the_users_threshold(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, _, _ = two_snapshots(database_url, pages, tmp_path)
    client.track("bob", ASIN, "com", price_threshold=50.0)
    assert "price_change" in client.replay(ASIN, user="ana").column("alert_type").to_pylist()
    assert "price_change" not in client.replay(ASIN, user="bob").column("alert_type").to_pylist()


def test_summary_and_trends(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, old, new = two_snapshots(database_url, pages, tmp_path)
    s = client.summary(ASIN, "com", user="ana")
    assert s is not None
    assert s["current_price"] == new and isinstance(s["current_price"], Decimal)
    assert s["last_updated"] == T2
    raw = client.trends(ASIN, "com", fields=["price", "bsr_main", "in_stock"], user="ana")
    assert list(raw) == ["price", "bsr_main", "in_stock"]
    assert raw["price"].column("at").to_pylist() == [T1, T2]
    assert raw["price"].column("value").to_pylist() == [old, new]
    assert raw["price"].schema.field("value").type == MONEY
    assert raw["bsr_main"].schema.field("value").type == pa.int64()
    assert raw["in_stock"].schema.field("value").type == pa.bool_()
    daily = client.trends(ASIN, fields=["price"], granularity="day", user="ana")["price"]
    assert daily.column("label").to_pylist() == [T1.date().isoformat(), T2.date().isoformat()]
    assert daily.column("mean").to_pylist() == [old, new]
    assert daily.schema.field("mean").type == MONEY
    assert len(client.trends(ASIN, user="ana")) == 15
    with pytest.raises(errors.ValidationError) as bad:
        client.trends(ASIN, fields=["colour"], user="ana")
    assert bad.value.field == "fields" and bad.value.value == "colour"
    with pytest.raises(errors.ValidationError) as bad_g:
        client.trends(ASIN, granularity="hourly", user="ana")
    assert bad_g.value.field == "granularity"


def test_compare_two_products(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, old, new = two_snapshots(database_url, pages, tmp_path)
    other = "B0011UCPM4"
    client.track("ana", other, "com")
    client.import_pages([pages / f"com_dp_{other}.html"], "ana", scraped_at=T1)
    cmp = client.compare([ASIN, other], "com", metric="price", user="ana")
    assert cmp["metric"] == "price"
    assert cmp["products"].column("asin").to_pylist() == [ASIN, other]
    assert cmp["products"].column("points").to_pylist() == [2, 1]
    pts = cmp["points"]
    assert pts.schema.field("value").type == MONEY
    mine = pts.filter(pa.compute.equal(pts.column("asin"), ASIN))
    assert mine.column("value").to_pylist() == [old, new]
    ranks = client.compare([ASIN, other], metric="bsr", user="ana")["points"]
    assert ranks.schema.field("value").type == pa.int64()
    with pytest.raises(errors.ValidationError) as bad:
        client.compare([ASIN], metric="colour", user="ana")
    assert bad.value.field == "metric"
    with pytest.raises(errors.ValidationError):
        client.compare([ASIN] * 0, user="ana")


def test_a_second_user_sees_none_of_it(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, _, _ = two_snapshots(database_url, pages, tmp_path)
    for call in (
        lambda: client.stats(ASIN, user="bob"),
        lambda: client.replay(ASIN, user="bob"),
        lambda: client.summary(ASIN, user="bob"),
        lambda: client.trends(ASIN, user="bob"),
        lambda: client.compare([ASIN], user="bob"),
    ):
        with pytest.raises(errors.NotFound):
            call()
    with pytest.raises(errors.NotFound) as nobody:
        client.stats(ASIN, user="nobody")
    assert nobody.value.entity == "user"
    with pytest.raises(errors.NotFound) as unknown:
        client.replay("B000000000", user="ana")
    assert unknown.value.entity == "product"


def test_analytics_release_the_gil(database_url: str, pages: Path, tmp_path: Path) -> None:
    from conftest import runs_while

    client, _, _ = two_snapshots(database_url, pages, tmp_path)
    assert runs_while(lambda: client.stats(ASIN, user="ana"))
    assert runs_while(lambda: client.trends(ASIN, user="ana"))


def test_category_metrics_from_an_imported_list(database_url: str, pages: Path) -> None:
    """The metrics of a best-seller list are those of the items the parser reads from it."""
    client = amazcope.connect(database_url)
    client.add_user("ana")
    page = pages / "com_zgbs_tools-home-improvement.html"
    client.import_pages([page], "ana", scraped_at=T1)
    items = amazcope.parse(page.read_bytes()).items
    prices = sorted(i["price"] for i in items if i["price"])
    t = client.category_metrics("hi", "com", at=T2)
    assert t.num_rows == 1
    assert t.schema.field("avg_price").type == MONEY
    row = t.to_pylist()[0]
    assert (row["category"], row["slug"], row["marketplace"]) == ("Tools & Home Improvement", "hi", "com")
    assert row["recorded_at"] == T1
    assert row["product_count"] == len(items)
    assert (row["min_price"], row["max_price"]) == (prices[0], prices[-1])
    assert row["avg_price"] == (sum(prices) / len(prices)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    with pytest.raises(errors.ValidationError, match="no category has this slug or name"):
        client.category_metrics("nope")
