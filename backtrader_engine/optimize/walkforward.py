"""Out-of-sample hold-outs and rolling walk-forward windows for parameter studies.

Two ways of keeping data the search never saw:

- :func:`split_in_out_of_sample` holds back the last bars of the data: the search runs on the
  rest and the chosen parameters are then run once on the hold-out.
- :func:`walk_forward_windows` cuts the data into K rolling windows. Each window searches on a
  train span and tests the winner on the test span right after it; the test spans follow one
  another without gaps or overlaps and together cover the end of the data, so
  :func:`stitch_equity` can chain them into one out-of-sample equity curve.

Windows and splits are counted in bars, not in time, so gaps in the data do not shift them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtrader_engine.engine.metrics import cagr_pct
from backtrader_engine.errors import UserError

MIN_BARS = 50  # fewer bars than this cannot carry an indicator warm-up plus a few trades
MAX_OOS_FRACTION = 0.9


def split_in_out_of_sample(
    frame: pd.DataFrame, oos_fraction: float
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Split *frame* into its first bars (in-sample) and its last ``oos_fraction`` of bars.

    Parameters
    ----------
    frame : DataFrame
        Bars in time order.
    oos_fraction : float
        Share of the bars held out, in [0, 0.9); 0 means no hold-out. The out-of-sample bar
        count is ``round(len(frame) * oos_fraction)``.

    Returns
    -------
    tuple
        ``(in_sample, out_of_sample)``; ``out_of_sample`` is None when the fraction is 0.

    Raises
    ------
    UserError
        For a fraction outside [0, 0.9) or when either part would have fewer than
        :data:`MIN_BARS` bars.
    """
    if not (math.isfinite(oos_fraction) and 0.0 <= oos_fraction < MAX_OOS_FRACTION):
        raise UserError(f"out-of-sample fraction {oos_fraction} is out of range: "
                        f"expected a number from 0 up to (not including) {MAX_OOS_FRACTION}")
    n_bars = len(frame)
    n_oos = int(round(n_bars * oos_fraction))
    n_is = n_bars - n_oos
    if n_is < MIN_BARS:
        raise UserError(f"the in-sample part would have {n_is} bars (data has {n_bars} bars, "
                        f"out-of-sample fraction {oos_fraction}); at least {MIN_BARS} are "
                        "needed: use more data or a smaller fraction")
    if oos_fraction == 0.0:
        return frame, None
    if n_oos < MIN_BARS:
        raise UserError(f"the out-of-sample part would have {n_oos} bars (data has {n_bars} "
                        f"bars, out-of-sample fraction {oos_fraction}); at least {MIN_BARS} "
                        "are needed: use more data or a larger fraction")
    return frame.iloc[:n_is], frame.iloc[n_is:]


@dataclass(frozen=True)
class Window:
    """One walk-forward window; all four bounds are bar times and inclusive."""

    index: int
    train_start: pd.Timestamp
    train_end: pd.Timestamp
    test_start: pd.Timestamp
    test_end: pd.Timestamp


def walk_forward_windows(
    index: pd.DatetimeIndex, k: int, train_fraction: float = 0.7
) -> list[Window]:
    """K rolling train/test windows over *index* (bars in time order).

    With n bars, a train length ``L_train`` and a test length ``L_test``, window i (0-based)
    trains on bars ``[i L_test, i L_test + L_train)`` and tests on the ``L_test`` bars right
    after. Consecutive windows move on by ``L_test``, so the K test spans are contiguous, do not
    overlap and end on the last bar; the first train span starts on the first bar. That needs
    ``L_train + K L_test = n``, and ``L_train / (L_train + L_test) = train_fraction`` gives

        ``L_test = floor(n (1 - f) / (f + K (1 - f)))``,  ``L_train = n - K L_test``

    (the train length absorbs the rounding, so its share is slightly above *f*). K = 1 is a
    single train/test split.

    Raises
    ------
    UserError
        For ``k < 1``, a train fraction outside (0, 1), or windows whose train or test span
        would have fewer than :data:`MIN_BARS` bars.
    """
    if k < 1:
        raise UserError(f"walk-forward needs at least 1 window, got {k}")
    if not (math.isfinite(train_fraction) and 0.0 < train_fraction < 1.0):
        raise UserError(f"walk-forward train fraction {train_fraction} is out of range: "
                        "expected a number between 0 and 1 (exclusive)")
    n_bars = len(index)
    test_share = 1.0 - train_fraction
    test_len = math.floor(n_bars * test_share / (train_fraction + k * test_share))
    train_len = n_bars - k * test_len
    if test_len < MIN_BARS or train_len < MIN_BARS:
        raise UserError(f"{k} walk-forward windows over {n_bars} bars would test on {test_len} "
                        f"and train on {train_len} bars each; at least {MIN_BARS} are needed: "
                        "use fewer windows or more data")
    windows = []
    for i in range(k):
        start = i * test_len
        test_start = start + train_len
        windows.append(Window(
            index=i,
            train_start=index[start],
            train_end=index[test_start - 1],
            test_start=index[test_start],
            test_end=index[test_start + test_len - 1],
        ))
    return windows


