"""order_target_size / order_target_value / order_target_percent: long, short and flipping.

Stock backtrader sizes ``order_target_value`` and ``order_target_percent`` with
``CommInfoBase.getsize``, which returns whole units: the cases use SOLUSDT (~150) or enough
cash that whole units of BTC are meaningful.
"""

from __future__ import annotations

import backtrader as bt
import pytest

from tests.engine.conformance.harness import Case, case_params, check_case, fee_params


class EmaCrossTargetPercent(bt.Strategy):
    """EMA 12/40: always in the market at +/- ``percent`` of the account, set at each cross.

    (Re-targeting a short every bar would grow it past free cash as it gains, which a
    perpetual refuses: intended difference 2, shown in test_intended_differences.py.)
    """

    params = dict(fast=12, slow=40, percent=0.95)

    def __init__(self):
        fast, slow = bt.ind.EMA(period=self.p.fast), bt.ind.EMA(period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)

    def next(self):
        if self.cross:
            self.order_target_percent(target=self.cross[0] * self.p.percent)


class EmaCrossTargetValue(bt.Strategy):
    """EMA 12/40: always in the market at +/- ``value`` of notional, re-targeted each cross."""

    params = dict(fast=12, slow=40, value=5000.0)

    def __init__(self):
        fast, slow = bt.ind.EMA(period=self.p.fast), bt.ind.EMA(period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)

    def next(self):
        if self.cross > 0:
            self.order_target_value(target=self.p.value)
        elif self.cross < 0:
            self.order_target_value(target=-self.p.value)


class TargetSize(bt.Strategy):
    """Holds ``size`` (sign gives the side) while close is on the SMA's ``side``, else flat."""

    params = dict(size=1.0, period=24)

    def __init__(self):
        self.sma = bt.ind.SMA(period=self.p.period)

    def next(self):
        above = self.data.close[0] > self.sma[0]
        want_in = above if self.p.size > 0 else not above
        self.order_target_size(target=self.p.size if want_in else 0.0)


class TargetPercentLong(bt.Strategy):
    """Long-only: a percent of the account above the SMA, flat below; re-targets every bar."""

    params = dict(percent=0.5, period=30)

    def __init__(self):
        self.sma = bt.ind.SMA(period=self.p.period)

    def next(self):
        self.order_target_percent(
            target=self.p.percent if self.data.close[0] > self.sma[0] else 0.0)


class TargetValueShort(bt.Strategy):
    """Short-only through order_target_value: -value below the SMA, flat above."""

    params = dict(value=4000.0, period=30)

    def __init__(self):
        self.cross = bt.ind.CrossOver(self.data.close, bt.ind.SMA(period=self.p.period))

    def next(self):
        if self.cross < 0:
            self.order_target_value(target=-self.p.value)
        elif self.cross > 0:
            self.order_target_value(target=0.0)


class TargetSteps(bt.Strategy):
    """Walks the target size through long and short steps, every ``every`` bars."""

    params = dict(every=10, steps=(1.0, 2.0, 0.5, -1.0, -2.0, 0.0))

    def next(self):
        if len(self) % self.p.every == 0:
            step = (len(self) // self.p.every) % len(self.p.steps)
            self.order_target_size(target=self.p.steps[step])


CASES = [
    Case("target-percent-ema-flip-sol", EmaCrossTargetPercent, data="sol"),
    Case("target-percent-ema-flip-btc", EmaCrossTargetPercent, cash=1_000_000.0),
    Case("target-value-ema-flip-sol", EmaCrossTargetValue, data="sol"),
    Case("target-value-ema-flip-btc", EmaCrossTargetValue, dict(value=50_000.0),
         cash=100_000.0),
    Case("target-size-long", TargetSize, dict(size=1.0)),
    Case("target-size-short", TargetSize, dict(size=-1.0)),
    Case("target-size-steps", TargetSteps, dict(steps=(10.0, 20.0, 5.0, -10.0, -20.0, 0.0)),
         data="sol"),
    Case("target-percent-long", TargetPercentLong, data="sol"),
    Case("target-value-short", TargetValueShort, data="sol"),
    Case("target-value-short-xrp", TargetValueShort, dict(value=3000.0, period=48), data="xrp"),
]


@fee_params
@pytest.mark.parametrize("case", case_params(CASES))
def test_order_target_conforms(case: Case, fee: float) -> None:
    check_case(case, fee)
