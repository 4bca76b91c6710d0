"""From market events to bar contexts, released in one deterministic order.

The hub keeps the latest order book and ticker of each symbol (updated from the stream) and
turns each closed bar into a :class:`~.context.BarContext` with the book, mark price and
funding rate as they stood when the bar closed.

Contexts are **released** ordered by close time and then by stream (the configured order of
symbols and intervals): a bar closing at *C* waits until every other stream has either
delivered its bar closing at *C* or cannot have one. Strategies in different sub-accounts
share the risk gate's overall limits, so the order in which they see simultaneous bars must
not depend on which frame happened to arrive first — nor on whether the bars came live or,
after a restart, from the ledger.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from backtrader_engine.exchanges.bybit.stream.events import (
    BarGap,
    BookUpdate,
    ClosedBar,
    MarketEvent,
    StreamStatus,
    TickerUpdate,
)
from backtrader_engine.exchanges.bybit.stream.klines import bar_end
from backtrader_engine.paper.context import BarContext

log = logging.getLogger(__name__)
StreamKey = tuple[str, str]  # (symbol, Bybit interval)


class ReleaseOrder:
    """Decides when buffered contexts may be released, and in which order."""

    def __init__(self, streams: Sequence[StreamKey], *, wait_s: float = 10.0) -> None:
        self.streams = list(streams)
        self.rank = {key: i for i, key in enumerate(self.streams)}
        self.last_close: dict[StreamKey, int] = {}
        self.wait_s = wait_s
        self._held: list[tuple[int, int, BarContext, float]] = []
        # Bar length in ms of each fixed-length interval, worked out once: this runs for
        # every released bar, on the path from a closed bar to the strategies' orders.
        self._length = {key: bar_end(0, key[1]) + 1 for key in self.streams if key[1] != "M"}

    def resume(self, key: StreamKey, close_time: int) -> None:
        """Mark *key* as delivered up to *close_time* (from the ledger)."""
        self.last_close[key] = max(self.last_close.get(key, 0), close_time)

    def add(self, ctx: BarContext) -> None:
        """Hold *ctx* until it may be released."""
        key = (ctx.symbol, ctx.interval)
        self.last_close[key] = max(self.last_close.get(key, 0), ctx.close_time)
        held = self._held
        held.append((ctx.close_time, self.rank[key], ctx, time.monotonic()))
        if len(held) > 1:
            held.sort(key=_release_rank)

    def _passed(self, key: StreamKey, close: int) -> bool:
        last = self.last_close.get(key)
        if last is None:
            return False
        if last >= close:
            return True
        length = self._length.get(key)
        # the close after the bar that closed at last
        next_close = last + length if length is not None else bar_end(last, key[1]) + 1
        return next_close > close

    def ready(self, *, everything: bool = False) -> list[BarContext]:
        """Contexts that may go now (all held ones with *everything*), in release order."""
        if not self._held:
            return []  # the pump asks after every event: most of the time nothing is held
        out = []
        now = time.monotonic()
        while self._held:
            close, _, ctx, since = self._held[0]
            if not everything and not self._all_passed(close):
                if now - since < self.wait_s:
                    break
                log.warning("released %s %s without the other streams' bars closing at the "
                            "same time (waited %.0f s)", ctx.symbol, ctx.interval, self.wait_s)
            out.append(ctx)
            self._held.pop(0)
        return out

    def _all_passed(self, close: int) -> bool:
        for key in self.streams:
            if not self._passed(key, close):
                return False
        return True


def _release_rank(item: tuple[int, int, BarContext, float]) -> tuple[int, int]:
    return item[0], item[1]


class MarketHub:
    """Market state per symbol, bar contexts, and their ordered release.

    Parameters
    ----------
    streams : sequence of (symbol, interval)
        The kline streams the session trades, in release order.
    release : callable
        Called with each context as it is released (the session logs and delivers it).
    on_status : callable, optional
        Called with each connection state (``LIVE``, ``DELAYED``, ``DISCONNECTED``).
    """

    def __init__(self, streams: Sequence[StreamKey], release: Callable[[BarContext], None],
                 *, on_status: Callable[[str, str], None] | None = None,
                 wait_s: float = 10.0) -> None:
        self.order = ReleaseOrder(streams, wait_s=wait_s)
        self.streams = set(streams)
        self.release = release
        self.on_status = on_status
        self.books: dict[str, BookUpdate] = {}
        self.tickers: dict[str, TickerUpdate] = {}
        self.last_event_at = 0.0
        self.gaps = 0

    def on_event(self, event: MarketEvent) -> None:
        """Account one event from the stream queue (called on one thread only)."""
        self.last_event_at = time.monotonic()
        if isinstance(event, BookUpdate):
            self.books[event.symbol] = event
        elif isinstance(event, TickerUpdate):
            self.tickers[event.symbol] = event
        elif isinstance(event, ClosedBar):
            if (event.symbol, event.interval) in self.streams:
                self.order.add(self.context(event))
                self.flush()
        elif isinstance(event, StreamStatus):
            if self.on_status is not None:
                self.on_status(event.state, event.reason)
        elif isinstance(event, BarGap):
            self.gaps += event.missing
            log.error("%s %s: %d bar(s) missing from the exchange; strategies skip them",
                      event.symbol, event.interval, event.missing)

    def context(self, bar: ClosedBar) -> BarContext:
        """The context of *bar*: the book and ticker of its symbol right now."""
        book = self.books.get(bar.symbol)
        ticker = self.tickers.get(bar.symbol)
        return BarContext(
            bar.symbol, bar.interval, bar.start, bar.end, bar.open, bar.high, bar.low,
            bar.close, bar.volume, bar.source,
            book.bids if book else (), book.asks if book else (),
            ticker.mark_price if ticker else None, ticker.funding_rate if ticker else None,
            ticker.next_funding_time if ticker else None)

    def flush(self, *, everything: bool = False) -> None:
        """Release what may go (also called periodically, for the wait limit)."""
        for ctx in self.order.ready(everything=everything):
            self.release(ctx)
