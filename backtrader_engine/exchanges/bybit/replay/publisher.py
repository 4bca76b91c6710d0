"""Turns replayed price points into Bybit V5 public messages and fans them out to clients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from backtrader_engine.data.frame import datetime_index
from backtrader_engine.exchanges.bybit.replay.connection import Client, dumps
from backtrader_engine.exchanges.bybit.replay.feed import Book, num, trade
from backtrader_engine.exchanges.bybit.replay.market import ReplayMarket
from backtrader_engine.exchanges.bybit.replay.topics import KlineBuilder, Topic, stream_intervals


class Publisher:
    """Per-symbol stream state (klines, books, tickers) and the messages built from it.

    Parameters
    ----------
    market : ReplayMarket
        Source of candles, instruments and funding.
    clients : set of Client
        The live connections; the set is shared with the stream and read at publish time.
    """

    def __init__(self, market: ReplayMarket, clients: Iterable[Client]) -> None:
        self.market = market
        self.clients = clients
        self.klines = {(s, iv): KlineBuilder(market, s, iv)
                       for s in market.symbols for iv in stream_intervals(market, s)}
        self.books: dict[tuple[str, int], Book] = {}
        self.book_ids: dict[tuple[str, int], int] = {}
        self.tickers: dict[str, dict[str, str]] = {}
        self.price: dict[str, float] = {}
        self.seq = 1_000_000  # cross sequence shared by every book, trade and ticker
        self.trade_id = 0

    # --- fan-out ---------------------------------------------------------------------------
    def _send(self, topic: str, payload: dict[str, Any]) -> None:
        frame = None
        for client in self.clients:
            if topic in client.topics:
                frame = frame or dumps(payload)
                client.publish(frame)

    def _send_book(self, topic: str, key: tuple[str, int], delta: dict[str, Any] | None,
                   at: int) -> None:
        frame = dumps(delta) if delta is not None else None
        for client in self.clients:
            if topic in client.topics:
                client.publish_book(topic, frame, lambda: dumps(self._book_snapshot(key, at)))

    # --- subscription ----------------------------------------------------------------------
    def on_subscribe(self, client: Client, topic: Topic) -> None:
        """Queue the initial snapshot of an orderbook or tickers topic for *client*."""
        at = self.market.now_ms
        if topic.kind == "orderbook":
            key = (topic.symbol, int(topic.arg))
            if key not in self.books:
                inst = self.market.instruments[topic.symbol]
                self.books[key] = Book(inst, key[1])
                self.books[key].move(self._price(topic.symbol))
                self.book_ids[key] = 1  # u=1 tells clients to start a fresh book
            client.publish(dumps(self._book_snapshot(key, at)))
        elif topic.kind == "tickers":
            if topic.symbol not in self.tickers:
                self.tickers[topic.symbol] = self._ticker_fields(topic.symbol, at)
            client.publish(dumps({"topic": topic.name, "type": "snapshot",
                                  "data": dict(self.tickers[topic.symbol]), "cs": self.seq,
                                  "ts": at}))

    def _price(self, symbol: str) -> float:
        if symbol not in self.price:
            frame = self.market.candles(symbol, next(iter(stream_intervals(self.market, symbol))))
            stamps = datetime_index(frame).asi8 // 1_000_000
            seen = frame.loc[stamps <= self.market.now_ms]
            self.price[symbol] = float((seen if len(seen) else frame)["open"].iloc[-1])
        return self.price[symbol]

    # --- publishing ------------------------------------------------------------------------
    def point(self, symbol: str, candle_start: int, at: int, price: float, size: float) -> None:
        """Publish one price point: a trade, open klines, book and ticker updates."""
        prev = self.price.get(symbol)
        self.price[symbol] = price
        self.seq += 1
        self.trade_id += 1
        self._send(f"publicTrade.{symbol}", {
            "topic": f"publicTrade.{symbol}", "type": "snapshot", "ts": at,
            "data": [trade(symbol, at, price, prev, size, self.trade_id, self.seq)]})
        for (sym, interval), builder in self.klines.items():
            if sym == symbol:
                bar = builder.add(candle_start, price, size)
                self._kline(symbol, interval, bar.data(confirm=False, ts=at), at)
        for key in self.books:
            if key[0] == symbol:
                self._book_update(key, price, at)
        if symbol in self.tickers:
            self._ticker_update(symbol, at)

    def close(self, symbol: str, at: int) -> None:
        """Publish ``confirm=true`` for every kline of *symbol* closing at *at*."""
        for (sym, interval), builder in self.klines.items():
            bar = builder.close(at) if sym == symbol else None
            if bar is not None:
                self._kline(symbol, interval, bar.data(confirm=True, ts=at), at)

    def _kline(self, symbol: str, interval: str, data: dict[str, Any], at: int) -> None:
        topic = f"kline.{interval}.{symbol}"
        self._send(topic, {"topic": topic, "data": [data], "ts": at, "type": "snapshot"})

    def _book_update(self, key: tuple[str, int], price: float, at: int) -> None:
        bids, asks = self.books[key].move(price)
        if not bids and not asks and key[1] != 1:
            return
        self.seq += 1
        self.book_ids[key] += 1
        topic = f"orderbook.{key[1]}.{key[0]}"
        delta = None
        if key[1] != 1:  # level 1 on linear sends snapshots only
            delta = {"topic": topic, "type": "delta", "ts": at,
                     "data": {"s": key[0], "b": bids, "a": asks, "u": self.book_ids[key],
                              "seq": self.seq}, "cts": at}
        self._send_book(topic, key, delta, at)

    def _book_snapshot(self, key: tuple[str, int], at: int) -> dict[str, Any]:
        bids, asks = self.books[key].snapshot()
        return {"topic": f"orderbook.{key[1]}.{key[0]}", "type": "snapshot", "ts": at,
                "data": {"s": key[0], "b": bids, "a": asks, "u": self.book_ids[key],
                         "seq": self.seq}, "cts": at}

    def _ticker_fields(self, symbol: str, at: int) -> dict[str, str]:
        fields = self.market.ticker(symbol)
        fields.update(self._ticker_moves(symbol, at, fields.get("fundingRate", "0.0")))
        return fields

    def _ticker_moves(self, symbol: str, at: int, rate: str) -> dict[str, str]:
        inst = self.market.instruments[symbol]
        price = self._price(symbol)
        bids, asks = Book(inst, 1).levels_at(price)
        (bid, bid_size), (ask, ask_size) = next(iter(bids.items())), next(iter(asks.items()))
        step = inst.funding_interval_minutes * 60_000
        return {"lastPrice": num(price), "markPrice": num(price), "indexPrice": num(price),
                "bid1Price": bid, "bid1Size": bid_size, "ask1Price": ask, "ask1Size": ask_size,
                "nextFundingTime": str((at // step + 1) * step), "fundingRate": rate}

    def _ticker_update(self, symbol: str, at: int) -> None:
        state = self.tickers[symbol]
        moves = self._ticker_moves(symbol, at, state["fundingRate"])
        if moves["nextFundingTime"] != state["nextFundingTime"]:
            # A funding settlement passed: publish the rate now in force.
            series = self.market.funding_series(symbol)
            moves["fundingRate"] = num(series.iloc[-1]) if len(series) else state["fundingRate"]
        changed = {k: v for k, v in moves.items() if state.get(k) != v}
        if not changed:
            return
        state.update(changed)
        self.seq += 1
        topic = f"tickers.{symbol}"
        self._send(topic, {"topic": topic, "type": "delta", "data": {"symbol": symbol, **changed},
                           "cs": self.seq, "ts": at})
