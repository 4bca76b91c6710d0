"""The sizer sample's ``CloseSMA`` with its user-written ``LongOnly`` sizer, and ``FixedReverser``.

Behaviour of: github.com/mementum/backtrader samples/sizertest/sizertest.py and the "Sizers"
docs page (backtrader.com/docu/sizers/sizers/). Written independently for this project, not
copied: backtrader's samples are GPL-3.0 and this repository is MIT. Same rule: buy() when
close crosses above its 15-period SMA, sell() when it crosses below; ``LongOnly`` sizes buys
at ``stake`` and sells at ``stake`` only while a position is open (else 0: no order);
``FixedReverser`` (backtrader's own, ``bt.sizers.FixedReverser``) doubles the stake to reverse.
"""

import backtrader as bt


class CloseSMA(bt.Strategy):
    params = (("period", 15),)

    def __init__(self):
        sma = bt.indicators.SMA(self.data, period=self.p.period)
        self.crossover = bt.indicators.CrossOver(self.data, sma)

    def next(self):
        if self.crossover > 0:
            self.buy()
        elif self.crossover < 0:
            self.sell()


class LongOnly(bt.Sizer):
    params = (("stake", 1),)

    def _getsizing(self, comminfo, cash, data, isbuy):
        if isbuy:
            return self.p.stake
        if not self.broker.getposition(data).size:
            return 0
        return self.p.stake
