"""Wrong types and bad values at every public call of the wheel give `TypeError` or amazcope's
`ValidationError` (a `ValueError`), never a `PanicException` (a `BaseException`, which no
`except Exception` catches) and never a crash. SQL injection attempts are plain data.

Every public method of `Client` and `Db` and every module-level function has an entry in
`SPECS`; `test_every_public_call_has_bad_input_cases` fails when a new one is added without
cases. Each entry names a valid baseline call and what kind each parameter is; the cases are
the baseline with ONE argument replaced by a wrong type or a bad value, so the error can only
come from that argument (the baseline itself is checked to be accepted).
"""

from __future__ import annotations

import datetime
import inspect
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator

import psycopg
import pytest

import amazcope
from amazcope import _amazcope
from amazcope.errors import AmazcopeError, NotFound, ValidationError

ASIN = "B07FNW9FGJ"
USER = "alice"
UTC = datetime.timezone.utc
NOW = datetime.datetime(2025, 1, 1, tzinfo=UTC)
CLOSED = "http://127.0.0.1:9"  # nothing listens there: a fetch fails fast, never leaves the machine
# A well-formed id that names nothing: the baseline of every id argument (NotFound).
NO_ID = "00000000-0000-4000-8000-000000000000"

# What a case expects.
TYPE = "TypeError"  # the argument has the wrong Python type
INVALID = "ValidationError"  # the right type, a value that breaks its rule
RANGE = "ValidationError or OverflowError"  # an integer outside the parameter's machine range
SAFE = "no panic"  # may succeed or raise any amazcope/builtin error: only no panic, no crash

NUL = "a\x00b"
HUGE = 10**30  # past every machine integer

