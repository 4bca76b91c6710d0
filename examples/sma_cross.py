# An example strategy file for `bte backtest --strategy examples/sma_cross.py:SmaCross`.
# Like any user strategy it imports only backtrader and knows nothing of the framework.
import backtrader as bt


class SmaCross(bt.Strategy):
    """Long when the fast EMA crosses above the slow one, short when it crosses below."""

    params = (("fast", 10), ("slow", 30), ("size", 0.1))

    # Optional: what an optimiser may vary (see docs/strategies.md, "Search spaces").
    search_space = {
        "fast": {"type": "int", "low": 5, "high": 20},
        "slow": {"type": "int", "low": 25, "high": 80, "step": 5},
    }

    def __init__(self):
        fast = bt.ind.EMA(self.data.close, period=self.p.fast)
        slow = bt.ind.EMA(self.data.close, period=self.p.slow)
        self.cross = bt.ind.CrossOver(fast, slow)

    def next(self):
        if self.cross[0] > 0:
            self.order_target_size(target=self.p.size)
        elif self.cross[0] < 0:
            self.order_target_size(target=-self.p.size)
