"""Vectorised measurements behind the quality report: gaps and a volatility summary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict, cast

import numpy as np
import pandas as pd
import ta

from backtrader_engine.data.validation import MAX_VALUE

ATR_WINDOW = 14
SPIKE_SIGMA = 10.0
# Scales the median absolute deviation to a standard deviation for normally distributed data.
_MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class Gap:
    """A run of missing bars: ``start`` and ``end`` are the first and last missing bar times."""

    start: pd.Timestamp
    end: pd.Timestamp
    missing_bars: int


@dataclass(frozen=True)
class VolatilitySummary:
    """ATR as % of close, the largest close-to-close move and the count of spikes.

    A spike is a close that jumps and immediately jumps back, both moves beyond
    ``spike_sigma`` robust standard deviations: the signature of a bad tick. Crypto returns are
    too fat-tailed for a plain threshold on single moves to mean anything.
    """

    atr_pct_median: float
    atr_pct_p95: float
    max_move_pct: float
    max_move_at: pd.Timestamp
    spikes: int
    spike_sigma: float = SPIKE_SIGMA


class GapCounts(TypedDict, total=False):
    """The gap fields of a quality report (none when the bar spacing is unknown)."""

    gap_count: int
    missing_bars: int
    largest_gaps: tuple[Gap, ...]
    irregular_count: int


def first_stamps(
    index: pd.Index, mask: np.ndarray | np.bool_, limit: int
) -> tuple[pd.Timestamp, ...]:
    """The first *limit* timestamps where *mask* is true."""
    return tuple(index[np.flatnonzero(mask)[:limit]])


def find_gaps(index: pd.DatetimeIndex, spacing: pd.Timedelta, *, largest: int) -> GapCounts:
    """Count gaps (spacing of two bars or more) and irregular spacings in a sorted index.

    Returns
    -------
    GapCounts
        ``gap_count``, ``missing_bars``, ``largest_gaps`` (the *largest* biggest, in time order)
        and ``irregular_count`` (spacings that are not a whole multiple of *spacing*).
    """
    stamps = index.as_unit("ns").asi8
    step = spacing.value
    diffs = np.diff(stamps)
    irregular = int((diffs % step != 0).sum())
    is_gap = diffs >= 2 * step
    missing = np.where(is_gap, diffs // step - 1, 0)
    order = np.argsort(-missing, kind="stable")[: min(largest, int(is_gap.sum()))]
    gaps = tuple(
        Gap(
            start=pd.Timestamp(stamps[i] + step),
            end=pd.Timestamp(stamps[i] + int(missing[i]) * step),
            missing_bars=int(missing[i]),
        )
        for i in sorted(order)
    )
    return {
        "gap_count": int(is_gap.sum()),
        "missing_bars": int(missing.sum()),
        "largest_gaps": gaps,
        "irregular_count": irregular,
    }


def volatility_summary(df: pd.DataFrame) -> VolatilitySummary | None:
    """Summarise ATR(14) as % of close and the close-to-close moves.

    Returns ``None`` when fewer than ``ATR_WINDOW + 1`` clean bars (no NaN, positive close)
    remain, since ATR is undefined before its window fills.
    """
    clean = df.loc[:, ["high", "low", "close"]]
    # Refused values (NaN, infinite, huge, <= 0) are reported on their own; measuring them
    # would only print numpy warnings and inf/nan percentages.
    values = clean.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        usable = (np.isfinite(values) & (values > 0) & (values <= MAX_VALUE)).all(axis=1)
    clean = clean.loc[usable]
    if len(clean) <= ATR_WINDOW:
        return None
    with np.errstate(all="ignore"):
        return _summary(clean)


def _summary(clean: pd.DataFrame) -> VolatilitySummary | None:
    atr = ta.volatility.average_true_range(
        clean["high"], clean["low"], clean["close"], window=ATR_WINDOW
    )
    # ta reports 0 until the window is full; those values are not measurements.
    atr_pct = (atr / clean["close"] * 100.0).iloc[ATR_WINDOW:]
    moves = clean["close"].pct_change().iloc[1:] * 100.0
    log_moves = np.log(clean["close"]).diff().iloc[1:].to_numpy(dtype=np.float64, copy=True)
    deviation = np.abs(log_moves - np.median(log_moves))
    sigma = np.median(deviation) * _MAD_TO_SIGMA
    spikes = 0
    if sigma > 0:
        big = deviation > SPIKE_SIGMA * sigma
        reverts = np.sign(log_moves[:-1]) != np.sign(log_moves[1:])
        spikes = int((big[:-1] & big[1:] & reverts).sum())
    if moves.empty or not np.isfinite(moves).all():
        return None
    # A canonical frame's index is a DatetimeIndex, so its labels are timestamps.
    biggest = cast(pd.Timestamp, moves.abs().idxmax())
    return VolatilitySummary(
        atr_pct_median=float(atr_pct.median()),
        atr_pct_p95=float(atr_pct.quantile(0.95)),
        max_move_pct=float(moves.loc[biggest]),
        max_move_at=pd.Timestamp(biggest),
        spikes=spikes,
    )
