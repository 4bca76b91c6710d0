"""Conversion of any timestamp column to a tz-naive UTC ``datetime64[ns]`` index.

Backtrader converts tz-aware datetimes to its own notion of local time, so every loader hands
it naive timestamps that are understood to be UTC. Inputs may be tz-aware datetimes (converted
to UTC), naive datetimes (taken as UTC), epoch numbers in s/ms/us/ns (unit detected per value by
magnitude, because Binance switched spot archives from ms to us in 2025 and a directory may mix
both), ISO strings, or CryptoDataDownload's ``2019-10-17 09-PM`` hour stamps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd

from backtrader_engine.errors import DataError

RowLabel = Callable[[int], str]

# Magnitude bands for epoch numbers. 1e8 s is 1973-03-03; anything smaller is far more likely a
# row number or a price than a timestamp. Each band's upper limit is that date (≈ year 5138)
# expressed in the unit, so consecutive bands do not overlap for dates after 1973.
_MIN_EPOCH = 1e8
_EPOCH_BANDS: tuple[tuple[float, int], ...] = (
    (1e11, 1_000_000_000),  # seconds
    (1e14, 1_000_000),  # milliseconds
    (1e17, 1_000),  # microseconds
)
_NS_LIMIT = np.iinfo(np.int64).max
_CDD_HOUR = re.compile(r"^\d{4}-\d{2}-\d{2} \d{1,2}-(AM|PM)$", re.IGNORECASE)
_CDD_FORMAT = "%Y-%m-%d %I-%p"
_NUMERIC_TEXT = re.compile(r"^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$")


def row_labeller(first_line: int | None) -> RowLabel:
    """Return a function naming data row *i* (0-based) for error messages.

    Parameters
    ----------
    first_line : int or None
        The 1-based file line of the first data row for text files, or ``None`` for columnar
        files, whose rows are then named ``row N`` (1-based).
    """
    if first_line is None:
        return lambda i: f"row {i + 1}"
    return lambda i: f"line {first_line + i}"


def _missing(source: str, where: str, column: str) -> DataError:
    return DataError(f"{source}: {where}: column '{column}' is empty; every bar needs a timestamp")


def _show(value: object) -> str:
    """A number as the user wrote it, not as a numpy repr such as ``np.int64(1)``."""
    return str(value.item() if isinstance(value, np.generic) else value)


def _epoch_factors(magnitude: np.ndarray) -> np.ndarray:
    """Nanoseconds per unit for every value, chosen by the value's magnitude."""
    factors = np.ones(magnitude.shape, dtype=np.int64)
    for limit, factor in reversed(_EPOCH_BANDS):
        factors[magnitude < limit] = factor
    return factors


def epoch_to_ns(values: np.ndarray, *, source: str, column: str, label: RowLabel) -> np.ndarray:
    """Convert epoch numbers (s, ms, us or ns, detected per value) to ``datetime64[ns]``.

    Raises
    ------
    DataError
        On a missing value, a value too small to be a post-1973 epoch, or one past year 2262.
    """
    numbers = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(numbers)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _missing(source, label(i), column)
    magnitude = np.abs(numbers)
    small = magnitude < _MIN_EPOCH
    if small.any():
        i = int(np.flatnonzero(small)[0])
        raise DataError(
            f"{source}: {label(i)}: '{column}' value {_show(values[i])} is not an epoch timestamp; "
            "expected seconds, milliseconds or microseconds since 1970 (e.g. 1662336000000)"
        )
    factors = _epoch_factors(magnitude)
    raw = np.asarray(values)
    # Integer arithmetic keeps the precision float64 loses beyond 2**53 (ns epochs).
    whole: np.ndarray | None = None
    if np.issubdtype(raw.dtype, np.integer):
        whole = raw.astype(np.int64)
    elif np.array_equal(numbers, np.floor(numbers)):
        whole = numbers.astype(np.int64)
    if whole is not None:
        too_big = np.abs(whole) > _NS_LIMIT // factors
        ns = whole * np.where(too_big, 1, factors)
    else:
        scaled = numbers * factors
        too_big = np.abs(scaled) >= float(_NS_LIMIT)
        ns = np.where(too_big, 0, np.round(scaled)).astype(np.int64)
    if too_big.any():
        i = int(np.flatnonzero(too_big)[0])
        raise DataError(
            f"{source}: {label(i)}: '{column}' value {_show(values[i])} is beyond year 2262; "
            "expected an epoch in seconds, milliseconds or microseconds"
        )
    return ns.view("datetime64[ns]")


