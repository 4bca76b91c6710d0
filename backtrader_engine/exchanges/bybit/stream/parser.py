"""Wire format → normalised events: one Bybit V5 public linear frame at a time.

The parser is synchronous and knows no sockets, so it can be tested and benchmarked on
recorded frames. A frame that is not JSON, lacks a field, or belongs to no subscribed topic
is counted under a *kind*, logged once per kind, and skipped: a bad message must never
stop the stream.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from backtrader_engine.exchanges.bybit.stream.events import (
    BarUpdate,
    BookUpdate,
    ClosedBar,
    MarketEvent,
    TickerUpdate,
    Trade,
)
from backtrader_engine.exchanges.bybit.stream.orderbook import OrderBook, parse_levels

log = logging.getLogger(__name__)
_SAMPLE = 200  # characters of a bad frame quoted in the log


@dataclass(frozen=True, slots=True)
class Ack:
    """A subscribe/unsubscribe/ping answer: ``{"success", "ret_msg", "req_id", "op"}``."""

    op: str
    success: bool
    req_id: str
    message: str


@dataclass(frozen=True, slots=True)
class Resync:
    """The book of *topic* lost updates: resubscribe to get a fresh snapshot."""

    topic: str


Item = MarketEvent | Ack | Resync


class MalformedLog:
    """Counts bad frames per kind and logs the first of each kind only.

    A feed that sends a bad frame every second would otherwise flood the log; the counts
    (exported as metrics) still show how often it happens.
    """

    def __init__(self, logger: logging.Logger = log) -> None:
        self.counts: Counter[str] = Counter()
        self._log = logger

    def __call__(self, kind: str, raw: str | bytes, detail: str = "") -> None:
        self.counts[kind] += 1
        if self.counts[kind] == 1:
            sample = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
            self._log.warning("skipped a malformed stream message (%s%s): %.*s; further "
                              "ones of this kind are only counted", kind,
                              f": {detail}" if detail else "", _SAMPLE, sample)

    @property
    def total(self) -> int:
        """Bad frames seen so far."""
        return sum(self.counts.values())


def _opt(data: dict[str, Any], key: str) -> float | None:
    value = data.get(key)
    return None if value in (None, "") else float(value)


class StreamParser:
    """Turns frames into events, keeping the per-topic state Bybit's deltas need.

    Parameters
    ----------
    topics : set of str
        The subscribed topics; data for any other topic counts as unexpected. The set is
        read at parse time, so the client may change it.
    book_levels : int
        Levels per side carried by each :class:`BookUpdate`.
    malformed : MalformedLog, optional
        Where bad frames are counted.
    """

    def __init__(self, topics: set[str], *, book_levels: int = 10,
                 malformed: MalformedLog | None = None) -> None:
        self.topics = topics
        self.book_levels = book_levels
        self.malformed = malformed or MalformedLog()
        self.books: dict[str, OrderBook] = {}
        self.tickers: dict[str, dict[str, Any]] = {}
        self._handlers: dict[str, Callable[[str, dict[str, Any]], list[Item]]] = {
            "kline": self._kline, "publicTrade": self._trades,
            "orderbook": self._book, "tickers": self._ticker,
        }

    def reset(self) -> None:
        """Forget books and tickers: a new connection starts from fresh snapshots."""
        for book in self.books.values():
            book.invalidate()
        self.tickers.clear()

    def parse(self, raw: str | bytes) -> list[Item]:
        """Events and control answers in *raw*; ``[]`` for a skipped frame."""
        try:
            message = json.loads(raw)
        except ValueError:
            self.malformed("invalid_json", raw)
            return []
        if not isinstance(message, dict):
            self.malformed("not_an_object", raw)
            return []
        topic = message.get("topic")
        if topic is None:
            return self._control(message, raw)
        kind = topic.partition(".")[0] if isinstance(topic, str) else ""
        handler = self._handlers.get(kind)
        if handler is None or topic not in self.topics:
            self.malformed("unexpected_topic", raw, str(topic))
            return []
        try:
            return handler(topic, message)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            self.malformed(f"bad_{kind}", raw, f"{type(exc).__name__}: {exc}")
            return []

    def _control(self, message: dict[str, Any], raw: str | bytes) -> list[Item]:
        op = message.get("op")
        if not isinstance(op, str) or "success" not in message and op != "pong":
            self.malformed("unexpected_message", raw)
            return []
        return [Ack(op, bool(message.get("success", True)), str(message.get("req_id") or ""),
                    str(message.get("ret_msg") or ""))]

    # --- topics ----------------------------------------------------------------------------
    def _kline(self, topic: str, message: dict[str, Any]) -> list[Item]:
        symbol = topic.rsplit(".", 1)[1]
        out: list[Item] = []
        for k in message["data"]:
            cls = ClosedBar if k["confirm"] is True else BarUpdate
            out.append(cls(symbol, int(k["timestamp"]), str(k["interval"]), int(k["start"]),
                           int(k["end"]), float(k["open"]), float(k["high"]), float(k["low"]),
                           float(k["close"]), float(k["volume"]), float(k["turnover"])))
        return out

    def _trades(self, topic: str, message: dict[str, Any]) -> list[Item]:
        return [Trade(t["s"], int(t["T"]), float(t["p"]), float(t["v"]), str(t["S"]),
                      str(t["i"])) for t in message["data"]]

    def _book(self, topic: str, message: dict[str, Any]) -> list[Item]:
        data, ts = message["data"], int(message["ts"])
        book = self.books.get(topic)
        if book is None:
            book = self.books[topic] = OrderBook(int(topic.split(".")[1]))
        bids, asks, update_id = parse_levels(data["b"]), parse_levels(data["a"]), int(data["u"])
        kind = message["type"]
        if kind == "snapshot":
            book.apply_snapshot(bids, asks, update_id)
        elif kind == "delta":
            was_valid = book.valid
            if not book.apply_delta(bids, asks, update_id):
                # Only the first lost update asks for a resync; later deltas just wait.
                return [Resync(topic)] if was_valid else []
        else:
            raise ValueError(f"type {kind!r}")
        levels = self.book_levels
        return [BookUpdate(data["s"], ts, book.depth, book.bids.top(levels),
                           book.asks.top(levels), update_id)]

    def _ticker(self, topic: str, message: dict[str, Any]) -> list[Item]:
        data = message["data"]
        symbol = data["symbol"]
        kind = message["type"]
        if kind == "snapshot":
            state = dict(data)
        elif kind == "delta":
            if symbol not in self.tickers:  # a delta before any snapshot cannot be merged
                raise ValueError("ticker delta before a snapshot")
            state = {**self.tickers[symbol], **data}
        else:
            raise ValueError(f"type {kind!r}")
        event = self._ticker_event(symbol, int(message["ts"]), state)
        self.tickers[symbol] = state  # only a frame that converted cleanly changes the state
        return [event]

    @staticmethod
    def _ticker_event(symbol: str, ts: int, state: dict[str, Any]) -> TickerUpdate:
        funding = state.get("nextFundingTime")
        return TickerUpdate(symbol, ts, _opt(state, "lastPrice"), _opt(state, "markPrice"),
                            _opt(state, "indexPrice"), _opt(state, "fundingRate"),
                            int(funding) if funding else None, _opt(state, "bid1Price"),
                            _opt(state, "ask1Price"))
