"""The bar context: one closed bar plus the market around it, the paper broker's only input.

Everything the paper broker decides (fills, funding, liquidation) is a function of the bar
contexts it has seen and of what the strategy did with them. A context is committed to the
ledger no later than anything derived from it, so a restarted session re-derives exactly the
same orders and fills from the log (see :mod:`backtrader_engine.ledger.writer`).
"""

from __future__ import annotations

from dataclasses import dataclass

from backtrader_engine.data.candle import Candle
from backtrader_engine.exchanges.bybit.stream.events import Level
from backtrader_engine.ledger.rows import BarRow

WARMUP, STREAM, REST = "warmup", "stream", "rest"


@dataclass(frozen=True, slots=True)
class BarContext(Candle):
    """A closed bar of *symbol*, with the book, mark price and funding as of its close.

    *bids*/*asks* are the best levels of the local order book when the bar closed (empty
    when no book was known); *funding_rate* is the rate in force for the next settlement
    at *next_funding_time* (ms), both ``None`` when no ticker was seen yet. *source* is
    ``warmup`` (history before the session, never traded on), ``stream`` or ``rest`` (a bar
    recovered after a disconnect).

    *latency_ms* is the longest ping round trip to the exchange measured since the previous
    bar of the session (``None`` if none was), *errors* the stream errors seen since then
    (malformed messages, reconnects, failed subscriptions and backfills). They feed the risk
    gate's latency and error-rate breakers; being part of the logged context, they make a
    restarted session trip the breakers exactly where the first run did.

    Fields in order: the candle's (*symbol* … *volume*), then *source* and the rest below.
    """

    source: str
    bids: tuple[Level, ...] = ()
    asks: tuple[Level, ...] = ()
    mark_price: float | None = None
    funding_rate: float | None = None
    next_funding_time: int | None = None
    latency_ms: float | None = None
    errors: int = 0

    @property
    def tradable(self) -> bool:
        """Whether orders placed on this bar may execute (not warm-up history)."""
        return self.source != WARMUP

    @property
    def close_time(self) -> int:
        """The first millisecond after the bar (its close, in market time)."""
        return self.end + 1

    def with_health(self, latency_ms: float | None, errors: int) -> BarContext:
        """This context carrying the connection's health since the previous bar; itself when
        it already does. (Positional: ``dataclasses.replace`` costs three times as much, on
        the path from a closed bar to the strategies' orders.)"""
        if latency_ms == self.latency_ms and errors == self.errors:
            return self
        return BarContext(self.symbol, self.interval, self.start, self.end, self.open,
                          self.high, self.low, self.close, self.volume, self.source, self.bids,
                          self.asks, self.mark_price, self.funding_rate,
                          self.next_funding_time, latency_ms, errors)

    @classmethod
    def from_logged(cls, row: BarRow) -> BarContext:
        """The context a ledger ``bars`` row logged."""
        return cls(row.symbol, row.interval, row.start, row.end_ms, row.open, row.high,
                   row.low, row.close, row.volume, row.source, row.bids, row.asks,
                   row.mark_price, row.funding_rate, row.next_funding_time, row.latency_ms,
                   row.errors or 0)
