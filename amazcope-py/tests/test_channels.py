"""Delivery from Python (issue 14) against real servers on 127.0.0.1: an aiosmtpd SMTP server
and an http.server webhook receiver; a new database per test."""

import hashlib
import hmac
import http.server
import json
import socket
import threading
from pathlib import Path
from typing import Any, Iterator

import pyarrow as pa
import pytest
from aiosmtpd.controller import Controller

import amazcope
from amazcope import errors
from test_db import ASIN, PAGE, T1, T2, cheaper_copy


class Mailbox:
    def __init__(self) -> None:
        self.mails: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, str]]:
    box = Mailbox()
    # aiosmtpd's controller cannot take port 0 (it connects to its port to check the start).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = Controller(box, hostname="127.0.0.1", port=port)
    c.start()
    try:
        yield box, f"smtp://127.0.0.1:{port}"
    finally:
        c.stop()


@pytest.fixture
def hook() -> Iterator[tuple[list[dict[str, Any]], str]]:
    got: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield got, f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_channels_deliver_and_log(database_url: str, pages: Path, tmp_path: Path, smtp: Any, hook: Any) -> None:
    box, smtp_url = smtp
    posts, base = hook
    client = amazcope.connect(database_url)
    client.add_user("ana")
    client.add_user("bob")
    client.track("ana", ASIN, "com", price_threshold=5.0)
    wh = client.add_channel("ana", webhook=f"{base}/hook?token=tok-SECRET", secret="whsec-SECRET")
    em = client.add_channel("ana", email="ana@example.com", types=["price_change"])
    shown = json.dumps(client.channels("ana"))
    assert "tok-SECRET" not in shown and "whsec-SECRET" not in shown and "token=***" in shown
    assert [c["kind"] for c in client.channels("ana")] == ["webhook", "email"]
    assert [c["has_secret"] for c in client.channels("ana")] == [True, False]
    assert "secret" not in wh and wh["has_secret"] is True
    assert client.channels("bob") == []
    with pytest.raises(errors.NotFound):
        client.remove_channel("bob", wh["id"])
    with pytest.raises(errors.ValidationError):
        client.add_channel("ana", webhook=f"{base}/x", format="teams")

    # The alert's delivery rows are written with it.
    cheaper, _, _ = cheaper_copy(pages, tmp_path)
    client.import_pages([pages / PAGE], "ana", scraped_at=T1)
    client.import_pages([cheaper], "ana", scraped_at=T2)
    assert client.deliver(smtp_url=smtp_url, mail_from="Amazcope <alerts@amazcope.test>") == {
        "sent": 2,
        "failed": 0,
        "dead": 0,
    }
    assert client.deliver(smtp_url=smtp_url) == {"sent": 0, "failed": 0, "dead": 0}, "nothing twice"

    assert len(posts) == 1 and len(box.mails) == 1
    p = posts[0]
    expected = "sha256=" + hmac.new(b"whsec-SECRET", p["body"], hashlib.sha256).hexdigest()
    assert p["headers"]["x-amazcope-signature"] == expected
    body = json.loads(p["body"])
    assert body["version"] == 1 and body["product"]["asin"] == ASIN and body["alert"]["type"] == "price_change"
    assert body["title"].startswith("Price down") and f"({ASIN}, amazon.com)" in body["title"]
    assert box.mails[0].rcpt_tos == ["ana@example.com"]

    log = client.deliveries("ana")
    assert isinstance(log, pa.Table) and log.num_rows == 2
    assert log.column("status").to_pylist() == ["sent", "sent"]
    assert log.schema.field("sent_at").type == pa.timestamp("us", tz="UTC")
    assert all("tok-SECRET" not in t for t in log.column("target").to_pylist())
    assert client.deliveries("ana", failed=True).num_rows == 0
    assert client.deliveries("bob").num_rows == 0

    # A test message goes out now; a removed channel is gone.
    assert client.test_channel("ana", em["id"], smtp_url=smtp_url)["ok"] is True
    assert len(box.mails) == 2
    client.remove_channel("ana", em["id"])
    assert [c["kind"] for c in client.channels("ana")] == ["webhook"]
