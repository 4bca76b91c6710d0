"""Synthetic intra-candle market data consistent with each historical candle.

A candle is replayed as four price points, ``open, low, high, close`` for a rising candle
and ``open, high, low, close`` for a falling one (the shorter path first, a common
convention), each carrying a quarter of the candle's volume as one trade. The order book and
the ticker follow the current price. Everything here is pure formatting and arithmetic; the
clock and the connections live in :mod:`.stream`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from backtrader_engine.exchanges.bybit.venue import Instrument

#: Order-book depths Bybit serves on linear.
BOOK_DEPTHS = (1, 50, 200, 1000)
POINTS_PER_CANDLE = 4
Level = list[str]


def num(value: float) -> str:
    """A float as Bybit-style string; ``repr`` round-trips, so clients parse back the source."""
    return repr(float(value))


def candle_path(o: float, h: float, low: float, c: float) -> list[float]:
    """The four prices a candle is replayed through."""
    return [o, low, h, c] if c >= o else [o, h, low, c]


def split_volume(volume: float) -> list[float]:
    """Trade sizes for the four points; their sum is the candle's volume."""
    part = volume / POINTS_PER_CANDLE
    return [part, part, part, volume - 3 * part]


@dataclass
class KlineBar:
    """A kline being built from the points of its candles."""

    interval: str
    start: int
    end: int  # exclusive, ms
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0
    turnover: float = 0.0

    def add(self, price: float, volume: float) -> None:
        """Account one trade."""
        self.high, self.low, self.close = max(self.high, price), min(self.low, price), price
        self.volume += volume
        self.turnover += volume * price

    def data(self, *, confirm: bool, ts: int) -> dict[str, Any]:
        """The ``data`` item of a kline message, field types as Bybit sends them."""
        return {"start": self.start, "end": self.end - 1, "interval": self.interval,
                "open": num(self.open), "close": num(self.close), "high": num(self.high),
                "low": num(self.low), "volume": num(self.volume),
                "turnover": num(self.turnover), "confirm": confirm, "timestamp": ts}


@dataclass
class Book:
    """An order book of *depth* levels per side around a price, on the instrument's ticks."""

    inst: Instrument
    depth: int
    bids: dict[str, str] = field(default_factory=dict)
    asks: dict[str, str] = field(default_factory=dict)

    def _fmt(self, ticks: int) -> str:
        tick = Decimal(str(self.inst.tick_size))
        return str((tick * ticks).quantize(tick))

    def _size(self, ticks: int) -> str:
        # A size fixed per price level, so the book changes only when the price moves and
        # deltas stay small, as on a real book between trades.
        step = Decimal(str(self.inst.qty_step))
        return str(step * (1 + (ticks * 2654435761 >> 7) % 997))

    def levels_at(self, price: float) -> tuple[dict[str, str], dict[str, str]]:
        """Bids below and asks from the tick-rounded *price*."""
        ask1 = round(price / self.inst.tick_size)
        bids = {self._fmt(ask1 - k - 1): self._size(ask1 - k - 1) for k in range(self.depth)}
        asks = {self._fmt(ask1 + k): self._size(ask1 + k) for k in range(self.depth)}
        return bids, asks

    def move(self, price: float) -> tuple[list[Level], list[Level]]:
        """Re-centre on *price*; return the ``b`` and ``a`` changes (size "0" deletes)."""
        bids, asks = self.levels_at(price)
        changes = (_diff(self.bids, bids), _diff(self.asks, asks))
        self.bids, self.asks = bids, asks
        return changes

    def snapshot(self) -> tuple[list[Level], list[Level]]:
        """Every level, bids best (highest) first and asks best (lowest) first."""
        bids = sorted(self.bids.items(), key=lambda kv: -Decimal(kv[0]))
        asks = sorted(self.asks.items(), key=lambda kv: Decimal(kv[0]))
        return [list(kv) for kv in bids], [list(kv) for kv in asks]


def _diff(old: dict[str, str], new: dict[str, str]) -> list[Level]:
    gone = [[p, "0"] for p in old if p not in new]
    return gone + [[p, s] for p, s in new.items() if old.get(p) != s]


def trade(symbol: str, ts: int, price: float, prev: float | None, size: float,
          trade_id: int, seq: int) -> dict[str, Any]:
    """One ``publicTrade`` item; the taker side follows the price move."""
    if prev is None or price == prev:
        side, tick = "Buy", "ZeroPlusTick"
    elif price > prev:
        side, tick = "Buy", "PlusTick"
    else:
        side, tick = "Sell", "MinusTick"
    return {"T": ts, "s": symbol, "S": side, "v": num(size), "p": num(price), "L": tick,
            "i": f"{trade_id:08x}-0000-5000-8000-{seq:012x}", "BT": False, "RPI": False,
            "seq": seq}
