"""The replay clock and the Bybit V5 public linear stream it drives.

One :class:`ReplayStream` per server walks through every symbol's finest candles in time
order. Each candle becomes four price points (see :mod:`.feed`) and a close; at each step the
market clock (``ReplayMarket.now_ms``, shared with the REST routes) moves to the step's time
and the kline, publicTrade, orderbook and tickers topics are published to the subscribed
clients.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pandas as pd
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from backtrader_engine.data.frame import datetime_index
from backtrader_engine.data.timeframes import parse_timeframe
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.replay.connection import Client
from backtrader_engine.exchanges.bybit.replay.faults import FaultSpec, parse_faults
from backtrader_engine.exchanges.bybit.replay.feed import (
    POINTS_PER_CANDLE,
    candle_path,
    split_volume,
)
from backtrader_engine.exchanges.bybit.replay.market import ReplayMarket
from backtrader_engine.exchanges.bybit.replay.publisher import Publisher
from backtrader_engine.exchanges.bybit.replay.topics import parse_topic, stream_intervals

_MS = 1_000_000
log = logging.getLogger(__name__)
#: Frames a client may have queued before the clock waits for it; bounds memory when the
#: replay runs as fast as possible and lets a slow consumer set the pace.
BACKLOG_LIMIT = 2000
Step = tuple[int, int, str, int, tuple[float, ...]]  # time, phase, symbol, point, candle


def _stamp(ms: int) -> str:
    return f"{pd.Timestamp(ms, unit='ms'):%Y-%m-%d %H:%M}"


def _report(task: asyncio.Task[None]) -> None:
    # A failing clock would otherwise die silently inside the server's event loop.
    if not task.cancelled() and task.exception() is not None:
        log.error("replay clock stopped: %s", task.exception(), exc_info=task.exception())


class ReplayStream:
    """Replay clock plus the public linear stream.

    Parameters
    ----------
    market : ReplayMarket
        The candles to replay; its ``now_ms`` becomes the replay clock.
    speed : float or None
        Market time per wall-clock time: 1 is real time, 60 plays a minute per second;
        ``None`` or 0 plays as fast as the clients read.
    hold_when_idle : bool
        Stop the clock while no client has a subscription, so a restarted consumer misses
        nothing and test runs are deterministic.
    faults : str or FaultSpec, optional
        Faults to inject into every connection (grammar in :mod:`.faults`).
    start_ms : int, optional
        Replay from the first candle at or after this time; default the first candle.
    """

    def __init__(self, market: ReplayMarket, *, speed: float | None = None,
                 hold_when_idle: bool = False, faults: str | FaultSpec | None = None,
                 start_ms: int | None = None) -> None:
        if speed is not None and speed < 0:
            raise UserError(f"speed {speed}; expected a positive number, or 0 for as fast "
                            "as possible")
        self.market = market
        self.speed = speed or None
        self.hold_when_idle = hold_when_idle
        self.faults = parse_faults(faults)
        self.start_ms = start_ms
        self.intervals = {s: stream_intervals(market, s) for s in market.symbols}
        self.clients: set[Client] = set()
        self.publisher = Publisher(market, self.clients)
        self.finished = False
        self.served: Counter[str] = Counter()  # candles closed on the stream, per symbol
        self._task: asyncio.Task[None] | None = None
        self._active = asyncio.Event()

    def ensure_running(self) -> None:
        """Start the clock (on the running event loop) unless it already runs.

        The market clock moves to the replay's start at once, so snapshots sent to the first
        subscribers already show the replayed market rather than the end of the data.
        """
        if self._task is not None:
            return
        steps = self._steps()
        first = next(steps, None)
        if first is not None:
            self.market.now_ms = first[0]
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._task.add_done_callback(_report)

    def close(self) -> None:
        """Stop the clock; the server closes the connections."""
        if self._task is not None:
            self._task.cancel()

    # --- connections -------------------------------------------------------------------
    async def handle(self, connection: ServerConnection) -> None:
        """Serve one WebSocket connection until it closes."""
        self.ensure_running()
        client = Client(connection, self.faults)
        self.clients.add(client)
        client.start()
        try:
            async for raw in connection:
                self._command(client, raw)
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(client)
            client.stop()
            self._update_active()

    def _command(self, client: Client, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            client.ack("", "", success=False, msg="error:request not in JSON format")
            return
        op, req_id = str(message.get("op", "")), str(message.get("req_id", ""))
        args = message.get("args") or []
        if op == "ping":
            client.ack("ping", req_id, msg="pong")
        elif op in ("subscribe", "unsubscribe") and isinstance(args, list):
            self._subscription(client, op, req_id, [str(a) for a in args])
        else:
            client.ack(op, req_id, success=False, msg=f"error:unknown op '{op}'")

    def _subscription(self, client: Client, op: str, req_id: str, names: list[str]) -> None:
        topics = [parse_topic(name, self.intervals) for name in names]
        bad = [name for name, topic in zip(names, topics, strict=True) if topic is None]
        # The ack goes first, then the initial snapshots, as on Bybit. A request with a bad
        # topic is refused naming it (every bad one), and its other topics are served.
        client.ack(op, req_id, success=not bad,
                   msg=f"Invalid topic: {', '.join(bad)}" if bad else "")
        for topic in topics:
            if topic is None:
                continue
            if op == "unsubscribe":
                client.topics.discard(topic.name)
            elif topic.name not in client.topics:
                client.topics.add(topic.name)
                self.publisher.on_subscribe(client, topic)
        self._update_active()

    def _update_active(self) -> None:
        if any(c.topics for c in self.clients):
            self._active.set()
        else:
            self._active.clear()

    # --- clock -----------------------------------------------------------------------------
    def _steps(self) -> Iterator[Step]:
        """Every point and close of every symbol, in time order (a close before an open)."""
        def one(symbol: str) -> Iterator[Step]:
            frame = self.market.candles(symbol, self.intervals[symbol][0])
            duration = int(parse_timeframe(self.market.base_timeframe(symbol)).value // _MS)
            starts = datetime_index(frame).asi8 // _MS
            values = frame[["open", "high", "low", "close", "volume"]].to_numpy(float)
            for start, row in zip(starts, values, strict=True):
                if self.start_ms is not None and start < self.start_ms:
                    continue
                candle = (float(start), float(duration), *map(float, row))
                for point in range(POINTS_PER_CANDLE):
                    yield (int(start) + point * duration // POINTS_PER_CANDLE, 1, symbol,
                           point, candle)
                yield int(start) + duration, 0, symbol, -1, candle
        return heapq.merge(*(one(s) for s in self.market.symbols))

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        anchor: tuple[float, int] | None = None
        for at, _phase, symbol, point, candle in self._steps():
            if anchor is None:
                anchor = (loop.time(), at)
            if self.speed is not None:
                delay = anchor[0] + (at - anchor[1]) / 1000 / self.speed - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
            await self._drain()
            if self.hold_when_idle and not self._active.is_set():
                await self._active.wait()
                anchor = (loop.time(), at)  # the held time does not count as replayed time
            self.market.now_ms = at
            self._publish(at, symbol, point, candle)
        self.finished = True
        log.info("replay data exhausted at %s: %s; REST keeps answering at that time",
                 _stamp(self.market.now_ms), self.served_text())

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # let connections read commands between steps
        while any(c.backlog > BACKLOG_LIMIT for c in self.clients):
            await asyncio.sleep(0.005)

    def _publish(self, at: int, symbol: str, point: int, candle: tuple[float, ...]) -> None:
        start, _duration, o, h, low, c, volume = candle
        if point < 0:
            self.publisher.close(symbol, at)
            self.served[symbol] += 1
            return
        price = candle_path(o, h, low, c)[point]
        size = split_volume(volume)[point]
        self.publisher.point(symbol, int(start), at, price, size)

    def served_text(self) -> str:
        """``BTCUSDT 240 bars, ETHUSDT 240 bars served``."""
        counts = ", ".join(f"{s} {self.served[s]} bars" for s in self.market.symbols)
        return f"{counts} served"

    def state(self) -> dict[str, Any]:
        """Clock and client counts, for logs and tests."""
        return {"now_ms": self.market.now_ms, "clients": len(self.clients),
                "finished": self.finished}

