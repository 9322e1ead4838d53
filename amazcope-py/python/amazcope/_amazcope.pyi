"""Native module of amazcope (PyO3). Import from ``amazcope`` instead."""

import datetime
from decimal import Decimal
import os
from typing import Any, Optional, Sequence, Union, final

import pyarrow

__version__: str

__all__ = [
    "AmazcopeError",
    "CaptchaError",
    "ConflictError",
    "DatabaseError",
    "FetchError",
    "Page",
    "parse",
    "fetch",
    "Client",
    "Db",
    "connect",
    "decode_keepa",
    "ValidationError",
    "NotFound",
    "ParseError",
    "__version__",
]

class AmazcopeError(Exception):
    """Base class of every error raised by amazcope."""

class ValidationError(AmazcopeError, ValueError):
    """A value broke its rule; ``.field`` names the field and ``.value`` holds the value given."""

    field: str
    value: str
    reason: str

class NotFound(AmazcopeError, LookupError):
    """The entity does not exist or belongs to another user; ``.entity`` and ``.id`` say which."""

    entity: str
    id: str

class ParseError(AmazcopeError, ValueError):
    """A page could not be read at all (not HTML, or no recognisable Amazon page)."""

class ConflictError(AmazcopeError):
    """A uniqueness or state rule refused the change."""

    constraint: Optional[str]

class DatabaseError(AmazcopeError):
    """The database failed for a reason that is not about the data."""

class FetchError(AmazcopeError):
    """A page could not be fetched or read."""

    url: str

class CaptchaError(FetchError):
    """Amazon answered with a robot check instead of the page."""

@final
class Page:
    """A parsed Amazon page."""

    @property
    def kind(self) -> str: ...
    @property
    def marketplace(self) -> Optional[str]: ...
    @property
    def asin(self) -> Optional[str]: ...
    @property
    def url(self) -> Optional[str]: ...
    @property
    def title(self) -> Optional[str]: ...
    @property
    def brand(self) -> Optional[str]: ...
    @property
    def price(self) -> Optional[Decimal]: ...
    @property
    def list_price(self) -> Optional[Decimal]: ...
    @property
    def currency(self) -> Optional[str]: ...
    @property
    def rating(self) -> Optional[float]: ...
    @property
    def review_count(self) -> Optional[int]: ...
    @property
    def bsr(self) -> list[tuple[int, str]]: ...
    @property
    def in_stock(self) -> Optional[bool]: ...
    @property
    def availability(self) -> Optional[str]: ...
    @property
    def is_prime(self) -> Optional[bool]: ...
    @property
    def amazons_choice(self) -> Optional[list[str]]: ...
    @property
    def coupon(self) -> Optional[str]: ...
    @property
    def deal_badge(self) -> Optional[str]: ...
    @property
    def features(self) -> list[str]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def images(self) -> list[str]: ...
    @property
    def categories(self) -> list[str]: ...
    @property
    def seller(self) -> Optional[str]: ...
    @property
    def ships_from(self) -> Optional[str]: ...
    @property
    def unparseable(self) -> dict[str, str]: ...
    @property
    def variations(self) -> list[dict[str, Any]]: ...
    @property
    def items(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]:
        """Every attribute as a plain dict (prices stay ``decimal.Decimal``)."""

def parse(html: Union[str, bytes], marketplace: Optional[str] = None) -> Page:
    """Parses one saved or fetched Amazon page."""

def fetch(asin: str, marketplace: Optional[str] = None, *, base_url: Optional[str] = None) -> Page:
    """Fetches and parses one live product page (an ASIN or a product URL); raises
    CaptchaError or FetchError."""

@final
class Db:
    """Schema and storage operations of a database (``client.db``)."""

    def upgrade(self) -> None:
        """Applies every pending migration."""
    def current(self) -> Optional[int]:
        """The version of the newest applied migration."""
    def stats(self) -> pyarrow.Table:
        """Size of every table."""
    def partitions(self) -> pyarrow.Table:
        """The monthly partitions of ``product_snapshots``."""
    def backup(self, path: Union[str, os.PathLike[str]]) -> dict[str, Any]:
        """Dumps this database to ``path`` (``pg_dump`` custom format) with
        ``path.manifest.json`` beside it (every table's row count); returns the manifest."""
    def restore(self, path: Union[str, os.PathLike[str]]) -> dict[str, Any]:
        """Restores a dump made by :meth:`backup` into this EMPTY database and checks every
        table's row count; returns ``{target, manifest}``."""

