"""Volatility breakout: trade closes that escape an ATR band around an EMA."""

from __future__ import annotations

import backtrader as bt

from backtrader_engine.strategies.base import (
    RiskManagedStrategy,
    check_param,
    clip01,
    risk_space,
    safe_div,
)


class VolatilityBreakoutStrategy(RiskManagedStrategy):
    """Go with a close that breaks out of an ATR channel around an EMA (Keltner-style).

    This is an example strategy with no claimed edge; it shows how a breakout rule plugs into
    the shared risk management.

    The channel is ``EMA(close, lookback) +/- multiplier * ATR``. A close crossing above the
    upper band opens a long, a close crossing below the lower band opens a short. The position
    is closed when the close returns to the wrong side of the EMA (or by the protective stop /
    take-profit of :class:`RiskManagedStrategy`).

    Confidence is how far the breakout close is beyond the band, in ATRs: a close one ATR past
    the band (or more) gives 1.0.

    Parameters
    ----------
    lookback : int
        EMA length of the channel's centre line.
    multiplier : float
        Channel half-width in ATRs (the ATR uses the shared ``atr_period``).

    The shared risk parameters are documented on :class:`RiskManagedStrategy`.
    """

    params = (
        ("lookback", 18),
        ("multiplier", 2.2),
    )

    search_space = {
        "lookback": {"type": "int", "low": 10, "high": 60},
        "multiplier": {"type": "float", "low": 1.0, "high": 4.0, "step": 0.1},
        **risk_space("atr_period", "stop_atr_mult", "take_profit_atr_mult"),
    }

    def __init__(self) -> None:
        super().__init__()
        check_param(self, "lookback", self.p.lookback >= 2, "an integer >= 2")
        check_param(self, "multiplier", self.p.multiplier > 0, "> 0")
        close = self.data.close
        self.mid = bt.ind.EMA(close, period=self.p.lookback)
        width = self.atr * self.p.multiplier
        self.upper = self.mid + width
        self.lower = self.mid - width
        # CrossOver is +1 on the bar the close crosses above, -1 when it crosses below.
        self.cross_upper = bt.ind.CrossOver(close, self.upper)
        self.cross_lower = bt.ind.CrossOver(close, self.lower)

    def entry_signal(self) -> tuple[int, float] | None:
        """Long on a close crossing above the upper band, short on one crossing below the lower."""
        if self.cross_upper[0] > 0:
            excess = self.data.close[0] - self.upper[0]
            return 1, clip01(safe_div(excess, self.atr[0]))
        if self.cross_lower[0] < 0:
            excess = self.lower[0] - self.data.close[0]
            return -1, clip01(safe_div(excess, self.atr[0]))
        return None

    def exit_signal(self, direction: int) -> bool:
        """Exit when the close is back on the far side of the channel's EMA."""
        if direction > 0:
            return self.data.close[0] < self.mid[0]
        return self.data.close[0] > self.mid[0]
