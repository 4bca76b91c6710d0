"""Several feeds: confirmation timeframes in ``self.datas[1:]`` filter orders placed on data0."""

from __future__ import annotations

import backtrader as bt
import pytest

from tests.engine.conformance.harness import Case, case_params, check_case, fee_params


class TrendFiltered(bt.Strategy):
    """1h EMA cross entries on data0, only in the direction of data1's EMA trend.

    ``side`` 1 takes longs, -1 shorts, 0 both (flipping with order_target_size).
    """

    params = dict(side=1, size=0.5, fast=8, slow=21, trend=10)

    def __init__(self):
        fast = bt.ind.EMA(self.data0, period=self.p.fast)
        slow = bt.ind.EMA(self.data0, period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)
        self.trend = bt.ind.EMA(self.data1.close, period=self.p.trend)

    def next(self):
        up = self.data1.close[0] > self.trend[0]
        if self.p.side == 0:
            if self.cross[0] > 0 and up:
                self.order_target_size(data=self.data0, target=self.p.size)
            elif self.cross[0] < 0 and not up:
                self.order_target_size(data=self.data0, target=-self.p.size)
            return
        wanted = up if self.p.side > 0 else not up
        if not self.getposition(self.data0).size:
            if self.cross[0] * self.p.side > 0 and wanted:
                place = self.buy if self.p.side > 0 else self.sell
                place(data=self.data0, size=self.p.size)
        elif self.cross[0] * self.p.side < 0 or not wanted:
            self.close(data=self.data0)


class TwoTimeframes(bt.Strategy):
    """Long data0 when the 4h (data1) and 1d (data2) closes are both above their SMAs.

    Sized with order_target_percent on data0; reads every feed's position and value.
    """

    params = dict(percent=0.5, p1=6, p2=5)

    def __init__(self):
        self.sma1 = bt.ind.SMA(self.data1.close, period=self.p.p1)
        self.sma2 = bt.ind.SMA(self.data2.close, period=self.p.p2)
        self.inside = False

    def next(self):
        up = self.data1.close[0] > self.sma1[0] and self.data2.close[0] > self.sma2[0]
        if up != self.inside:
            self.order_target_percent(data=self.data0, target=self.p.percent if up else 0.0)
            self.inside = up


CASES = [
    Case("filter-4h-long", TrendFiltered, confirm=("4h",)),
    Case("filter-4h-short", TrendFiltered, dict(side=-1), data="btc-fall", confirm=("4h",)),
    Case("filter-4h-flip", TrendFiltered, dict(side=0), confirm=("4h",)),
    Case("filter-2h-flip-sol", TrendFiltered, dict(side=0, size=20.0), data="sol",
         confirm=("2h",)),
    Case("filter-4h-1d-target-percent", TwoTimeframes, data="sol", confirm=("4h", "1d")),
    Case("filter-15m-1h-xrp", TrendFiltered, dict(side=0, size=3000.0), data="xrp",
         confirm=("15m", "1h")),
]


@fee_params
@pytest.mark.parametrize("case", case_params(CASES))
def test_multi_feed_conforms(case: Case, fee: float) -> None:
    check_case(case, fee)
