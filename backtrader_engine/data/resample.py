"""Aggregate OHLCV bars to a higher timeframe on a UTC-epoch-aligned grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from backtrader_engine.data.frame import INDEX_NAME, OHLCV_COLUMNS, datetime_index
from backtrader_engine.data.timeframes import (
    canonical_timeframe,
    modal_spacing,
    parse_timeframe,
    timeframe_name,
)
from backtrader_engine.errors import DataError

# 1970-01-01 was a Thursday; weekly bars start on Monday 00:00 UTC like Bybit's and Binance's.
_WEEK_ORIGIN_NS = pd.Timestamp("1970-01-05").value
_AGGREGATIONS = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
LABELS = ("open", "last")


def _source_spacing(df: pd.DataFrame, base_timeframe: str | None) -> pd.Timedelta:
    if base_timeframe is not None:
        return parse_timeframe(base_timeframe)
    return modal_spacing(datetime_index(df))


def _check_grid(index: pd.DatetimeIndex, base: pd.Timedelta, origin: int) -> None:
    """Source bars must start on the base grid, or one bar could straddle two periods."""
    offsets = (index.asi8 - origin) % base.value
    if offsets.any():
        stamp = index[int(np.flatnonzero(offsets)[0])]
        raise DataError(
            f"bar at {stamp} is not on the {timeframe_name(base)} grid; bars must start at "
            f"multiples of {timeframe_name(base)} from 00:00 UTC to be resampled"
        )


def resample_ohlcv(
    df: pd.DataFrame,
    timeframe: str,
    *,
    label: str = "open",
    base_timeframe: str | None = None,
) -> pd.DataFrame:
    """Aggregate bars to a higher timeframe.

    Periods are aligned to the UTC epoch: ``1d`` bars start at 00:00 UTC, ``4h`` bars at 00:00,
    04:00, ..., and ``1w`` bars on Monday 00:00 UTC (as on Bybit and Binance). Within a period,
    open is the first open, high the maximum, low the minimum, close the last close and volume
    the sum. Periods without any source bar (gaps) produce no row. A period with some source
    bars missing is kept, like any gap. The trailing period is dropped when incomplete, i.e.
    when its end lies after the close of the last source bar.

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical OHLCV frame (see :func:`backtrader_engine.data.load_ohlcv`).
    timeframe : str
        Target timeframe, any spelling accepted by
        :func:`backtrader_engine.data.parse_timeframe`.
    label : {"open", "last"}
        ``"open"`` labels each bar by its period start. ``"last"`` labels it by the open time
        of the last base bar the period can contain (``period_start + timeframe - base``): a
        backtrader feed built from such bars delivers each higher-timeframe bar together with
        the base bar that completes it, never earlier, so it can confirm signals without
        look-ahead.
    base_timeframe : str, optional
        The source timeframe; inferred from the modal bar spacing when omitted.

    Returns
    -------
    pandas.DataFrame
        A canonical OHLCV frame at the target timeframe (possibly empty when the data does not
        fill one complete period).

    Raises
    ------
    DataError
        If *label* or *timeframe* is invalid, the target is shorter than or not a multiple of
        the source timeframe, or source bars are off the source grid.
    """
    if label not in LABELS:
        raise DataError(f"unknown label '{label}'; expected one of {', '.join(LABELS)}")
    target = parse_timeframe(timeframe)
    name = canonical_timeframe(timeframe)
    if df.empty:
        raise DataError(f"cannot resample to {name}: the frame has no bars")
    base = _source_spacing(df, base_timeframe)
    if target < base:
        raise DataError(
            f"cannot resample {timeframe_name(base)} bars to {name}: the target timeframe is "
            f"shorter than the source's; expected {timeframe_name(base)} or longer"
        )
    if target.value % base.value:
        raise DataError(
            f"cannot resample {timeframe_name(base)} bars to {name}: {name} is not a whole "
            f"multiple of {timeframe_name(base)}"
        )
    origin = _WEEK_ORIGIN_NS if name == "1w" else 0
    index = pd.DatetimeIndex(df.index).as_unit("ns")
    _check_grid(index, base, origin)
    starts_ns = origin + (index.asi8 - origin) // target.value * target.value
    starts = pd.DatetimeIndex(starts_ns.view("datetime64[ns]"), name=INDEX_NAME)
    frame = df.loc[:, list(OHLCV_COLUMNS)].astype(np.float64)
    grouped = frame.groupby(starts, sort=True).agg(_AGGREGATIONS)
    last_close = index.max() + base
    if len(grouped) and grouped.index[-1] + target > last_close:
        grouped = grouped.iloc[:-1]
    if label == "last":
        grouped.index = grouped.index + (target - base)
    grouped.index = pd.DatetimeIndex(grouped.index, name=INDEX_NAME).as_unit("ns")
    return grouped.loc[:, list(OHLCV_COLUMNS)].copy()
