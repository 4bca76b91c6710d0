"""Bollinger Band mean reversion: fade closes outside the bands."""

from __future__ import annotations

import backtrader as bt

from backtrader_engine.errors import StrategyError, did_you_mean
from backtrader_engine.strategies.base import (
    RiskManagedStrategy,
    check_param,
    clip01,
    risk_space,
    safe_div,
)

_EXIT_BANDS = ("mid", "opposite")


class BollingerReversionStrategy(RiskManagedStrategy):
    """Fade moves outside the Bollinger Bands and exit at the middle or opposite band.

    This is an example strategy with no claimed edge; it shows a counter-trend rule on top of
    the shared risk management. With confirmation feeds it only buys dips in a higher-timeframe
    uptrend and sells rallies in a downtrend.

    With ``require_reentry`` (the default) a long needs the previous close below the lower band
    and the current close back above it, i.e. the selling has paused; without it, any close below
    the lower band opens a long. Shorts mirror this at the upper band. A long is closed when the
    close reaches the middle band (``exit_band="mid"``) or the upper band (``"opposite"``).

    Confidence is the depth of the excursion beyond the band, in standard deviations of the band
    (one standard deviation beyond the band = 1.0).

    Parameters
    ----------
    bb_period : int
        Length of the moving average and standard deviation.
    bb_dev : float
        Band distance from the average, in standard deviations.
    require_reentry : bool
        Wait for the close to come back inside the band before entering.
    exit_band : str
        ``"mid"`` or ``"opposite"``: the band at which a position is taken off.

    The shared risk parameters are documented on :class:`RiskManagedStrategy`.
    """

    params = (
        ("bb_period", 20),
        ("bb_dev", 2.0),
        ("require_reentry", True),
        ("exit_band", "mid"),
    )

    search_space = {
        "bb_period": {"type": "int", "low": 10, "high": 50},
        "bb_dev": {"type": "float", "low": 1.5, "high": 3.0, "step": 0.1},
        "require_reentry": {"type": "categorical", "choices": [True, False]},
        "exit_band": {"type": "categorical", "choices": list(_EXIT_BANDS)},
        **risk_space(),
    }

    def __init__(self) -> None:
        super().__init__()
        p = self.p
        check_param(self, "bb_period", p.bb_period >= 2, "an integer >= 2")
        check_param(self, "bb_dev", p.bb_dev > 0, "> 0")
        if p.exit_band not in _EXIT_BANDS:
            raise StrategyError(
                f"{type(self).__name__}: parameter exit_band={p.exit_band!r} is invalid"
                f"{did_you_mean(str(p.exit_band), _EXIT_BANDS)}; expected one of "
                f"{', '.join(_EXIT_BANDS)}"
            )
        close = self.data.close
        self.bb = bt.ind.BollingerBands(close, period=p.bb_period, devfactor=p.bb_dev)
        # A long's exit level is the mid or top band, a short's the mid or bottom band.
        self._long_target = self.bb.mid if p.exit_band == "mid" else self.bb.top
        self._short_target = self.bb.mid if p.exit_band == "mid" else self.bb.bot
        below, above = close < self.bb.bot, close > self.bb.top
        if p.require_reentry:
            self.long_setup = bt.And(below(-1), close >= self.bb.bot)
            self.short_setup = bt.And(above(-1), close <= self.bb.top)
        else:
            self.long_setup = below
            self.short_setup = above

    def entry_signal(self) -> tuple[int, float] | None:
        """Long after a close below the lower band, short after one above the upper band."""
        # With require_reentry the excursion happened on the previous bar.
        ago = -1 if self.p.require_reentry else 0
        if self.long_setup[0]:
            depth = self.bb.bot[ago] - self.data.close[ago]
            return 1, self._confidence(depth, ago)
        if self.short_setup[0]:
            depth = self.data.close[ago] - self.bb.top[ago]
            return -1, self._confidence(depth, ago)
        return None

    def _confidence(self, depth: float, ago: int) -> float:
        stdev = (self.bb.top[ago] - self.bb.mid[ago]) / self.p.bb_dev
        return clip01(safe_div(depth, stdev))

    def exit_signal(self, direction: int) -> bool:
        """Exit when the close reaches the target band (``exit_band``)."""
        if direction > 0:
            return self.data.close[0] >= self._long_target[0]
        return self.data.close[0] <= self._short_target[0]
