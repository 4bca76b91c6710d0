"""Execution types: Market, Close, Limit, Stop and StopLimit, for entries and exits, both sides."""

from __future__ import annotations

import datetime

import backtrader as bt
import pytest

from tests.engine.conformance.harness import Case, case_params, check_case, fee_params


class EntryExit(bt.Strategy):
    """On an SMA cross, enters with ``entry`` orders and exits with ``exit`` orders.

    ``side`` 1 trades long, -1 short. Entry prices sit ``offset`` (a fraction of close) on the
    passive side for Limit, the breakout side for Stop and StopLimit (``limit_offset`` further
    for the limit). Exits are protective stops or take-profit limits ``exit_offset`` away from
    the entry, or a Close/Market order ``hold`` bars later. Entries expire after ``valid``
    hours; pending orders are tracked the usual way through ``notify_order``.
    """

    params = dict(side=1, entry="Market", exit="Market", offset=0.005, limit_offset=0.004,
                  exit_offset=0.02, valid=6, hold=24, period=20)

    def __init__(self):
        self.cross = bt.ind.CrossOver(self.data.close, bt.ind.SMA(period=self.p.period))
        self.order = None
        self.exit_order = None
        self.entered = 0

    def notify_order(self, order):
        if order.alive():
            return
        if order is self.order or order.ref == getattr(self.order, "ref", None):
            self.order = None
            if order.status == order.Completed:
                self.entered = len(self)
        if order.ref == getattr(self.exit_order, "ref", None):
            self.exit_order = None

    def entry_kwargs(self):
        close, side, kind = self.data.close[0], self.p.side, self.p.entry
        kwargs = dict(exectype=getattr(bt.Order, kind))
        if kind == "Limit":
            kwargs["price"] = close * (1.0 - side * self.p.offset)
        elif kind in ("Stop", "StopLimit"):
            kwargs["price"] = close * (1.0 + side * self.p.offset)
            if kind == "StopLimit":
                kwargs["plimit"] = kwargs["price"] * (1.0 + side * self.p.limit_offset)
        if kind != "Market":
            kwargs["valid"] = datetime.timedelta(hours=self.p.valid)
        return kwargs

    def next(self):
        if self.order is not None:
            return
        signal = self.cross[0] * self.p.side > 0
        if not self.position:
            if signal:
                size = 0.5
                order = self.buy if self.p.side > 0 else self.sell
                self.order = order(size=size, **self.entry_kwargs())
            return
        exit_ = self.sell if self.position.size > 0 else self.buy
        held = len(self) - self.entered
        if self.p.exit in ("Stop", "Limit") and self.exit_order is None:
            away = -1.0 if self.p.exit == "Stop" else 1.0
            price = self.position.price * (1.0 + self.p.side * away * self.p.exit_offset)
            self.exit_order = exit_(size=abs(self.position.size), price=price,
                                    exectype=getattr(bt.Order, self.p.exit))
        elif held >= self.p.hold:
            if self.exit_order is not None:
                self.cancel(self.exit_order)
            kind = bt.Order.Close if self.p.exit == "Close" else bt.Order.Market
            self.order = self.close(exectype=kind)


CASES = [
    Case("market-explicit-long", EntryExit, dict(exit="Market")),
    Case("close-exectype-long", EntryExit, dict(entry="Market", exit="Close"),
         expect=(("Close", "Completed"),)),
    Case("close-exectype-short", EntryExit, dict(side=-1, exit="Close"),
         expect=(("Close", "Completed"),)),
    Case("limit-entry-long", EntryExit, dict(entry="Limit"),
         expect=(("Limit", "Completed"), ("Limit", "Expired"))),
    Case("limit-entry-short", EntryExit, dict(side=-1, entry="Limit"), data="btc-fall",
         expect=(("Limit", "Completed"), ("Limit", "Expired"))),
    Case("limit-take-profit-long", EntryExit, dict(exit="Limit", exit_offset=0.01),
         expect=(("Limit", "Completed"), ("Limit", "Canceled"))),
    Case("stop-entry-long", EntryExit, dict(entry="Stop"),
         expect=(("Stop", "Completed"), ("Stop", "Expired"))),
    Case("stop-entry-short", EntryExit, dict(side=-1, entry="Stop", offset=0.003),
         data="btc-fall", expect=(("Stop", "Completed"), ("Stop", "Expired"))),
    Case("stop-loss-long", EntryExit, dict(exit="Stop", exit_offset=0.01),
         expect=(("Stop", "Completed"), ("Stop", "Canceled"))),
    Case("stop-loss-short", EntryExit, dict(side=-1, exit="Stop", exit_offset=0.01),
         data="btc-fall", expect=(("Stop", "Completed"), ("Stop", "Canceled"))),
    Case("stoplimit-entry-long", EntryExit, dict(entry="StopLimit", offset=0.003),
         expect=(("StopLimit", "Completed"), ("StopLimit", "Expired"))),
    Case("stoplimit-entry-short", EntryExit, dict(side=-1, entry="StopLimit", offset=0.003),
         data="btc-fall", expect=(("StopLimit", "Completed"), ("StopLimit", "Expired"))),
]


@fee_params
@pytest.mark.parametrize("case", case_params(CASES))
def test_order_types_conform(case: Case, fee: float) -> None:
    check_case(case, fee)
