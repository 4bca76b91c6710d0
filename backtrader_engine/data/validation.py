"""The one set of rules candles must pass before any mode runs on them.

Backtests, optimisations, the replay server (``replay``, ``paper --source replay``) and
``data check`` all call :func:`refusal` (or :func:`validate_candles`), so data one of them
refuses is refused by all of them, with the same line.

A frame is refused when its bars are not tradable prices or not one series:

* a missing OHLCV column, no bars, fewer than :data:`MIN_BARS`, timestamps not ascending;
* a NaN or infinite value, a value above :data:`MAX_VALUE`, a price <= 0, negative volume;
* a bar whose high is below its low;
* bars of more than one size (:func:`bar_sizes`), e.g. 1h candles followed by 5m ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from backtrader_engine.data.frame import OHLCV_COLUMNS
from backtrader_engine.data.timeframes import timeframe_name
from backtrader_engine.errors import DataError

#: Fewest bars any mode runs on: two give the bar size, and an order filled at the next
#: bar's open needs a third bar to be closed on.
MIN_BARS = 3

#: Largest accepted price or volume. Real prices and volumes stay many orders of magnitude
#: below it; beyond it a value is corrupt, and products of two such values (notional,
#: variance) overflow float64.
MAX_VALUE = 1e18

#: Consecutive equal spacings that make a bar size of their own. Gaps in real data come
#: singly or in short runs (the sparsest real 1m file in the tests has at most 3 equal gaps
#: in a row); a file that switches from 1h to 5m bars has hundreds.
REGIME_RUN = 24

#: Ends the line of a refused bar; ``data check`` prints the line without it.
DATA_CHECK_HINT = " (run 'data check' for a full report)"


@dataclass(frozen=True)
class BarSize:
    """One bar size found in a series: its spacing, the bars having it and the first one."""

    spacing: pd.Timedelta
    bars: int
    first: pd.Timestamp

    @property
    def name(self) -> str:
        return timeframe_name(self.spacing)


def bar_sizes(index: pd.DatetimeIndex) -> tuple[BarSize, ...]:
    """The bar sizes of a sorted, unique index, most bars first.

    The most frequent spacing is always a bar size; another spacing is one only when it
    occurs :data:`REGIME_RUN` times in a row. So gaps (missing bars: spacings that are
    multiples of the bar size, scattered) never count, while a series that changes bar size
    does. Each bar belongs to the size of the spacing before it, else of the one after it,
    else to the most frequent size.

    Returns
    -------
    tuple of BarSize
        One entry for a clean series (none for fewer than two bars); two or more for a mix.
    """
    stamps = index.as_unit("ns").asi8
    diffs = np.diff(stamps)
    if diffs.size == 0:
        return ()
    values, counts = np.unique(diffs, return_counts=True)
    modal = values[np.argmax(counts)]
    starts = np.r_[0, np.flatnonzero(diffs[1:] != diffs[:-1]) + 1]
    lengths = np.diff(np.r_[starts, diffs.size])
    sizes = np.union1d(diffs[starts][lengths >= REGIME_RUN], [modal])
    is_size = np.isin(diffs, sizes)
    before = np.r_[False, is_size]  # bar i's spacing from bar i-1
    after = np.r_[is_size, False]  # bar i's spacing to bar i+1
    labels = np.where(before, np.r_[0, diffs], np.where(after, np.r_[diffs, 0], modal))
    found = []
    for size in sizes:
        mask = labels == size
        if mask.any():
            first = pd.Timestamp(stamps[int(np.argmax(mask))])
            found.append(BarSize(pd.Timedelta(int(size), unit="ns"), int(mask.sum()), first))
    return tuple(sorted(found, key=lambda s: (-s.bars, s.spacing)))


def describe_sizes(sizes: tuple[BarSize, ...]) -> str:
    """``"1h (1200) and 5m (300)"``."""
    parts = [f"{s.name} ({s.bars})" for s in sizes]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def cell_rules(values: np.ndarray) -> tuple[tuple[np.ndarray, str], ...]:
    """Per-cell refusal masks of an (n, 5) OHLCV array, with what each one means.

    ``data check`` counts these masks and :func:`refusal` names the first hit, so both
    judge the same cells.
    """
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(values)
        too_large = finite & (np.abs(values) > MAX_VALUE)
        nonpositive = np.zeros_like(values, dtype=bool)
        nonpositive[:, :4] = finite[:, :4] & (values[:, :4] <= 0)
        negative = np.zeros_like(values, dtype=bool)
        negative[:, 4] = finite[:, 4] & (values[:, 4] < 0)
    return (
        (np.isnan(values), "is NaN; fill or remove the bar"),
        (np.isinf(values), "is infinite; fix or remove the bar"),
        (too_large, f"is above {MAX_VALUE:g}; a real price or volume is far smaller"),
        (nonpositive, "is <= 0; prices must be positive"),
        (negative, "is negative; volume must be >= 0"),
    )


def high_below_low(values: np.ndarray) -> np.ndarray:
    """Rows of an (n, 5) OHLCV array whose high is below their low."""
    with np.errstate(invalid="ignore"):
        return values[:, 1] < values[:, 2]


def refusal(df: pd.DataFrame, source: str | Path) -> str | None:
    """The one line saying why no mode may run on *df*, or ``None`` when it may.

    Parameters
    ----------
    df : pandas.DataFrame
        A canonical OHLCV frame (see :func:`backtrader_engine.data.load_ohlcv`).
    source : str or pathlib.Path
        Where the data came from, for the message.
    """
    missing = [c for c in OHLCV_COLUMNS if c not in df.columns]
    if missing:
        return f"{source}: missing column(s) {', '.join(missing)}; expected {OHLCV_COLUMNS}"
    if df.empty:
        return f"{source}: no bars; expected at least {MIN_BARS} OHLCV bars"
    if not isinstance(df.index, pd.DatetimeIndex) or not (
        df.index.is_monotonic_increasing and df.index.is_unique
    ):
        return f"{source}: timestamps are not ascending and unique; load with load_ohlcv"
    if len(df) < MIN_BARS:
        return (
            f"{source}: only {len(df)} bar(s) ({df.index[0]} .. {df.index[-1]}); expected at "
            f"least {MIN_BARS}: two give the bar size, and an order filled at the next bar's "
            "open needs a third to be closed on"
        )
    values = df.loc[:, list(OHLCV_COLUMNS)].to_numpy(dtype=np.float64, copy=True)
    for bad, problem in cell_rules(values):
        if bad.any():
            # argwhere is row-major, so this is the earliest offending bar.
            row, col = np.argwhere(bad)[0]
            return f"{source}: bar {df.index[row]}: {OHLCV_COLUMNS[col]} {problem}{DATA_CHECK_HINT}"
    inverted = high_below_low(values)
    if inverted.any():
        row = int(np.flatnonzero(inverted)[0])
        return (
            f"{source}: bar {df.index[row]}: high {values[row, 1]} < low {values[row, 2]}; "
            f"expected high >= low{DATA_CHECK_HINT}"
        )
    sizes = bar_sizes(pd.DatetimeIndex(df.index))
    if len(sizes) > 1:
        minor = sizes[1]
        return (
            f"{source}: bars of more than one size: {describe_sizes(sizes)}, the {minor.name} "
            f"bars from {minor.first}; expected one bar size (split the data by bar size)"
        )
    return None


def validate_candles(df: pd.DataFrame, source: str | Path) -> None:
    """Raise :class:`DataError` with :func:`refusal`'s line when *df* is refused."""
    problem = refusal(df, source)
    if problem is not None:
        raise DataError(problem)
