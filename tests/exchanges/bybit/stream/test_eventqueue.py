"""The bounded event queue and its overflow policy."""

from __future__ import annotations

import threading

import pytest

from backtrader_engine.exchanges.bybit.stream.eventqueue import EventQueue
from backtrader_engine.exchanges.bybit.stream.events import ClosedBar, StreamStatus, Trade


def trade(n: int) -> Trade:
    return Trade("BTCUSDT", n, 100.0 + n, 1.0, "Buy", str(n))


def closed(n: int) -> ClosedBar:
    return ClosedBar("BTCUSDT", n, "1", n * 60_000, n * 60_000 + 59_999, 1, 2, 0.5, 1.5, 10, 15)


def test_fifo_order() -> None:
    queue = EventQueue(10)
    for n in range(5):
        queue.put(trade(n))
    assert [e.ts for e in queue.drain()] == [0, 1, 2, 3, 4]
    assert queue.get_nowait() is None


def test_full_queue_drops_the_oldest_market_state_event() -> None:
    queue = EventQueue(3)
    for n in range(5):
        queue.put(trade(n))
    assert [e.ts for e in queue.drain()] == [2, 3, 4]
    assert queue.dropped == {"trade": 2}


def test_critical_events_are_never_dropped() -> None:
    queue = EventQueue(2)
    queue.put(trade(0))
    queue.put(closed(1))
    queue.put(closed(2))  # evicts the trade
    queue.put(closed(3))  # only critical events are held: the bound gives way
    queue.put(StreamStatus("", 4, "LIVE"))
    queue.put(trade(5))  # no room and nothing to evict: the new trade is dropped
    assert [e.kind for e in queue.drain()] == ["closed_bar"] * 3 + ["status"]
    assert queue.dropped == {"trade": 2}


def test_get_waits_for_a_producer_thread() -> None:
    queue = EventQueue(4)
    timer = threading.Timer(0.05, lambda: queue.put(trade(7)))
    timer.start()
    event = queue.get(timeout=10)
    timer.join()
    assert event is not None and event.ts == 7


def test_get_times_out_on_an_empty_queue() -> None:
    assert EventQueue(1).get(timeout=0.01) is None


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="maxsize 0"):
        EventQueue(0)
