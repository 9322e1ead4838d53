"""Shared fixtures: the saved Amazon pages and a fresh PostgreSQL database per test."""

import os
import sys
import threading
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]


def fixtures_dir() -> Path:
    """The saved pages: $AMAZCOPE_FIXTURES or ../shared/fixtures/pages. Missing is an error."""
    d = Path(os.environ.get("AMAZCOPE_FIXTURES") or REPO.parent / "shared" / "fixtures" / "pages")
    if not (d / "TRUTH.tsv").is_file():
        raise RuntimeError(f"the saved Amazon pages are not at {d} (set AMAZCOPE_FIXTURES)")
    return d


@pytest.fixture(scope="session")
def pages() -> Path:
    return fixtures_dir()


def server_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("DATABASE_URL is not set; the PostgreSQL tests need a server")
    return url


def _with_db(url: str, name: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


def pgbouncer() -> str | None:
    """`host:port` of the PgBouncer the run goes through (scripts/test-python starts one in
    transaction pooling mode when AMAZCOPE_PGBOUNCER names the binary), else None."""
    return os.environ.get("AMAZCOPE_TEST_PGBOUNCER") or None


def pooled(url: str) -> str:
    """`url` through the run's PgBouncer when there is one (same user, password and
    database; the server's socket folder or port are PgBouncer's business), else `url`."""
    address = pgbouncer()
    if address is None:
        return url
    from urllib.parse import urlsplit, urlunsplit

    u = urlsplit(url)
    auth = u.netloc.rsplit("@", 1)[0] + "@" if "@" in u.netloc else ""
    # `?host=` and `?port=` name the server; every other parameter stays.
    query = "&".join(p for p in u.query.split("&") if p and not p.startswith(("host=", "port=")))
    return urlunsplit((u.scheme, auth + address, u.path, query, ""))


@pytest.fixture(scope="session")
def template_db() -> Iterator[str]:
    """A database migrated once by amazcope itself, copied for each test: migrating takes
    about 1.5 s, a copy a third of that."""
    import psycopg

    import amazcope

    url = server_url()
    name = f"amazcope_py_tpl_{uuid.uuid4().hex[:12]}"
    admin = _with_db(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        amazcope.connect(_with_db(url, name), upgrade=True)
        with psycopg.connect(admin, autocommit=True) as conn:
            # The migrating client's pool is still open; a template must have no sessions.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _scratch_database(template: str | None) -> Iterator[str]:
    """A new database on the DATABASE_URL server (a copy of `template`, else empty), dropped
    afterwards; yields its direct URL."""
    import psycopg

    url = server_url()
    name = f"amazcope_py_{uuid.uuid4().hex[:12]}"
    admin = _with_db(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield _with_db(url, name)
    finally:
        # WITH (FORCE) also ends PgBouncer's server connections to it.
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(template_db: str) -> Iterator[str]:
    """A new database on the DATABASE_URL server with the schema applied, dropped after
    the test. Through the run's PgBouncer when there is one (`pooled`)."""
    for url in _scratch_database(template_db):
        yield pooled(url)


@pytest.fixture
def direct_database_url(template_db: str) -> Iterator[str]:
    """As `database_url`, but always on the server itself: backups (`pg_dump` keeps session
    settings, which a transaction-mode pooler would hand on to other clients)."""
    yield from _scratch_database(template_db)


@pytest.fixture
def empty_database_url() -> Iterator[str]:
    """A new EMPTY database on the server itself (no schema), dropped after the test."""
    yield from _scratch_database(None)


def runs_while(call: Callable[[], object], rounds: int = 20) -> bool:
    """Whether another Python thread gets to run while `call` runs on this one.

    A watcher thread blocks on an event; we set it and make the call. With the switch interval
    raised to 10 s the interpreter does not take the GIL from us on its own, so the watcher
    can only record `True` if `call` released the GIL. Without release it records `False`
    after the call; never a timing assertion.
    """
    old = sys.getswitchinterval()
    sys.setswitchinterval(10.0)
    try:
        for _ in range(rounds):
            state = {"calling": False}
            seen: list[bool] = []
            go = threading.Event()

            def watch() -> None:
                go.wait()
                seen.append(state["calling"])

            t = threading.Thread(target=watch)
            t.start()
            state["calling"] = True
            go.set()
            call()
            state["calling"] = False
            t.join()
            if seen == [True]:
                return True
        return False
    finally:
        sys.setswitchinterval(old)
