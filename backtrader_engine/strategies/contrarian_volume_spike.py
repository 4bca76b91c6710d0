"""Contrarian volume spike: fade a large bar printed on unusually high volume."""

from __future__ import annotations

import backtrader as bt

from backtrader_engine.strategies.base import (
    RiskManagedStrategy,
    check_param,
    clip01,
    risk_space,
    safe_div,
)


class ContrarianVolumeSpikeStrategy(RiskManagedStrategy):
    """Bet on a snap-back after a climactic bar: a big body on a volume spike.

    This is an example strategy with no claimed edge; it shows a volume-based counter-trend rule
    on top of the shared risk management. With confirmation feeds it only fades sell-offs in a
    higher-timeframe uptrend and rallies in a downtrend.

    A volume spike is a bar whose volume is at least ``volume_multiplier`` times the average
    volume of the previous ``volume_period`` bars. If that bar's body (close - open) is a drop of
    at least ``min_body_atr`` ATRs and the close is below its ``exit_ma_period`` moving average,
    a long is opened (capitulation); a rise of that size closing above the average opens a short
    (blow-off). The position is closed when the close gets back to the moving average or after
    ``max_hold_bars`` bars.

    Confidence averages how far the volume ratio exceeds the multiplier (twice the multiplier =
    full) and how far the body exceeds ``min_body_atr`` (twice as large = full).

    Parameters
    ----------
    volume_period : int
        Bars in the volume average the current volume is compared with.
    volume_multiplier : float
        Volume / average-volume ratio that counts as a spike.
    min_body_atr : float
        Minimum bar body, in ATRs, for the spike bar.
    max_hold_bars : int
        Close the position after this many bars at the latest.
    exit_ma_period : int
        Length of the simple moving average of the close used as the reversion target.

    The shared risk parameters are documented on :class:`RiskManagedStrategy`.
    """

    params = (
        ("volume_period", 20),
        ("volume_multiplier", 1.5),
        ("min_body_atr", 1.0),
        ("max_hold_bars", 24),
        ("exit_ma_period", 20),
    )

    search_space = {
        "volume_period": {"type": "int", "low": 10, "high": 100, "step": 5},
        "volume_multiplier": {"type": "float", "low": 1.2, "high": 4.0, "step": 0.1},
        "min_body_atr": {"type": "float", "low": 0.5, "high": 3.0, "step": 0.1},
        "max_hold_bars": {"type": "int", "low": 4, "high": 96, "step": 4},
        **risk_space(),
    }

    def __init__(self) -> None:
        super().__init__()
        p = self.p
        check_param(self, "volume_period", p.volume_period >= 1, "an integer >= 1")
        check_param(self, "volume_multiplier", p.volume_multiplier > 0, "> 0")
        check_param(self, "min_body_atr", p.min_body_atr > 0, "> 0")
        check_param(self, "max_hold_bars", p.max_hold_bars >= 1, "an integer >= 1")
        check_param(self, "exit_ma_period", p.exit_ma_period >= 1, "an integer >= 1")
        data = self.data
        # Average of the previous bars only: the spike itself would inflate its own yardstick.
        self.avg_volume = bt.ind.SMA(data.volume(-1), period=p.volume_period)
        self.mean = bt.ind.SMA(data.close, period=p.exit_ma_period)
        self.body = data.close - data.open
        self.spike = data.volume >= self.avg_volume * p.volume_multiplier

    def entry_signal(self) -> tuple[int, float] | None:
        """Long after a high-volume drop, short after a high-volume rally."""
        if not self.spike[0]:
            return None
        body_atr = safe_div(self.body[0], self.atr[0])
        min_body = self.p.min_body_atr
        if abs(body_atr) < min_body:
            return None
        direction = 1 if body_atr < 0 else -1
        # Only fade a move that left the close on the far side of the reversion target;
        # otherwise the exit would fire on the very next bar.
        if direction * (self.mean[0] - self.data.close[0]) <= 0:
            return None
        ratio = safe_div(self.data.volume[0], self.avg_volume[0])
        mult = self.p.volume_multiplier
        confidence = 0.5 * clip01((ratio - mult) / mult) + 0.5 * clip01(
            (abs(body_atr) - min_body) / min_body
        )
        return direction, confidence

    def exit_signal(self, direction: int) -> bool:
        """Exit at the moving-average target or after ``max_hold_bars`` bars."""
        if self.bars_in_trade >= self.p.max_hold_bars:
            return True
        if direction > 0:
            return self.data.close[0] >= self.mean[0]
        return self.data.close[0] <= self.mean[0]
