"""refresh against a loopback server of saved pages, and the suggestion life cycle
(suggest -> suggestions -> approve/reject -> apply), on real PostgreSQL, per user."""

import http.server
import threading
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pytest

import amazcope
from amazcope import errors
from test_db import ASIN, PAGE, T1

MISSING = "B000000001"


@pytest.fixture
def storefront(pages: Path) -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 answering `/dp/<ASIN>` with the saved .com page of that ASIN
    (404 when there is none). Yields its base URL and the paths asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
            asked.append(self.path)
            asin = self.path.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
            page = pages / f"com_dp_{asin}.html"
            if self.path.split("?")[0].endswith(f"/dp/{asin}") and page.is_file():
                body = page.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
            else:
                body = b"<html><body>Page Not Found</body></html>"
                self.send_response(404)
                self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_refresh_fetches_due_products_of_one_user(
    database_url: str, storefront: tuple[str, list[str]], pages: Path
) -> None:
    base, asked = storefront
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.add_user("bob")
    client.track("ana", ASIN, "com")
    client.track("bob", MISSING, "com")

    report = client.refresh("ana", base_url=base)
    assert report["claimed"] == 1 and report["stored"] == 1 and report["failures"] == 0
    items = report["items"]
    assert isinstance(items, pa.Table)
    assert items.column("asin").to_pylist() == [ASIN]
    assert items.column("outcome").to_pylist() == ["stored"]
    assert asked == [f"/dp/{ASIN}"], "only ana's product is fetched"
    expected = amazcope.parse((pages / PAGE).read_bytes()).price
    assert client.tracked("ana").column("price").to_pylist() == [expected]
    assert client.history(ASIN, days=1, user="ana").num_rows == 1

    # ana's product is no longer due; bob's gives a 404, which is reported, not raised.
    rest = client.refresh(base_url=base)
    assert rest["claimed"] == 1 and rest["stored"] == 0 and rest["failures"] == 1
    assert rest["items"].column("asin").to_pylist() == [MISSING]
    assert rest["items"].column("outcome").to_pylist() == ["recorded"]
    assert rest["items"].column("detail").to_pylist() == ["not_found"]
    assert client.refresh(base_url=base)["claimed"] == 0


def test_refresh_errors(database_url: str) -> None:
    client = amazcope.connect(database_url)
    with pytest.raises(errors.NotFound) as nobody:
        client.refresh("nobody", base_url="http://127.0.0.1:9")
    assert nobody.value.entity == "user"


def test_suggestions_life_cycle_per_user(database_url: str, pages: Path) -> None:
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.add_user("bob")
    client.track("ana", ASIN)
    client.import_pages([pages / PAGE], "ana", scraped_at=T1)

    run = client.suggest("ana")
    assert run["products"] == 1 and run["errors"] == []
    created = run["created"]
    assert created.num_rows >= 1 and created.num_rows == run["proposed"] - run["skipped"]
    again = client.suggest("ana")
    assert again["created"].num_rows == 0 and again["skipped"] == run["proposed"]

    listed = client.suggestions("ana")
    assert sorted(listed.column("id").to_pylist()) == sorted(created.column("id").to_pylist())
    stats = client.suggestion_stats("ana")
    assert stats["total"] == listed.num_rows and stats["by_status"] == {"pending": listed.num_rows}
    for key, column in (("by_category", "category"), ("by_priority", "priority")):
        values = listed.column(column).to_pylist()
        assert stats[key] == {v: values.count(v) for v in set(values)}, key
    assert client.suggestion_stats("bob") == {"total": 0, "by_status": {}, "by_category": {}, "by_priority": {}}
    assert set(listed.column("status").to_pylist()) == {"pending"}
    actions_type = listed.schema.field("actions").type
    assert pa.types.is_list(actions_type)
    assert "proposed_value" in [f.name for f in actions_type.value_type]
    assert client.suggestions("ana", status="approved").num_rows == 0

    # bob sees none of them and cannot review them.
    assert client.suggestions("bob").num_rows == 0
    assert client.suggest("bob")["products"] == 0
    first, *others = listed.column("id").to_pylist()
    for call in (
        lambda: client.suggestion("bob", first),
        lambda: client.approve("bob", first),
        lambda: client.reject("bob", first),
        lambda: client.apply("bob", first),
    ):
        with pytest.raises(errors.NotFound):
            call()

    one = client.suggestion("ana", first)
    assert one["id"] == first and one["actions"], one
    approved = client.approve("ana", first)
    assert approved["status"] == "approved"
    assert {a["status"] for a in approved["actions"]} == {"approved"}
    assert client.suggestions("ana", status="approved").column("id").to_pylist() == [first]
    with pytest.raises(errors.ConflictError):
        client.approve("ana", first)
    # Applying the approved actions records each as applied, with when.
    applied = client.apply("ana", first)
    assert applied["id"] == first
    assert {a["status"] for a in applied["actions"]} == {"applied"}, applied["actions"]
    assert all(a["applied_at"] is not None and a["error_message"] is None for a in applied["actions"])
    assert client.suggestion("ana", first)["actions"] == applied["actions"], "stored as returned"
    if others:
        rejected = client.reject("ana", others[0])
        assert rejected["status"] == "rejected"
        with pytest.raises(errors.ConflictError):
            client.apply("ana", others[0])

    statuses = client.suggestions("ana").column("status").to_pylist()
    assert client.suggestion_stats("ana")["by_status"] == {v: statuses.count(v) for v in set(statuses)}
    assert "approved" in statuses and ("rejected" in statuses) == bool(others)

    with pytest.raises(errors.ValidationError) as bad_status:
        client.suggestions("ana", status="maybe")
    assert bad_status.value.field == "status"
    with pytest.raises(errors.ValidationError):
        client.approve("ana", "not-a-uuid")


def test_fetch_raises_captcha_and_fetch_errors_from_real_answers(pages: Path) -> None:
    """`amazcope.fetch` against a loopback server: a product page parses, a robot check is
    CaptchaError (also a FetchError), a missing page is FetchError."""
    captcha = (pages / "com_captcha_captcha-field-keywords.html").read_bytes()
    product = (pages / f"com_dp_{ASIN}.html").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
            path = self.path.split("?")[0]
            if path.endswith(f"/dp/{ASIN}"):
                status, body = 200, product
            elif path.endswith("/dp/B0CAPTCHA1"):
                status, body = 200, captcha
            else:
                status, body = 404, b"<html><body>Page Not Found</body></html>"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        page = amazcope.fetch(ASIN, "com", base_url=base)
        assert (page.kind, page.asin) == ("product", ASIN)
        by_url = amazcope.fetch(f"https://www.amazon.com/Some-Title/dp/{ASIN}?th=1", base_url=base)
        assert (by_url.kind, by_url.asin, by_url.price) == ("product", ASIN, page.price)
        with pytest.raises(errors.CaptchaError) as captcha_err:
            amazcope.fetch("B0CAPTCHA1", "com", base_url=base)
        assert isinstance(captcha_err.value, errors.FetchError)
        with pytest.raises(errors.FetchError) as missing:
            amazcope.fetch(MISSING, "com", base_url=base)
        assert not isinstance(missing.value, errors.CaptchaError)
        with pytest.raises(errors.ValidationError):
            amazcope.fetch("short", "com", base_url=base)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