# Bad values per parameter kind: (label, value, expectation). Wrong types come first.
KINDS: dict[str, list[tuple[str, Any, str]]] = {
    "user": [
        ("int", 1, TYPE),
        ("None", None, TYPE),
        ("list", [USER], TYPE),
        ("bytes", USER.encode(), TYPE),
        ("empty", "", INVALID),
        ("blank", "   ", INVALID),
        ("NUL", NUL, INVALID),
        ("space", "al ice", INVALID),
        ("too long", "u" * 256, INVALID),
        ("100k chars", "u" * 100_000, INVALID),
    ],
    "user?": [
        ("int", 1, TYPE),
        ("list", [USER], TYPE),
        ("empty", "", INVALID),
        ("NUL", NUL, INVALID),
        ("too long", "u" * 256, INVALID),
    ],
    "asin": [
        ("int", 12345, TYPE),
        ("None", None, TYPE),
        ("list", [ASIN], TYPE),
        ("empty", "", INVALID),
        ("B0", "B0", INVALID),
        ("NUL", ASIN + "\x00", INVALID),
        ("11 chars", ASIN + "X", INVALID),
        ("sql", "'; DROP TABLE products; --", INVALID),
        ("url without asin", "https://www.amazon.com/s?k=x", INVALID),
        ("100k chars", "B" * 100_000, INVALID),
    ],
    "asin?": [
        ("int", 12345, TYPE),
        ("list", [ASIN], TYPE),
        ("empty", "", INVALID),
        ("B0", "B0", INVALID),
        ("NUL", ASIN + "\x00", INVALID),
    ],
    "marketplace?": [
        ("int", 1, TYPE),
        ("list", ["com"], TYPE),
        ("empty", "", INVALID),
        ("unknown", "zz", INVALID),
        ("NUL", "com\x00", INVALID),
        ("sql", "com' OR '1'='1", INVALID),
    ],
    "marketplace": [
        ("int", 1, TYPE),
        ("None", None, TYPE),
        ("empty", "", INVALID),
        ("unknown", "zz", INVALID),
        ("NUL", "com\x00", INVALID),
    ],
    "id": [
        ("int", 1, TYPE),
        ("None", None, TYPE),
        ("UUID object", uuid.UUID(NO_ID), TYPE),
        ("empty", "", INVALID),
        ("not a uuid", "not-a-uuid", INVALID),
        ("short", "1234", INVALID),
        ("NUL", NO_ID[:-1] + "\x00", INVALID),
        ("sql", "' OR '1'='1", INVALID),
    ],
    "id?": [
        ("int", 1, TYPE),
        ("empty", "", INVALID),
        ("not a uuid", "not-a-uuid", INVALID),
        ("sql", "1; DELETE FROM alerts", INVALID),
    ],
    "days?": [
        ("str", "90", TYPE),
        ("float", 1.5, TYPE),
        ("negative", -1, INVALID),
        ("i64 max", 2**63 - 1, SAFE),
        ("huge", HUGE, RANGE),
        ("negative huge", -HUGE, RANGE),
    ],
    "count": [  # a positive count or a number of hours/days with a default
        ("str", "10", TYPE),
        ("float", 1.5, TYPE),
        ("None", None, TYPE),
        ("negative", -1, RANGE),
        ("huge", HUGE, RANGE),
    ],
    "days": [  # a required number of days
        ("str", "10", TYPE),
        ("float", 1.5, TYPE),
        ("None", None, TYPE),
        ("negative", -1, INVALID),
        ("i64 max", 2**63 - 1, SAFE),
        ("huge", HUGE, RANGE),
    ],
    "pixels": [
        ("str", "100", TYPE),
        ("None", None, TYPE),
        ("zero", 0, RANGE),
        ("negative", -1, RANGE),
        ("a billion", 10**9, RANGE),
        ("huge", HUGE, RANGE),
    ],
    "bool": [
        ("str", "yes", TYPE),
        ("None", None, TYPE),
        ("list", [True], TYPE),
    ],
    "text": [  # free text: search words
        ("int", 1, TYPE),
        ("None", None, TYPE),
        ("list", ["x"], TYPE),
        ("NUL", NUL, INVALID),
    ],
    "text?": [  # optional free text: a secret, a category name
        ("int", 1, TYPE),
        ("list", ["x"], TYPE),
        ("NUL", NUL, INVALID),
    ],
    "setting": [  # a value in **changes: checked as settings, so every refusal names it
        ("int", 1, INVALID),
        ("list", ["x"], INVALID),
        ("unknown", "nope", INVALID),
        ("NUL", "dark\x00", INVALID),
    ],
    "choice": [  # a named option (format, granularity, metric, status, priority)
        ("int", 1, TYPE),
        ("list", ["x"], TYPE),
        ("empty", "", INVALID),
        ("unknown", "nope", INVALID),
        ("NUL", "csv\x00", INVALID),
    ],
    "choices?": [  # a list of named options
        ("str", "price", TYPE),
        ("int", 1, TYPE),
        ("list of int", [1], TYPE),
        ("unknown", ["nope"], INVALID),
        ("NUL", ["price\x00"], INVALID),
    ],
    "asins": [
        ("str", ASIN, TYPE),
        ("None", None, TYPE),
        ("list of int", [1], TYPE),
        ("bad asin", ["B0"], INVALID),
        ("NUL", [ASIN + "\x00"], INVALID),
    ],
    "path": [
        ("int", 1, TYPE),
        ("None", None, TYPE),
        ("list", ["x"], TYPE),
        ("NUL", NUL, SAFE),
        ("missing", "/nonexistent/amazcope/none.json", SAFE),
        ("directory", "/", SAFE),
    ],
    "paths": [
        ("str", "/nonexistent/x.html", TYPE),
        ("int", 1, TYPE),
        ("None", None, TYPE),
        ("list of int", [1], TYPE),
        ("NUL", [NUL], SAFE),
        ("missing", ["/nonexistent/amazcope/none.html"], SAFE),
    ],
    "datetime?": [
        ("str", "2025-01-01", TYPE),
        ("int", 1, TYPE),
        ("naive", datetime.datetime(2025, 1, 1), TYPE),
        ("date", datetime.date(2025, 1, 1), TYPE),
        ("year 1", datetime.datetime(1, 1, 1, tzinfo=UTC), SAFE),
        ("year 9999", datetime.datetime(9999, 12, 31, tzinfo=UTC), SAFE),
    ],
    "percent?": [
        ("str", "5", TYPE),
        ("list", [5.0], TYPE),
        ("negative", -1.0, INVALID),
        ("over 100", 101.0, INVALID),
        ("nan", math.nan, INVALID),
        ("inf", math.inf, INVALID),
    ],
    "money?": [
        ("list", [1], TYPE),
        ("negative", Decimal("-1"), INVALID),
        ("nan", Decimal("NaN"), INVALID),
        ("inf", Decimal("Infinity"), INVALID),
        ("1e100", Decimal("1e100"), INVALID),
        ("not a number", "abc", INVALID),
        ("bool", True, TYPE),
    ],
    "url?": [
        ("int", 1, TYPE),
        ("list", [CLOSED], TYPE),
        ("empty", "", INVALID),
        ("not a url", "not a url", INVALID),
        ("NUL", "http://127.0.0.1\x00:9", INVALID),
        ("javascript", "javascript:alert(1)", INVALID),
    ],
    "email?": [
        ("int", 1, TYPE),
        ("empty", "", INVALID),
        ("no at", "nobody", INVALID),
        ("NUL", "a\x00@example.com", INVALID),
        ("header injection", "a@example.com\r\nBcc: x@example.com", INVALID),
    ],
    "db url?": [
        ("int", 1, TYPE),
        ("list", ["x"], TYPE),
        ("NUL", "postgres://postgres@127.0.0.1:5432/te\x00st", SAFE),
        ("not a url", "not a url", SAFE),
    ],
    "html": [
        ("int", 1, TYPE),
        ("None", None, TYPE),
        ("list", ["<html>"], TYPE),
        ("empty", "", SAFE),
        ("NUL", "<html>\x00</html>", SAFE),
        ("invalid utf-8", b"\xff\xfe<html>", SAFE),
    ],
    "keepa text": [
        ("int", 1, TYPE),
        ("None", None, TYPE),
        ("empty", "", INVALID),
        ("not json", "{", INVALID),
        ("NUL", "\x00", INVALID),
        ("wrong shape", '{"products": 1}', INVALID),
    ],
}


