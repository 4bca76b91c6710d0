"""Closed bars exactly once and in order, with missed ones recovered from REST.

Per ``kline.{interval}.{symbol}`` stream the sequencer remembers the end of the last closed
bar it delivered. A closed bar that starts where that one ended is delivered; one that starts
earlier is a repeat (e.g. re-sent after a reconnect) and is dropped; one that starts later —
or an open-bar update that does — means bars closed while we were not listening, so they are
fetched with ``GET /v5/market/kline`` and delivered first. Bars the exchange cannot supply
are reported as a :class:`BarGap` instead of being silently skipped.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pandas as pd

from backtrader_engine.data.timeframes import BYBIT_INTERVALS, parse_timeframe
from backtrader_engine.exchanges.bybit.retry import Retry
from backtrader_engine.exchanges.bybit.stream.events import Bar, BarGap, ClosedBar, MarketEvent
from backtrader_engine.exchanges.bybit.venue import CATEGORY

log = logging.getLogger(__name__)
KLINE_PAGE = 1000
StreamKey = tuple[str, str]  # (symbol, interval)


def bar_end(start: int, interval: str) -> int:
    """Last millisecond of the bar of *interval* opening at *start* (months vary)."""
    if interval == "M":
        begin = pd.Timestamp(start, unit="ms")
        return int((begin + pd.offsets.MonthBegin(1)).value // 1_000_000) - 1
    return start + int(parse_timeframe(BYBIT_INTERVALS[interval]).value // 1_000_000) - 1


class KlineBackfill:
    """Fetches closed bars from REST through a pybit ``HTTP`` session.

    Parameters
    ----------
    session : pybit HTTP
        A public session (see :func:`~..history.make_session`).
    retry : Retry, optional
        Retry policy for rate limits and server errors.
    attempts : int
        Tries when the exchange returns fewer bars than expected (its REST view may lag
        the stream by a moment right after a close).
    pause : float
        Seconds between such tries.
    """

    def __init__(self, session: Any, *, retry: Retry | None = None, attempts: int = 3,
                 pause: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> None:
        self.session = session
        self.retry = retry or Retry(retries=4)
        self.attempts = attempts
        self.pause = pause
        self.sleep = sleep

    def fetch(self, symbol: str, interval: str, start: int, stop: int) -> list[ClosedBar]:
        """Closed bars opening in ``[start, stop)``, oldest first, without holes if possible."""
        bars: list[ClosedBar] = []
        for attempt in range(self.attempts):
            bars = self._fetch_once(symbol, interval, start, stop)
            if _contiguous(bars, start, stop):
                break
            if attempt + 1 < self.attempts:
                self.sleep(self.pause)
        return bars

    def _fetch_once(self, symbol: str, interval: str, start: int, stop: int) -> list[ClosedBar]:
        rows: dict[int, list[str]] = {}
        end = stop - 1
        while end >= start:
            reply = self.retry.call(f"kline {symbol} {interval}", self.session.get_kline,
                                      category=CATEGORY, symbol=symbol, interval=interval,
                                      start=start, end=end, limit=KLINE_PAGE)
            page = (reply.get("result") or {}).get("list") or []
            for row in page:
                rows.setdefault(int(row[0]), row)
            oldest = int(page[-1][0]) if page else start
            if len(page) < KLINE_PAGE or oldest <= start:
                break
            end = oldest - 1
        bars = []
        for opened in sorted(rows):
            if start <= opened < stop:
                row = rows[opened]
                closes = bar_end(opened, interval)
                bars.append(ClosedBar(symbol, closes, interval, opened, closes, float(row[1]),
                                      float(row[2]), float(row[3]), float(row[4]),
                                      float(row[5]), float(row[6]), source="rest"))
        return bars


def _contiguous(bars: list[ClosedBar], start: int, stop: int) -> bool:
    expected = start
    for bar in bars:
        if bar.start != expected:
            return False
        expected = bar.end + 1
    return expected == stop


Fetch = Callable[[str, str, int, int], list[ClosedBar]]


class KlineSequencer:
    """Delivers each stream's closed bars once, in order, filling gaps via *fetch*.

    Parameters
    ----------
    fetch : callable, optional
        ``fetch(symbol, interval, start, stop)`` → closed bars opening in ``[start, stop)``
        (:meth:`KlineBackfill.fetch`); without it gaps are only reported.
    resume : dict, optional
        ``{(symbol, interval): start of the last bar already delivered}`` from a previous
        run, so bars missed while the consumer was down are recovered too.
    """

    def __init__(self, fetch: Fetch | None = None,
                 resume: dict[StreamKey, int] | None = None) -> None:
        self.fetch = fetch
        self.next_start: dict[StreamKey, int] = {
            key: bar_end(start, key[1]) + 1 for key, start in (resume or {}).items()}
        self.stats: Counter[str] = Counter()

    def pending_gap(self, bar: Bar) -> tuple[int, int] | None:
        """``(start, stop)`` of closed bars missing before *bar*, or ``None``."""
        expected = self.next_start.get((bar.symbol, bar.interval))
        if expected is None or bar.start <= expected:
            return None
        return expected, bar.start

    def fill(self, bar: Bar, recovered: list[ClosedBar]) -> list[MarketEvent]:
        """Deliver *recovered* bars for the gap before *bar*, and a BarGap for the rest."""
        gap = self.pending_gap(bar)
        if gap is None:
            return []
        out: list[MarketEvent] = []
        for item in recovered:
            if item.start >= bar.start:
                break
            out.extend(self._missing(item, item.start))
            if self._accept(item):
                out.append(item)
                self.stats["backfilled"] += 1
        out.extend(self._missing(bar, bar.start))
        return out

    def _missing(self, bar: Bar, upto: int) -> list[MarketEvent]:
        key = (bar.symbol, bar.interval)
        expected = self.next_start.get(key)
        if expected is None or upto <= expected:
            return []
        count = _count_bars(expected, upto, bar.interval)
        self.stats["unrecovered"] += count
        log.warning("%s %s: %d closed bar(s) from %s could not be recovered", bar.symbol,
                    bar.interval, count, pd.Timestamp(expected, unit="ms"))
        self.next_start[key] = upto
        return [BarGap(bar.symbol, bar.ts, bar.interval, expected, upto, count)]

    def closed(self, bar: ClosedBar) -> list[MarketEvent]:
        """Deliver *bar* unless it repeats one already delivered (call :meth:`fill` first)."""
        if not self._accept(bar):
            self.stats["duplicates"] += 1
            return []
        return [bar]

    def _accept(self, bar: ClosedBar) -> bool:
        key = (bar.symbol, bar.interval)
        expected = self.next_start.get(key)
        if expected is not None and bar.start < expected:
            return False
        self.next_start[key] = bar.end + 1
        return True


def _count_bars(start: int, stop: int, interval: str) -> int:
    count = 0
    while start < stop:
        start = bar_end(start, interval) + 1
        count += 1
    return count
