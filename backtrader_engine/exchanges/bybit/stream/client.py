"""The Bybit V5 public stream client: connection, heartbeat, reconnect, resync, backfill.

An asyncio client on ``websockets`` rather than pybit's ``WebSocket``: pybit runs callbacks
on websocket-client's thread and dies on any exception raised in them, never checks book
update ids, and resubscribes without telling the caller what was missed. Owning the loop
lets one task read, parse and sequence frames in order, pause the stream while missed bars
are fetched over REST, and report the connection state as events.

Behaviour:

- a text ``{"op":"ping"}`` every ``ping_interval`` seconds (Bybit recommends 20 s);
- ``DELAYED`` when no frame arrived for ``delayed_after`` seconds, and a forced reconnect
  after ``dead_after`` seconds without any frame (pongs count), which catches half-open
  TCP connections that never report an error;
- reconnect with exponential backoff (``backoff_initial`` doubling up to ``backoff_max``)
  and jitter (each delay is drawn from its upper half, so clients cut off together do not
  return together), then every topic is subscribed again;
- books are reset on every connection and resynchronised (unsubscribe + subscribe, which
  makes Bybit send a fresh snapshot) when an update id is skipped;
- closed bars go through :class:`~.klines.KlineSequencer`: once, in order, missed ones
  fetched over REST.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from backtrader_engine.backoff import Backoff
from backtrader_engine.exchanges.bybit.stream.eventqueue import EventQueue
from backtrader_engine.exchanges.bybit.stream.events import (
    DELAYED,
    DISCONNECTED,
    LIVE,
    Bar,
    ClosedBar,
    MarketEvent,
    StreamStatus,
)
from backtrader_engine.exchanges.bybit.stream.klines import (
    KlineBackfill,
    KlineSequencer,
    StreamKey,
)
from backtrader_engine.exchanges.bybit.stream.parser import Ack, MalformedLog, Resync, StreamParser

log = logging.getLogger(__name__)
_CONNECT_ERRORS = (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, EOFError)
_TOPIC_TOKEN = re.compile(r"[A-Za-z0-9_.\-]+")


def refused_in(message: str, topics: Sequence[str]) -> list[str]:
    """The *topics* of a refused request that Bybit's *message* names, else all of them.

    One subscribe request carries up to ``subscribe_batch`` topics, and a refusal answers
    for the request as a whole, but its ``ret_msg`` names the offending topic
    (``error:handler not found,topic:kline.7.BTCUSDT``, ``Invalid topic: kline.1.BTCUSDT``);
    the other topics of the request are served. A message that names none of them refuses
    them all.
    """
    named = set(_TOPIC_TOKEN.findall(message))
    return [topic for topic in topics if topic in named] or list(topics)


@dataclass(frozen=True)
class StreamSettings:
    """Timing and sizing of the client; the defaults suit Bybit's public stream."""

    ping_interval: float = 20.0
    delayed_after: float = 10.0
    dead_after: float = 45.0
    connect_timeout: float = 10.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    subscribe_batch: int = 10
    book_levels: int = 10
    max_pause: float = 30.0
    #: Give up after this many failed connects when no connection ever succeeded (a client
    #: without network); None: keep trying. Once connected, reconnects never give up.
    connect_attempts: int | None = None

    @property
    def backoff(self) -> Backoff:
        """Reconnect delays: doubling to the cap, drawn from the upper half of each."""
        return Backoff(self.backoff_initial, self.backoff_max, jitter=(0.5, 1.0))