@dataclass
class Spec:
    """A valid baseline call (args by name) and the kind of each parameter to spoil."""

    call: Callable[..., Any]  # (target, **kwargs) -> result
    base: dict[str, Any]
    kinds: dict[str, str]
    target: str = "client"  # client | db | module | page
    # Arguments that exclude each other: when spoiling a key of `swap`, the baseline changes
    # by its dict first (DROP removes an argument), so the spoiled one is the one in use.
    swap: dict[str, dict[str, Any]] | None = None


DROP = object()


def c(name: str) -> Callable[..., Any]:
    return lambda target, **kw: getattr(target, name)(**kw)


def kinds(**kw: str) -> dict[str, str]:
    return kw


def _mod(name: str) -> Callable[..., Any]:
    return lambda target, **kw: getattr(amazcope, name)(**kw)


SPECS: dict[str, Spec] = {
    "add_user": Spec(c("add_user"), {"username": "newbie"}, kinds(username="user")),
    "users": Spec(c("users"), {}, {}),
    "settings": Spec(c("settings"), {"user": USER}, kinds(user="user")),
    "update_settings": Spec(
        c("update_settings"), {"user": USER, "theme": "dark"}, kinds(user="user", theme="setting")
    ),
    "reset_settings": Spec(c("reset_settings"), {"user": USER}, kinds(user="user")),
    "track": Spec(
        c("track"),
        {"user": USER, "asin": "B000000001", "marketplace": "com"},
        kinds(
            user="user",
            asin="asin",
            marketplace="marketplace?",
            price_threshold="percent?",
            bsr_threshold="percent?",
            target_price="money?",
        ),
    ),
    "untrack": Spec(
        c("untrack"),
        {"user": USER, "asin": "B000000002", "marketplace": "com"},
        kinds(user="user", asin="asin", marketplace="marketplace?"),
    ),
    "search": Spec(
        c("search"),
        {"text": "echo", "marketplace": "com", "user": USER, "limit": 20},
        kinds(text="text", marketplace="marketplace?", user="user?", limit="count"),
    ),
    "tracked": Spec(c("tracked"), {"user": USER}, kinds(user="user")),
    "import_pages": Spec(
        c("import_pages"),
        {"paths": [], "user": USER, "scraped_at": NOW},
        kinds(paths="paths", user="user?", scraped_at="datetime?"),
    ),
    "import_keepa": Spec(
        c("import_keepa"),
        {"path": "{tmp}/keepa.json", "user": USER, "marketplace": "com"},
        kinds(path="path", user="user?", marketplace="marketplace?"),
    ),
    "export": Spec(
        c("export"),
        {"out": "{tmp}/out.csv", "user": USER, "format": "csv"},
        kinds(
            out="path",
            asin="asin?",
            marketplace="marketplace?",
            user="user?",
            start="datetime?",
            end="datetime?",
            daily="bool",
            format="choice",
        ),
        swap={p: {"user": DROP, "asin": ASIN, "marketplace": "com"} for p in ("asin", "marketplace")},
    ),
    "alerts": Spec(
        c("alerts"), {"user": USER, "unread": False, "limit": 10}, kinds(user="user", unread="bool", limit="count")
    ),
    "mark_read": Spec(c("mark_read"), {"user": USER, "alert_id": None}, kinds(user="user", alert_id="id?")),
    "notifications": Spec(
        c("notifications"),
        {"user": USER, "unread": True, "limit": 10},
        kinds(user="user", unread="bool", limit="count"),
    ),
    "add_channel": Spec(
        c("add_channel"),
        {"user": USER, "webhook": "http://127.0.0.1:9/hook", "format": "json"},
        kinds(
            user="user",
            email="email?",
            webhook="url?",
            format="choice",
            secret="text?",
            min_priority="choice",
            types="choices?",
        ),
        swap={"email": {"webhook": DROP, "format": DROP}},
    ),
    "channels": Spec(c("channels"), {"user": USER}, kinds(user="user")),
    "remove_channel": Spec(c("remove_channel"), {"user": USER, "id": NO_ID}, kinds(user="user", id="id")),
    "test_channel": Spec(
        c("test_channel"),
        {"user": USER, "id": NO_ID},
        kinds(user="user", id="id", smtp_url="url?", mail_from="email?"),
    ),
    "deliver": Spec(
        c("deliver"), {"now": NOW}, kinds(now="datetime?", smtp_url="url?", mail_from="email?")
    ),
    "deliveries": Spec(
        c("deliveries"),
        {"user": USER, "failed": True, "limit": 10},
        kinds(user="user", failed="bool", limit="count"),
    ),
    "mark_notifications_read": Spec(
        c("mark_notifications_read"), {"user": USER, "id": None}, kinds(user="user", id="id?")
    ),
    "delete_notification": Spec(
        c("delete_notification"), {"user": USER, "id": NO_ID}, kinds(user="user", id="id")
    ),
    "purge_notifications": Spec(
        c("purge_notifications"),
        {"user": USER, "older_than_days": 30},
        kinds(user="user", older_than_days="days"),
    ),
    "history": Spec(
        c("history"),
        {"asin": ASIN, "marketplace": "com", "days": 90, "user": USER, "daily": False},
        kinds(asin="asin", marketplace="marketplace?", days="days?", user="user", daily="bool"),
    ),
    "chart": Spec(
        c("chart"),
        {"asin": ASIN, "marketplace": "com", "days": None, "user": USER, "width": 400, "height": 300},
        kinds(
            asin="asin",
            marketplace="marketplace?",
            days="days?",
            user="user",
            daily="bool",
            width="pixels",
            height="pixels",
        ),
    ),
    "report": Spec(c("report"), {"user": USER, "hours": 24}, kinds(user="user", hours="days")),
    "stats": Spec(
        c("stats"), {"asin": ASIN, "marketplace": "com", "user": USER}, kinds(asin="asin", marketplace="marketplace?", user="user")
    ),
    "replay": Spec(
        c("replay"), {"asin": ASIN, "marketplace": "com", "user": USER}, kinds(asin="asin", marketplace="marketplace?", user="user")
    ),
    "refresh": Spec(
        c("refresh"),
        {"user": "nobody_tracks", "base_url": CLOSED, "limit": 10},
        kinds(user="user?", base_url="url?", limit="count"),
    ),
    "suggest": Spec(c("suggest"), {"user": USER}, kinds(user="user")),
    "suggestions": Spec(
        c("suggestions"), {"user": USER, "status": "pending"}, kinds(user="user", status="choice")
    ),
    "suggestion_stats": Spec(c("suggestion_stats"), {"user": USER}, kinds(user="user")),
    "suggestion": Spec(
        c("suggestion"), {"user": USER, "suggestion_id": NO_ID}, kinds(user="user", suggestion_id="id")
    ),
    "approve": Spec(
        c("approve"),
        {"user": USER, "suggestion_id": NO_ID, "actions": None},
        kinds(user="user", suggestion_id="id", actions="choices?"),
    ),
    "reject": Spec(
        c("reject"), {"user": USER, "suggestion_id": NO_ID}, kinds(user="user", suggestion_id="id")
    ),
    "apply": Spec(
        c("apply"),
        {"user": USER, "suggestion_id": NO_ID, "actions": None},
        kinds(user="user", suggestion_id="id", actions="choices?"),
    ),
    "summary": Spec(
        c("summary"), {"asin": ASIN, "marketplace": "com", "user": USER}, kinds(asin="asin", marketplace="marketplace?", user="user")
    ),
    "trends": Spec(
        c("trends"),
        {"asin": ASIN, "marketplace": "com", "fields": ["price"], "days": 30, "granularity": "day", "user": USER},
        kinds(
            asin="asin",
            marketplace="marketplace?",
            fields="choices?",
            days="days?",
            granularity="choice",
            user="user",
        ),
    ),
    "compare": Spec(
        c("compare"),
        {"asins": [ASIN], "marketplace": "com", "metric": "price", "days": 30, "user": USER},
        kinds(asins="asins", marketplace="marketplace?", metric="choice", days="days?", user="user"),
    ),
    "category_metrics": Spec(
        c("category_metrics"),
        {"category": None, "marketplace": "com", "at": NOW},
        kinds(category="text?", marketplace="marketplace", at="datetime?"),
    ),
    # Db: no arguments but a file's path; an unknown argument is a TypeError.
    "Db.upgrade": Spec(c("upgrade"), {}, {}, target="db"),
    "Db.current": Spec(c("current"), {}, {}, target="db"),
    "Db.stats": Spec(c("stats"), {}, {}, target="db"),
    "Db.partitions": Spec(c("partitions"), {}, {}, target="db"),
    # A fresh dump into the fixture's folder; a restore of the fixture's own dump into its
    # (filled) database is a ConflictError, so the path is what each case spoils.
    "Db.backup": Spec(c("backup"), {"path": "{tmp}/baseline.dump"}, kinds(path="path"), target="db"),
    "Db.restore": Spec(c("restore"), {"path": "{tmp}/world.dump"}, kinds(path="path"), target="db"),
    # Module-level functions.
    "parse": Spec(_mod("parse"), {"html": "<html></html>", "marketplace": "com"}, kinds(html="html", marketplace="marketplace?"), target="module"),
    "fetch": Spec(
        _mod("fetch"),
        {"asin": ASIN, "marketplace": "com", "base_url": CLOSED},
        kinds(asin="asin", marketplace="marketplace?", base_url="url?"),
        target="module",
    ),
    "decode_keepa": Spec(
        _mod("decode_keepa"),
        {"text": '{"products": []}', "marketplace": "com"},
        kinds(text="keepa text", marketplace="marketplace?"),
        target="module",
    ),
    "connect": Spec(
        _mod("connect"), {"url": "{db}", "upgrade": False}, kinds(url="db url?", upgrade="bool", read_url="db url?"), target="module"
    ),
}

