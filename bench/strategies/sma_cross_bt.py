# The backtrader side of bench/vs_freqtrade.py: `bte backtest --strategy
# bench/strategies/sma_cross_bt.py:SmaCrossLong`. A plain bt.Strategy, as a user writes it; its
# freqtrade twin is bench/strategies/freqtrade/sma_cross_ft.py.
import backtrader as bt


class SmaCrossLong(bt.Strategy):
    """Long-only SMA cross: buy when the fast SMA crosses above the slow one, close when it
    crosses below. Each entry buys `stake` worth of the quote currency at the signal bar's
    close (the market order fills at the next bar's open, as freqtrade's entries do)."""

    params = (("fast", 10), ("slow", 30), ("stake", 1000.0))

    # The same integer ranges as the freqtrade strategy's IntParameters (both ends inclusive).
    search_space = {
        "fast": {"type": "int", "low": 5, "high": 20},
        "slow": {"type": "int", "low": 25, "high": 60},
    }

    def __init__(self):
        self.cross = bt.ind.CrossOver(bt.ind.SMA(self.data.close, period=self.p.fast),
                                      bt.ind.SMA(self.data.close, period=self.p.slow))

    def next(self):
        if not self.position:
            if self.cross[0] > 0:
                self.buy(size=self.p.stake / self.data.close[0])
        elif self.cross[0] < 0:
            self.close()
