"""The portfolio's Cerebro: each strategy instance sees, and is stepped on, its own symbol only.

Stock backtrader builds every strategy as ``cls(*(cerebro.datas + args))`` and steps every
strategy on every bar any feed delivers. A portfolio runs one instance per symbol, so with
stock behaviour each instance would take the first symbol's feed as its ``self.data``, and an
instance whose symbol has no bar at some time (listed later, or a missing bar) would see
``next()`` called again on its previous bar. :class:`PortfolioCerebro` gives each instance only
the feeds passed to ``addstrategy`` and steps it only on its own symbol's bars, so each symbol
runs exactly as it would alone.

When every symbol has the same bar times (the usual case) the stepping is stock backtrader's.
"""

from __future__ import annotations

import backtrader as bt

from backtrader_engine.engine.lean_loop import LeanCerebro, lean_oncepost


class _OwnFeedsOnly(list):
    """Cerebro's list of feeds, except that ``feeds + strategy_args`` is the args alone.

    That concatenation in ``Cerebro.runstrategies`` is the only place Cerebro adds to its
    feeds; everywhere else this is the plain list.
    """

    def __add__(self, other: list) -> list:
        return list(other) if other else list(self)


class PortfolioCerebro(LeanCerebro):
    """:class:`~.lean_loop.LeanCerebro` for strategies added as ``addstrategy(cls, *feeds)``."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.datas = _OwnFeedsOnly()

    def _runonce(self, runstrats: list[bt.Strategy]) -> None:
        # LeanCerebro._runonce, but a strategy is stepped only when its own base feed
        # delivered a bar.
        for strat in runstrats:
            strat._once()
            strat.reset()  # strat called next by next - reset lines
        datas = sorted(self.datas, key=lambda x: (x._timeframe, x._compression))
        posts = [(strat, lean_oncepost(strat),
                  next(i for i, data in enumerate(datas) if data is strat.datas[0]))
                 for strat in runstrats]
        while True:
            dts = [d.advance_peek() for d in datas]
            dt0 = min(dts)
            if dt0 == float("inf"):
                break  # no data delivers anything
            for i, dti in enumerate(dts):
                if dti <= dt0:
                    datas[i].advance()
            self._check_timers(runstrats, dt0, cheat=True)
            if self.p.cheat_on_open:
                for strat in runstrats:
                    strat._oncepost_open()
                    if self._event_stop:
                        return
            self._brokernotify()
            if self._event_stop:
                return
            self._check_timers(runstrats, dt0, cheat=False)
            if not self._step(runstrats, posts, dts, dt0):
                return

    def _step(self, runstrats: list[bt.Strategy], posts: list, dts: list[float],
              dt0: float) -> bool:
        """Step each strategy whose symbol has a bar at *dt0*; False once a stop is asked."""
        for _strat, post, own in posts:
            if dts[own] > dt0:
                continue  # no bar of this symbol now: its instance waits for the next
            post(dt0)
            if self._event_stop:
                return False
            self._next_writers(runstrats)
        return True
