"""The documentation's ``SmaCross``: the home page's signal version and the plain-strategy one.

Behaviour of: backtrader documentation home page / README (``SmaCross(bt.SignalStrategy)``:
SMA 10 and 30, a CrossOver added as a ``SIGNAL_LONG``) and the "Strategy" docs' ``SmaCross``
(``bt.Strategy`` with ``pfast``/``pslow`` 10/30: buy on a cross up when flat, close on a cross
down). Written independently for this project, not copied: backtrader's documentation and
samples are GPL-3.0 and this repository is MIT.
"""

import backtrader as bt


class SmaCrossSignal(bt.SignalStrategy):
    def __init__(self):
        fast, slow = bt.ind.SMA(period=10), bt.ind.SMA(period=30)
        self.signal_add(bt.SIGNAL_LONG, bt.ind.CrossOver(fast, slow))


class SmaCross(bt.Strategy):
    params = dict(pfast=10, pslow=30)

    def __init__(self):
        fast = bt.ind.SMA(period=self.p.pfast)
        slow = bt.ind.SMA(period=self.p.pslow)
        self.crossover = bt.ind.CrossOver(fast, slow)

    def next(self):
        if not self.position:
            if self.crossover > 0:
                self.buy()
        elif self.crossover < 0:
            self.close()
