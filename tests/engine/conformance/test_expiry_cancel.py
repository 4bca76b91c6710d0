"""Order lifetime: ``valid`` as a timedelta, as a datetime and as a date; ``cancel()``."""

from __future__ import annotations

import datetime

import backtrader as bt
import pytest

from tests.engine.conformance.harness import Case, case_params, check_case, fee_params


class RestingLimits(bt.Strategy):
    """Rests a limit entry ``offset`` below (long) or above (short) close every ``every`` bars.

    ``valid`` picks how the order's life is given: ``"timedelta"`` (``hours`` from now),
    ``"datetime"`` (now + ``hours`` as a datetime), ``"date"`` (tomorrow's date: good until the
    end of today), or ``"cancel"`` (no expiry; the strategy cancels it after ``hours`` bars).
    Positions are closed ``hold`` bars after they open.
    """

    params = dict(side=1, size=0.5, every=5, offset=0.004, hours=4, valid="timedelta",
                  hold=10)

    def __init__(self):
        self.pending = None
        self.placed = 0
        self.opened = 0

    def notify_order(self, order):
        if order.status == order.Completed and self.position and not self.opened:
            self.opened = len(self)
        if not order.alive() and self.pending is not None and order.ref == self.pending.ref:
            self.pending = None

    def validity(self):
        now = self.data.datetime.datetime(0)
        if self.p.valid == "timedelta":
            return datetime.timedelta(hours=self.p.hours)
        if self.p.valid == "datetime":
            return now + datetime.timedelta(hours=self.p.hours)
        if self.p.valid == "date":
            return now.date() + datetime.timedelta(days=1)
        return None

    def next(self):
        if self.position:
            if len(self) - self.opened >= self.p.hold:
                self.close()
                self.opened = 0
            return
        if self.pending is not None:
            if self.p.valid == "cancel" and len(self) - self.placed >= self.p.hours:
                self.cancel(self.pending)
            return
        if len(self) % self.p.every == 0:
            price = self.data.close[0] * (1.0 - self.p.side * self.p.offset)
            place = self.buy if self.p.side > 0 else self.sell
            self.pending = place(size=self.p.size, price=price, exectype=bt.Order.Limit,
                                 valid=self.validity())
            self.placed = len(self)


CASES = [
    Case("valid-timedelta-long", RestingLimits,
         expect=(("Limit", "Expired"), ("Limit", "Completed"))),
    Case("valid-timedelta-short", RestingLimits, dict(side=-1, hours=6),
         expect=(("Limit", "Expired"), ("Limit", "Completed"))),
    Case("valid-datetime-long", RestingLimits, dict(valid="datetime", hours=3),
         expect=(("Limit", "Expired"), ("Limit", "Completed"))),
    Case("valid-date-long", RestingLimits, dict(valid="date", offset=0.01, every=7),
         expect=(("Limit", "Expired"), ("Limit", "Completed"))),
    Case("cancel-after-bars-long", RestingLimits, dict(valid="cancel", hours=3),
         expect=(("Limit", "Canceled"), ("Limit", "Completed"))),
    Case("cancel-after-bars-short", RestingLimits, dict(valid="cancel", side=-1, hours=5),
         data="btc-fall", expect=(("Limit", "Canceled"), ("Limit", "Completed"))),
]


@fee_params
@pytest.mark.parametrize("case", case_params(CASES))
def test_expiry_and_cancel_conform(case: Case, fee: float) -> None:
    check_case(case, fee)
