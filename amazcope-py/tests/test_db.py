"""Against real PostgreSQL (DATABASE_URL; a new database per test): track -> import ->
alerts, Arrow types, tenancy, errors from their real causes, GIL release during a query."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

import amazcope
from amazcope import errors
from conftest import REPO, runs_while

PAGE = "com_dp_B07FNW9FGJ.html"
ASIN = "B07FNW9FGJ"
T1 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
T2 = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.timezone.utc)


def cheaper_copy(pages: Path, tmp: Path) -> tuple[Path, Decimal, Decimal]:
    """The fixture page and a copy of it whose price text is 40% lower."""
    html = (pages / PAGE).read_text(encoding="utf-8")
    old = amazcope.parse(html).price
    assert old is not None and old > 1
    new = (old * Decimal("0.6")).quantize(Decimal("0.01"))
    text = re.sub(re.escape(f"{old:.2f}"), f"{new:.2f}", html)
    whole_old, frac_old = f"{old:.2f}".split(".")
    whole_new, frac_new = f"{new:.2f}".split(".")
    # The price is also shown split into whole and fraction spans.
    text = re.sub(
        rf'(a-price-whole">){whole_old}(<span class="a-price-decimal">\.</span></span><span class="a-price-fraction">){frac_old}',
        rf"\g<1>{whole_new}\g<2>{frac_new}",
        text,
    )
    out = tmp / f"cheaper_{PAGE}"
    out.write_text(text, encoding="utf-8")
    assert amazcope.parse(text).price == new, "the edited copy does not show the new price"
    return out, old, new


def test_track_import_alerts_round_trip(database_url: str, pages: Path, tmp_path: Path) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    row = client.track("ana", ASIN, "com", price_threshold=5.0, target_price=Decimal("1000.00"))
    assert row["asin"] == ASIN and row["price_change_threshold"] == 5.0
    assert row["target_price"] == Decimal("1000.00")

    cheaper, old, new = cheaper_copy(pages, tmp_path)
    first = client.import_pages([pages / PAGE], "ana", scraped_at=T1)
    assert first["snapshots"] == 1 and first["errors"] == []
    again = client.import_pages([pages / PAGE], "ana", scraped_at=T1)
    assert again["snapshots"] == 0 and again["duplicates"] == 1
    second = client.import_pages([str(cheaper)], "ana", scraped_at=T2)
    assert second["snapshots"] == 1 and second["alerts"] >= 1

    alerts = client.alerts("ana")
    assert isinstance(alerts, pa.Table)
    kinds = alerts.column("alert_type").to_pylist()
    assert "price_change" in kinds, kinds
    price_alert = alerts.filter(pa.compute.equal(alerts.column("alert_type"), "price_change"))
    assert price_alert.column("asin").to_pylist() == [ASIN]
    assert price_alert.column("change_percentage").to_pylist()[0] < -5.0
    assert price_alert.column("created_at").to_pylist()[0] == T2

    notes = client.notifications("ana", unread=True)
    assert notes.num_rows == alerts.num_rows
    assert client.mark_read("ana") == alerts.num_rows
    assert client.alerts("ana", unread=True).num_rows == 0

    tracked = client.tracked("ana")
    assert tracked.column("asin").to_pylist() == [ASIN]
    assert tracked.column("price").to_pylist() == [new]

    hist = client.history(ASIN, "com", days=100000, user="ana")
    assert hist.column("scraped_at").to_pylist() == [T1, T2]
    assert hist.column("price").to_pylist() == [old, new]


def test_history_arrow_types_are_exact(database_url: str, pages: Path) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.track("ana", ASIN)
    client.import_pages([pages / PAGE], "ana", scraped_at=T1)
    t = client.history(ASIN, days=100000, user="ana")
    assert t.schema.field("price").type == pa.decimal128(10, 2)
    assert t.schema.field("original_price").type == pa.decimal128(10, 2)
    assert t.schema.field("scraped_at").type == pa.timestamp("us", tz="UTC")
    assert t.schema.field("bsr").type == pa.int32()
    assert t.schema.field("in_stock").type == pa.bool_()
    # The Arrow PyCapsule stream interface is what carries it.
    assert hasattr(t, "__arrow_c_stream__")
    df = amazcope.to_pandas(t)
    assert str(df["scraped_at"].dtype) in ("datetime64[us, UTC]", "datetime64[ns, UTC]")
    assert isinstance(df["price"].iloc[0], Decimal)
    pl_df = amazcope.to_polars(t)
    assert str(pl_df.schema["price"]).startswith("Decimal")
    assert str(pl_df.schema["scraped_at"]) == "Datetime(time_unit='us', time_zone='UTC')"


def test_second_user_sees_nothing_of_the_first(database_url: str, pages: Path, tmp_path: Path) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.add_user("bob")
    client.track("ana", ASIN, price_threshold=5.0)
    cheaper, _, _ = cheaper_copy(pages, tmp_path)
    client.import_pages([pages / PAGE], "ana", scraped_at=T1)
    client.import_pages([cheaper], "ana", scraped_at=T2)
    assert client.alerts("ana").num_rows >= 1
    assert client.alerts("bob").num_rows == 0
    assert client.notifications("bob").num_rows == 0
    assert client.tracked("bob").num_rows == 0
    with pytest.raises(errors.NotFound):
        client.history(ASIN, "com", user="bob")
    alert_id = client.alerts("ana").column("id").to_pylist()[0]
    with pytest.raises(errors.NotFound):
        client.mark_read("bob", alert_id)
    assert client.alerts("ana", unread=True).num_rows >= 1


def test_errors_come_from_their_real_causes(database_url: str) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    with pytest.raises(errors.ValidationError) as bad_asin:
        client.track("ana", "B0-NOT-AN-ASIN")
    assert bad_asin.value.field == "asin" and bad_asin.value.value == "B0-NOT-AN-ASIN"
    with pytest.raises(errors.ValidationError) as bad_threshold:
        client.track("ana", ASIN, price_threshold=101.0)
    assert bad_threshold.value.field == "price_change_threshold"
    with pytest.raises(ValueError):
        client.track("ana", ASIN, "amazon.xx")
    with pytest.raises(errors.NotFound) as missing:
        client.tracked("nobody")
    assert isinstance(missing.value, LookupError) and missing.value.entity == "user"
    client.track("ana", ASIN)
    with pytest.raises(errors.ConflictError):
        client.track("ana", ASIN)
    with pytest.raises(errors.ConflictError):
        client.add_user("ana")
    with pytest.raises(errors.DatabaseError):
        amazcope.connect("postgres://postgres@127.0.0.1:1/nothing")
    for cls in (errors.ValidationError, errors.NotFound, errors.ConflictError, errors.DatabaseError):
        assert issubclass(cls, errors.AmazcopeError)
    assert issubclass(errors.CaptchaError, errors.FetchError)


def test_db_namespace(database_url: str) -> None:
    client = amazcope.connect(database_url)
    newest = max(int(p.name[:4]) for p in (REPO / "migrations").glob("*.up.sql"))
    assert client.db.current() == newest
    client.db.upgrade()
    sizes = client.db.stats()
    assert "product_snapshots" in sizes.column("table").to_pylist()
    parts = client.db.partitions()
    assert parts.num_rows > 0
    assert parts.schema.field("month_start").type == pa.timestamp("us", tz="UTC")


def test_queries_release_the_gil(database_url: str) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    assert runs_while(lambda: client.users())


def test_history_equals_a_direct_read_across_slices(database_url: str) -> None:
    """history() reads in parallel time slices; together they must be exactly the rows of one
    ordered SELECT: every row once, in order, with NULLs, negative-free cents and µs times."""
    import psycopg

    client = amazcope.connect(database_url)
    client.add_user("ana")
    product = client.track("ana", ASIN)["product_id"]
    with psycopg.connect(database_url, autocommit=True) as c:
        c.execute(
            """INSERT INTO product_snapshots
                 (product_id, scraped_at, price, original_price, currency, bsr_main_category,
                  bsr_small_category, rating, review_count, in_stock, is_prime, price_quality,
                  list_price_quality, bsr_quality, rating_quality, review_count_quality,
                  stock_quality, page_asin)
               SELECT %s, now() - interval '60 days' + g * interval '37 minutes 0.000123 seconds',
                      CASE WHEN g %% 7 = 0 THEN NULL ELSE round((g %% 100000)::numeric / 7, 2) END,
                      CASE WHEN g %% 3 = 0 THEN 12345678.90 ELSE NULL END, 'EUR',
                      NULLIF(g %% 5, 0) * 1000, NULL, CASE WHEN g %% 2 = 0 THEN 4.5 END,
                      g, g %% 4 <> 0, g %% 2 = 0,
                      CASE WHEN g %% 7 = 0 THEN 'absent' WHEN g %% 11 = 0 THEN NULL ELSE 'ok' END,
                      CASE WHEN g %% 3 = 0 THEN 'ok' ELSE 'absent' END, 'ok', 'ok', 'ok',
                      CASE WHEN g %% 13 = 0 THEN 'unparsed' ELSE 'ok' END,
                      CASE WHEN g %% 17 = 0 THEN 'B000000017' END
                 FROM generate_series(0, 2300) g""",
            (product,),
        )
        cur = c.execute(
            """SELECT scraped_at, price, original_price, currency, bsr_main_category,
                      bsr_small_category, rating, review_count, in_stock, is_prime, price_quality,
                      list_price_quality, bsr_quality, rating_quality, review_count_quality,
                      stock_quality, page_asin
                 FROM product_snapshots WHERE product_id = %s AND scraped_at >= now() - interval '50 days'
                ORDER BY scraped_at""",
            (product,),
        )
        expected = cur.fetchall()
    t = client.history(ASIN, days=50, user="ana")
    assert t.num_rows == len(expected) > 1000
    assert t.column("scraped_at").num_chunks > 1, "the read was not sliced"
    # Raw rows only (no rollup was written by the direct INSERT): each says so.
    assert set(t.column("resolution").to_pylist()) == {"raw"}
    t = t.drop_columns(["resolution"])
    got = list(zip(*(t.column(i).to_pylist() for i in range(t.num_columns))))
    expected = [(r[0].astimezone(dt.timezone.utc), *r[1:]) for r in expected]
    assert got == expected


def test_read_url_that_is_down_falls_back_to_the_primary(database_url: str, pages: Path) -> None:
    # A read replica nobody listens on: the history still reads, from the primary.
    client = amazcope.connect(database_url, read_url="postgres://amazcope@127.0.0.1:9/none")
    client.add_user("ana")
    client.track("ana", ASIN, "com")
    client.import_pages([pages / PAGE], "ana", scraped_at=T1)
    hist = client.history(ASIN, "com", days=100000, user="ana")
    assert hist.column("scraped_at").to_pylist() == [T1]
    with pytest.raises(amazcope.errors.AmazcopeError):
        amazcope.connect(database_url, read_url="not a url")


def test_search_finds_imported_products(database_url: str, pages: Path) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.add_user("bo")
    client.import_pages(sorted(str(p) for p in pages.glob("*_dp_*.html")), "ana", scraped_at=T1)
    hits = client.search("relays modules")
    assert isinstance(hits, pa.Table)
    assert hits.column("asin").to_pylist()[0] == "B0057OC5O8"
    assert hits.column("matched").to_pylist()[0] == "text"
    assert client.search("b0057oc5o8").column("matched").to_pylist() == ["asin"]
    assert client.search("kindel paperwite").column("asin").to_pylist()[0] == "B00OQVZDJM"
    de = client.search("Schutzhülle", marketplace="de")
    assert de.column("marketplace").to_pylist() == ["de"]
    client.track("ana", "B0057OC5O8", "com")
    assert client.search("relay", user="ana").column("asin").to_pylist() == ["B0057OC5O8"]
    assert client.search("relay", user="bo").num_rows == 0
    with pytest.raises(ValueError):
        client.search("   ")
