"""DataFrame helpers for the Arrow tables amazcope returns."""

from typing import Any


def _table(data: Any) -> Any:
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    # Anything exporting the Arrow PyCapsule stream interface.
    return pa.table(data)


def to_pandas(data: Any) -> Any:
    """Converts an Arrow table (or any ``__arrow_c_stream__`` exporter) to a pandas
    DataFrame; decimals stay ``decimal.Decimal`` and timestamps stay UTC-aware. Needs pandas."""
    try:
        import pandas  # noqa: F401
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_pandas needs pandas: pip install pandas") from e
    return _table(data).to_pandas()


def to_polars(data: Any) -> Any:
    """Converts an Arrow table (or any ``__arrow_c_stream__`` exporter) to a polars
    DataFrame without copying the columns. Needs polars."""
    try:
        import polars as pl
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_polars needs polars: pip install polars") from e
    return pl.from_arrow(_table(data))
