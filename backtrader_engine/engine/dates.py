"""Vectorised conversion between pandas timestamps and backtrader's float date numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

# date(1970, 1, 1).toordinal(): backtrader numbers are proleptic ordinals plus the day fraction.
_EPOCH_ORDINAL = 719163
_NS_PER_DAY = 86_400_000_000_000


def datetimes_to_bt_num(index: pd.DatetimeIndex) -> np.ndarray:
    """Convert a naive-UTC DatetimeIndex to backtrader date numbers (``bt.date2num`` semantics)."""
    ns = pd.DatetimeIndex(index).as_unit("ns").asi8
    days, rem = np.divmod(ns, _NS_PER_DAY)
    return (days + _EPOCH_ORDINAL).astype(np.float64) + rem.astype(np.float64) / _NS_PER_DAY


def bt_num_to_datetimes(nums: np.ndarray | list[float]) -> pd.DatetimeIndex:
    """Inverse of :func:`datetimes_to_bt_num`, rounded to the millisecond.

    A float64 date number near year 2000 resolves about 10 microseconds, so finer digits are
    noise; candle and funding times are whole milliseconds.
    """
    values = np.asarray(nums, dtype=np.float64)
    ms = np.round((values - _EPOCH_ORDINAL) * (_NS_PER_DAY / 1_000_000)).astype("int64")
    return pd.DatetimeIndex((ms * 1_000_000).astype("datetime64[ns]"), name="datetime")
