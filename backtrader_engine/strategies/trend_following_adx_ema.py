"""Trend following: EMA alignment confirmed by ADX trend strength and the DI balance."""

from __future__ import annotations

import backtrader as bt

from backtrader_engine.strategies.base import RiskManagedStrategy, check_param, clip01

# ADX points above the threshold, and DI points between +DI and -DI, that count as full strength.
_FULL_ADX_EXCESS = 25.0
_FULL_DI_SPREAD = 25.0


class TrendFollowingADXEMAStrategy(RiskManagedStrategy):
    """Join a trend when the EMAs are stacked and the ADX says the trend is strong.

    This is an example strategy with no claimed edge; it shows a classic trend filter on top of
    the shared risk management.

    The long condition is: ADX above ``adx_threshold``, +DI above -DI, the fast EMA above the
    trend EMA (``ema_period``) and the close above the fast EMA; the short condition mirrors it.
    A position is opened on the bar the condition becomes true (not on every bar it stays true,
    so a stopped-out trend is not re-entered until it has reset), and closed once the fast EMA is
    on the wrong side of the trend EMA.

    Confidence averages the ADX excess over the threshold (25 points = full) and the gap between
    +DI and -DI (25 points = full).

    Parameters
    ----------
    adx_period : int
        Length of the ADX / DI (Wilder smoothing).
    adx_threshold : float
        Minimum ADX for the trend to count as strong.
    ema_fast : int
        Fast EMA length, used for timing; must be smaller than ``ema_period``.
    ema_period : int
        Length of the trend EMA.

    The shared risk parameters are documented on :class:`RiskManagedStrategy`.
    """

    params = (
        ("adx_period", 14),
        ("adx_threshold", 25.0),
        ("ema_fast", 20),
        ("ema_period", 50),
    )

    # ema_fast's range ends below ema_period's, so every sampled pair is ordered.
    search_space = {
        "adx_period": {"type": "int", "low": 7, "high": 30},
        "adx_threshold": {"type": "float", "low": 15.0, "high": 40.0, "step": 1.0},
        "ema_fast": {"type": "int", "low": 5, "high": 35},
        "ema_period": {"type": "int", "low": 40, "high": 150, "step": 5},
        "atr_period": {"type": "int", "low": 7, "high": 28},
        "stop_atr_mult": {"type": "float", "low": 1.0, "high": 5.0, "step": 0.25},
        "take_profit_atr_mult": {"type": "float", "low": 0.0, "high": 10.0, "step": 0.5},
    }

    def __init__(self) -> None:
        super().__init__()
        p = self.p
        check_param(self, "adx_period", p.adx_period >= 2, "an integer >= 2")
        check_param(self, "adx_threshold", 0 <= p.adx_threshold < 100, "in [0, 100)")
        check_param(self, "ema_fast", p.ema_fast >= 2, "an integer >= 2")
        check_param(self, "ema_period", p.ema_period > p.ema_fast, "greater than ema_fast")
        close = self.data.close
        self.dmi = bt.ind.DirectionalMovementIndex(self.data, period=p.adx_period)
        self.fast = bt.ind.EMA(close, period=p.ema_fast)
        self.slow = bt.ind.EMA(close, period=p.ema_period)
        strong = self.dmi.adx > p.adx_threshold
        self.long_state = bt.And(
            strong, self.dmi.plusDI > self.dmi.minusDI, self.fast > self.slow, close > self.fast
        )
        self.short_state = bt.And(
            strong, self.dmi.minusDI > self.dmi.plusDI, self.fast < self.slow, close < self.fast
        )

    def entry_signal(self) -> tuple[int, float] | None:
        """Long/short on the bar the trend condition switches on."""
        if self.long_state[0] and not self.long_state[-1]:
            return 1, self._confidence()
        if self.short_state[0] and not self.short_state[-1]:
            return -1, self._confidence()
        return None

    def _confidence(self) -> float:
        adx_part = clip01((self.dmi.adx[0] - self.p.adx_threshold) / _FULL_ADX_EXCESS)
        di_part = clip01(abs(self.dmi.plusDI[0] - self.dmi.minusDI[0]) / _FULL_DI_SPREAD)
        return 0.5 * adx_part + 0.5 * di_part

    def exit_signal(self, direction: int) -> bool:
        """Exit when the fast EMA is on the wrong side of the trend EMA."""
        if direction > 0:
            return self.fast[0] < self.slow[0]
        return self.fast[0] > self.slow[0]
