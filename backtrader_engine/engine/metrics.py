"""Performance metrics computed after a run from the equity curve and the trade ledger.

Conventions (stated once, used everywhere):

- Returns for Sharpe and Sortino are daily (UTC calendar days, equity at each day's last bar)
  and annualised with sqrt(365): crypto trades every day of the year.
- Drawdowns are measured on the per-bar equity curve with the initial cash as the first peak;
  ``max_drawdown_pct`` is a positive number.
- ``rmd`` is total return divided by max drawdown, ``calmar`` is CAGR divided by max drawdown.
- Trade statistics use closed round trips and their net PnL (after fees and funding), counted
  by the one rule of :mod:`.trades` (:class:`~.trades.TripTally`: won when net PnL > 0, else
  lost); a position still open at the end is reported in ``open_trades`` and counts in the
  final value only.
- Undefined figures (a ratio over zero) are ``None`` rather than infinities, and so is any
  figure too large for a float (a CAGR over a few hours): no metric raises ``OverflowError``
  or is reported as ``inf``/``nan``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from backtrader_engine.engine.trades import TripTally, is_win

DAYS_PER_YEAR = 365.0


#: A value of a run's metrics: a number, a time or duration as text, None when undefined.
MetricValue = float | int | str | None


def _ratio(num: float, den: float) -> float | None:
    if den == 0 or not np.isfinite(den) or not np.isfinite(num):
        return None
    return float(num / den)


def drawdown_series(equity: pd.Series, initial: float | None = None) -> pd.Series:
    """Drawdown from the running peak, in percent (0 at new highs, positive below).

    With *initial*, the starting cash counts as the first peak, so a run that loses from its
    first bar shows that loss as drawdown.
    """
    peak = equity.cummax()
    if initial is not None:
        peak = peak.clip(lower=initial)
    return (1.0 - equity / peak) * 100.0


def max_drawdown_duration(equity: pd.Series) -> tuple[pd.Timedelta, int]:
    """Longest time (and bar count) spent below a previous equity peak."""
    values = equity.to_numpy()
    times = equity.index
    below = values < np.maximum.accumulate(values)
    longest = pd.Timedelta(0)
    longest_bars = 0
    start = None
    for i, flag in enumerate(below):
        if flag and start is None:
            start = i - 1  # the peak bar
        elif not flag and start is not None:
            span = times[i] - times[start]
            if span > longest:
                longest, longest_bars = span, i - start
            start = None
    if start is not None:
        span = times[-1] - times[start]
        if span > longest:
            longest, longest_bars = span, len(values) - 1 - start
    return longest, longest_bars


def daily_returns(equity: pd.Series) -> pd.Series:
    """Day-over-day returns of the equity at each UTC day's last bar."""
    daily = equity.resample("1D").last().dropna()
    return daily.pct_change().dropna()


def sharpe_ratio(returns: pd.Series) -> float | None:
    if len(returns) < 2:
        return None
    std = float(returns.std(ddof=1))
    ratio = _ratio(float(returns.mean()), std)
    return None if ratio is None else ratio * math.sqrt(DAYS_PER_YEAR)


def sortino_ratio(returns: pd.Series) -> float | None:
    if len(returns) < 2:
        return None
    downside = float(np.sqrt(np.mean(np.minimum(returns.to_numpy(), 0.0) ** 2)))
    ratio = _ratio(float(returns.mean()), downside)
    return None if ratio is None else ratio * math.sqrt(DAYS_PER_YEAR)


#: Largest x with exp(x) finite in float64, with margin.
_MAX_EXP = 700.0


def cagr_pct(initial: float, final: float, span: pd.Timedelta) -> float | None:
    years = span / pd.Timedelta(days=DAYS_PER_YEAR)
    if years <= 0 or initial <= 0 or not (math.isfinite(initial) and math.isfinite(final)):
        return None
    if final <= 0:
        return -100.0
    # In logs: (final / initial) ** (1 / years) overflows (OverflowError) for a large gain
    # over a short span, e.g. +100% in a day is 2 ** 365.
    exponent = (math.log(final) - math.log(initial)) / years
    if exponent > _MAX_EXP:
        return None
    return math.expm1(exponent) * 100.0


