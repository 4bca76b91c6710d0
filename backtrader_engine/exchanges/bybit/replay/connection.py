"""One client of the replay stream: its subscriptions, outgoing queue and injected faults.

Frames are queued synchronously and written by one task per connection. Because the clock
and the command handler only ever *enqueue*, a subscribe/unsubscribe ack lands in the
connection's frame order exactly between the messages published before and after it, which
is what makes "no message after the unsubscribe ack" and gap-free resubscription hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from backtrader_engine.exchanges.bybit.replay.faults import FaultSpec

#: What a truncated frame looks like: valid-looking start, cut in the middle of the payload.
MALFORMED = '{"topic":"publicTrade","type":"snapshot","data":[{"T":'


def dumps(payload: dict[str, Any]) -> str:
    """Compact JSON, as Bybit sends it."""
    return json.dumps(payload, separators=(",", ":"))


class Client:
    """The server side of one ``/v5/public/linear`` connection.

    Parameters
    ----------
    connection : ServerConnection
        The WebSocket connection.
    faults : FaultSpec
        Faults to inject into this connection.
    """

    def __init__(self, connection: ServerConnection, faults: FaultSpec) -> None:
        self.connection = connection
        self.faults = faults
        self.conn_id = str(uuid.uuid4())
        self.topics: set[str] = set()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._data_frames = 0
        self._book_frames: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def backlog(self) -> int:
        """Frames queued but not yet written."""
        return self._queue.qsize()

    def start(self) -> None:
        """Start the writer (and the drop timer when that fault is on)."""
        self._tasks.append(asyncio.create_task(self._write()))
        if self.faults.drop_every is not None:
            self._tasks.append(asyncio.create_task(self._drop(self.faults.drop_every)))

    def stop(self) -> None:
        """Stop writing; queued frames are discarded."""
        self.topics.clear()
        for task in self._tasks:
            task.cancel()

    def reply(self, payload: dict[str, Any]) -> None:
        """Queue a command answer (acks and pongs are never subject to faults)."""
        self._queue.put_nowait(dumps(payload))

    def ack(self, op: str, req_id: str, *, success: bool = True, msg: str = "") -> None:
        """Queue the linear ack ``{success, ret_msg, conn_id, req_id, op}``."""
        self.reply({"success": success, "ret_msg": msg, "conn_id": self.conn_id,
                    "req_id": req_id, "op": op})

    def publish(self, frame: str) -> None:
        """Queue one data frame, adding a malformed frame after every Nth when asked to."""
        self._queue.put_nowait(frame)
        self._data_frames += 1
        every = self.faults.malformed_every
        if every is not None and self._data_frames % every == 0:
            self._queue.put_nowait(MALFORMED)

    def publish_book(self, topic: str, delta: str | None, snapshot: Callable[[], str]) -> None:
        """Queue an orderbook update: a delta, or a fresh snapshot, or nothing (a seq gap).

        *delta* is ``None`` where the depth sends snapshots only (depth 1 on linear).
        """
        count = self._book_frames[topic] = self._book_frames.get(topic, 0) + 1
        snap_every, skip_every = self.faults.snapshot_every, self.faults.skip_seq_every
        if delta is None or (snap_every is not None and count % snap_every == 0):
            self.publish(snapshot())
        elif skip_every is None or count % skip_every != 0:
            self.publish(delta)

    async def _write(self) -> None:
        loop = asyncio.get_running_loop()
        stall_at = loop.time() + (self.faults.stall_every or 0.0)
        while (frame := await self._queue.get()) is not None:
            if self.faults.stall_every is not None and loop.time() >= stall_at:
                await asyncio.sleep(self.faults.stall_seconds or 0.0)
                stall_at = loop.time() + self.faults.stall_every
            try:
                await self.connection.send(frame)
            except ConnectionClosed:
                return

    async def _drop(self, after: float) -> None:
        await asyncio.sleep(after)
        # An abort (no close frame) is what a network drop looks like to the client, and it
        # is the failure pybit reconnects on.
        with contextlib.suppress(Exception):
            self.connection.transport.abort()
