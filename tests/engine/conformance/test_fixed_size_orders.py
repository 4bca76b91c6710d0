"""buy / sell / close with fixed sizes: long only, short only, and flipping long <-> short."""

from __future__ import annotations

import backtrader as bt
import pytest

from tests.engine.conformance.harness import Case, case_params, check_case, fee_params


class LongCycle(bt.Strategy):
    """Buy a fixed size on an SMA cross up, close it a fixed number of bars later."""

    params = dict(size=0.5, period=20, hold=12)

    def __init__(self):
        self.cross = bt.ind.CrossOver(self.data.close, bt.ind.SMA(period=self.p.period))
        self.entered = None

    def next(self):
        if not self.position:
            if self.cross > 0:
                self.buy(size=self.p.size)
                self.entered = len(self)
        elif len(self) - self.entered >= self.p.hold:
            self.close()


class ShortCycle(bt.Strategy):
    """Sell short a fixed size on an SMA cross down; buy back on the cross up."""

    params = dict(size=0.5, period=30)

    def __init__(self):
        self.cross = bt.ind.CrossOver(self.data.close, bt.ind.SMA(period=self.p.period))

    def next(self):
        if not self.position and self.cross < 0:
            self.sell(size=self.p.size)
        elif self.position and self.cross > 0:
            self.buy(size=abs(self.position.size))


class FlipTwoOrders(bt.Strategy):
    """Always in the market: close() then a new fixed-size order the other way, same bar."""

    params = dict(size=0.6, fast=10, slow=30)

    def __init__(self):
        fast, slow = bt.ind.SMA(period=self.p.fast), bt.ind.SMA(period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)

    def next(self):
        if self.cross > 0:
            if self.position:
                self.close()
            self.buy(size=self.p.size)
        elif self.cross < 0:
            if self.position:
                self.close()
            self.sell(size=self.p.size)


class FlipOneOrder(bt.Strategy):
    """Always in the market: one order of twice the size turns the position round."""

    params = dict(size=0.4, fast=12, slow=40)

    def __init__(self):
        fast, slow = bt.ind.EMA(period=self.p.fast), bt.ind.EMA(period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)

    def next(self):
        size = self.p.size + abs(self.position.size)
        if self.cross > 0 and self.position.size <= 0:
            self.buy(size=size)
        elif self.cross < 0 and self.position.size >= 0:
            self.sell(size=size)


class ScaleInOut(bt.Strategy):
    """Adds to a long in steps, then sells it down in steps (averaging and partial closes)."""

    params = dict(step=0.25, every=6, steps=3)

    def next(self):
        phase = (len(self) // self.p.every) % (2 * self.p.steps)
        if len(self) % self.p.every:
            return
        if phase < self.p.steps:
            self.buy(size=self.p.step)
        elif self.position:
            self.sell(size=self.p.step)


class ShortScaleInOut(bt.Strategy):
    """Adds to a short in steps, then buys it back in steps."""

    params = dict(step=0.2, every=8, steps=3)

    def next(self):
        phase = (len(self) // self.p.every) % (2 * self.p.steps)
        if len(self) % self.p.every:
            return
        if phase < self.p.steps:
            self.sell(size=self.p.step)
        elif self.position:
            self.buy(size=self.p.step)


CASES = [
    Case("long-buy-close", LongCycle),
    Case("long-buy-close-fall", LongCycle, dict(size=1.0, hold=30), data="btc-fall"),
    Case("short-sell-buy", ShortCycle),
    Case("short-sell-buy-fall", ShortCycle, dict(size=1.0), data="btc-fall"),
    Case("flip-close-then-open", FlipTwoOrders),
    Case("flip-one-order", FlipOneOrder),
    Case("scale-in-out-long", ScaleInOut),
    Case("scale-in-out-short", ShortScaleInOut),
]


@fee_params
@pytest.mark.parametrize("case", case_params(CASES))
def test_fixed_size_orders_conform(case: Case, fee: float) -> None:
    check_case(case, fee)
