"""Sizers: FixedSize, PercentSizer, PercentSizerInt, AllInSizer(Int) and a user-written one.

The strategies call ``buy()`` / ``sell()`` / ``close()`` without a size, so the sizer decides.
"""

from __future__ import annotations

import backtrader as bt
import pytest

from tests.engine.conformance.harness import (
    Case,
    SizerSpec,
    case_params,
    check_case,
    fee_params,
)


class SmaCrossLongOnly(bt.Strategy):
    """buy() on a cross up, close() on a cross down."""

    params = dict(fast=10, slow=30)

    def __init__(self):
        fast, slow = bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)

    def next(self):
        if not self.position and self.cross > 0:
            self.buy()
        elif self.position and self.cross < 0:
            self.close()


class SmaCrossShortOnly(bt.Strategy):
    """sell() on a cross down, close() on a cross up."""

    params = dict(fast=10, slow=30)

    def __init__(self):
        fast, slow = bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)

    def next(self):
        if not self.position and self.cross < 0:
            self.sell()
        elif self.position and self.cross > 0:
            self.close()


class RiskSizer(bt.Sizer):
    """Risks ``risk`` of cash per trade against an ATR-wide stop, capped by ``cap`` of cash."""

    params = dict(risk=0.01, cap=0.5, period=14)

    def _getsizing(self, comminfo, cash, data, isbuy):
        position = self.broker.getposition(data)
        if position.size:
            return abs(position.size)  # closing orders take the whole position
        highs = [data.high[-i] for i in range(self.p.period)]
        lows = [data.low[-i] for i in range(self.p.period)]
        width = max(highs) - min(lows)
        if width <= 0:
            return 0
        size = cash * self.p.risk / width
        return min(size, cash * self.p.cap / data.close[0])


CASES = [
    Case("sizer-fixed-long", SmaCrossLongOnly, sizer=SizerSpec(bt.sizers.FixedSize,
                                                                 dict(stake=1))),
    Case("sizer-fixed-short", SmaCrossShortOnly, sizer=SizerSpec(bt.sizers.FixedSize,
                                                                   dict(stake=1))),
    Case("sizer-percent-long", SmaCrossLongOnly,
         sizer=SizerSpec(bt.sizers.PercentSizer, dict(percents=50))),
    Case("sizer-percent-short", SmaCrossShortOnly,
         sizer=SizerSpec(bt.sizers.PercentSizer, dict(percents=40))),
    Case("sizer-percent-int-sol", SmaCrossLongOnly, data="sol",
         sizer=SizerSpec(bt.sizers.PercentSizerInt, dict(percents=40))),
    Case("sizer-allin-int-95-sol", SmaCrossLongOnly, data="sol",
         sizer=SizerSpec(bt.sizers.AllInSizerInt, dict(percents=95))),
    Case("sizer-allin-95-btc", SmaCrossLongOnly,
         sizer=SizerSpec(bt.sizers.AllInSizer, dict(percents=95))),
    # All in at 100%: an entry fills only when fees are zero and the next open is not above
    # the signal bar's close; with a fee every entry is Margin-rejected. Both must agree.
    Case("sizer-allin-100-sol", SmaCrossLongOnly, data="sol",
         sizer=SizerSpec(bt.sizers.AllInSizer), expect=(("Market", "Margin"),), min_fills=0),
    Case("sizer-user-risk-long", SmaCrossLongOnly, sizer=SizerSpec(RiskSizer)),
    Case("sizer-user-risk-short", SmaCrossShortOnly, data="btc-fall",
         sizer=SizerSpec(RiskSizer, dict(risk=0.02))),
]


@fee_params
@pytest.mark.parametrize("case", case_params(CASES))
def test_sizers_conform(case: Case, fee: float) -> None:
    check_case(case, fee)
