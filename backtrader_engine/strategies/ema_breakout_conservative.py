"""Conservative EMA-trend breakout: several conditions must agree before entering."""

from __future__ import annotations

import backtrader as bt

from backtrader_engine.strategies.base import (
    RiskManagedStrategy,
    check_param,
    clip01,
    risk_space,
    safe_div,
)

# EMA separation, in ATRs, that counts as a full-strength trend for the confidence.
_FULL_SPREAD_ATR = 2.0


class EMABreakoutConservativeStrategy(RiskManagedStrategy):
    """Enter a breakout only in an established EMA trend; risk half the default per trade.

    This is an example strategy with no claimed edge; it shows a multi-condition entry on top of
    the shared risk management.

    A long needs all of: the short EMA above the long EMA by at least ``min_spread_atr`` ATRs,
    the close above the short EMA, and the close above the highest high of the previous
    ``breakout_lookback`` bars. Shorts mirror this. A position is closed once the close is on
    the wrong side of the long EMA. "Conservative" also means ``risk_per_trade`` defaults to 0.5%.

    Confidence averages how wide the EMA spread is (2 ATRs = full) and how far the close broke
    beyond the previous extreme (1 ATR = full).

    Parameters
    ----------
    short_ema : int
        Fast EMA length; must be smaller than ``long_ema``.
    long_ema : int
        Slow EMA length.
    breakout_lookback : int
        Number of previous bars whose high (low) the close must exceed (undercut).
    min_spread_atr : float
        Minimum distance between the EMAs, in ATRs, for the trend to count.

    The shared risk parameters are documented on :class:`RiskManagedStrategy`.
    """

    params = (
        ("short_ema", 10),
        ("long_ema", 30),
        ("breakout_lookback", 20),
        ("min_spread_atr", 0.25),
        ("risk_per_trade", 0.005),
    )

    # short_ema's range ends below long_ema's, so every sampled pair is ordered.
    search_space = {
        "short_ema": {"type": "int", "low": 5, "high": 20},
        "long_ema": {"type": "int", "low": 25, "high": 100, "step": 5},
        "breakout_lookback": {"type": "int", "low": 10, "high": 60, "step": 2},
        "min_spread_atr": {"type": "float", "low": 0.0, "high": 1.0, "step": 0.05},
        **risk_space(),
    }

    def __init__(self) -> None:
        super().__init__()
        p = self.p
        check_param(self, "short_ema", p.short_ema >= 2, "an integer >= 2")
        check_param(self, "long_ema", p.long_ema > p.short_ema, "greater than short_ema")
        check_param(self, "breakout_lookback", p.breakout_lookback >= 1, "an integer >= 1")
        check_param(self, "min_spread_atr", p.min_spread_atr >= 0, ">= 0")
        data = self.data
        self.fast = bt.ind.EMA(data.close, period=p.short_ema)
        self.slow = bt.ind.EMA(data.close, period=p.long_ema)
        # The previous bars' extremes: the current bar must not be part of its own reference.
        self.prior_high = bt.ind.Highest(data.high(-1), period=p.breakout_lookback)
        self.prior_low = bt.ind.Lowest(data.low(-1), period=p.breakout_lookback)
        min_spread = self.atr * p.min_spread_atr
        self.long_setup = bt.And(
            self.fast - self.slow >= min_spread,
            data.close > self.fast,
            data.close > self.prior_high,
        )
        self.short_setup = bt.And(
            self.slow - self.fast >= min_spread,
            data.close < self.fast,
            data.close < self.prior_low,
        )

    def entry_signal(self) -> tuple[int, float] | None:
        """Long/short when trend, position versus the fast EMA and breakout all agree."""
        if self.long_setup[0]:
            spread = self.fast[0] - self.slow[0]
            return 1, self._confidence(spread, self.data.close[0] - self.prior_high[0])
        if self.short_setup[0]:
            spread = self.slow[0] - self.fast[0]
            return -1, self._confidence(spread, self.prior_low[0] - self.data.close[0])
        return None

    def _confidence(self, spread: float, breakout: float) -> float:
        atr = self.atr[0]
        spread_part = clip01(safe_div(spread, atr) / _FULL_SPREAD_ATR)
        return 0.5 * spread_part + 0.5 * clip01(safe_div(breakout, atr))

    def exit_signal(self, direction: int) -> bool:
        """Exit when the close is on the wrong side of the long EMA."""
        if direction > 0:
            return self.data.close[0] < self.slow[0]
        return self.data.close[0] > self.slow[0]
