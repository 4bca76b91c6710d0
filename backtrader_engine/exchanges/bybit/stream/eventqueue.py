"""A bounded, thread-safe event queue that never loses what a trading loop depends on.

Overflow policy: when the queue is full, the **oldest non-critical** event (a bar update,
trade, book or ticker update) is dropped to make room, and the drop is counted per kind.
Critical events (closed bars, bar gaps, connection status) are always accepted, even above
the bound: they arrive at most a few times a minute per symbol, so they cannot exhaust
memory, and a paper feed must see every closed bar. Dropping the *oldest* market-state
event keeps the freshest prices for a consumer that fell behind.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Iterator

from backtrader_engine.exchanges.bybit.stream.events import MarketEvent


class EventQueue:
    """Bounded FIFO of :class:`MarketEvent` for one producer thread and one consumer.

    Parameters
    ----------
    maxsize : int
        Most events held before non-critical ones are dropped (at least 1).
    """

    def __init__(self, maxsize: int = 10_000) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize {maxsize}; expected at least 1")
        self.maxsize = maxsize
        self.dropped: Counter[str] = Counter()
        self._items: deque[MarketEvent] = deque()
        self._ready = threading.Condition(threading.Lock())

    def __len__(self) -> int:
        return len(self._items)

    def put(self, event: MarketEvent) -> None:
        """Append *event*, applying the overflow policy; never blocks."""
        with self._ready:
            if len(self._items) >= self.maxsize and not self._make_room():
                if not event.critical:
                    self.dropped[event.kind] += 1
                    return
            self._items.append(event)
            self._ready.notify()

    def _make_room(self) -> bool:
        """Drop the oldest non-critical event; ``False`` when all held events are critical."""
        for index, held in enumerate(self._items):
            if not held.critical:
                del self._items[index]
                self.dropped[held.kind] += 1
                return True
        return False

    def get(self, timeout: float | None = None) -> MarketEvent | None:
        """The next event, waiting up to *timeout* seconds (forever if ``None``)."""
        with self._ready:
            if timeout is None:
                while not self._items:
                    self._ready.wait()
            elif not self._items:
                deadline = time.monotonic() + timeout
                while not self._items:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    self._ready.wait(left)
            return self._items.popleft()

    def get_nowait(self) -> MarketEvent | None:
        """The next event, or ``None`` when the queue is empty."""
        with self._ready:
            return self._items.popleft() if self._items else None

    def drain(self) -> Iterator[MarketEvent]:
        """Yield every event queued right now, oldest first."""
        while (event := self.get_nowait()) is not None:
            yield event
