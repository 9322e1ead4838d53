"""The exceptions amazcope raises, one class per kind of failure.

``AmazcopeError`` is the base of all. ``ValidationError`` (also a ``ValueError``) names the
field and the value that broke a rule; ``NotFound`` (also a ``LookupError``) is raised for a
missing entity and for another user's, alike; ``ConflictError`` for a uniqueness or state
rule; ``DatabaseError`` for connection and server failures; ``FetchError`` and its subclass
``CaptchaError`` for pages that could not be had; ``ParseError`` (also a ``ValueError``) for
input that is not a readable page.
"""

from amazcope._amazcope import (
    AmazcopeError,
    CaptchaError,
    ConflictError,
    DatabaseError,
    FetchError,
    NotFound,
    ParseError,
    ValidationError,
)

__all__ = [
    "AmazcopeError",
    "CaptchaError",
    "ConflictError",
    "DatabaseError",
    "FetchError",
    "NotFound",
    "ParseError",
    "ValidationError",
]
