"""Issue 13 from Python, against real PostgreSQL (a new database per test): one tenancy rule
for history, stats and replay (an untracked product is refused by all three alike); product
URLs wherever an ASIN is taken; errors in the user's words, typed, without passwords."""

from pathlib import Path

import pytest

import amazcope
from amazcope import errors
from test_db import ASIN, T2
from test_insights import two_snapshots

URL = f"https://www.amazon.com/Some-Product-Title/dp/{ASIN}?th=1&psc=1"


def reads(client: amazcope.Client, user: str, product: str = ASIN) -> dict[str, object]:
    """What history, stats and replay answer for `user`: a table each, or the NotFound."""
    out: dict[str, object] = {}
    for name, call in (
        ("history", lambda: client.history(product, days=100000, user=user)),
        ("stats", lambda: client.stats(product, user=user)),
        ("replay", lambda: client.replay(product, user=user)),
    ):
        try:
            out[name] = call()
        except errors.NotFound as e:
            out[name] = e
    return out


def assert_refused(answers: dict[str, object], message: str, product_id: str) -> None:
    for name, got in answers.items():
        assert isinstance(got, errors.NotFound), f"{name} answered {got!r}"
        assert str(got) == message, name
        assert (got.entity, got.id) == ("product", product_id), name


def test_untracked_is_refused_alike_by_history_stats_and_replay(
    database_url: str, pages: Path, tmp_path: Path
) -> None:
    client, old, new = two_snapshots(database_url, pages, tmp_path)
    mine = reads(client, "ana")
    hist = mine["history"]
    assert hist.column("price").to_pylist() == [old, new]  # type: ignore[attr-defined]
    assert mine["stats"].column("snapshot_count").to_pylist()[0] == 2  # type: ignore[attr-defined]
    replayed = mine["replay"].to_pylist()  # type: ignore[attr-defined]
    assert [r["created_at"] for r in replayed if r["alert_type"] == "price_change"] == [T2]

    # bob never tracked it: refused, in his words, like a product that does not exist
    assert_refused(reads(client, "bob"), f"bob does not track {ASIN} on amazon.com", f"{ASIN} on amazon.com")
    assert_refused(
        reads(client, "ana", "B000000000"), "ana does not track B000000000 on amazon.com", "B000000000 on amazon.com"
    )

    # ana untracks: the same refusal from all three; tracking again makes it readable again
    client.untrack("ana", ASIN)
    assert_refused(reads(client, "ana"), f"ana does not track {ASIN} on amazon.com", f"{ASIN} on amazon.com")
    client.track("ana", ASIN)
    again = reads(client, "ana")
    assert again["history"].column("price").to_pylist() == [old, new]  # type: ignore[attr-defined]
    assert again["stats"].num_rows == 4  # type: ignore[attr-defined]


def test_a_product_url_is_taken_wherever_an_asin_is(database_url: str, pages: Path, tmp_path: Path) -> None:
    client, old, new = two_snapshots(database_url, pages, tmp_path)
    row = client.track("bob", URL, price_threshold=5.0)
    assert (row["asin"], row["marketplace"], row["price_change_threshold"]) == (ASIN, "com", 5.0)
    assert client.history(URL, days=100000, user="bob").column("price").to_pylist() == [old, new]
    assert client.stats(URL, user="bob").num_rows == 4
    assert "price_change" in client.replay(URL, user="bob").column("alert_type").to_pylist()
    summary = client.summary(URL, user="bob")
    assert summary is not None and summary["current_price"] == new
    assert client.trends(URL, fields=["price"], user="bob")["price"].column("value").to_pylist() == [old, new]
    cmp = client.compare([URL], user="bob")
    assert cmp["products"].column("asin").to_pylist() == [ASIN]
    # the marketplace named beside a URL must agree with the URL's host
    assert client.history(URL, "com", days=100000, user="bob").num_rows == 2
    with pytest.raises(errors.ValidationError) as other_host:
        client.history(URL, "de", user="bob")
    assert other_host.value.field == "url" and "amazon.de" in other_host.value.reason
    client.untrack("bob", f"www.amazon.com/gp/product/{ASIN.lower()}")
    assert client.tracked("bob").num_rows == 0


