"""Amazcope from Python: parse saved Amazon pages, track products in PostgreSQL, read alerts
and price history as Arrow tables.

>>> import amazcope
>>> page = amazcope.parse(open("dp.html", encoding="utf-8").read())
>>> page.kind, page.asin, page.price
('product', 'B07FNW9FGJ', Decimal('24.99'))

Every call is synchronous and releases the GIL while Rust parses or waits on the database.
Errors are the classes of :mod:`amazcope.errors`.
"""

from amazcope import errors
from amazcope._amazcope import Client, Db, Page, __version__, connect, decode_keepa, fetch, parse
from amazcope._tables import to_pandas, to_polars

__all__ = [
    "Client",
    "Db",
    "connect",
    "decode_keepa",
    "Page",
    "__version__",
    "errors",
    "fetch",
    "parse",
    "to_pandas",
    "to_polars",
]
