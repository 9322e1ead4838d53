"""Native module of amazcope (PyO3). Import from ``amazcope`` instead."""

import datetime
from decimal import Decimal
from typing import Any, Optional, Union, final

__version__: str

__all__ = [
    "AmazcopeError",
    "CaptchaError",
    "ConflictError",
    "DatabaseError",
    "FetchError",
    "Page",
    "parse",
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
