"""The Quickstart guide's final ``TestStrategy``: a close-above-SMA long with order tracking.

Behaviour of: backtrader documentation, "Quickstart Guide" (backtrader.com/docu/quickstart/
quickstart/), final listing, also github.com/mementum/backtrader samples/quickstart10.py.
Written independently for this project, not copied: backtrader's samples are GPL-3.0 and this
repository is MIT. Same parameters (``maperiod`` 15, ``stake`` 10 via ``self.sizer.setsizing``),
same logging, same order bookkeeping and the same trading rule: buy when flat and the close is
above the SMA, sell the stake when long and the close is below it. The plotting-only
indicators of the listing are kept, since they set the strategy's minimum period.
"""

import backtrader as bt


class TestStrategy(bt.Strategy):
    params = (("maperiod", 15), ("stake", 10))

    def log(self, txt, dt=None):
        when = dt or self.datas[0].datetime.date(0)
        print(f"{when.isoformat()}, {txt}")

    def __init__(self):
        self.dataclose = self.datas[0].close
        self.sizer.setsizing(self.params.stake)
        self.order = None
        self.buyprice = None
        self.buycomm = None
        self.sma = bt.indicators.SimpleMovingAverage(self.datas[0], period=self.params.maperiod)
        # Only drawn on a plot in the guide, but they make up the minimum period.
        bt.indicators.ExponentialMovingAverage(self.datas[0], period=25)
        bt.indicators.WeightedMovingAverage(self.datas[0], period=25, subplot=True)
        bt.indicators.StochasticSlow(self.datas[0])
        bt.indicators.MACDHisto(self.datas[0])
        rsi = bt.indicators.RSI(self.datas[0])
        bt.indicators.SmoothedMovingAverage(rsi, period=10)
        bt.indicators.ATR(self.datas[0], plot=False)

    def notify_order(self, order):
        if order.status in (order.Submitted, order.Accepted):
            return
        if order.status == order.Completed:
            done = order.executed
            kind = "BUY" if order.isbuy() else "SELL"
            self.log(f"{kind} EXECUTED, Price: {done.price:.2f}, Cost: {done.value:.2f}, "
                     f"Comm {done.comm:.2f}")
            if order.isbuy():
                self.buyprice, self.buycomm = done.price, done.comm
            self.bar_executed = len(self)
        elif order.status in (order.Canceled, order.Margin, order.Rejected):
            self.log("Order Canceled/Margin/Rejected")
        self.order = None

    def notify_trade(self, trade):
        if trade.isclosed:
            self.log(f"OPERATION PROFIT, GROSS {trade.pnl:.2f}, NET {trade.pnlcomm:.2f}")

    def next(self):
        self.log(f"Close, {self.dataclose[0]:.2f}")
        if self.order:
            return
        if not self.position:
            if self.dataclose[0] > self.sma[0]:
                self.log(f"BUY CREATE, {self.dataclose[0]:.2f}")
                self.order = self.buy()
        elif self.dataclose[0] < self.sma[0]:
            self.log(f"SELL CREATE, {self.dataclose[0]:.2f}")
            self.order = self.sell()
