"""StopTrail and StopTrailLimit exits, by trailamount and by trailpercent, long and short."""

from __future__ import annotations

import backtrader as bt
import pytest

from tests.engine.conformance.harness import Case, case_params, check_case, fee_params


class TrailingExit(bt.Strategy):
    """Enters on an EMA cross (``side`` 1 long, -1 short) and leaves by a trailing stop.

    The trail is placed the bar after the entry fills; ``limit`` > 0 makes it a
    StopTrailLimit whose limit sits ``limit`` beyond the trigger.
    """

    params = dict(side=1, size=0.5, fast=8, slow=21, trailamount=0.0, trailpercent=0.0,
                  limit=0.0)

    def __init__(self):
        fast, slow = bt.ind.EMA(period=self.p.fast), bt.ind.EMA(period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)
        self.entry = None
        self.trail = None

    def notify_order(self, order):
        if not order.alive():
            if self.entry is not None and order.ref == self.entry.ref:
                self.entry = None
            if self.trail is not None and order.ref == self.trail.ref:
                self.trail = None

    def next(self):
        if self.entry is not None:
            return
        if not self.position:
            if self.cross[0] * self.p.side > 0:
                place = self.buy if self.p.side > 0 else self.sell
                self.entry = place(size=self.p.size)
        elif self.trail is None:
            place = self.sell if self.position.size > 0 else self.buy
            kwargs = dict(size=abs(self.position.size), trailamount=self.p.trailamount,
                          trailpercent=self.p.trailpercent, exectype=bt.Order.StopTrail)
            if self.p.limit:
                close = self.data.close[0]
                kwargs.update(exectype=bt.Order.StopTrailLimit, price=close,
                              plimit=close - self.p.side * self.p.limit)
            self.trail = place(**kwargs)


CASES = [
    Case("trail-amount-long", TrailingExit, dict(trailamount=150.0),
         expect=(("StopTrail", "Completed"),)),
    Case("trail-percent-long", TrailingExit, dict(trailpercent=0.01),
         expect=(("StopTrail", "Completed"),)),
    Case("trail-amount-short", TrailingExit, dict(side=-1, trailamount=80.0), data="btc-fall",
         expect=(("StopTrail", "Completed"),)),
    Case("trail-percent-short", TrailingExit, dict(side=-1, trailpercent=0.012),
         data="btc-fall", expect=(("StopTrail", "Completed"),)),
    Case("trail-limit-percent-long", TrailingExit, dict(trailpercent=0.01, limit=20.0),
         expect=(("StopTrailLimit", "Completed"),)),
]


@fee_params
@pytest.mark.parametrize("case", case_params(CASES))
def test_stop_trail_conforms(case: Case, fee: float) -> None:
    check_case(case, fee)