# `parse` with an empty page is a ParseError (a ValueError): accepted as the baseline of the
# module's `parse`, whose spoiled `html` cases are only SAFE. A missing Keepa file for the
# baseline of `import_keepa` likewise.
BASELINE_MAY_RAISE = (NotFound, AmazcopeError)


def public_calls() -> set[str]:
    """Every public method of Client and Db and every function of the native module."""
    names = {n for n in dir(amazcope.Client) if not n.startswith("_") and callable(getattr(amazcope.Client, n))}
    names |= {f"Db.{n}" for n in dir(amazcope.Db) if not n.startswith("_") and callable(getattr(amazcope.Db, n))}
    names |= {
        n
        for n in _amazcope.__all__
        if inspect.isbuiltin(getattr(_amazcope, n)) or inspect.isfunction(getattr(_amazcope, n))
    }
    names |= {n for n in dir(_amazcope) if not n.startswith("_") and inspect.isbuiltin(getattr(_amazcope, n))}
    return names


def stub_calls() -> set[str]:
    """The same names read from the type stubs shipped in the wheel."""
    import ast

    tree = ast.parse((Path(_amazcope.__file__).parent / "_amazcope.pyi").read_text())
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            out.add(node.name)
        if isinstance(node, ast.ClassDef) and node.name in ("Client", "Db"):
            for f in node.body:
                if isinstance(f, ast.FunctionDef) and not f.name.startswith("_"):
                    if any(isinstance(d, ast.Name) and d.id == "property" for d in f.decorator_list):
                        continue
                    out.add(f.name if node.name == "Client" else f"Db.{f.name}")
    return out


