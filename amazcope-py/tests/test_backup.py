"""`client.db.backup(path)` and `client.db.restore(path)` (issue 18): `pg_dump`/`pg_restore`
through amazcope-pg's backup module, as `amazcope db backup --out FILE` / `db restore FILE`.

Backups run on the server's own URL (`direct_database_url`), never through the run's
PgBouncer: `pg_dump` sets session settings that a transaction-mode pooler would hand on to
other clients (docs/scaling.md).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import psycopg
import pytest

import amazcope
from amazcope.errors import ConflictError, ValidationError

ASINS = ["B07FNW9FGJ", "B0057OC5O8"]
AT = datetime.datetime(2025, 3, 1, 12, tzinfo=datetime.timezone.utc)


def counts(url: str) -> dict[str, int]:
    """Exact rows of every top-level table of the public schema."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
            ).fetchall()
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]


def fill(url: str, pages: Path) -> amazcope.Client:
    client = amazcope.connect(url)
    client.add_user("alice")
    for asin in ASINS:
        client.track("alice", asin, "com")
    client.import_pages([pages / f"com_dp_{a}.html" for a in ASINS], "alice", scraped_at=AT)
    client.import_pages([pages / f"com_dp_{a}.html" for a in ASINS], "alice", scraped_at=AT + datetime.timedelta(days=1))
    return client


def test_backup_then_restore_into_an_empty_database_brings_back_every_row(
    direct_database_url: str, empty_database_url: str, pages: Path, tmp_path: Path
) -> None:
    client = fill(direct_database_url, pages)
    before = counts(direct_database_url)
    assert before["product_snapshots"] == 4 and before["users"] == 1 and before["user_products"] == 2

    dump = tmp_path / "shop.dump"
    manifest = client.db.backup(dump)
    assert dump.is_file() and dump.stat().st_size > 0
    assert not (tmp_path / "shop.dump.partial").exists()
    on_disk = json.loads((tmp_path / "shop.dump.manifest.json").read_text())
    assert on_disk["tables"] == manifest["tables"] == before
    assert manifest["dump"] == "shop.dump"
    assert "@" in manifest["source"] and manifest["source"].endswith(direct_database_url.split("?")[0].rsplit("/", 1)[1])

    target = amazcope.connect(empty_database_url, upgrade=False)
    assert counts(empty_database_url) == {}
    report = target.db.restore(dump)
    assert report["manifest"]["tables"] == before
    assert counts(empty_database_url) == before
    # The restored database is one amazcope works with: schema current, data readable.
    assert target.db.current() == client.db.current()
    assert sorted(target.users().column("username").to_pylist()) == ["alice"]


def test_restore_refuses_a_database_that_is_not_empty_and_writes_nothing(
    direct_database_url: str, pages: Path, tmp_path: Path
) -> None:
    client = fill(direct_database_url, pages)
    dump = tmp_path / "again.dump"
    client.db.backup(dump)
    before = counts(direct_database_url)
    with pytest.raises(ConflictError) as e:
        client.db.restore(dump)
    assert "not empty" in str(e.value) and "empty database" in str(e.value), str(e.value)
    assert counts(direct_database_url) == before


def test_restore_of_a_missing_file_or_a_dump_without_manifest_is_a_validation_error(
    empty_database_url: str, direct_database_url: str, tmp_path: Path
) -> None:
    target = amazcope.connect(empty_database_url, upgrade=False)
    missing = tmp_path / "nowhere.dump"
    with pytest.raises(ValidationError) as e:
        target.db.restore(missing)
    assert e.value.field == "path" and "no such file" in str(e.value) and str(missing) in str(e.value)

    with pytest.raises(ValidationError) as e:
        target.db.restore(tmp_path)
    assert "not a file" in str(e.value)

    # A real dump whose manifest was lost: the counts could not be checked, so no restore.
    dump = tmp_path / "lost.dump"
    amazcope.connect(direct_database_url).db.backup(dump)
    (tmp_path / "lost.dump.manifest.json").unlink()
    with pytest.raises(ValidationError) as e:
        target.db.restore(dump)
    assert "manifest" in str(e.value), str(e.value)

    (tmp_path / "lost.dump.manifest.json").write_text("{not json")
    with pytest.raises(ValidationError) as e:
        target.db.restore(dump)
    assert "manifest" in str(e.value), str(e.value)
    assert counts(empty_database_url) == {}, "nothing written"


def test_backup_into_a_missing_folder_or_onto_a_folder_is_a_validation_error(
    direct_database_url: str, tmp_path: Path
) -> None:
    db = amazcope.connect(direct_database_url).db
    with pytest.raises(ValidationError) as e:
        db.backup(tmp_path / "no" / "such" / "x.dump")
    assert e.value.field == "path" and "folder does not exist" in str(e.value)
    with pytest.raises(ValidationError) as e:
        db.backup(tmp_path)
    assert "folder" in str(e.value)
    with pytest.raises(ValidationError):
        db.backup("")
    assert list(tmp_path.iterdir()) == [], "nothing left behind"
