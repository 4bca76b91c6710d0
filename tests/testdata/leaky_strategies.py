"""Strategies that peek at the future on purpose: what ``bte lookahead`` must catch.

Both trade only on bars where the next close is higher (or lower) than this one, which
makes them look prescient in a backtest and impossible to trade live.
"""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd


class PeekNextClose(bt.Strategy):
    """Reads ``self.data.close[1]``: the close of the bar after the current one."""

    params = (("period", 10),)

    def __init__(self) -> None:
        self.sma = bt.ind.SMA(self.data.close, period=self.p.period)

    def next(self) -> None:
        rising = self.data.close[1] > self.data.close[0]  # the future bar
        if rising and not self.position:
            self.buy(size=0.01)
        elif not rising and self.position:
            self.close()


class ShiftedPandasSignal(bt.Strategy):
    """Precomputes its signal with pandas over the whole close array, shifted the wrong way
    (``shift(-1)`` brings the next bar's close to this one)."""

    params = (("period", 10),)

    def __init__(self) -> None:
        self.sma = bt.ind.SMA(self.data.close, period=self.p.period)
        close = pd.Series(np.asarray(self.data.close.array, dtype=float))
        self.rising = (close.shift(-1) > close).to_numpy()

    def next(self) -> None:
        rising = bool(self.rising[len(self) - 1])
        if rising and not self.position:
            self.buy(size=0.01)
        elif not rising and self.position:
            self.close()


class FutureMeanIndicator(bt.Indicator):
    """A centred moving average: the mean of the previous, this and the next close."""

    lines = ("centred",)

    def __init__(self) -> None:
        self.addminperiod(2)

    def once(self, start: int, end: int) -> None:
        close = self.data.array
        out = self.lines.centred.array
        for i in range(start, end):
            window = close[max(i - 1, 0):i + 2]
            out[i] = sum(window) / len(window)


class CentredAverage(bt.Strategy):
    """Trades the close against a centred average, whose value at a bar uses the next bar."""

    def __init__(self) -> None:
        self.centred = FutureMeanIndicator(self.data.close)

    def next(self) -> None:
        if self.data.close[0] < self.centred[0] and not self.position:
            self.buy(size=0.01)
        elif self.data.close[0] > self.centred[0] and self.position:
            self.close()


class HonestCross(bt.Strategy):
    """A plain SMA cross that only reads the past."""

    def __init__(self) -> None:
        self.fast = bt.ind.SMA(self.data.close, period=5)
        self.slow = bt.ind.EMA(self.data.close, period=20)
        self.cross = bt.ind.CrossOver(self.fast, self.slow)

    def next(self) -> None:
        if self.cross[0] > 0:
            self.buy(size=0.01)
        elif self.cross[0] < 0 and self.position:
            self.close()

