"""The backtest's bar loop: backtrader's vectorised-mode loop with leaner indicator bookkeeping.

In runonce mode backtrader computes every indicator over the whole feed up front, then walks
the bars calling ``Strategy._oncepost``, which first moves each of the strategy's indicators
one bar on: ``if len(indicator._clock) > len(indicator): indicator.advance()``. Each ``len``
goes through three Python calls (``LineSeries.__len__``, ``Lines.__len__``,
``LineBuffer.__len__``) and each ``advance`` through three more per line plus a property
setter: about a tenth of a backtest's time for an SMA cross, before the strategy does
anything.

:class:`LeanCerebro` runs the same loop with that step done on the line buffers directly
(``lencount`` compared, ``_idx``/``lencount`` moved), for every indicator whose classes are
backtrader's own there; anything else (an overridden ``advance`` or ``__len__``, a bounded
buffer, a strategy with its own ``_oncepost``) takes backtrader's calls unchanged. The rest of
``_oncepost`` (strategy lines, notifications, ``next``/``prenext``, analyzers, observers) is
backtrader's, call for call, so every number is the same (``tests/engine/test_lean_loop.py``
runs each built-in strategy both ways and compares every bar).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import backtrader as bt
from backtrader.linebuffer import LineBuffer
from backtrader.lineseries import Lines, LineSeries

_Step = tuple[Any, Any, list[Any]]  # (own first buffer, clock's first buffer, buffers to move)


def _first_buffer(obj: Any) -> Any | None:
    """The buffer whose ``lencount`` is ``len(obj)``, when ``len`` is backtrader's own."""
    if isinstance(obj, LineBuffer):
        return obj if type(obj).__len__ is LineBuffer.__len__ else None
    if not isinstance(obj, LineSeries) or type(obj).__len__ is not LineSeries.__len__:
        return None
    lines = obj.lines
    if type(lines).__len__ is not Lines.__len__ or not lines.lines:
        return None
    first = lines.lines[0]
    return first if type(first).__len__ is LineBuffer.__len__ else None


def _movable(buffer: Any) -> bool:
    """Whether ``buffer.advance()`` is exactly ``_idx += 1; lencount += 1``."""
    cls = type(buffer)
    return (isinstance(buffer, LineBuffer) and cls.advance is LineBuffer.advance
            and cls.idx is LineBuffer.idx and buffer.mode == LineBuffer.UnBounded)


def movable_buffers(owner: Any) -> list[Any] | None:
    """*owner*'s line buffers when ``owner.lines.advance(n)`` is exactly moving each one's
    ``_idx`` and ``lencount`` on by *n*; None otherwise."""
    if type(owner.lines).advance is not Lines.advance:
        return None
    buffers = list(owner.lines.lines)
    return buffers if buffers and all(_movable(b) for b in buffers) else None


def indicator_step(indicator: Any) -> _Step | None:
    """How to move *indicator* one bar on without backtrader's call chain; None if it has
    anything of its own on that path (it then moves through ``indicator.advance()``)."""
    if type(indicator).advance is not bt.Indicator.advance:
        return None
    own, clock = _first_buffer(indicator), _first_buffer(indicator._clock)
    buffers = movable_buffers(indicator)
    if own is None or clock is None or buffers is None:
        return None
    return own, clock, buffers


def lean_oncepost(strategy: bt.Strategy) -> Callable[[float], None]:
    """``strategy._oncepost``, with its indicators moved on directly where that is exact."""
    if type(strategy)._oncepost is not bt.Strategy._oncepost:
        return strategy._oncepost  # its own step: run it as written
    # In the strategy's order: an indicator on another one compares its length with that
    # one's, which must already have moved on this bar.
    steps: list[tuple[Any, _Step | None]] = [
        (indicator, indicator_step(indicator))
        for indicator in strategy._lineiterators[bt.LineIterator.IndType]]

    # Named as backtrader's, which strategies.failure reads in a traceback to tell a failure
    # at a bar from one while building.
    def _oncepost(dt: float) -> None:
        # Strategy._oncepost, line for line, but for the first loop.
        for indicator, step in steps:
            if step is None:
                if len(indicator._clock) > len(indicator):
                    indicator.advance()
                continue
            own, clock, buffers = step
            # Indicator.advance: move on while shorter than its clock.
            if clock.lencount > own.lencount:
                for buffer in buffers:
                    buffer._idx += 1
                    buffer.lencount += 1
        if strategy._oldsync:
            strategy.advance()
        else:
            strategy.forward()
        strategy.lines.datetime[0] = dt
        strategy._notify()
        minperstatus = strategy._getminperstatus()
        if minperstatus < 0:
            strategy.next()
        elif minperstatus == 0:
            strategy.nextstart()
        else:
            strategy.prenext()
        strategy._next_analyzers(minperstatus, once=True)
        strategy._next_observers(minperstatus, once=True)
        strategy.clear()

    return _oncepost


class LeanCerebro(bt.Cerebro):
    """``bt.Cerebro`` whose vectorised loop steps each strategy with :func:`lean_oncepost`.

    Only ``_runonce`` differs (live and event-driven runs are backtrader's); it is
    ``Cerebro._runonce`` with that one call replaced and its unused bar count dropped.
    """

    def _runonce(self, runstrats: list[bt.Strategy]) -> None:
        for strat in runstrats:
            strat._once()
            strat.reset()  # strat called next by next - reset lines
        posts = [(strat, lean_oncepost(strat)) for strat in runstrats]
        datas = sorted(self.datas, key=lambda x: (x._timeframe, x._compression))
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
            for _strat, post in posts:
                post(dt0)
                if self._event_stop:
                    return
                self._next_writers(runstrats)
