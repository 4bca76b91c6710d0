"""Topic names of the public linear stream and the per-symbol state that feeds them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from backtrader_engine.data.frame import datetime_index
from backtrader_engine.data.timeframes import BYBIT_INTERVALS, parse_timeframe
from backtrader_engine.errors import DataError
from backtrader_engine.exchanges.bybit.replay.feed import BOOK_DEPTHS, KlineBar
from backtrader_engine.exchanges.bybit.replay.market import INTERVALS, ReplayMarket

_MS = 1_000_000


@dataclass(frozen=True)
class Topic:
    """A parsed topic: *kind* is kline, publicTrade, orderbook or tickers."""

    name: str
    kind: str
    symbol: str
    arg: str = ""  # the kline interval or the orderbook depth


def parse_topic(name: str, intervals: dict[str, list[str]]) -> Topic | None:
    """Parse *name*; ``None`` when the replay cannot serve it.

    *intervals* maps each symbol to the kline intervals it can stream (its base interval and
    coarser ones; finer ones cannot be made from its candles).
    """
    parts = name.split(".")
    if len(parts) == 2 and parts[0] in ("publicTrade", "tickers") and parts[1] in intervals:
        return Topic(name, parts[0], parts[1])
    if len(parts) != 3 or parts[2] not in intervals:
        return None
    kind, arg, symbol = parts
    if kind == "kline" and arg in intervals[symbol]:
        return Topic(name, kind, symbol, arg)
    if kind == "orderbook" and arg.isdigit() and int(arg) in BOOK_DEPTHS:
        return Topic(name, kind, symbol, arg)
    return None


def _duration(interval: str) -> pd.Timedelta | None:
    return None if interval == "M" else parse_timeframe(BYBIT_INTERVALS[interval])


def base_interval(market: ReplayMarket, symbol: str) -> str:
    """The finest stored Bybit interval of *symbol*."""
    tf = market.base_timeframe(symbol)
    for interval, name in BYBIT_INTERVALS.items():
        if name == tf:
            return interval
    raise DataError(f"replay market: {symbol} candles are {tf}, not a Bybit kline interval")


class KlineBuilder:
    """Builds the open kline of one symbol and interval from the replayed points.

    Buckets come from the same resampled frame the REST route serves, so a streamed
    ``confirm=true`` kline equals the REST row for that start time.
    """

    def __init__(self, market: ReplayMarket, symbol: str, interval: str) -> None:
        self.interval = interval
        self._starts = datetime_index(market.candles(symbol, interval)).asi8 // _MS
        self._duration = _duration(interval)
        self.bar: KlineBar | None = None

    def _bucket(self, ms: int) -> tuple[int, int]:
        pos = int(np.searchsorted(self._starts, ms, side="right")) - 1
        stamp = pd.Timestamp(ms, unit="ms")
        if pos >= 0:
            begin = pd.Timestamp(int(self._starts[pos]), unit="ms")
        elif self._duration is None:
            begin = stamp.to_period("M").start_time
        elif self.interval == "W":
            # The resampler keeps only complete bars; Bybit's weeks start on Monday.
            begin = stamp.to_period("W-SUN").start_time
        else:
            begin = stamp.floor(self._duration)
        if self._duration is None:
            end = begin + pd.offsets.MonthBegin(1)
        else:
            end = begin + self._duration
        return int(begin.value // _MS), int(end.value // _MS)

    def add(self, candle_start: int, price: float, volume: float) -> KlineBar:
        """Account a point of the candle opening at *candle_start*; return the open bar."""
        if self.bar is None or candle_start >= self.bar.end:
            start, end = self._bucket(candle_start)
            self.bar = KlineBar(self.interval, start, end, price, price, price, price)
        self.bar.add(price, volume)
        return self.bar

    def close(self, at_ms: int) -> KlineBar | None:
        """The bar that closes at *at_ms*, if any; it is then finished."""
        bar = self.bar
        if bar is None or at_ms < bar.end:
            return None
        self.bar = None
        return bar


def stream_intervals(market: ReplayMarket, symbol: str) -> list[str]:
    """Kline intervals *symbol* can stream: its base interval and every coarser one."""
    base = parse_timeframe(BYBIT_INTERVALS[base_interval(market, symbol)])
    return [iv for iv in INTERVALS if iv == "M" or parse_timeframe(BYBIT_INTERVALS[iv]) >= base]
