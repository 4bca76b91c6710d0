"""The canonical OHLCV frame and the steps every loader shares to produce it.

Canonical frame: float64 columns exactly ``open, high, low, close, volume``; a tz-naive UTC
``DatetimeIndex`` named ``datetime`` with dtype ``datetime64[ns]``; ascending and unique.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtrader_engine.data.timestamps import RowLabel
from backtrader_engine.errors import DataError

OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
INDEX_NAME = "datetime"

#: Lower-case column names accepted for each field, in order of preference.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "open": ("open", "o"),
    "high": ("high", "h"),
    "low": ("low", "l"),
    "close": ("close", "c"),
    "volume": ("volume", "vol", "v"),
}

#: Lower-case timestamp column names, in order of preference.
TIME_COLUMNS: tuple[str, ...] = (
    "datetime",
    "date",
    "timestamp",
    "time",
    "open_time",
    "opentime",
    "unix",
)


@dataclass
class RawOhlcv:
    """Timestamps and columns read from one source, before sorting and de-duplication."""

    index: pd.DatetimeIndex
    columns: dict[str, np.ndarray]
    volume_column: str | None
    time_column: str
    #: Rows per value of a symbol column, when the source has one.
    symbols: dict[str, int] = dataclasses.field(default_factory=dict)


def lower_map(columns: Sequence[object], *, source: str) -> dict[str, str]:
    """Map stripped lower-case column names to the original names.

    Raises
    ------
    DataError
        If two columns differ only in case or surrounding spaces, since either could be meant.
    """
    mapping: dict[str, str] = {}
    for col in columns:
        key = str(col).strip().lower()
        if key in mapping:
            raise DataError(
                f"{source}: columns '{mapping[key]}' and '{col}' differ only in case; keep one"
            )
        mapping[key] = str(col)
    return mapping


def find_column(lowered: Mapping[str, str], names: Sequence[str]) -> str | None:
    """Return the original name of the first of *names* present in *lowered*, else ``None``."""
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def require_prices(lowered: Mapping[str, str], *, source: str) -> dict[str, str]:
    """Return ``{field: original column}`` for open/high/low/close.

    Raises
    ------
    DataError
        If any price column is missing; the message lists the columns that were found.
    """
    found: dict[str, str] = {}
    missing: list[str] = []
    for field in PRICE_COLUMNS:
        col = find_column(lowered, COLUMN_ALIASES[field])
        if col is None:
            missing.append(field)
        else:
            found[field] = col
    if missing:
        have = ", ".join(lowered.values())
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)}; expected open, high, low, close "
            f"(any case) and optionally volume, found: {have}"
        )
    return found


def to_float(values: pd.Series, *, source: str, column: str, label: RowLabel) -> np.ndarray:
    """Convert a price/volume column to a writable float64 array.

    Empty cells become NaN (reported by the quality check); text that is not a number is a hard
    error because it means the column was misread.

    Raises
    ------
    DataError
        On the first non-numeric cell; the message names the row, column and value.
    """
    series = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(f"{source}: column '{column}' holds true/false values; expected numbers")
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=np.float64, copy=True)
    numbers = pd.to_numeric(series.astype("str").str.strip(), errors="coerce")
    failed = numbers.isna().to_numpy() & series.notna().to_numpy()
    failed &= series.astype("str").str.strip().ne("").to_numpy()
    if failed.any():
        i = int(np.flatnonzero(failed)[0])
        raise DataError(
            f"{source}: {label(i)}: column '{column}' value '{series.iloc[i]}' is not a number"
        )
    return numbers.to_numpy(dtype=np.float64, copy=True)


def drop_empty_volume(raw: RawOhlcv) -> RawOhlcv:
    """Treat an all-NaN volume column as absent.

    freqtrade stores mark-price and funding candles with a volume column that holds nothing;
    filling it with 0 (and saying so in the report) is more useful than NaN on every bar.
    """
    volume = raw.columns.get("volume")
    if volume is None or not np.isnan(volume).all():
        return raw
    columns = {k: v for k, v in raw.columns.items() if k != "volume"}
    return RawOhlcv(raw.index, columns, volume_column=None, time_column=raw.time_column)


def datetime_index(frame: pd.DataFrame | pd.Series) -> pd.DatetimeIndex:
    """The bar times of a frame or series on bars: its index, which must be a DatetimeIndex.

    pandas types every index as a plain ``Index``; this narrows it for the callers that need
    its datetime side (``asi8``, ``as_unit``) and fails loudly on a frame that is not on bars.
    """
    index = frame.index
    if not isinstance(index, pd.DatetimeIndex):
        raise TypeError(f"expected bars on a DatetimeIndex, not a {type(index).__name__}")
    return index


def source_order(index: pd.DatetimeIndex) -> tuple[str, int]:
    """Describe the order of timestamps as read, before sorting.

    Returns
    -------
    tuple of (str, int)
        The order (``"ascending"``, ``"descending"``, ``"mostly ascending"``,
        ``"mostly descending"`` or ``"unsorted"``) and how many consecutive steps go against the
        main direction. Real exports are not always clean: CryptoDataDownload's newest-first
        Coinbase file has a few hours swapped around 2017-11-12, so "mostly" (at least 90% of the
        steps in one direction) is reported rather than a bare "unsorted".
    """
    steps = np.diff(index.asi8)
    up, down = int((steps > 0).sum()), int((steps < 0).sum())
    if down == 0:
        return "ascending", 0
    if up == 0:
        return "descending", 0
    moving = up + down
    if up >= 0.9 * moving:
        return "mostly ascending", down
    if down >= 0.9 * moving:
        return "mostly descending", up
    return "unsorted", min(up, down)


def finalize(raw: RawOhlcv, *, source: str) -> tuple[pd.DataFrame, int]:
    """Build the canonical frame: sort ascending, drop exact duplicates, reject conflicts.

    Parameters
    ----------
    raw : RawOhlcv
        Timestamps and float columns in source order; ``volume`` may be absent (filled with 0).
    source : str
        The file path for error messages.

    Returns
    -------
    tuple of (pandas.DataFrame, int)
        The canonical frame and the number of exact duplicate rows dropped.

    Raises
    ------
    DataError
        If two rows share a timestamp but differ in any OHLCV value; the message names the first
        such timestamp.
    """
    n = len(raw.index)
    data = {
        col: np.array(raw.columns[col], dtype=np.float64, copy=True)
        if col in raw.columns
        else np.zeros(n, dtype=np.float64)
        for col in OHLCV_COLUMNS
    }
    index = pd.DatetimeIndex(raw.index, name=INDEX_NAME).as_unit("ns")
    frame = pd.DataFrame(data, index=index)
    # A stable sort keeps same-timestamp rows in file order, so "first conflicting" is meaningful.
    frame = frame.sort_index(kind="stable")
    return drop_duplicate_rows(frame, source=source)


def drop_duplicate_rows(frame: pd.DataFrame, *, source: str) -> tuple[pd.DataFrame, int]:
    """Drop rows repeating both timestamp and values; raise on same-timestamp conflicts.

    The frame must already be sorted by its index.
    """
    if frame.index.is_unique:
        return frame, 0
    exact = frame.reset_index().duplicated(keep="first").to_numpy()
    frame = frame.loc[~exact]
    if not frame.index.is_unique:
        stamp = frame.index[frame.index.duplicated()][0]
        rows = frame.loc[[stamp]]
        raise DataError(
            f"{source}: {len(rows)} rows share timestamp {stamp} but have different values "
            f"(first conflict); expected one bar per timestamp: remove or fix the extra rows"
        )
    return frame, int(exact.sum())


def slice_range(
    frame: pd.DataFrame, start: pd.Timestamp | None, end: pd.Timestamp | None, *, source: str
) -> pd.DataFrame:
    """Keep rows with ``start <= index <= end`` (either bound optional).

    Raises
    ------
    DataError
        If ``start`` is after ``end`` or nothing remains; the message gives the data's range.
    """
    if start is None and end is None:
        return frame
    if start is not None and end is not None and start > end:
        raise DataError(f"start {start} is after end {end}; expected start <= end")
    mask = np.ones(len(frame), dtype=bool)
    if start is not None:
        mask &= frame.index >= start
    if end is not None:
        mask &= frame.index <= end
    result = frame.loc[mask]
    if result.empty:
        have = f"{frame.index[0]} to {frame.index[-1]}" if len(frame) else "no rows"
        raise DataError(
            f"{source}: no bars between {start or 'the beginning'} and {end or 'the end'}; "
            f"the data covers {have}"
        )
    return result.copy()


def canonicalize(df: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Bring an OHLCV frame built elsewhere (a download, a resample) into canonical form.

    Columns are matched in any case, the index is converted to naive UTC ``datetime64[ns]``,
    rows are sorted, and exact duplicates dropped.

    Raises
    ------
    DataError
        If the index is not a ``DatetimeIndex``, a price column is missing, or two rows share a
        timestamp with different values.
    """
    if not isinstance(df.index, pd.DatetimeIndex):
        raise DataError(
            f"{source}: index is {type(df.index).__name__}; expected a DatetimeIndex of bar "
            "open times"
        )
    lowered = lower_map(list(df.columns), source=source)
    prices = require_prices(lowered, source=source)
    volume = find_column(lowered, COLUMN_ALIASES["volume"])
    columns = {
        field: df[col].to_numpy(dtype=np.float64, copy=True) for field, col in prices.items()
    }
    if volume is not None:
        columns["volume"] = df[volume].to_numpy(dtype=np.float64, copy=True)
    index = df.index
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    raw = RawOhlcv(pd.DatetimeIndex(index), columns, volume_column=volume, time_column="index")
    frame, _ = finalize(raw, source=source)
    return frame