def test_every_public_call_has_bad_input_cases() -> None:
    calls = public_calls()
    assert calls == stub_calls(), "the stubs and the module disagree; test_stubs says more"
    missing = sorted(calls - SPECS.keys())
    assert not missing, f"public calls without bad-input cases in SPECS: {missing}"
    stale = sorted(SPECS.keys() - calls)
    assert not stale, f"SPECS names calls that do not exist: {stale}"
    for name, spec in SPECS.items():
        params = signature_params(name)
        assert set(spec.kinds) == params - {"self"}, f"{name}: every parameter needs a kind, got {sorted(spec.kinds)} of {sorted(params)}"


def signature_params(name: str) -> set[str]:
    """Parameter names of a call, from the stubs (builtins carry text signatures too)."""
    import ast

    tree = ast.parse((Path(_amazcope.__file__).parent / "_amazcope.pyi").read_text())
    cls, _, fn = name.rpartition(".")
    for node in tree.body:
        scope = node.body if isinstance(node, ast.ClassDef) and node.name == (cls or "Client") else None
        candidates = scope if scope is not None else ([node] if not cls and name not in client_names() else [])
        for f in candidates:
            if isinstance(f, ast.FunctionDef) and f.name == fn:
                a = f.args
                names = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs}
                if a.kwarg is not None and fn == "update_settings":
                    names.add("theme")  # **changes: one known setting stands for them
                return names
    raise AssertionError(f"{name} is not in the stubs")


