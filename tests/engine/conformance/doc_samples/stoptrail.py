"""The StopTrail sample's strategy: buy on an SMA cross up, leave by a trailing stop.

Behaviour of: github.com/mementum/backtrader samples/stoptrail/trail.py and the "StopTrail(Limit)"
docs page (backtrader.com/docu/order-creation-execution/trail/stoptrail/). Written
independently for this project, not copied: backtrader's samples are GPL-3.0 and this
repository is MIT. Same parameters (SMA 10/30 CrossUp, ``stoptype``, ``trailamount``,
``trailpercent``, ``limitoffset``) and rule: when flat and it crosses up, buy; once long,
place one sell StopTrail (or StopTrailLimit at close with the limit ``limitoffset`` away).
"""

import backtrader as bt


class St(bt.Strategy):
    params = dict(
        ma=bt.ind.SMA,
        p1=10,
        p2=30,
        stoptype=bt.Order.StopTrail,
        trailamount=0.0,
        trailpercent=0.0,
        limitoffset=0.0,
    )

    def __init__(self):
        fast, slow = self.p.ma(period=self.p.p1), self.p.ma(period=self.p.p2)
        self.crup = bt.ind.CrossUp(fast, slow)
        self.order = None

    def next(self):
        if not self.position:
            if self.crup:
                self.buy()
                self.order = None
            return
        if self.order is not None:
            return
        price = plimit = None
        if self.p.stoptype == bt.Order.StopTrailLimit:
            price = self.data.close[0]
            plimit = price + self.p.limitoffset
        self.order = self.sell(exectype=self.p.stoptype, price=price, plimit=plimit,
                               trailamount=self.p.trailamount,
                               trailpercent=self.p.trailpercent)
