"""PgBouncer for the test run (scripts/test-python, issue 18): writes its configuration, and
reports what went through it.

    pgbouncer_config.py DATABASE_URL FOLDER RUN_AS     pgbouncer.ini, users.txt, port in FOLDER
    pgbouncer_config.py --stats HOST:PORT DATABASE_URL  transactions and queries it carried
"""

from __future__ import annotations

import socket
import sys
from urllib.parse import parse_qs, unquote, urlsplit


def quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def write_config(url: str, folder: str, run_as: str) -> None:
    u = urlsplit(url)
    q = parse_qs(u.query)
    # `?host=/folder` is the private cluster's socket folder; PgBouncer reads a host starting
    # with "/" the same way.
    host = q.get("host", [u.hostname or "127.0.0.1"])[0]
    port = q.get("port", [str(u.port or 5432)])[0]
    user = unquote(u.username or "postgres")
    password = unquote(u.password) if u.password is not None else ""
    with socket.socket() as s:  # a free port; PgBouncer binds it right after
        s.bind(("127.0.0.1", 0))
        listen = s.getsockname()[1]
    # The server login's password (trust between the tests and PgBouncer on loopback only).
    with open(f"{folder}/users.txt", "w") as f:
        f.write(f"{quote(user)} {quote(password)}\n")
    lines = [
        "[databases]",
        f"* = host={host} port={port}",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        f"listen_port = {listen}",
        "unix_socket_dir =",
        "auth_type = trust",
        f"auth_file = {folder}/users.txt",
        f"admin_users = {user}",
        "pool_mode = transaction",
        # sqlx names its prepared statements: PgBouncer 1.21+ maps them onto each server.
        "max_prepared_statements = 100",
        # Few server connections per database: a client's transactions run on different
        # servers and share them with the other clients, so any session state would show.
        "default_pool_size = 4",
        "max_client_conn = 2000",
    ]
    if run_as:
        lines.append(f"user = {run_as}")
    with open(f"{folder}/pgbouncer.ini", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(f"{folder}/port", "w") as f:
        f.write(str(listen))


def stats(address: str, url: str) -> int:
    import psycopg

    host, port = address.split(":")
    user = unquote(urlsplit(url).username or "postgres")
    with psycopg.connect(host=host, port=int(port), user=user, dbname="pgbouncer", autocommit=True) as c:
        cur = c.execute("SHOW STATS")
        names = [d.name for d in cur.description or []]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
    rows = [r for r in rows if r["database"] != "pgbouncer"]
    tx = sum(int(r["total_xact_count"]) for r in rows)
    queries = sum(int(r["total_query_count"]) for r in rows)
    print(f"==> through PgBouncer: {tx} transactions, {queries} queries, in {len(rows)} databases")
    if tx == 0:
        print("error: no transaction went through PgBouncer", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--stats":
        sys.exit(stats(sys.argv[2], sys.argv[3]))
    write_config(*sys.argv[1:4])