class BybitStream:
    """Subscribes to public linear *topics* and puts normalised events on *queue*.

    Parameters
    ----------
    topics : sequence of str
        Topic names (see :func:`~.topics.stream_topics`).
    url : str
        The ``/v5/public/linear`` WebSocket URL (see :func:`~.topics.public_stream_url`).
    queue : EventQueue, optional
        Destination of the events; a new 10,000-event queue by default.
    backfill : KlineBackfill, optional
        REST access for closed bars missed during a disconnect; without it such bars are
        reported as :class:`~.events.BarGap`.
    resume : dict, optional
        ``{(symbol, interval): start ms of the last closed bar the consumer has}``.
    settings : StreamSettings, optional
    rng : random.Random, optional
        Source of the reconnect jitter (seed it for reproducible tests).
    """

    def __init__(self, topics: Sequence[str], *, url: str, queue: EventQueue | None = None,
                 backfill: KlineBackfill | None = None,
                 resume: dict[StreamKey, int] | None = None,
                 settings: StreamSettings | None = None,
                 rng: random.Random | None = None) -> None:
        self.topics = set(topics)
        self.url = url
        self.queue = queue if queue is not None else EventQueue()
        self.backfill = backfill
        self.settings = settings or StreamSettings()
        self.rng = rng or random.Random()
        self.malformed = MalformedLog(log)
        self.parser = StreamParser(self.topics, book_levels=self.settings.book_levels,
                                   malformed=self.malformed)
        self.sequencer = KlineSequencer(backfill.fetch if backfill else None, resume)
        self.counts: Counter[str] = Counter()
        self.state = DISCONNECTED
        self.failed_topics: set[str] = set()  # topics of refused requests, logged once
        self.refusals: dict[str, str] = {}  # refused topic -> Bybit's reason
        self.last_frame = 0.0  # time.monotonic() of the latest frame
        self._req_ids = itertools.count(1)
        self._pending: dict[str, list[str]] = {}
        self._pings: dict[str, float] = {}  # req_id -> time.monotonic() it was sent
        self.last_rtt_ms: float | None = None
        self._rtt_max_ms: float | None = None  # since the last take_health()
        self._errors_taken = 0
        self._busy = False  # a REST backfill is running: silence is not a dead connection
        self._drain = False
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.gave_up: str | None = None  # why run() stopped trying (see connect_attempts)

    # --- running -----------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, stream and reconnect until :meth:`stop` is called."""
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        failures = 0
        while not self._stop.is_set():
            reason = "stopped"
            try:
                # No permessage-deflate: market frames are small, and inflating every one
                # costs this thread more time than the bytes it saves on the wire.
                async with connect(self.url, open_timeout=self.settings.connect_timeout,
                                   ping_interval=None, close_timeout=1,
                                   max_size=2**22, compression=None) as ws:
                    if self.counts["connections"]:
                        self.counts["reconnects"] += 1
                    self.counts["connections"] += 1
                    if await self._session(ws):
                        failures = 0
                    reason = "connection closed"
            except InvalidURI as exc:
                raise ValueError(f"stream URL {self.url!r}: {exc}") from None
            except _CONNECT_ERRORS as exc:
                self.counts["connect_failures"] += 1
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self._set_state(DISCONNECTED, reason)
            if self._stop.is_set():
                break
            delay = self.settings.backoff.delay(failures, self.rng)
            failures += 1
            attempts = self.settings.connect_attempts
            if attempts is not None and not self.counts["connections"]:
                tried = self.counts["connect_failures"]
                if tried >= attempts:
                    self.gave_up = f"{reason} (attempt {tried} of {attempts})"
                    break
                log.warning("stream %s: %s; attempt %d of %d, next try in %.1f s", self.url,
                            reason, tried, attempts, delay)
            else:
                log.warning("stream %s: %s; reconnecting in %.1f s", self.url, reason, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)

    def stop(self, *, drain: bool = False) -> None:
        """Ask :meth:`run` to close the connection and return (from any thread).

        With *drain*, unsubscribe first and deliver every frame sent before the
        acknowledgement (see :meth:`_unsubscribe_and_drain`).
        """
        self._drain = drain
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between: run() ended
                self._loop.call_soon_threadsafe(self._stop.set)

    def start(self) -> BybitStream:
        """Run the client on its own thread and event loop; returns self."""
        started = threading.Event()

        def main() -> None:
            async def body() -> None:
                task = asyncio.ensure_future(self.run())
                await asyncio.sleep(0)
                started.set()
                await task
            asyncio.run(body())

        self._thread = threading.Thread(target=main, name="bybit-stream", daemon=True)
        self._thread.start()
        started.wait(5)
        return self

    def close(self, timeout: float = 5.0, *, drain: bool = False) -> None:
        """Stop the thread started by :meth:`start` and wait for it."""
        self.stop(drain=drain)
        if self._thread is not None:
            self._thread.join(timeout)

    # --- one connection ----------------------------------------------------------------------
    async def _session(self, ws: ClientConnection) -> bool:
        """Stream over *ws* until it closes or stop is asked; ``True`` if data flowed."""
        assert self._stop is not None
        self.parser.reset()
        self._pending.clear()
        self.last_frame = time.monotonic()
        await self._subscribe(ws, "subscribe", sorted(self.topics))
        reader = asyncio.ensure_future(self._read(ws))
        helpers = [asyncio.ensure_future(self._heartbeat(ws)),
                   asyncio.ensure_future(self._watchdog(ws))]
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({reader, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if self._drain and not reader.done():
                await self._unsubscribe_and_drain(ws, reader)
        finally:
            for task in (*helpers, stopper):
                task.cancel()
            if not reader.done():
                reader.cancel()
                await ws.close()
        if reader.done() and not reader.cancelled() and reader.exception() is not None:
            error = reader.exception()
            if not isinstance(error, ConnectionClosed):
                raise error  # type: ignore[misc]
        return self.state in (LIVE, DELAYED)

    async def _unsubscribe_and_drain(self, ws: ClientConnection,
                                     reader: asyncio.Future[None]) -> None:
        """Unsubscribe everything and read on until the acks arrive.

        The exchange answers after the frames it already sent, so once the acks are in,
        nothing that was on its way is lost: a consumer that stops this way can resume
        without recovering a single bar.
        """
        ids = await self._subscribe(ws, "unsubscribe", sorted(self.topics))
        deadline = time.monotonic() + self.settings.connect_timeout
        while (any(i in self._pending for i in ids) and not reader.done()
               and time.monotonic() < deadline):
            await asyncio.sleep(0.01)

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            self.last_frame = time.monotonic()
            self.counts["messages"] += 1
            if len(self.queue) >= self.queue.maxsize:
                await self._wait_for_room()
            for item in self.parser.parse(raw):
                if isinstance(item, MarketEvent):
                    if self.state != LIVE:
                        self._set_state(LIVE, "data flowing")
                    if isinstance(item, Bar):
                        await self._bar(item)
                    else:
                        self._put(item)
                elif isinstance(item, Ack):
                    self._ack(item)
                elif isinstance(item, Resync):
                    self.counts["resyncs"] += 1
                    log.info("order book %s skipped an update; resubscribing", item.topic)
                    await self._subscribe(ws, "unsubscribe", [item.topic])
                    await self._subscribe(ws, "subscribe", [item.topic])

    async def _wait_for_room(self) -> None:
        """Stop reading while the consumer is behind (up to ``max_pause`` seconds).

        Unread frames stay in the socket, so TCP pushes back on the sender instead of the
        queue growing or dropping; a consumer stuck for longer gets the queue's overflow
        policy (oldest market-state events dropped, closed bars kept).
        """
        self._busy = True
        self.counts["pauses"] += 1
        deadline = time.monotonic() + self.settings.max_pause
        try:
            while len(self.queue) >= self.queue.maxsize and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
        finally:
            self._busy = False
            self.last_frame = time.monotonic()

    async def _heartbeat(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self.settings.ping_interval)
            req_id = f"ping-{next(self._req_ids)}"
            self._pings = {req_id: time.monotonic()}  # an unanswered older ping is moot
            await ws.send(f'{{"req_id":"{req_id}","op":"ping"}}')

    async def _watchdog(self, ws: ClientConnection) -> None:
        step = min(1.0, self.settings.delayed_after / 4)
        while True:
            await asyncio.sleep(step)
            if self._busy:
                continue
            silent = time.monotonic() - self.last_frame
            if silent > self.settings.dead_after:
                log.warning("stream %s: no data for %.0f s; reconnecting", self.url, silent)
                ws.transport.abort()
                return
            if silent > self.settings.delayed_after and self.state == LIVE:
                self._set_state(DELAYED, f"no data for {silent:.0f} s")

    async def _subscribe(self, ws: ClientConnection, op: str, topics: list[str]) -> list[str]:
        batch = self.settings.subscribe_batch
        ids = []
        for i in range(0, len(topics), batch):
            req_id = f"{op[:5]}-{next(self._req_ids)}"
            ids.append(req_id)
            self._pending[req_id] = topics[i:i + batch]
            args = '","'.join(topics[i:i + batch])
            await ws.send(f'{{"req_id":"{req_id}","op":"{op}","args":["{args}"]}}')
        return ids

    def _ack(self, ack: Ack) -> None:
        topics = self._pending.pop(ack.req_id, [])
        if ack.op == "ping":
            self.counts["pongs"] += 1
            sent = self._pings.pop(ack.req_id, None)
            if sent is not None:
                rtt = (time.monotonic() - sent) * 1000.0
                self.last_rtt_ms = rtt
                self._rtt_max_ms = rtt if self._rtt_max_ms is None else max(self._rtt_max_ms,
                                                                             rtt)
        elif not ack.success:
            self.counts["subscribe_failures"] += 1
            reason = ack.message or "no reason given"
            refused = refused_in(ack.message, topics)
            fresh = set(refused) - self.failed_topics
            self.failed_topics.update(refused)
            if ack.op == "subscribe":
                self.refusals.update(dict.fromkeys(refused, reason))
            if fresh or not topics:
                log.error("Bybit refused %s of %s: %s", ack.op, ", ".join(refused) or "?",
                          reason)

    async def _bar(self, bar: Bar) -> None:
        gap = self.sequencer.pending_gap(bar)
        if gap is not None:
            recovered = await self._fetch(bar, *gap)
            for event in self.sequencer.fill(bar, recovered):
                self._put(event)
        if isinstance(bar, ClosedBar):
            for event in self.sequencer.closed(bar):
                self._put(event)
        else:
            self._put(bar)

    async def _fetch(self, bar: Bar, start: int, stop: int) -> list[ClosedBar]:
        if self.backfill is None:
            return []
        self._busy = True
        try:
            return await asyncio.to_thread(self.backfill.fetch, bar.symbol, bar.interval,
                                           start, stop)
        except Exception as exc:  # a failed backfill must not end the stream
            self.counts["backfill_errors"] += 1
            log.error("could not fetch missed %s %s bars: %s", bar.symbol, bar.interval, exc)
            return []
        finally:
            self._busy = False
            self.last_frame = time.monotonic()

    def _put(self, event: MarketEvent) -> None:
        self.counts["events"] += 1
        self.queue.put(event)

    def _set_state(self, state: str, reason: str) -> None:
        if state == self.state:
            return
        self.state = state
        log.info("stream %s: %s (%s)", self.url, state, reason)
        self.queue.put(StreamStatus("", int(time.time() * 1000), state, reason))

    # --- reporting -----------------------------------------------------------------------------
    def refused_topics(self) -> dict[str, str]:
        """``{topic: Bybit's reason}`` of the topics Bybit refused to subscribe (on any
        connection so far); safe to call from any thread."""
        return dict(self.refusals)

    def error_count(self) -> int:
        """Stream errors so far: malformed messages, reconnects, failed subscriptions and
        backfills."""
        c = self.counts
        return (self.malformed.total + c["reconnects"] + c["subscribe_failures"]
                + c["backfill_errors"])

    def take_health(self) -> tuple[float | None, int]:
        """(longest ping round trip in ms, errors) since the previous call."""
        rtt, self._rtt_max_ms = self._rtt_max_ms, None
        total = self.error_count()
        errors, self._errors_taken = total - self._errors_taken, total
        return rtt, errors

    def stats(self) -> dict[str, Any]:
        """Counters for logs and metrics; safe to call from any thread."""
        age = time.monotonic() - self.last_frame if self.last_frame else None
        return {"state": self.state, "last_message_age_s": age, "rtt_ms": self.last_rtt_ms,
                **{k: self.counts[k] for k in (
                    "messages", "events", "connections", "connect_failures", "reconnects",
                    "resyncs", "pongs", "subscribe_failures", "backfill_errors", "pauses")},
                "backfilled_bars": self.sequencer.stats["backfilled"],
                "unrecovered_bars": self.sequencer.stats["unrecovered"],
                "duplicate_bars": self.sequencer.stats["duplicates"],
                "malformed": self.malformed.total,
                "malformed_by_kind": dict(self.malformed.counts),
                "queue_dropped": dict(self.queue.dropped)}
