"""The run goes through PgBouncer when scripts/test-python started one (issue 18): the
per-test databases are reached through it in transaction pooling mode, with prepared
statements on, and a client's work (migrating included) leaves no session state behind."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import pytest

import amazcope
from conftest import _with_db, pgbouncer, server_url


def console(address: str) -> psycopg.Connection:
    host, port = address.split(":")
    user = unquote(urlsplit(server_url()).username or "postgres")
    return psycopg.connect(host=host, port=int(port), user=user, dbname="pgbouncer", autocommit=True)


def rows(conn: psycopg.Connection, command: str) -> list[dict[str, object]]:
    cur = conn.execute(command)
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def test_tests_reach_their_database_through_pgbouncer_in_transaction_mode(database_url: str, pages: Path) -> None:
    address = pgbouncer()
    if address is None:
        if os.environ.get("AMAZCOPE_PGBOUNCER"):
            pytest.fail("AMAZCOPE_PGBOUNCER is set but no PgBouncer was started (AMAZCOPE_TEST_PGBOUNCER)")
        pytest.skip("this run is not behind PgBouncer (scripts/test runs the suite through one)")
    assert urlsplit(database_url).netloc.endswith("@" + address), database_url
    name = urlsplit(database_url).path.lstrip("/")

    client = amazcope.connect(database_url, upgrade=True)  # the migration lock, through it
    client.add_user("alice")
    client.track("alice", "B07FNW9FGJ", "com")
    client.import_pages([pages / "com_dp_B07FNW9FGJ.html"], "alice")
    assert client.db.current() is not None
    for _ in range(6):  # a user's reads, on whichever server connection each one gets
        assert client.tracked("alice").num_rows == 1

    with console(address) as c:
        config = {r["key"]: r["value"] for r in rows(c, "SHOW CONFIG")}
        assert config["pool_mode"] == "transaction"
        assert int(str(config["max_prepared_statements"])) > 0
        stats = [r for r in rows(c, "SHOW STATS") if r["database"] == name]
        assert stats and int(str(stats[0]["total_xact_count"])) > 10, stats

    # From the server itself: no advisory lock, temporary table or open transaction is left
    # on the pooled server connections of this database.
    direct = _with_db(server_url(), name)
    with psycopg.connect(direct, autocommit=True) as conn:
        left = conn.execute(
            "SELECT (SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "        WHERE l.locktype = 'advisory' AND d.datname = current_database()), "
            "       (SELECT count(*) FROM pg_class WHERE relpersistence = 't'), "
            "       (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "        AND state LIKE 'idle in transaction%')"
        ).fetchone()
    assert left == (0, 0, 0), "advisory locks, temporary tables, open transactions"
