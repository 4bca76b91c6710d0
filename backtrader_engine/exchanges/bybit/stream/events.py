"""Normalised market events: what the stream client puts on its queue.

They know nothing of backtrader or of Bybit's wire format, so a paper feed, a metrics
exporter or a recorder can consume them alike. Prices and sizes are floats; times are
exchange milliseconds since the epoch (UTC).

*Critical* events (closed bars, gaps, connection status) are never dropped by the queue;
the others describe a state that the next event of the same kind supersedes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from backtrader_engine.data.candle import Candle

Level = tuple[float, float]  # (price, size)


@dataclass(frozen=True)
class MarketEvent:
    """Base of every event; *ts* is the exchange time in ms."""

    # No slots of its own: each event class lays out its slots itself (``slots=True``), so
    # that a bar can derive from the slotted Candle too (two slotted bases would clash).
    __slots__ = ()

    critical: ClassVar[bool] = False
    kind: ClassVar[str] = "event"

    symbol: str
    ts: int


@dataclass(frozen=True, slots=True)
class Bar(Candle, MarketEvent):
    """One kline: *start* and *end* are the candle's first and last millisecond.

    Fields in order: *symbol*, *ts*, then the candle's (*interval* … *volume*), *turnover*
    and *source* (the bases' fields come first, MarketEvent's before Candle's).
    """

    turnover: float
    source: str = "stream"  # "stream", or "rest" when backfilled after a gap


@dataclass(frozen=True, slots=True)
class ClosedBar(Bar):
    """A finished candle (``confirm=true``); delivered exactly once, in order."""

    critical: ClassVar[bool] = True
    kind: ClassVar[str] = "closed_bar"


@dataclass(frozen=True, slots=True)
class BarUpdate(Bar):
    """The still-open candle as it stands now (``confirm=false``)."""

    kind: ClassVar[str] = "bar_update"


@dataclass(frozen=True, slots=True)
class Trade(MarketEvent):
    """One public trade; *side* is the taker's side, ``Buy`` or ``Sell``."""

    kind: ClassVar[str] = "trade"

    price: float
    size: float
    side: str
    trade_id: str


@dataclass(frozen=True, slots=True)
class BookUpdate(MarketEvent):
    """Top of the local order book after an update: best levels first on both sides."""

    kind: ClassVar[str] = "book"

    depth: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    update_id: int

    @property
    def best_bid(self) -> float | None:
        """Highest bid price, or ``None`` on an empty side."""
        return self.bids[0][0] if self.bids else None

    @property
    def best_ask(self) -> float | None:
        """Lowest ask price, or ``None`` on an empty side."""
        return self.asks[0][0] if self.asks else None


@dataclass(frozen=True, slots=True)
class TickerUpdate(MarketEvent):
    """The merged ticker: mark price, funding rate and next funding time.

    Bybit sends a snapshot and then deltas that omit unchanged fields; this is the state
    after merging, so every field holds its latest known value (``None`` if never seen).
    """

    kind: ClassVar[str] = "ticker"

    last_price: float | None
    mark_price: float | None
    index_price: float | None
    funding_rate: float | None
    next_funding_time: int | None
    bid1: float | None
    ask1: float | None


@dataclass(frozen=True, slots=True)
class BarGap(MarketEvent):
    """Closed bars that were missed and could not be recovered from REST."""

    critical: ClassVar[bool] = True
    kind: ClassVar[str] = "bar_gap"

    interval: str
    first_missing: int
    next_start: int
    missing: int


@dataclass(frozen=True, slots=True)
class StreamStatus(MarketEvent):
    """Connection state: ``LIVE``, ``DELAYED`` (no data for a while) or ``DISCONNECTED``.

    *symbol* is empty: the status concerns the whole connection. *ts* is wall-clock ms.
    """

    critical: ClassVar[bool] = True
    kind: ClassVar[str] = "status"

    state: str
    reason: str = ""


LIVE, DELAYED, DISCONNECTED = "LIVE", "DELAYED", "DISCONNECTED"
