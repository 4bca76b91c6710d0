"""Refuse a backtest whose strategy needs more bars than the data has.

backtrader gives every strategy a minimum period: the longest warm-up of the indicators it
built (``RSI(700)`` needs 701 bars), per data feed. A strategy with a longer warm-up than the
data never reaches ``next()``, and with preloaded data backtrader's vectorised indicator pass
fails with an ``IndexError`` deep in its own code. :class:`BarsCheck` reads the periods once the
strategy is built, before the first bar, so the check holds for any strategy, including a
user's file, whatever indicators it builds.
"""

from __future__ import annotations

from collections.abc import Sequence

import backtrader as bt

from ..errors import UserError


class NotEnoughBars(UserError):
    """The strategy's longest indicator period is longer than the data.

    ``where`` says where the bars came from (``the data has``, ``--from/--to leaves``), so a
    caller that knows how the data was chosen can say so with :meth:`reworded`.
    """

    def __init__(self, strategy: str, timeframe: str, needed: int, available: int,
                 where: str = "the data has") -> None:
        self.strategy = strategy
        self.timeframe = timeframe
        self.needed = needed
        self.available = available
        self.where = where
        super().__init__(f"{strategy} needs at least {needed} bars of {timeframe} data (its "
                         f"longest indicator period) but {where} {available}")

    def reworded(self, where: str) -> NotEnoughBars:
        return NotEnoughBars(self.strategy, self.timeframe, self.needed, self.available, where)


class BarsCheck(bt.Analyzer):
    """Raise :class:`NotEnoughBars` before the first bar when a feed is shorter than needed.

    An analyzer's ``start()`` runs after the strategy's ``__init__`` and backtrader's own
    minimum-period computation (``Strategy._periodset``), and before any bar: the earliest
    moment the periods are known. Needs preloaded feeds (a backtest's), whose length is known.
    """

    params = (("timeframes", ()), ("strategy_name", ""))

    def start(self) -> None:
        strategy = self.strategy
        labels: Sequence[str] = self.p.timeframes
        for i, (data, needed) in enumerate(zip(strategy.datas, strategy._minperiods,
                                               strict=False)):
            available = data.buflen()
            if needed > available:
                label = labels[i] if i < len(labels) else f"feed {i}"
                raise NotEnoughBars(self.p.strategy_name or type(strategy).__name__, label,
                                    int(needed), int(available))