@pytest.mark.parametrize(
    "call",
    [
        lambda c, u: c.track("ana", u),
        lambda c, u: c.untrack("ana", u),
        lambda c, u: c.history(u, user="ana"),
        lambda c, u: c.stats(u, user="ana"),
        lambda c, u: c.replay(u, user="ana"),
        lambda c, u: c.summary(u, user="ana"),
        lambda c, u: c.trends(u, user="ana"),
        lambda c, u: c.compare([ASIN, u], user="ana"),
        lambda c, u: amazcope.fetch(u, base_url="http://127.0.0.1:1"),
    ],
)
def test_a_url_without_an_asin_is_a_validation_error_saying_so(database_url: str, call: object) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    url = "https://www.amazon.com/s?k=instant+pot"
    with pytest.raises(errors.ValidationError) as e:
        call(client, url)  # type: ignore[operator]
    assert (e.value.field, e.value.value) == ("url", url)
    assert "has no ASIN" in str(e.value)


def test_wrong_argument_types_are_type_errors(database_url: str) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    with pytest.raises(TypeError):
        client.track("ana", 12345)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.history(ASIN, days="many", user="ana")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.update_settings("ana", default_price_threshold=object())


def test_errors_say_it_once_in_the_users_words(database_url: str) -> None:
    client = amazcope.connect(database_url)
    client.add_user("alice")
    client.track("alice", URL)
    with pytest.raises(errors.ConflictError) as twice:
        client.track("alice", ASIN, "com")
    assert str(twice.value) == f"alice already tracks {ASIN} on amazon.com"
    assert twice.value.constraint == "uq_user_product"
    with pytest.raises(errors.ValidationError) as bad:
        client.track("alice", "B0-NOT-AN-ASIN")
    assert str(bad.value).count("B0-NOT-AN-ASIN") == 1, str(bad.value)


def test_database_passwords_never_show(database_url: str) -> None:
    head, _, tail = database_url.partition("://")
    user, _, rest = tail.partition("@")
    assert ":" not in user, "the test server is expected to need no password"
    # The test server trusts local connections, so a password given is ignored but kept in
    # the URL the client holds.
    client = amazcope.connect(f"{head}://{user}:s3cret-pw@{rest}", upgrade=False)
    assert client.url == f"{head}://{user}:***@{rest}"
    assert "s3cret-pw" not in repr(client)
    with pytest.raises(errors.DatabaseError) as refused:
        amazcope.connect("postgres://postgres:s3cret-pw@127.0.0.1:1/nothing")
    shown = str(refused.value) + str(refused.value.__cause__)
    assert "s3cret-pw" not in shown
    assert "127.0.0.1" in str(refused.value)
    assert refused.value.__cause__ is not None, "the driver's reason is the cause"
    cause = str(refused.value.__cause__)
    assert cause not in str(refused.value), "said once, not twice"
    assert "Connection refused" in cause and cause.count("Connection refused") == 1, cause


def test_extreme_spans_answer_without_a_panic(database_url: str, pages: Path, tmp_path: Path) -> None:
    """Day and hour counts too large for a date mean "all of it"; negative ones are refused.
    A Rust panic would surface as pyo3's PanicException (a BaseException): none may."""
    client, old, new = two_snapshots(database_url, pages, tmp_path)
    most = 2**32 - 1
    assert client.history(ASIN, days=most, user="ana").column("price").to_pylist() == [old, new]
    assert client.trends(ASIN, fields=["price"], days=most, user="ana")["price"].num_rows == 2
    assert client.compare([ASIN], days=most, user="ana")["points"].num_rows == 2
    assert client.report("ana", hours=2**62)["products_tracked"] == 1
    with pytest.raises(errors.ValidationError) as negative:
        client.report("ana", hours=-1)
    assert negative.value.field == "hours"
    notes = client.notifications("ana").num_rows
    assert client.purge_notifications("ana", 2**62) == 0, "nothing is that old"
    assert client.notifications("ana").num_rows == notes
    with pytest.raises(errors.ValidationError) as negative_days:
        client.history(ASIN, days=-1, user="ana")
    assert negative_days.value.field == "days", "named, not a bare OverflowError"