def _first_unparsed(raw: pd.Series, parsed: pd.Series) -> int | None:
    failed = parsed.isna().to_numpy() & raw.notna().to_numpy()
    return int(np.flatnonzero(failed)[0]) if failed.any() else None


def _parse_text(text: pd.Series, *, source: str, column: str, label: RowLabel) -> pd.Series:
    """Parse date strings to a UTC-aware series, raising on the first unparsable value."""
    first = text.iloc[0]
    if _CDD_HOUR.match(first):
        parsed = pd.to_datetime(text, format=_CDD_FORMAT, errors="coerce").dt.tz_localize("UTC")
        expected = "dates like '2019-10-17 09-PM' throughout the column"
    else:
        try:
            parsed = pd.to_datetime(text, format="ISO8601", utc=True)
        except (ValueError, OverflowError):
            parsed = pd.to_datetime(text, format="mixed", utc=True, errors="coerce")
        expected = "ISO dates such as '2024-01-31 15:00:00' or epoch numbers"
    bad = _first_unparsed(text, parsed)
    if bad is not None:
        raise DataError(
            f"{source}: {label(bad)}: cannot parse '{column}' value '{text.iloc[bad]}' as a "
            f"date; expected {expected}"
        )
    return parsed


def to_utc_naive(
    values: pd.Series | pd.Index, *, source: str, column: str, label: RowLabel
) -> pd.DatetimeIndex:
    """Convert a timestamp column of any supported kind to a naive-UTC ``DatetimeIndex``.

    Parameters
    ----------
    values : pandas.Series or pandas.Index
        The raw timestamps: datetimes (tz-aware or naive), epoch numbers or strings.
    source : str
        The file path, used as the first word of error messages.
    column : str
        The column name, used in error messages.
    label : callable
        Names a 0-based data row for error messages (see :func:`row_labeller`).

    Returns
    -------
    pandas.DatetimeIndex
        ``datetime64[ns]``, tz-naive, in UTC, in the input order.

    Raises
    ------
    DataError
        If a value is missing or cannot be parsed; the message names the row and the value.
    """
    series = pd.Series(values).reset_index(drop=True)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    elif pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        ns = epoch_to_ns(series.to_numpy(), source=source, column=column, label=label)
        series = pd.Series(ns)
    elif not pd.api.types.is_datetime64_dtype(series.dtype):
        series = _from_objects(series, source=source, column=column, label=label)
    missing = series.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise _missing(source, label(i), column)
    return pd.DatetimeIndex(series.astype("datetime64[ns]"), name="datetime")


def _from_objects(series: pd.Series, *, source: str, column: str, label: RowLabel) -> pd.Series:
    """Strings (or Python datetimes) to naive UTC; numeric strings are treated as epochs."""
    missing = series.isna().to_numpy()
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise _missing(source, label(i), column)
    is_text = pd.api.types.is_string_dtype(series)
    if not is_text and series.map(lambda v: isinstance(v, datetime)).all():
        return pd.Series(pd.to_datetime(series, utc=True)).dt.tz_localize(None)
    text = series.astype(str).str.strip()
    if text.str.fullmatch(_NUMERIC_TEXT).all():
        numbers = pd.to_numeric(text).to_numpy()
        return pd.Series(epoch_to_ns(numbers, source=source, column=column, label=label))
    parsed = _parse_text(text, source=source, column=column, label=label)
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None)


def parse_bound(value: str | datetime | None, *, name: str) -> pd.Timestamp | None:
    """Parse a ``start``/``end`` filter value to a naive-UTC timestamp (``None`` passes through).

    Parameters
    ----------
    value : str, datetime, pandas.Timestamp or None
        A date or datetime; tz-aware values are converted to UTC, naive ones are taken as UTC.
    name : str
        ``"start"`` or ``"end"``, for the error message.

    Raises
    ------
    DataError
        If *value* cannot be parsed as a date.
    """
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"cannot parse {name} '{value}' as a date; expected e.g. '2024-01-31' or "
            "'2024-01-31 15:00'"
        ) from exc
    if stamp is pd.NaT:
        raise DataError(f"{name} '{value}' is not a date; expected e.g. '2024-01-31'")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.as_unit("ns")
