"""``OrderExecutionStrategy`` of backtrader's order-execution sample: one execution type a run.

Behaviour of: github.com/mementum/backtrader samples/order-execution/order-execution.py and the
"Order Management and Execution" docs page (backtrader.com/docu/order-creation-execution/).
Written independently for this project, not copied: backtrader's samples are GPL-3.0 and this
repository is MIT. Same parameters (``smaperiod`` 15, ``exectype``, ``perc1`` 3, ``perc2`` 1,
``valid`` 4 days as a date), same rule: a CrossOver of close and SMA; when flat and it crosses
up, buy with the chosen execution type (Limit ``perc1`` % below close, Stop ``perc1`` % above,
StopLimit triggered ``perc1`` % above and limited ``perc2`` % above); when long and it crosses
down, sell; nothing new while an order is pending.
"""

import datetime

import backtrader as bt


class OrderExecutionStrategy(bt.Strategy):
    params = (
        ("smaperiod", 15),
        ("exectype", "Market"),
        ("perc1", 3),
        ("perc2", 1),
        ("valid", 4),
    )

    def log(self, txt, dt=None):
        stamp = dt or self.data.datetime[0]
        if isinstance(stamp, float):
            stamp = bt.num2date(stamp)
        print(f"{stamp.isoformat()}, {txt}")

    def __init__(self):
        sma = bt.ind.SMA(period=self.p.smaperiod)
        self.buysell = bt.ind.CrossOver(self.data.close, sma, plot=True)
        self.order = None

    def notify_order(self, order):
        if order.status in (order.Submitted, order.Accepted):
            self.log("ORDER ACCEPTED/SUBMITTED", dt=order.created.dt)
            self.order = order
            return
        if order.status == order.Expired:
            self.log("BUY EXPIRED")
        elif order.status == order.Completed:
            kind = "BUY" if order.isbuy() else "SELL"
            self.log(f"{kind} EXECUTED, Price: {order.executed.price:.2f}, "
                     f"Cost: {order.executed.value:.2f}, Comm {order.executed.comm:.2f}")
        self.order = None

    def next(self):
        if self.order:
            return
        if self.position:
            if self.buysell < 0:
                self.log(f"SELL CREATE, {self.data.close[0]:.2f}")
                self.sell()
            return
        if self.buysell <= 0:
            return
        valid = None
        if self.p.valid:
            valid = self.data.datetime.date(0) + datetime.timedelta(days=self.p.valid)
        close = self.data.close
        kind = self.p.exectype
        if kind == "Market":
            self.buy(exectype=bt.Order.Market)
        elif kind == "Close":
            self.buy(exectype=bt.Order.Close)
        elif kind == "Limit":
            self.buy(exectype=bt.Order.Limit, price=close * (1.0 - self.p.perc1 / 100.0),
                     valid=valid)
        elif kind == "Stop":
            self.buy(exectype=bt.Order.Stop, price=close * (1.0 + self.p.perc1 / 100.0),
                     valid=valid)
        elif kind == "StopLimit":
            self.buy(exectype=bt.Order.StopLimit, price=close * (1.0 + self.p.perc1 / 100.0),
                     plimit=close * (1.0 + self.p.perc2 / 100.0), valid=valid)
        self.log(f"BUY CREATE, exectype {kind}, close {close[0]:.2f}")