def client_names() -> set[str]:
    return {n for n in dir(amazcope.Client) if not n.startswith("_")}


@dataclass
class Case:
    call: str
    param: str
    label: str
    value: Any
    expect: str

    @property
    def id(self) -> str:
        return f"{self.call}:{self.param}={self.label}"


def all_cases() -> list[Case]:
    out = []
    for name, spec in SPECS.items():
        # update_settings takes **changes: an unknown keyword is an unknown setting.
        out.append(Case(name, "*", "unknown keyword", None, INVALID if name == "update_settings" else TYPE))
        for param, kind in spec.kinds.items():
            for label, value, expect in KINDS[kind]:
                out.append(Case(name, param, label, value, expect))
    return out


CASES = all_cases()


@pytest.fixture(scope="module")
def world(template_db: str, pages: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One database for the whole module (the calls either refuse or read): alice tracks ASIN."""
    from conftest import _with_db, server_url

    url = server_url()
    name = f"amazcope_py_bad_{uuid.uuid4().hex[:12]}"
    admin = _with_db(url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')
    try:
        db_url = _with_db(url, name)
        client = amazcope.connect(db_url)
        client.add_user(USER)
        client.add_user("nobody_tracks")
        client.track(USER, ASIN, "com")
        client.import_pages([pages / f"com_dp_{ASIN}.html"], USER, scraped_at=NOW)
        client.track(USER, "B000000002", "com")
        tmp = tmp_path_factory.mktemp("bad")
        (tmp / "keepa.json").write_text('{"products": []}')
        client.db.backup(tmp / "world.dump")
        yield {"client": client, "db": client.db, "module": amazcope, "url": db_url, "tmp": tmp}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(world: dict[str, Any], kw: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in kw.items():
        if isinstance(v, str) and v == "{db}":
            v = world["url"]
        elif isinstance(v, str) and v.startswith("{tmp}"):
            v = str(world["tmp"]) + v[5:]
        out[k] = v
    return out


def invoke(world: dict[str, Any], case: Case) -> Any:
    spec = SPECS[case.call]
    kw = fill(world, spec.base)
    for k, v in ((spec.swap or {}).get(case.param) or {}).items():
        if v is DROP:
            kw.pop(k, None)
        else:
            kw[k] = v
    if case.param == "*":
        kw["no_such_argument_xyz"] = 1
    else:
        kw[case.param] = case.value
    return spec.call(world[spec.target], **kw)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_baseline_is_accepted(world: dict[str, Any], name: str) -> None:
    """The valid baseline of each call is not refused for its types or values (it may find
    nothing), so each spoiled case below fails because of the one argument it spoils."""
    spec = SPECS[name]
    try:
        spec.call(world[spec.target], **fill(world, spec.base))
    except (TypeError, ValidationError) as e:
        pytest.fail(f"{name}: the baseline was refused: {type(e).__name__}: {e}")
    except BASELINE_MAY_RAISE:
        pass


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_a_typed_error_never_a_panic(world: dict[str, Any], case: Case) -> None:
    try:
        invoke(world, case)
    except BaseException as e:  # noqa: BLE001 - a PanicException is a BaseException
        err = e
    else:
        err = None
    if err is not None and type(err).__name__ == "PanicException":
        pytest.fail(f"{case.id}: PANIC: {err}")
    if err is not None and not isinstance(err, Exception):
        raise err  # KeyboardInterrupt, SystemExit...
    shown = f"{type(err).__name__}: {err}" if err is not None else "no error"
    if case.expect == TYPE:
        assert isinstance(err, TypeError), f"{case.id}: expected TypeError, got {shown}"
    elif case.expect == INVALID:
        assert isinstance(err, ValidationError), f"{case.id}: expected ValidationError, got {shown}"
        assert str(err), f"{case.id}: the error says nothing"
    elif case.expect == RANGE:
        assert isinstance(err, (ValidationError, OverflowError)), f"{case.id}: expected ValidationError/OverflowError, got {shown}"
    else:
        assert err is None or isinstance(err, (AmazcopeError, TypeError, ValueError, OSError, OverflowError)), (
            f"{case.id}: unexpected {shown}"
        )
