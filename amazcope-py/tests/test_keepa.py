"""Keepa history: our decoding checked against the `keepa` package's own conversion
(`keepa.parse_csv`, `keepa.keepa_minutes_to_time`; no API key needed) on the same JSON, and
`Client.import_keepa` / `Client.export` against a real database."""

import datetime
import json
import math
from decimal import Decimal
from pathlib import Path

import keepa
import pyarrow.parquet as pq
import pytest

import amazcope
from amazcope import errors

UTC = datetime.timezone.utc
KEEPA_EPOCH_MINUTES = 21_564_000


def km(y: int, m: int, d: int, h: int = 0) -> int:
    t = datetime.datetime(y, m, d, h, tzinfo=UTC)
    return int(t.timestamp()) // 60 - KEEPA_EPOCH_MINUTES


def product() -> dict:
    csv: list = [None] * 36
    csv[0] = [km(2024, 1, 1), 1999, km(2024, 1, 5), -1, km(2024, 1, 9), 1899]
    csv[1] = [km(2024, 1, 1), 1950]
    csv[3] = [km(2024, 1, 2), 15321, km(2024, 1, 6), -1, km(2024, 1, 7), 9800]
    csv[4] = [km(2024, 1, 1), 2499]
    csv[16] = [km(2024, 1, 1), 42, km(2024, 1, 8), 45]
    csv[17] = [km(2024, 1, 1), 120, km(2024, 1, 8), 131]
    csv[18] = [km(2024, 1, 10), 1799, 299, km(2024, 1, 11), -1, -1, km(2024, 1, 12), 1850, 0]
    return {"asin": "B0KEEPAPY1", "domainId": 1, "title": "Test kettle", "csv": csv}


def as_utc(t) -> datetime.datetime:
    t = t if isinstance(t, datetime.datetime) else t.to_pydatetime()
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def ours(p: dict) -> list[dict]:
    return amazcope.decode_keepa(json.dumps({"products": [p]})).to_pylist()


def test_times_are_the_keepa_package_times() -> None:
    p = product()
    theirs = keepa.parse_csv(p["csv"])
    rows = ours(p)
    expected = set()
    for key in ("AMAZON", "NEW", "SALES", "LISTPRICE", "RATING", "COUNT_REVIEWS", "BUY_BOX_SHIPPING"):
        expected |= {as_utc(t) for t in theirs[f"{key}_time"]}
    assert [r["time"] for r in rows] == sorted(expected)
    minutes = [km(2024, 1, 1), km(2024, 3, 1, 13)]
    assert [as_utc(t) for t in keepa.keepa_minutes_to_time(minutes)] == [
        datetime.datetime(2024, 1, 1, tzinfo=UTC),
        datetime.datetime(2024, 3, 1, 13, tzinfo=UTC),
    ]


def at(rows: list[dict], t) -> dict:
    t = as_utc(t)
    return next(r for r in rows if r["time"] == t)


def test_values_agree_with_parse_csv_series_by_series() -> None:
    p = product()
    theirs = keepa.parse_csv(p["csv"])
    rows = ours(p)
    # Rating x10 -> stars; counts and ranks; list price in cents -> dollars.
    for t, v in zip(theirs["RATING_time"], theirs["RATING"]):
        assert at(rows, t)["rating"] == pytest.approx(v)
    for t, v in zip(theirs["COUNT_REVIEWS_time"], theirs["COUNT_REVIEWS"]):
        assert at(rows, t)["review_count"] == v
    for t, v in zip(theirs["SALES_time"], theirs["SALES"]):
        got = at(rows, t)["sales_rank"]
        assert got == (None if v < 0 else v), (t, v, got)
    for t, v in zip(theirs["LISTPRICE_time"], theirs["LISTPRICE"]):
        assert at(rows, t)["list_price"] == Decimal(str(v)).quantize(Decimal("0.01"))
    # The buy box (price + shipping) wins where it has a point; -1 is out of stock.
    for t, v in zip(theirs["BUY_BOX_SHIPPING_time"], theirs["BUY_BOX_SHIPPING"]):
        r = at(rows, t)
        if math.isnan(v):
            assert (r["price"], r["in_stock"]) == (None, False)
        else:
            assert float(r["price"]) == pytest.approx(v) and r["in_stock"]
    # Before the buy box series starts, Amazon's own offer; its -1 is out of stock too.
    first_box = as_utc(theirs["BUY_BOX_SHIPPING_time"][0])
    for t, v in zip(theirs["AMAZON_time"], theirs["AMAZON"]):
        if as_utc(t) >= first_box:
            continue
        r = at(rows, t)
        if math.isnan(v):
            assert (r["price"], r["in_stock"]) == (None, False)
        else:
            assert float(r["price"]) == pytest.approx(v)


def test_malformed_arrays_are_named() -> None:
    p = product()
    p["csv"][18] = p["csv"][18][:-1]
    with pytest.raises(errors.ValidationError, match=r"B0KEEPAPY1.*csv\[18\]\[6\]"):
        amazcope.decode_keepa(json.dumps([p]))


def test_import_keepa_is_idempotent_and_exports(database_url: str, tmp_path: Path) -> None:
    client = amazcope.connect(database_url)
    client.add_user("alice")
    f = tmp_path / "keepa.json"
    f.write_text(json.dumps({"products": [product()]}))
    first = client.import_keepa(f, user="alice")
    assert [(r["asin"], r["created"], r["inserted"]) for r in first] == [("B0KEEPAPY1", True, len(ours(product())))]
    again = client.import_keepa(str(f))
    assert (again[0]["created"], again[0]["inserted"]) == (False, 0)

    out = tmp_path / "k.parquet"
    n = client.export(out, asin="B0KEEPAPY1", marketplace="com")
    assert n == first[0]["points"]
    table = pq.read_table(out)
    assert table.num_rows == n
    assert set(table.column("source").to_pylist()) == {"keepa"}
    assert str(table.schema.field("price").type) == "decimal128(10, 2)"
    daily = tmp_path / "d.csv"
    days = {r["time"].astimezone(UTC).date() for r in ours(product())}
    assert len(days) == 10
    assert client.export(daily, asin="B0KEEPAPY1", daily=True, format="csv") == len(days)
    assert daily.read_text().splitlines()[0].startswith("asin,marketplace,day,")
