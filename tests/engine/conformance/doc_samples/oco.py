"""The OCO sample's strategy: three limit buys at widening discounts linked one-cancels-others.

Behaviour of: github.com/mementum/backtrader samples/oco/oco.py and the "OCO orders" docs page
(backtrader.com/docu/order-creation-execution/oco/oco/). Written independently for this
project, not copied: backtrader's samples are GPL-3.0 and this repository is MIT. Same
parameters (SMA 5/15, ``limit`` 0.005, ``limdays`` 3, ``limdays2`` 1000, ``hold`` 10,
``usetarget``, ``switchp1p2``, ``oco1oco2``, ``do_oco``) and rule: on a cross up when flat and
nothing pending, buy 1 at ``close*(1-limit)``, ``close*(1-4*limit)`` and ``close*(1-9*limit)``,
the 2nd and 3rd OCO-linked to the 1st (or the 3rd to the 2nd); close after ``hold`` bars.
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
        usetarget=False,
        switchp1p2=False,
        oco1oco2=False,
        do_oco=True,
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
        if self.p.usetarget:
            self._dobuy = self._doclose = self.order_target_size
        else:
            self._dobuy, self._doclose = self.buy, self.close

    def next(self):
        if self.orefs:
            return
        if self.position:
            if len(self) - self.holdstart >= self.p.hold:
                self._doclose()
            return
        if self.cross <= 0.0:
            return
        close = self.data.close[0]
        p1 = close * (1.0 - self.p.limit)
        p2 = close * (1.0 - 2 * 2 * self.p.limit)
        p3 = close * (1.0 - 3 * 3 * self.p.limit)
        valid1 = datetime.timedelta(self.p.limdays)
        valid2 = valid3 = datetime.timedelta(self.p.limdays2)
        if self.p.switchp1p2:
            p1, p2 = p2, p1
            valid1, valid2 = valid2, valid1
        kwargs = dict(exectype=bt.Order.Limit)
        kwargs["target" if self.p.usetarget else "size"] = 1
        o1 = self._dobuy(price=p1, valid=valid1, **kwargs)
        oco2 = o1 if self.p.do_oco else None
        o2 = self._dobuy(price=p2, valid=valid2, oco=oco2, **kwargs)
        oco3 = (oco2 if self.p.oco1oco2 else o1) if self.p.do_oco else None
        o3 = self._dobuy(price=p3, valid=valid3, oco=oco3, **kwargs)
        self.orefs = [o1.ref, o2.ref, o3.ref]
