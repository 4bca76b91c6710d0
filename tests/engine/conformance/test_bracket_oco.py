"""buy_bracket / sell_bracket, a hand-built bracket (parent + children, transmit=False) and OCO."""

from __future__ import annotations

import datetime

import backtrader as bt
import pytest

from tests.engine.conformance.harness import Case, case_params, check_case, fee_params


class Brackets(bt.Strategy):
    """On an SMA cross, a bracket: limit entry ``offset`` away, stop and take-profit around it.

    ``how``: ``"bracket"`` uses buy_bracket / sell_bracket; ``"manual"`` builds the same three
    orders with ``parent=`` and ``transmit=False``; ``"market"`` brackets a market entry.
    """

    params = dict(side=1, size=0.5, how="bracket", offset=0.003, stop=0.012, take=0.015,
                  valid=8, period=20)

    def __init__(self):
        self.cross = bt.ind.CrossOver(self.data.close, bt.ind.SMA(period=self.p.period))
        self.live = []

    def notify_order(self, order):
        if not order.alive():
            self.live = [ref for ref in self.live if ref != order.ref]

    def next(self):
        if self.live or self.position or self.cross[0] * self.p.side <= 0:
            return
        side, close = self.p.side, self.data.close[0]
        entry = close * (1.0 - side * self.p.offset)
        stop = entry * (1.0 - side * self.p.stop)
        take = entry * (1.0 + side * self.p.take)
        valid = datetime.timedelta(hours=self.p.valid)
        if self.p.how == "manual":
            orders = self.manual(entry, stop, take, valid)
        else:
            bracket = self.buy_bracket if side > 0 else self.sell_bracket
            kwargs = dict(size=self.p.size, stopprice=stop, limitprice=take)
            if self.p.how == "market":
                kwargs.update(exectype=bt.Order.Market)
            else:
                # The children inherit ``valid`` unless told otherwise: good till cancelled.
                kwargs.update(price=entry, valid=valid, stopargs=dict(valid=None),
                              limitargs=dict(valid=None))
            orders = bracket(**kwargs)
        self.live = [order.ref for order in orders]

    def manual(self, entry, stop, take, valid):
        opens, closes = (self.buy, self.sell) if self.p.side > 0 else (self.sell, self.buy)
        parent = opens(size=self.p.size, price=entry, exectype=bt.Order.Limit, valid=valid,
                       transmit=False)
        loss = closes(size=self.p.size, price=stop, exectype=bt.Order.Stop, parent=parent,
                      transmit=False)
        profit = closes(size=self.p.size, price=take, exectype=bt.Order.Limit, parent=parent,
                        transmit=True)
        return [parent, loss, profit]


class OcoEntries(bt.Strategy):
    """Two entries linked one-cancels-other: a breakout stop above and a dip limit below.

    The position leaves after ``hold`` bars by close().
    """

    params = dict(size=0.5, every=8, offset=0.006, valid=6, hold=6)

    def __init__(self):
        self.live = []
        self.opened = 0

    def notify_order(self, order):
        if order.status == order.Completed and self.position and not self.opened:
            self.opened = len(self)
        if not order.alive():
            self.live = [ref for ref in self.live if ref != order.ref]

    def next(self):
        if self.position:
            if len(self) - self.opened >= self.p.hold:
                self.close()
                self.opened = 0
            return
        if self.live or len(self) % self.p.every:
            return
        close = self.data.close[0]
        valid = datetime.timedelta(hours=self.p.valid)
        dip = self.buy(size=self.p.size, exectype=bt.Order.Limit, valid=valid,
                       price=close * (1.0 - self.p.offset))
        breakout = self.buy(size=self.p.size, exectype=bt.Order.Stop, valid=valid,
                            price=close * (1.0 + self.p.offset), oco=dip)
        self.live = [dip.ref, breakout.ref]


class OcoExits(bt.Strategy):
    """A market entry each SMA cross (``side``), then a take-profit and a stop linked OCO."""

    params = dict(side=-1, size=0.5, stop=0.01, take=0.012, period=20)

    def __init__(self):
        self.cross = bt.ind.CrossOver(self.data.close, bt.ind.SMA(period=self.p.period))
        self.exits = []

    def notify_order(self, order):
        if not order.alive():
            self.exits = [ref for ref in self.exits if ref != order.ref]

    def next(self):
        if not self.position:
            if self.cross[0] * self.p.side > 0:
                (self.buy if self.p.side > 0 else self.sell)(size=self.p.size)
            return
        if self.exits:
            return
        price, side = self.position.price, self.p.side
        closes = self.sell if side > 0 else self.buy
        take = closes(size=self.p.size, exectype=bt.Order.Limit,
                      price=price * (1.0 + side * self.p.take))
        stop = closes(size=self.p.size, exectype=bt.Order.Stop,
                      price=price * (1.0 - side * self.p.stop), oco=take)
        self.exits = [take.ref, stop.ref]


BRACKET_EXPECT = (("Limit", "Completed"), ("Stop", "Completed"), ("Limit", "Canceled"),
                  ("Stop", "Canceled"))

CASES = [
    Case("buy-bracket", Brackets, expect=BRACKET_EXPECT + (("Limit", "Expired"),)),
    Case("sell-bracket", Brackets, dict(side=-1), data="btc-fall",
         expect=BRACKET_EXPECT + (("Limit", "Expired"),)),
    Case("buy-bracket-market-entry", Brackets, dict(how="market"), expect=BRACKET_EXPECT),
    Case("manual-bracket-long", Brackets, dict(how="manual"),
         expect=BRACKET_EXPECT + (("Limit", "Expired"),)),
    Case("manual-bracket-short", Brackets, dict(how="manual", side=-1), data="btc-fall",
         expect=BRACKET_EXPECT),
    Case("oco-entries", OcoEntries,
         expect=(("Limit", "Completed"), ("Stop", "Completed"), ("Limit", "Canceled"),
                 ("Stop", "Canceled"), ("Limit", "Expired"))),
    Case("oco-exits-short", OcoExits, data="btc-fall",
         expect=(("Limit", "Completed"), ("Stop", "Completed"), ("Stop", "Canceled"),
                 ("Limit", "Canceled"))),
    Case("oco-exits-long", OcoExits, dict(side=1),
         expect=(("Limit", "Completed"), ("Stop", "Completed"))),
]


@fee_params
@pytest.mark.parametrize("case", case_params(CASES))
def test_brackets_and_oco_conform(case: Case, fee: float) -> None:
    check_case(case, fee)
