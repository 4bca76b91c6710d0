"""Timeframe names, their durations and their backtrader equivalents.

The canonical names are the ones used by ccxt/Binance (``1m`` ... ``1w``). Bybit's REST API names
intervals by minutes (``1``, ``60``, ``240``) or letters (``D``, ``W``); those are accepted as
aliases so a value copied from a Bybit request works unchanged.
"""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd

from backtrader_engine.errors import DataError, did_you_mean

#: Canonical timeframe names in ascending order of duration.
TIMEFRAMES: dict[str, pd.Timedelta] = {
    "1m": pd.Timedelta(minutes=1),
    "3m": pd.Timedelta(minutes=3),
    "5m": pd.Timedelta(minutes=5),
    "15m": pd.Timedelta(minutes=15),
    "30m": pd.Timedelta(minutes=30),
    "1h": pd.Timedelta(hours=1),
    "2h": pd.Timedelta(hours=2),
    "4h": pd.Timedelta(hours=4),
    "6h": pd.Timedelta(hours=6),
    "12h": pd.Timedelta(hours=12),
    "1d": pd.Timedelta(days=1),
    "1w": pd.Timedelta(weeks=1),
}

#: Bybit v5 ``interval`` values mapped to the canonical names.
BYBIT_INTERVALS: dict[str, str] = {
    "1": "1m",
    "3": "3m",
    "5": "5m",
    "15": "15m",
    "30": "30m",
    "60": "1h",
    "120": "2h",
    "240": "4h",
    "360": "6h",
    "720": "12h",
    "D": "1d",
    "W": "1w",
}

_BY_DURATION = {td: name for name, td in TIMEFRAMES.items()}


def canonical_timeframe(tf: str) -> str:
    """Return the canonical name (``"1h"``) of a timeframe given by any accepted spelling.

    Parameters
    ----------
    tf : str
        A canonical name (``"5m"``, ``"4h"``, ``"1d"``), an upper-case variant of the hour, day
        and week names (``"4H"``, ``"1D"``), or a Bybit interval (``"240"``, ``"D"``).

    Returns
    -------
    str
        The canonical name.

    Raises
    ------
    DataError
        If *tf* is not a supported timeframe; the message lists the valid values.
    """
    text = str(tf).strip()
    if text in TIMEFRAMES:
        return text
    if text in BYBIT_INTERVALS:
        return BYBIT_INTERVALS[text]
    # "1M" conventionally means one month, so only the unambiguous units are case-folded.
    if text[-1:] in ("H", "D", "W") and text.lower() in TIMEFRAMES:
        return text.lower()
    valid = ", ".join(TIMEFRAMES)
    bybit = ", ".join(BYBIT_INTERVALS)
    hint = did_you_mean(text, list(TIMEFRAMES))
    raise DataError(
        f"unknown timeframe '{text}'{hint}; expected one of {valid} (or a Bybit interval: {bybit})"
    )


def parse_timeframe(tf: str) -> pd.Timedelta:
    """Return the duration of a timeframe.

    Parameters
    ----------
    tf : str
        Any spelling accepted by :func:`canonical_timeframe`.

    Returns
    -------
    pandas.Timedelta
        The bar duration, e.g. ``Timedelta("0 days 04:00:00")`` for ``"4h"`` or ``"240"``.

    Raises
    ------
    DataError
        If *tf* is not a supported timeframe.
    """
    return TIMEFRAMES[canonical_timeframe(tf)]


def timeframe_name(delta: pd.Timedelta) -> str:
    """Return a short name for a bar spacing: canonical when it is one, else ``"<n><unit>"``.

    Parameters
    ----------
    delta : pandas.Timedelta
        A positive duration.

    Returns
    -------
    str
        ``"5m"`` for five minutes, ``"31d"`` for a month-end spacing, ``"90s"`` for 90 seconds.
    """
    delta = pd.Timedelta(delta)
    if delta in _BY_DURATION:
        return _BY_DURATION[delta]
    seconds = delta.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return str(delta)


def modal_spacing(index: pd.DatetimeIndex) -> pd.Timedelta:
    """Return the most frequent positive spacing between consecutive timestamps.

    The mode rather than the minimum is used so that a handful of misaligned bars (exchange
    outages, maintenance restarts) cannot shrink the detected timeframe.

    Raises
    ------
    DataError
        If there are fewer than two distinct timestamps.
    """
    values = np.unique(index.as_unit("ns").asi8)
    if values.size < 2:
        raise DataError(
            f"cannot infer a timeframe from {values.size} bar(s); at least 2 distinct timestamps "
            "are needed"
        )
    diffs = np.diff(values)
    spacings, counts = np.unique(diffs, return_counts=True)
    # np.unique sorts ascending, so ties resolve to the shorter spacing.
    return pd.Timedelta(int(spacings[np.argmax(counts)]), unit="ns")


def infer_timeframe(df: pd.DataFrame | pd.Index) -> str:
    """Infer the bar timeframe of an OHLCV frame from its modal timestamp spacing.

    Parameters
    ----------
    df : pandas.DataFrame or pandas.Index
        A frame with a ``DatetimeIndex`` (or the index itself).

    Returns
    -------
    str
        A canonical name such as ``"5m"`` when the spacing matches one, otherwise a short
        duration string such as ``"31d"``.

    Raises
    ------
    DataError
        If the index has fewer than two distinct timestamps.
    """
    index = df if isinstance(df, pd.Index) else df.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(
            f"cannot infer a timeframe: the index is {type(index).__name__}, expected a "
            "DatetimeIndex"
        )
    return timeframe_name(modal_spacing(index))


def timeframe_to_backtrader(tf: str) -> tuple[int, int]:
    """Map a timeframe to backtrader's ``(timeframe, compression)`` pair.

    Parameters
    ----------
    tf : str
        Any spelling accepted by :func:`canonical_timeframe`.

    Returns
    -------
    tuple of int
        ``(bt.TimeFrame.Minutes, minutes)`` for intraday timeframes (backtrader resamples and
        aligns intraday bars in minutes), ``(bt.TimeFrame.Days, 1)`` for ``1d`` and
        ``(bt.TimeFrame.Weeks, 1)`` for ``1w``.
    """
    name = canonical_timeframe(tf)
    if name == "1d":
        return bt.TimeFrame.Days, 1
    if name == "1w":
        return bt.TimeFrame.Weeks, 1
    return bt.TimeFrame.Minutes, int(TIMEFRAMES[name].total_seconds() // 60)