def trade_statistics(trades: pd.DataFrame) -> dict[str, float | int | None]:
    """Win rate, profit factor, expectancy and SQN over closed trades' net PnL."""
    closed = trades[trades["status"] == "closed"]
    pnl = closed["net_pnl"].to_numpy(dtype=float)
    n = len(pnl)
    tally = TripTally.of_net(pnl)
    wins = pnl[np.fromiter((is_win(x) for x in pnl), dtype=bool, count=n)]
    losses = pnl[pnl < 0]
    stats: dict[str, float | int | None] = {
        "trades": n,
        "trades_won": tally.won,
        "trades_lost": tally.lost,
        "closed_net_pnl": tally.net_pnl,
        "open_trades": int((trades["status"] == "open").sum()),
        "long_trades": int((closed["side"] == "long").sum()),
        "short_trades": int((closed["side"] == "short").sum()),
        "win_rate_pct": 100.0 * tally.win_rate if tally.win_rate is not None else None,
        "profit_factor": _ratio(float(wins.sum()), abs(float(losses.sum()))),
        "expectancy": float(pnl.mean()) if n else None,
        "avg_win": float(wins.mean()) if len(wins) else None,
        "avg_loss": float(losses.mean()) if len(losses) else None,
        "best_trade": float(pnl.max()) if n else None,
        "worst_trade": float(pnl.min()) if n else None,
        "sqn": None,
        "avg_bars_held": float(closed["bars_held"].mean()) if n else None,
    }
    if n >= 2:
        ratio = _ratio(float(pnl.mean()), float(pnl.std(ddof=1)))
        stats["sqn"] = None if ratio is None else math.sqrt(n) * ratio
    return stats


def compute_metrics(
    equity: pd.DataFrame,
    trades: pd.DataFrame,
    *,
    initial_cash: float,
    bar: pd.Timedelta,
    fees_paid: float,
    funding_paid: float,
    liquidations: int,
) -> dict[str, MetricValue]:
    """All report metrics from the per-bar equity frame and the trade ledger.

    Parameters
    ----------
    equity : DataFrame
        Indexed by bar time, columns ``equity`` and ``notional`` (position notional at the close).
    trades : DataFrame
        The trade ledger (:data:`~.trades.TRADE_COLUMNS`).
    bar : Timedelta
        Length of one bar, so the tested span includes the last bar.
    """
    with np.errstate(all="ignore"):
        metrics = _compute(equity, trades, initial_cash=initial_cash, bar=bar,
                           fees_paid=fees_paid, funding_paid=funding_paid,
                           liquidations=liquidations)
    return {key: _finite(value) for key, value in metrics.items()}


def _finite(value: MetricValue) -> MetricValue:
    """``None`` for a float that is not finite: JSON has no inf/nan, and they mean nothing."""
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return None
    return value


def _compute(equity: pd.DataFrame, trades: pd.DataFrame, *, initial_cash: float,
             bar: pd.Timedelta, fees_paid: float, funding_paid: float,
             liquidations: int) -> dict[str, MetricValue]:
    curve = equity["equity"].astype(float)
    final = float(curve.iloc[-1])
    span = (curve.index[-1] - curve.index[0]) + bar
    total_return = (final / initial_cash - 1.0) * 100.0
    max_dd = float(drawdown_series(curve, initial_cash).max())
    dd_time, dd_bars = max_drawdown_duration(curve)
    returns = daily_returns(curve)
    cagr = cagr_pct(initial_cash, final, span)
    metrics: dict[str, MetricValue] = {
        "initial_cash": initial_cash,
        "final_value": final,
        "total_return_pct": total_return,
        "cagr_pct": cagr,
        "max_drawdown_pct": max_dd,
        "max_drawdown_duration": str(dd_time),
        "max_drawdown_duration_bars": dd_bars,
        "sharpe": sharpe_ratio(returns),
        "sortino": sortino_ratio(returns),
        "calmar": _ratio(cagr, max_dd) if cagr is not None else None,
        "rmd": _ratio(total_return, max_dd),
        "exposure_pct": float((equity["notional"].to_numpy() > 0).mean() * 100.0),
        "fees_paid": fees_paid,
        "funding_paid": funding_paid,
        "liquidations": liquidations,
        "bars": len(curve),
        "start": curve.index[0].isoformat(),
        "end": curve.index[-1].isoformat(),
    }
    metrics.update(trade_statistics(trades))
    return metrics
