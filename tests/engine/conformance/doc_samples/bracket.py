"""The bracket sample's strategy: a limit entry bracketed by a stop and a take-profit limit.

Behaviour of: github.com/mementum/backtrader samples/bracket/bracket.py and the "Bracket
Orders" docs page (backtrader.com/docu/order-creation-execution/bracket/bracket/). Written
independently for this project, not copied: backtrader's samples are GPL-3.0 and this
repository is MIT. Same parameters (SMA 5/15 cross, ``limit`` 0.005, ``limdays`` 3,
``limdays2`` 1000, ``usebracket``, ``switchp1p2``) and rule: when flat and nothing pending, on a
cross up, buy at ``close * (1 - limit)`` valid ``limdays`` days, with a sell stop 2 % of close
below and a sell limit 2 % of close above (valid ``limdays2`` days), built by hand with
``parent=``/``transmit=False`` or with ``buy_bracket``.
"""

import datetime

import backtrader as bt


class St(bt.Strategy):
    params = dict(
        ma=bt.ind.SMA,
        p1=5,
        p2=15,
        limit=0.005,
        limdays=3,
        limdays2=1000,
        hold=10,
        usebracket=False,
        switchp1p2=False,
    )

    def notify_order(self, order):
        side = "Buy" if order.isbuy() else "Sell"
        print(f"{self.data.datetime.date(0)}: Order ref: {order.ref} / Type {side} / "
              f"Status {order.getstatusname()}")
        if order.status == order.Completed:
            self.holdstart = len(self)
        if not order.alive() and order.ref in self.orefs:
            self.orefs.remove(order.ref)

    def __init__(self):
        fast, slow = self.p.ma(period=self.p.p1), self.p.ma(period=self.p.p2)
        self.cross = bt.ind.CrossOver(fast, slow)
        self.orefs = []

    def next(self):
        if self.orefs or self.position or self.cross <= 0.0:
            return
        close = self.data.close[0]
        p1 = close * (1.0 - self.p.limit)
        p2 = p1 - 0.02 * close
        p3 = p1 + 0.02 * close
        valid1 = datetime.timedelta(self.p.limdays)
        valid2 = valid3 = datetime.timedelta(self.p.limdays2)
        if self.p.switchp1p2:
            p1, p2 = p2, p1
            valid1, valid2 = valid2, valid1
        if self.p.usebracket:
            orders = self.buy_bracket(price=p1, valid=valid1,
                                      stopprice=p2, stopargs=dict(valid=valid2),
                                      limitprice=p3, limitargs=dict(valid=valid3))
        else:
            main = self.buy(exectype=bt.Order.Limit, price=p1, valid=valid1, transmit=False)
            stop = self.sell(exectype=bt.Order.Stop, price=p2, valid=valid2, parent=main,
                             transmit=False)
            take = self.sell(exectype=bt.Order.Limit, price=p3, valid=valid3, parent=main,
                             transmit=True)
            orders = [main, stop, take]
        self.orefs = [o.ref for o in orders]
