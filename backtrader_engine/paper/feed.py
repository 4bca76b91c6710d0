"""Live backtrader feeds: bar contexts from the market hub, after warm-up history.

:class:`LiveFeed` first serves its warm-up contexts (history that primes indicators; the
paper broker rejects orders placed on them), then blocks on its inbox for live ones. It
reports ``islive()``, forwards connection states to ``notify_data`` (LIVE, DELAYED,
DISCONNECTED) and stops when the session puts :data:`STOP`.

Bars are stamped with their open time, as the backtest's feeds are, so a strategy sees the
same ``self.data.datetime`` in both. :class:`ConfirmFeed` builds higher-timeframe bars from
the same contexts, labelled like the backtest's confirmation feeds
(:func:`~backtrader_engine.data.resample_ohlcv` with ``label="last"``), so they appear
together with the base bar that completes them.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Iterable
from typing import Any

import backtrader as bt

from backtrader_engine.data import parse_timeframe, timeframe_to_backtrader
from backtrader_engine.paper.broker import ms_to_num
from backtrader_engine.paper.context import BarContext
from backtrader_engine.paper.control.manual import INJECTED, InjectedSignal
from backtrader_engine.paper.control.operator import ForceExit

#: What a live feed reads: a sub-account's is a ``SimpleQueue``, whose put and wake-up are C
#: code, not the Python of ``queue.Queue``'s conditions, on each bar's way to the strategy.
Inbox = queue.Queue[Any] | queue.SimpleQueue[Any]
STOP = object()  # put on an inbox to end the feed (and with it the cerebro run)
SYNC = "SYNC"  # put on an inbox to wait until everything before it has been processed
_WEEK_MS = 7 * 86_400_000
_MONDAY_OFFSET_MS = 4 * 86_400_000  # the epoch was a Thursday


def _ms(timeframe: str) -> int:
    return int(parse_timeframe(timeframe).value // 1_000_000)


def period_start(start_ms: int, period_ms: int) -> int:
    """UTC-epoch aligned start of the period holding *start_ms* (weeks start on Monday)."""
    if period_ms == _WEEK_MS:
        return (start_ms - _MONDAY_OFFSET_MS) // _WEEK_MS * _WEEK_MS + _MONDAY_OFFSET_MS
    return start_ms // period_ms * period_ms


class LiveFeed(bt.feeds.DataBase):
    """Bars from an inbox of :class:`BarContext`, after a list of warm-up contexts.

    Parameters
    ----------
    inbox : queue.Queue or queue.SimpleQueue
        Live contexts, status strings (``"LIVE"``, ``"DELAYED"``, ``"DISCONNECTED"``) and
        :data:`STOP`.
    warmup : iterable of BarContext
        History served first, without waiting.
    qcheck : float
        Longest wait for a live bar before handing control back to cerebro, which then
        runs the broker and delivers notifications.
    idle_check : callable, optional
        Returns True while the broker has work left on the current bar — notifications the
        strategy has not seen yet, a book fill due (:meth:`.PaperBroker.has_work`); the feed
        then hands control back at once, so the broker fills the orders the strategy placed
        and the strategy reacts to its fills (e.g. places a protective stop) on the bar it
        acted on, never on the next one.
    on_settle : callable, optional
        Called on the cerebro thread when an inbox item has been fully processed, before it
        counts as settled (the sub-account writes that step's ledger rows here).
    on_force_exit : callable, optional
        Called on the cerebro thread with a :class:`~.operator.ForceExit` from the inbox.

    Attributes
    ----------
    settles : queue.SimpleQueue
        Gets a token whenever the feed waits for a live bar with nothing left to do for the
        previous one, once ``settled`` counts the inbox items fully processed, and one when
        the run has ended (:meth:`finish`). The session waits on it to deliver bars to
        accounts one at a time; a ``SimpleQueue`` wakes it without the Python-level lock
        dance of a ``Condition``, which a session pays twice per sub-account and bar.
    """

    params = (("inbox", None), ("warmup", ()), ("qcheck", 0.5), ("idle_check", None),
              ("on_settle", None), ("on_force_exit", None))

    def __init__(self) -> None:
        super().__init__()
        self._warm: deque[BarContext] = deque(self.p.warmup)
        self.context: BarContext | None = None
        self.delivered = 0
        self.settles: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.taken = 0  # inbox items taken
        self.settled = 0  # inbox items taken and fully processed
        self.finished_run = False
        self.confirm_feeds: list[ConfirmFeed] = []
        self._ohlc: tuple[Any, ...] | None = None  # the lines _deliver writes

    def islive(self) -> bool:
        return True

    def haslivedata(self) -> bool:
        return bool(self._warm) or not self.p.inbox.empty()

    def _load(self) -> bool | None:
        if self._warm:
            return self._deliver(self._warm.popleft())
        idle = self.p.idle_check
        if idle is not None and idle():
            return None  # let cerebro deliver the broker's notifications first
        if self.settled != self.taken:
            self._settle()
        try:
            item = self.p.inbox.get(timeout=self.p.qcheck)
        except queue.Empty:
            return None
        self.taken += 1
        if isinstance(item, BarContext):
            return self._deliver(item)
        return self._take(item)

    def _settle(self) -> None:
        if self.p.on_settle is not None:
            self.p.on_settle()  # the step's outputs are stored before it counts as done
        self.settled = self.taken  # before the token: a woken waiter finds it counted
        self.settles.put(self.settled)

    def finish(self) -> None:
        """Mark the cerebro run as ended and wake whoever waits for a settle."""
        self.finished_run = True
        self.settles.put(-1)

    def _take(self, item: Any) -> bool | None:
        """An inbox item other than a bar: stop, sync, a status, a signal or a command."""
        if item is STOP:
            if self.p.on_settle is not None:
                self.p.on_settle()
            for confirm in self.confirm_feeds:
                confirm.finished = True
            return False
        if isinstance(item, str):
            if item != SYNC:
                self.put_notification(getattr(self, item, self.UNKNOWN))
            return None
        if isinstance(item, ForceExit):
            if self.p.on_force_exit is not None:
                self.p.on_force_exit(item)
            return None
        if isinstance(item, InjectedSignal):
            # Through notify_data, which cerebro calls once the lines are settled; appended
            # directly because put_notification drops a repeat of the previous status.
            self.notifs.append((INJECTED, (item,), {}))
        return None

    def _deliver(self, ctx: BarContext) -> bool:
        self.context = ctx
        self.delivered += 1
        lines = self._ohlc
        if lines is None:
            # Looked up once: each line attribute is a descriptor call, on every live bar's
            # way to the strategy.
            lines = self._ohlc = (self.lines.datetime, self.lines.open, self.lines.high,
                                  self.lines.low, self.lines.close, self.lines.volume,
                                  self.lines.openinterest)
        dt, open_, high, low, close, volume, openinterest = lines
        dt[0] = ms_to_num(ctx.start)
        open_[0], high[0], low[0] = ctx.open, ctx.high, ctx.low
        close[0], volume[0], openinterest[0] = ctx.close, ctx.volume, 0.0
        for confirm in self.confirm_feeds:
            confirm.push(ctx)
        return True


class ConfirmFeed(bt.feeds.DataBase):
    """Higher-timeframe bars aggregated from a base feed's contexts.

    Parameters
    ----------
    base_timeframe, timeframe : str
        The base feed's bar size and this feed's (a multiple of it).
    """

    params = (("base_timeframe", "1m"), ("timeframe_name", "1h"))

    def __init__(self) -> None:
        super().__init__()
        self._base_ms = _ms(self.p.base_timeframe)
        self._period_ms = _ms(self.p.timeframe_name)
        self._bucket: list[BarContext] = []
        self._ready: deque[tuple[int, list[BarContext]]] = deque()
        self.context: BarContext | None = None
        self.finished = False  # set by the base feed when the session stops

    def islive(self) -> bool:
        return True

    def haslivedata(self) -> bool:
        return bool(self._ready)

    def push(self, ctx: BarContext) -> None:
        """Account one base bar (called by the base feed as it delivers)."""
        start = period_start(ctx.start, self._period_ms)
        if self._bucket and period_start(self._bucket[0].start, self._period_ms) != start:
            self._close_bucket()  # the previous period ended without its last bar (a gap)
        self._bucket.append(ctx)
        if ctx.start == start + self._period_ms - self._base_ms:
            self._close_bucket()

    def _close_bucket(self) -> None:
        bars, self._bucket = self._bucket, []
        start = period_start(bars[0].start, self._period_ms)
        self._ready.append((start + self._period_ms - self._base_ms, bars))

    def _load(self) -> bool | None:
        if not self._ready:
            return False if self.finished else None
        label, bars = self._ready.popleft()
        self.context = bars[-1]
        lines = self.lines
        lines.datetime[0] = ms_to_num(label)
        lines.open[0] = bars[0].open
        lines.high[0] = max(b.high for b in bars)
        lines.low[0] = min(b.low for b in bars)
        lines.close[0] = bars[-1].close
        lines.volume[0] = sum(b.volume for b in bars)
        lines.openinterest[0] = 0.0
        return True


def make_live_feeds(symbol: str, timeframe: str, confirm_timeframes: Iterable[str],
                    inbox: Inbox, warmup: Iterable[BarContext], *,
                    qcheck: float = 0.5) -> list[bt.feeds.DataBase]:
    """The base live feed of *symbol* plus one confirmation feed per higher timeframe."""
    tf, comp = timeframe_to_backtrader(timeframe)
    # backtrader's metaclass takes the params keywords before __init__.
    base = LiveFeed(inbox=inbox, warmup=list(warmup),  # type: ignore[call-arg]
                    qcheck=qcheck, name=symbol, timeframe=tf, compression=comp)
    feeds: list[bt.feeds.DataBase] = [base]
    for higher in confirm_timeframes:
        if parse_timeframe(higher) == parse_timeframe(timeframe):
            continue
        htf, hcomp = timeframe_to_backtrader(higher)
        # backtrader's metaclass takes the params keywords before __init__.
        confirm = ConfirmFeed(base_timeframe=timeframe,  # type: ignore[call-arg]
                              timeframe_name=higher, name=f"{symbol}-{higher}",
                              timeframe=htf, compression=hcomp)
        base.confirm_feeds.append(confirm)
        feeds.append(confirm)
    return feeds
