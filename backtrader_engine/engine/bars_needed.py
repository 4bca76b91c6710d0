"""Refuse a backtest whose strategy needs more bars than the data has.

backtrader gives every strategy a minimum period: the longest warm-up of the indicators it
built (``RSI(700)`` needs 701 bars), per data feed. A strategy with a longer warm-up than the
data never reaches ``next()``, and with preloaded data backtrader's vectorised indicator pass
fails with an ``IndexError`` deep in its own code. :class:`BarsCheck` reads the periods once the
strategy is built, before the first bar, so the check holds for any strategy, including a
user's file, whatever indicators it builds.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Sequence

import backtrader as bt

from backtrader_engine.errors import UserError

log = logging.getLogger(__name__)


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
        # *where* reads before the count ("the data has"), or places it with "{}"
        # ("--from/--to leaves {} at --timeframe 1d").
        count = where.format(available) if "{}" in where else f"{where} {available}"
        super().__init__(f"{strategy} needs at least {needed} bars of {timeframe} data (its "
                         f"longest indicator period) but {count}")

    def reworded(self, where: str) -> NotEnoughBars:
        return NotEnoughBars(self.strategy, self.timeframe, self.needed, self.available, where)


class BadIndicatorPeriod(UserError):
    """One of backtrader's indicators was built with a period that is not a whole number >= 1
    (backtrader itself would divide by zero, slice with a float or silently compute nonsense)."""


def _indicators(owner: bt.LineIterator) -> list[bt.Indicator]:
    """Every indicator *owner* built, nested ones (an RSI's moving averages) included."""
    found = []
    for indicator in getattr(owner, "_lineiterators", {}).get(bt.LineIterator.IndType, []):
        found.append(indicator)
        found.extend(_indicators(indicator))
    return found


def check_indicator_periods(strategy: bt.Strategy, name: str) -> None:
    """Raise :class:`BadIndicatorPeriod` for a backtrader indicator with a period below 1."""
    for indicator in _indicators(strategy):
        if not type(indicator).__module__.startswith("backtrader."):
            continue  # a user's own indicator may give "period" another meaning
        period = getattr(indicator.params, "period", None)
        if period is None:
            continue
        whole = isinstance(period, numbers.Integral) and not isinstance(period, bool)
        if not whole or period < 1:
            raise BadIndicatorPeriod(
                f"{name} builds {type(indicator).__name__} with period {period!r}; an "
                f"indicator period must be a whole number of at least 1 (check the params "
                f"that set it)")


class StartOnly(bt.Analyzer):
    """An analyzer that only acts in ``start()``: its per-bar and per-event hooks do nothing,
    so being attached costs a backtest next to nothing."""

    def _prenext(self) -> None:
        pass

    def _nextstart(self) -> None:
        pass

    def _next(self) -> None:
        pass

    def _notify_cashvalue(self, cash, value) -> None:
        pass

    def _notify_fund(self, cash, value, fundvalue, shares) -> None:
        pass

    def _notify_trade(self, trade) -> None:
        pass

    def _notify_order(self, order) -> None:
        pass


class BarsCheck(StartOnly):
    """Raise :class:`NotEnoughBars` before the first bar when a feed is shorter than needed.

    An analyzer's ``start()`` runs after the strategy's ``__init__`` and backtrader's own
    minimum-period computation (``Strategy._periodset``), and before any bar: the earliest
    moment the periods are known. Needs preloaded feeds (a backtest's), whose length is known.
    """

    params = (("timeframes", ()), ("strategy_name", ""))

    def start(self) -> None:
        strategy = self.strategy
        check_indicator_periods(strategy, self.p.strategy_name or type(strategy).__name__)
        labels: Sequence[str] = self.p.timeframes
        for i, (data, needed) in enumerate(zip(strategy.datas, strategy._minperiods,
                                               strict=False)):
            available = data.buflen()
            if needed > available:
                label = labels[i] if i < len(labels) else f"feed {i}"
                raise NotEnoughBars(self.p.strategy_name or type(strategy).__name__, label,
                                    int(needed), int(available))


class WarmupCheck(StartOnly):
    """Warn when a live strategy needs more bars than its warm-up history holds.

    Live, a longer warm-up than the history is not an error: the strategy waits for live bars
    until its indicators are ready. But it then stays silent for that long, which looks like a
    broken session unless it is said once, at the start.
    """

    params = (("warmup", 0), ("account", ""))

    def start(self) -> None:
        strategy = self.strategy
        check_indicator_periods(strategy, type(strategy).__name__)
        needed = int(strategy._minperiods[0]) if strategy._minperiods else 1
        if needed > self.p.warmup:
            log.warning("account %s: %s needs %d bars (its longest indicator period) but the "
                        "warm-up has %d; it makes no decision before the %d%s live bar "
                        "(raise --warmup-bars to at least %d to start at once)",
                        self.p.account, type(strategy).__name__, needed, self.p.warmup,
                        needed - self.p.warmup, _ordinal(needed - self.p.warmup), needed)


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
