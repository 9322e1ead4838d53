"""SQL injection attempts through every string the Python client takes (user names, ASINs,
search text, category names, channel targets and secrets) are plain data: stored byte-exact
and read back equal, or refused with `ValidationError`; every table is intact afterwards.
The command line's counterpart is examples/tests/cli_db.rs
`sql_in_user_names_asins_and_emails_is_plain_data`."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

import amazcope
from amazcope.errors import NotFound, ValidationError

ASIN = "B07FNW9FGJ"

HOSTILE = [
    "'; DROP TABLE products; --",
    "' OR '1'='1",
    "' OR 1=1 --",
    "$$",
    "$tag$ DROP TABLE users $tag$",
    "\\x00",
    "\\'; DELETE FROM users; --",
    '"; DROP TABLE "users"; --',
    "1); TRUNCATE user_products CASCADE; --",
    "%_%",
    "ünïcødé 商品 😀 \u202e evil",
    "'||(SELECT pg_sleep(5))||'",
    "Robert'); DROP TABLE alerts;--",
]
# The same attempts without white space: user names may not contain spaces.
HOSTILE_NAMES = sorted({h.replace(" ", "") for h in HOSTILE if h.strip()})


def table_state(url: str) -> dict[str, Any]:
    """Every table of the schema and the row count of the ones the attempts aim at."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = sorted(
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
        )
        counts = {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # type: ignore[index]
            for t in ("users", "products", "user_products", "alerts", "notifications", "notification_channels")
        }
    return {"tables": tables, "counts": counts}


def test_hostile_user_names_are_stored_byte_exact_or_refused(database_url: str) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.track("ana", ASIN)
    before = table_state(database_url)
    assert {"users", "products", "user_products", "alerts"} <= set(before["tables"])

    stored = []
    for name in HOSTILE_NAMES:
        if len(name) > 100:
            continue
        made = client.add_user(name)
        assert made["username"] == name, "the name comes back byte-exact"
        stored.append(name)
        assert client.settings(name)["user_id"] == str(made["id"])
        row = client.track(name, ASIN)
        assert row["asin"] == ASIN
        assert client.tracked(name).column("asin").to_pylist() == [ASIN]
    for name in HOSTILE:
        if " " in name:
            with pytest.raises(ValidationError, match="space"):
                client.add_user(name)
    with pytest.raises(ValidationError):
        client.add_user("nul\x00name")

    users = client.users().column("username").to_pylist()
    for name in stored:
        assert users.count(name) == 1, f"{name!r} is stored exactly once, byte-exact"
    with psycopg.connect(database_url, autocommit=True) as conn:
        in_db = {r[0] for r in conn.execute("SELECT username FROM users").fetchall()}
    assert set(stored) <= in_db
    after = table_state(database_url)
    assert after["tables"] == before["tables"], "no table dropped or added"
    assert after["counts"]["users"] == before["counts"]["users"] + len(stored)
    assert after["counts"]["user_products"] == before["counts"]["user_products"] + len(stored)
    assert after["counts"]["products"] == before["counts"]["products"], "one product, tracked by all"
    # The attempts did not act on other users: ana still tracks her product alone.
    assert client.tracked("ana").column("asin").to_pylist() == [ASIN]
    # A hostile name that was never stored is not found, not a match of everyone.
    with pytest.raises(NotFound):
        client.tracked("'OR'1'='1'--")


@pytest.mark.parametrize("attempt", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_asins_are_refused_and_search_text_is_plain_data(database_url: str, attempt: str) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.track("ana", ASIN)
    before = table_state(database_url)
    with pytest.raises(ValidationError):
        client.track("ana", attempt)
    with pytest.raises(ValidationError):
        client.history(attempt, user="ana")
    with pytest.raises(ValidationError):
        client.compare([ASIN, attempt], user="ana")
    # Search text is words: an attempt finds nothing (the catalogue has no such words), and
    # never everything.
    for kw in ({}, {"user": "ana"}, {"marketplace": "com"}):
        found = client.search(attempt, **kw)
        assert found.num_rows == 0, f"{attempt!r} matched {found.column('asin').to_pylist()}"
    # Category names are data too: no such category is the answer, nothing dropped.
    with pytest.raises(ValidationError, match="no category"):
        client.category_metrics(category=attempt)
    assert table_state(database_url) == before


def test_hostile_channel_targets_and_secrets_are_stored_byte_exact(database_url: str) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.add_user("bob")
    bob = client.add_channel("bob", webhook="http://127.0.0.1:9/bob")
    before = table_state(database_url)
    stored: dict[str, tuple[str, str | None]] = {}
    for i, attempt in enumerate(HOSTILE):
        hook = "http://127.0.0.1:9/hook?q=" + attempt.replace(" ", "%20")
        try:
            ch = client.add_channel("ana", webhook=hook, secret=attempt)
        except ValidationError:
            continue  # refused as a URL: fine, checked below that nothing was written
        stored[ch["id"]] = (hook, attempt)
        local = attempt.replace(" ", "").replace("@", "")[:40] or "x"
        mail = f"{local}{i}@example.com"
        try:
            ch = client.add_channel("ana", email=mail)
        except ValidationError:
            continue
        stored[ch["id"]] = (mail, None)
    assert len(stored) >= len(HOSTILE), "most attempts are valid URLs and are kept as data"
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id::text, target, secret FROM notification_channels WHERE id::text = ANY(%s)",
            (list(stored),),
        ).fetchall()
    got = {r[0]: (r[1], r[2]) for r in rows}
    assert set(got) == set(stored)
    for cid, (target, secret) in stored.items():
        assert got[cid][0] == target, "the target is stored byte-exact"
        if secret is not None:
            assert got[cid][1] == secret, "the secret is stored byte-exact"
    assert len(client.channels("ana")) == len(stored)
    assert [c["id"] for c in client.channels("bob")] == [bob["id"]], "bob's channel untouched"
    after = table_state(database_url)
    assert after["tables"] == before["tables"]
    assert after["counts"]["notification_channels"] == before["counts"]["notification_channels"] + len(stored)
    assert after["counts"]["users"] == before["counts"]["users"]
