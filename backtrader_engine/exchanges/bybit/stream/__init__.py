"""Bybit V5 public market data as normalised events: client, parser, book and queue."""

from backtrader_engine.exchanges.bybit.stream.client import BybitStream, StreamSettings
from backtrader_engine.exchanges.bybit.stream.eventqueue import EventQueue
from backtrader_engine.exchanges.bybit.stream.events import (
    DELAYED,
    DISCONNECTED,
    LIVE,
    Bar,
    BarGap,
    BarUpdate,
    BookUpdate,
    ClosedBar,
    MarketEvent,
    StreamStatus,
    TickerUpdate,
    Trade,
)
from backtrader_engine.exchanges.bybit.stream.klines import KlineBackfill, KlineSequencer
from backtrader_engine.exchanges.bybit.stream.orderbook import OrderBook
from backtrader_engine.exchanges.bybit.stream.parser import StreamParser
from backtrader_engine.exchanges.bybit.stream.topics import public_stream_url, stream_topics

__all__ = [
    "DELAYED", "DISCONNECTED", "LIVE", "Bar", "BarGap", "BarUpdate", "BookUpdate",
    "BybitStream", "ClosedBar", "EventQueue", "KlineBackfill", "KlineSequencer",
    "MarketEvent", "OrderBook", "StreamParser", "StreamSettings", "StreamStatus",
    "TickerUpdate", "Trade", "public_stream_url", "stream_topics",
]