@final
class Client:
    """A connection pool to an Amazcope database, made by :func:`connect`."""

    @property
    def url(self) -> str: ...
    @property
    def db(self) -> Db: ...
    def add_user(self, username: str) -> dict[str, Any]:
        """Creates a user."""
    def users(self) -> pyarrow.Table:
        """Every active user."""
    def settings(self, user: str) -> dict[str, Any]:
        """The user's settings."""
    def update_settings(self, user: str, **changes: Any) -> dict[str, Any]:
        """Changes the settings named as keyword arguments; returns all of them."""
    def reset_settings(self, user: str) -> dict[str, Any]:
        """Puts every setting back to its default; returns them."""
    def track(
        self,
        user: str,
        asin: str,
        marketplace: Optional[str] = None,
        *,
        price_threshold: Optional[float] = None,
        bsr_threshold: Optional[float] = None,
        target_price: Optional[Decimal] = None,
    ) -> dict[str, Any]:
        """Starts tracking a product for a user."""
    def untrack(self, user: str, asin: str, marketplace: Optional[str] = None) -> None:
        """Stops tracking."""
    def search(
        self, text: str, marketplace: Optional[str] = None, user: Optional[str] = None, limit: int = 20
    ) -> pyarrow.Table:
        """Products matching ``text`` (words, an ASIN or a title), best first."""
    def tracked(self, user: str) -> pyarrow.Table:
        """The user's tracked products with their latest values."""
    def import_pages(
        self,
        paths: Sequence[Union[str, os.PathLike[str]]],
        user: Optional[str] = None,
        scraped_at: Optional[datetime.datetime] = None,
    ) -> dict[str, Any]:
        """Imports saved pages."""
    def import_keepa(
        self,
        path: Union[str, os.PathLike[str]],
        user: Optional[str] = None,
        marketplace: Optional[str] = None,
    ) -> list[dict[str, Any]]:
        """Imports a Keepa product file as snapshots marked keepa."""
    def export(
        self,
        out: Union[str, os.PathLike[str]],
        *,
        asin: Optional[str] = None,
        marketplace: Optional[str] = None,
        user: Optional[str] = None,
        start: Optional[datetime.datetime] = None,
        end: Optional[datetime.datetime] = None,
        daily: bool = False,
        format: str = "parquet",
    ) -> int:
        """Writes a product's or a user's history to CSV or Parquet; returns the row count."""
    def alerts(self, user: str, unread: bool = False, limit: int = 1000) -> pyarrow.Table:
        """The user's alerts, newest first."""
    def mark_read(self, user: str, alert_id: Optional[str] = None) -> int:
        """Marks one alert (or all) read."""
    def notifications(self, user: str, unread: bool = False, limit: int = 1000) -> pyarrow.Table:
        """The user's notifications, newest first."""
    def add_channel(
        self,
        user: str,
        *,
        email: Optional[str] = None,
        webhook: Optional[str] = None,
        format: Optional[str] = None,
        secret: Optional[str] = None,
        min_priority: Optional[str] = None,
        types: Optional[list[str]] = None,
    ) -> dict[str, Any]:
        """Adds an e-mail or webhook channel (format json/slack/discord/ntfy, signing secret,
        filters); returns it with the target masked and, for the secret, only "has_secret"."""
    def channels(self, user: str) -> list[dict[str, Any]]:
        """The user's channels (targets masked; "has_secret" instead of the secret)."""
    def remove_channel(self, user: str, id: str) -> None:
        """Removes one of the user's channels."""
    def test_channel(
        self, user: str, id: str, *, smtp_url: Optional[str] = None, mail_from: Optional[str] = None
    ) -> dict[str, Any]:
        """Sends a test message now: {"ok", "code", "error"}."""
    def deliver(
        self,
        now: Optional[datetime.datetime] = None,
        *,
        smtp_url: Optional[str] = None,
        mail_from: Optional[str] = None,
    ) -> dict[str, int]:
        """Delivers everything due at `now` (default now): {"sent", "failed", "dead"}."""
    def deliveries(self, user: str, failed: bool = False, limit: int = 1000) -> pyarrow.Table:
        """The user's delivery log, newest first (status, attempts, response_code, last_error...)."""
    def mark_notifications_read(self, user: str, id: Optional[str] = None) -> int:
        """Marks one notification (or all) read."""
    def delete_notification(self, user: str, id: str) -> None:
        """Deletes one of the user's notifications."""
    def purge_notifications(self, user: str, older_than_days: int) -> int:
        """Deletes the user's notifications older than so many days; returns how many."""
    def history(
        self, asin: str, marketplace: Optional[str] = None, days: int = 90, *, user: str, daily: bool = False
    ) -> pyarrow.Table:
        """Price and rank history of a tracked product, with the quality of each tracked value
        (`price_quality` ... `stock_quality`: ok / absent / unparsed / blocked), `page_asin` and
        `resolution` (`raw`, or `daily` for the days before the oldest raw snapshot, from the
        daily rollups; `daily=True`: daily rows only)."""
    def chart(
        self,
        asin: str,
        marketplace: Optional[str] = None,
        days: Optional[int] = None,
        *,
        user: str,
        daily: bool = False,
        width: int = 1200,
        height: int = 600,
    ) -> str:
        """A Keepa-style chart of the history (price, list price, sales rank, out-of-stock spans) as SVG."""
    def report(self, user: str, hours: int = 24) -> dict[str, Any]:
        """The user's report over the last hours."""
    def stats(self, asin: str, marketplace: Optional[str] = None, *, user: str) -> pyarrow.Table:
        """Price and stock statistics over 30, 90, 180 and 365 days, one row per window."""
    def replay(self, asin: str, marketplace: Optional[str] = None, *, user: str) -> pyarrow.Table:
        """The alerts the user's rules would have raised over the stored history."""
    def refresh(
        self, user: Optional[str] = None, *, base_url: Optional[str] = None, limit: int = 10000
    ) -> dict[str, Any]:
        """Fetches and stores the pages of the due products."""
    def suggest(self, user: str) -> dict[str, Any]:
        """Runs the suggestion generators over the user's tracked products."""
    def suggestions(self, user: str, status: Optional[str] = None) -> pyarrow.Table:
        """The user's suggestions, actions nested."""
    def suggestion_stats(self, user: str) -> dict[str, Any]:
        """How many suggestions the user has, by status, category and priority."""
    def suggestion(self, user: str, suggestion_id: str) -> dict[str, Any]:
        """One of the user's suggestions with its actions."""
    def approve(
        self, user: str, suggestion_id: str, actions: Optional[Sequence[str]] = None
    ) -> dict[str, Any]:
        """Approves a pending suggestion (every action, or only some)."""
    def reject(self, user: str, suggestion_id: str) -> dict[str, Any]:
        """Rejects a pending suggestion."""
    def apply(
        self, user: str, suggestion_id: str, actions: Optional[Sequence[str]] = None
    ) -> dict[str, Any]:
        """Applies the approved actions of a suggestion, all or nothing."""
    def summary(
        self, asin: str, marketplace: Optional[str] = None, *, user: str
    ) -> Optional[dict[str, Any]]:
        """Latest values with their 7- and 30-day changes."""
    def trends(
        self,
        asin: str,
        marketplace: Optional[str] = None,
        fields: Optional[Sequence[str]] = None,
        days: Optional[int] = None,
        granularity: str = ...,
        *,
        user: str,
    ) -> dict[str, pyarrow.Table]:
        """Series of snapshot fields, raw or by day or week: one table per field."""
    def compare(
        self,
        asins: Sequence[str],
        marketplace: Optional[str] = None,
        metric: str = ...,
        days: Optional[int] = None,
        *,
        user: str,
    ) -> dict[str, Any]:
        """Several products side by side on one metric."""
    def category_metrics(
        self,
        category: Optional[str] = None,
        marketplace: str = ...,
        at: Optional[datetime.datetime] = None,
    ) -> pyarrow.Table:
        """Computes and stores each category's metrics from its newest best-seller list."""

def decode_keepa(text: str, marketplace: Optional[str] = None) -> pyarrow.Table:
    """Decodes a Keepa product file as import_keepa stores it, one row per change time."""
def connect(url: Optional[str] = None, *, upgrade: bool = True, read_url: Optional[str] = None) -> Client:
    """Opens the database at ``url``, else ``DATABASE_URL``, else the private cluster.

    ``read_url``: a read replica that analytics reads use while it lags at most 30 s."""
