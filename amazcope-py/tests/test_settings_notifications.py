"""Settings and notifications from Python against real PostgreSQL (a new database per test):
values read back, validation before any change, and a second user who sees none of it."""

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from amazcope import errors
from test_db import ASIN, PAGE, T2
from test_insights import two_snapshots


def test_settings_read_update_and_validate(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, _, _ = two_snapshots(database_url, pages, tmp_path)
    s = client.settings("ana")
    assert s["default_price_threshold"] == 10.0 and s["theme"] != "dark"
    changed = client.update_settings("ana", default_price_threshold=5.5, theme="dark", daily_summary_emails=True)
    assert (changed["default_price_threshold"], changed["theme"], changed["daily_summary_emails"]) == (
        5.5,
        "dark",
        True,
    )
    assert client.settings("ana") == changed
    assert client.settings("bob")["default_price_threshold"] == 10.0, "bob's settings are his own"
    assert client.settings("bob")["theme"] != "dark"

    for bad, field in (
        ({"default_price_threshold": 101.0}, "default_price_threshold"),
        ({"no_such_setting": 1}, "settings"),
        ({"products_per_page": "many"}, "settings"),
    ):
        with pytest.raises(errors.ValidationError) as e:
            client.update_settings("ana", **bad)
        assert e.value.field == field, bad
    with pytest.raises(errors.ValidationError, match="no_such_setting.*is not a setting"):
        client.update_settings("ana", no_such_setting=1)
    assert client.settings("ana") == changed, "a refused change changes nothing"
    assert client.update_settings("ana") == changed, "no keywords: nothing to change"
    with pytest.raises(errors.NotFound):
        client.settings("nobody")


def test_notifications_list_and_mark_read_per_user(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, _, _ = two_snapshots(database_url, pages, tmp_path)
    alerts = client.alerts("ana")
    notes = client.notifications("ana")
    assert isinstance(notes, pa.Table) and notes.num_rows == alerts.num_rows >= 1
    assert notes.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert notes.schema.field("is_read").type == pa.bool_()
    assert sorted(notes.column("alert_id").to_pylist()) == sorted(alerts.column("id").to_pylist())
    assert notes.column("is_read").to_pylist() == [False] * notes.num_rows
    assert client.notifications("bob").num_rows == 0

    first = notes.column("id").to_pylist()[0]
    with pytest.raises(errors.NotFound):
        client.mark_notifications_read("bob", first)
    assert client.mark_notifications_read("bob") == 0
    assert client.notifications("ana", unread=True).num_rows == notes.num_rows, "bob changed nothing"

    assert client.mark_notifications_read("ana", first) == 1
    unread = client.notifications("ana", unread=True)
    assert first not in unread.column("id").to_pylist()
    assert unread.num_rows == notes.num_rows - 1
    assert client.mark_notifications_read("ana") == notes.num_rows - 1
    assert client.notifications("ana", unread=True).num_rows == 0
    assert client.notifications("ana").column("is_read").to_pylist() == [True] * notes.num_rows
    with pytest.raises(errors.ValidationError):
        client.mark_notifications_read("ana", "not-a-uuid")


def test_reset_settings_restores_the_defaults_for_that_user_only(
    database_url: str, pages: Path, tmp_path: Path
) -> None:
    client, _, _ = two_snapshots(database_url, pages, tmp_path)
    defaults = client.settings("ana")
    client.update_settings("ana", default_price_threshold=3.0, theme="dark")
    client.update_settings("bob", default_price_threshold=7.0)
    reset = client.reset_settings("ana")
    assert (reset["default_price_threshold"], reset["theme"]) == (defaults["default_price_threshold"], defaults["theme"])
    assert reset["id"] == defaults["id"], "the same row, reset"
    assert client.settings("ana") == reset
    assert client.settings("bob")["default_price_threshold"] == 7.0, "bob's settings are left alone"


def test_delete_and_purge_notifications_per_user(database_url: str, pages: Path, tmp_path: Path) -> None:
    import psycopg

    client, _, _ = two_snapshots(database_url, pages, tmp_path)
    # Two more price moves, seen by both: ana has three notifications, bob two of his own.
    client.track("bob", ASIN, price_threshold=5.0)
    client.import_pages([pages / PAGE], "ana", scraped_at=T2 + dt.timedelta(days=1))
    client.import_pages([tmp_path / f"cheaper_{PAGE}"], "ana", scraped_at=T2 + dt.timedelta(days=2))
    ana_ids = client.notifications("ana").column("id").to_pylist()
    bob_ids = client.notifications("bob").column("id").to_pylist()
    assert len(ana_ids) >= 3 and len(bob_ids) >= 2

    with pytest.raises(errors.NotFound):
        client.delete_notification("bob", ana_ids[0])
    client.delete_notification("ana", ana_ids[0])
    assert client.notifications("ana").column("id").to_pylist() == ana_ids[1:]
    with pytest.raises(errors.NotFound):
        client.delete_notification("ana", ana_ids[0])

    # The notifications date from the pages' scraped_at (months ago): make them all new,
    # then age one of ana's by 40 days, so a 30-day purge takes only it.
    with psycopg.connect(database_url, autocommit=True) as c:
        c.execute(
            "UPDATE notifications SET created_at = now() - CASE WHEN id = %s THEN interval '40 days' ELSE '0' END",
            (ana_ids[1],),
        )
    assert client.purge_notifications("ana", 30) == 1
    assert sorted(client.notifications("ana").column("id").to_pylist()) == sorted(ana_ids[2:])
    assert client.purge_notifications("ana", 0) == len(ana_ids) - 2, "0 days: every one"
    assert client.notifications("ana").num_rows == 0
    assert sorted(client.notifications("bob").column("id").to_pylist()) == sorted(bob_ids), "bob's stay"
    assert client.purge_notifications("bob", 0) == len(bob_ids)
    with pytest.raises(errors.ValidationError) as negative:
        client.purge_notifications("ana", -1)
    assert negative.value.field == "older_than_days"
