"""The Cerebro builder: the one place where a mode picks its feeds and broker.

A strategy never learns which mode it runs in. Backtests and studies plug in numpy-array feeds
and :class:`~.broker.PerpBroker`; paper trading plugs in live feeds and the paper broker. All of
them come through :func:`build_cerebro`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import backtrader as bt

from backtrader_engine.engine.lean_loop import LeanCerebro


def build_cerebro(
    strategy: type[bt.Strategy],
    params: Mapping[str, object],
    feeds: Sequence[bt.feeds.DataBase],
    broker: bt.BrokerBase,
    *,
    analyzers: Sequence[type[bt.Analyzer]] = (),
    stdstats: bool = False,
    live: bool = False,
    lean: bool = True,
) -> bt.Cerebro:
    """Assemble a Cerebro for *strategy* with the mode's *feeds* and *broker*.

    ``stdstats`` stays off unless a caller plots with backtrader's own observers: per-bar
    observers cost about 15% of a backtest. ``live`` turns preload and runonce off, which is how
    backtrader runs bars that arrive one at a time. A preloaded run steps its bars with
    :class:`~.lean_loop.LeanCerebro` (``lean=False``: backtrader's own loop, for comparison).
    """
    cerebro_cls = LeanCerebro if lean and not live else bt.Cerebro
    cerebro = cerebro_cls(stdstats=stdstats, preload=not live, runonce=not live, live=live,
                         maxcpus=1, quicknotify=live)
    for feed in feeds:
        cerebro.adddata(feed)
    cerebro.setbroker(broker)
    cerebro.addstrategy(strategy, **dict(params))
    for analyzer in analyzers:
        cerebro.addanalyzer(analyzer)
    return cerebro