def stitch_equity(segments: list[pd.Series], initial_cash: float) -> pd.Series:
    """Chain out-of-sample equity segments into the curve of one account.

    Each segment is the equity of a separate run that started with *initial_cash*, so its value
    divided by *initial_cash* is the growth since that run began (including the first bar's
    return). The stitched curve compounds those growth paths: a segment is rescaled to start
    from the stitched value where the previous segment ended, which is what one account that
    started with *initial_cash* and traded every test span in turn would have held.

    Parameters
    ----------
    segments : list of Series
        Per-bar equity of each test span, in time order. Empty segments are skipped.
    initial_cash : float
        Starting cash of every segment's run and of the stitched account.

    Returns
    -------
    Series
        The stitched equity, indexed by the concatenated segment indexes (empty when there are
        no bars).
    """
    if not initial_cash > 0:
        raise ValueError(f"initial_cash must be positive, got {initial_cash}")
    capital = float(initial_cash)
    pieces = []
    for segment in segments:
        if segment.empty:
            continue
        growth = segment.astype(float) / initial_cash
        pieces.append(growth * capital)
        capital = float(pieces[-1].iloc[-1])
    if not pieces:
        return pd.Series(dtype=float, name="equity")
    return pd.concat(pieces).rename("equity")


def annualised_return_pct(equity: pd.Series, initial: float | None = None) -> float | None:
    """Compound annual growth rate of an equity curve, in percent (365-day years).

    The growth runs from *initial* (or the first value) to the last value. As in the report
    metrics, the span includes the last bar: it is the time from the first to the last bar
    plus the typical (median) bar spacing.

    Returns
    -------
    float or None
        None for fewer than 2 bars or a non-positive start; -100 when the curve ends at or below
        zero.
    """
    if len(equity) < 2:
        return None
    start = float(equity.iloc[0]) if initial is None else float(initial)
    bar = equity.index.to_series().diff().median()
    span = equity.index[-1] - equity.index[0] + bar
    return cagr_pct(start, float(equity.iloc[-1]), span)


def walk_forward_efficiency(
    train_returns_ann: list[float], test_returns_ann: list[float]
) -> float | None:
    """Walk-forward efficiency (Pardo): mean annualised OOS return over mean annualised IS return.

    Comparing annualised figures puts train and test spans of different lengths on the same
    scale. 1.0 means the test spans earned as much per year as the optimised train spans; Pardo
    treats about 0.5 or more as a robust strategy and much lower values as a sign that the
    in-sample results came from fitting noise.

    Returns
    -------
    float or None
        The ratio (not a percentage); None when either list is empty, holds a non-finite value,
        or the mean in-sample return is not positive (the ratio would be meaningless).
    """
    if not train_returns_ann or not test_returns_ann:
        return None
    train = np.asarray(train_returns_ann, dtype=float)
    test = np.asarray(test_returns_ann, dtype=float)
    if not (np.all(np.isfinite(train)) and np.all(np.isfinite(test))):
        return None
    train_mean = float(train.mean())
    if train_mean <= 0:
        return None
    return float(test.mean()) / train_mean
