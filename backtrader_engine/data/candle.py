"""One candle as a value: the row of an OHLCV frame, with its symbol, interval and span.

The stream's bars and the paper broker's bar contexts are both candles with more around
them; they derive from :class:`Candle` instead of repeating its fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Candle:
    """One bar of *symbol* on *interval*: *start* and *end* are its first and last ms."""

    symbol: str
    interval: str
    start: int
    end: int
    open: float
    high: float
    low: float
    close: float
    volume: float
