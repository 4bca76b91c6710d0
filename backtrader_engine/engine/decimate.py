"""Thin a long series to what a plot can show, keeping every extreme.

A line of a million points drawn into a thousand pixel columns costs time and shows nothing
more than, per column, the first point (where the line comes in), the lowest and highest
(how far it reaches) and the last (where it leaves). Keeping those four per slice of the x
range no wider than a pixel draws the same picture; striding (every n-th point) would drop a
one-bar spike or the bottom of a drawdown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def extreme_points(x: np.ndarray, y: np.ndarray, columns: int) -> np.ndarray:
    """Positions of the first, lowest, highest and last point of each of *columns* equal
    slices of *x*'s range, in order (all positions when there are not more points than that).

    *x* must not decrease (times or positions); NaN in *y* is never chosen as an extreme.
    """
    n = len(y)
    if n <= 4 * columns:
        return np.arange(n)
    xs = np.asarray(x, dtype=np.float64)
    span = xs[-1] - xs[0]
    if span > 0:
        column = np.minimum(((xs - xs[0]) * (columns / span)).astype(np.int64), columns - 1)
    else:
        column = np.zeros(n, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, column[1:] != column[:-1]])
    ends = np.r_[starts[1:], n] - 1
    values = np.asarray(y, dtype=np.float64)
    keep = [starts, ends]
    for reduce, blank in ((np.minimum, np.inf), (np.maximum, -np.inf)):
        filled = np.where(np.isnan(values), blank, values)
        extreme = reduce.reduceat(filled, starts)
        # The first point of each slice equal to the slice's extreme.
        hits = np.flatnonzero(filled == np.repeat(extreme, ends - starts + 1))
        keep.append(hits[np.searchsorted(hits, starts)])
    return np.unique(np.concatenate(keep))


def decimate(series: pd.Series, columns: int) -> pd.Series:
    """*series* thinned by :func:`extreme_points` along its index (its positions when the
    index is neither times nor numbers in order)."""
    index = series.index
    if isinstance(index, pd.DatetimeIndex) and index.is_monotonic_increasing:
        x = index.asi8
    elif pd.api.types.is_numeric_dtype(index.dtype) and index.is_monotonic_increasing:
        x = index.to_numpy(dtype=np.float64)
    else:
        x = np.arange(len(series))
    return series.iloc[extreme_points(x, series.to_numpy(dtype=np.float64), columns)]
