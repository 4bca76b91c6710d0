"""RSI momentum entries filtered by the direction and slope of an EMA."""

from __future__ import annotations

import backtrader as bt

from backtrader_engine.strategies.base import (
    RiskManagedStrategy,
    check_param,
    clip01,
    risk_space,
    safe_div,
)

# RSI points beyond the entry threshold that count as a full-strength signal.
_RSI_FULL_SPAN = 15.0


class RSIEMAMomentumStrategy(RiskManagedStrategy):
    """Follow RSI momentum when price is on the matching side of a rising/falling EMA.

    This is an example strategy with no claimed edge; it shows a momentum rule with a trend
    filter on top of the shared risk management.

    Long when the RSI crosses above ``rsi_long`` while the close is above the EMA and the EMA is
    higher than ``slope_bars`` bars ago. Short when the RSI crosses below ``rsi_short`` while the
    close is below a falling EMA. The position is closed once the close is back on the other side
    of the EMA (or by the protective stop / take-profit).

    Confidence averages two parts, each clipped to [0, 1]: how far the RSI is beyond its
    threshold (15 RSI points = full) and how far the close is from the EMA in ATRs (1 ATR = full).

    Parameters
    ----------
    rsi_period : int
        RSI length (Wilder smoothing).
    ema_period : int
        Length of the trend EMA.
    rsi_long : float
        RSI level whose upward cross triggers a long; must be above ``rsi_short``.
    rsi_short : float
        RSI level whose downward cross triggers a short.
    slope_bars : int
        The EMA must have risen (long) or fallen (short) over this many bars.

    The shared risk parameters are documented on :class:`RiskManagedStrategy`.
    """

    params = (
        ("rsi_period", 14),
        ("ema_period", 20),
        ("rsi_long", 55.0),
        ("rsi_short", 45.0),
        ("slope_bars", 3),
    )

    # rsi_short stays below 50 and rsi_long above it, so every sampled pair is ordered.
    search_space = {
        "rsi_period": {"type": "int", "low": 7, "high": 28},
        "ema_period": {"type": "int", "low": 10, "high": 100, "step": 5},
        "rsi_long": {"type": "float", "low": 51.0, "high": 70.0, "step": 1.0},
        "rsi_short": {"type": "float", "low": 30.0, "high": 49.0, "step": 1.0},
        "slope_bars": {"type": "int", "low": 1, "high": 10},
        **risk_space(),
    }

    def __init__(self) -> None:
        super().__init__()
        p = self.p
        check_param(self, "rsi_period", p.rsi_period >= 2, "an integer >= 2")
        check_param(self, "ema_period", p.ema_period >= 2, "an integer >= 2")
        check_param(self, "slope_bars", p.slope_bars >= 1, "an integer >= 1")
        check_param(
            self, "rsi_long", 0 < p.rsi_short < p.rsi_long < 100, "0 < rsi_short < rsi_long < 100"
        )
        close = self.data.close
        self.rsi = bt.ind.RSI(close, period=p.rsi_period)
        self.ema = bt.ind.EMA(close, period=p.ema_period)
        # Whole-line expressions are evaluated vectorised in a backtest and bar by bar live;
        # either way next() only reads one value per line.
        self.rsi_up = bt.And(self.rsi(-1) <= p.rsi_long, self.rsi > p.rsi_long)
        self.rsi_down = bt.And(self.rsi(-1) >= p.rsi_short, self.rsi < p.rsi_short)
        self.ema_rising = self.ema > self.ema(-p.slope_bars)
        self.ema_falling = self.ema < self.ema(-p.slope_bars)

    def entry_signal(self) -> tuple[int, float] | None:
        """Long on an RSI up-cross above a rising EMA, short on a down-cross below a falling one."""
        close, ema = self.data.close[0], self.ema[0]
        if self.rsi_up[0] and close > ema and self.ema_rising[0]:
            rsi_part = (self.rsi[0] - self.p.rsi_long) / _RSI_FULL_SPAN
            return 1, self._confidence(rsi_part, close - ema)
        if self.rsi_down[0] and close < ema and self.ema_falling[0]:
            rsi_part = (self.p.rsi_short - self.rsi[0]) / _RSI_FULL_SPAN
            return -1, self._confidence(rsi_part, ema - close)
        return None

    def _confidence(self, rsi_part: float, distance: float) -> float:
        return 0.5 * clip01(rsi_part) + 0.5 * clip01(safe_div(distance, self.atr[0]))

    def exit_signal(self, direction: int) -> bool:
        """Exit when the close is on the wrong side of the EMA."""
        # A state test rather than a cross: a cross that happened while an order was in
        # flight would otherwise be missed.
        if direction > 0:
            return self.data.close[0] < self.ema[0]
        return self.data.close[0] > self.ema[0]
