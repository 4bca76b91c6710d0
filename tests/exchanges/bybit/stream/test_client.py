"""The stream client against the replay server, with and without injected faults.

These run the real code path: the client's websockets connection to the replay server's
``/v5/public/linear`` and pybit's HTTP session against its REST routes for backfills.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pandas as pd
import pytest

from backtrader_engine.exchanges.bybit.history import make_session
from backtrader_engine.exchanges.bybit.replay import ReplayServer
from backtrader_engine.exchanges.bybit.stream import (
    BarGap,
    BookUpdate,
    BybitStream,
    ClosedBar,
    EventQueue,
    KlineBackfill,
    MarketEvent,
    StreamSettings,
    StreamStatus,
    public_stream_url,
    stream_topics,
)
from backtrader_engine.exchanges.bybit.stream.client import refused_in

SYMBOLS = ("BTCUSDT", "ETHUSDT")
FAST = StreamSettings(backoff_initial=0.05, backoff_max=0.2, delayed_after=0.3,
                      dead_after=5.0, ping_interval=0.5)


def collect(stream: BybitStream, bars_per_symbol: int,
            limit_s: float = 60.0) -> tuple[dict[str, list[ClosedBar]], list[MarketEvent]]:
    """Run *stream* until every symbol delivered *bars_per_symbol* closed bars."""
    closed: dict[str, list[ClosedBar]] = {s: [] for s in SYMBOLS}
    others: list[MarketEvent] = []
    deadline = time.monotonic() + limit_s
    stream.start()
    try:
        while min(map(len, closed.values())) < bars_per_symbol:
            assert time.monotonic() < deadline, f"too slow: {stream.stats()}"
            event = stream.queue.get(timeout=1)
            if isinstance(event, ClosedBar):
                closed[event.symbol].append(event)
            elif event is not None:
                others.append(event)
    finally:
        stream.close()
    return closed, others


def make_stream(server: ReplayServer, settings: StreamSettings = FAST,
                **kwargs: object) -> BybitStream:
    return BybitStream(stream_topics(SYMBOLS), url=public_stream_url(server.base_url),
                       backfill=KlineBackfill(make_session(base_url=server.base_url),
                                              pause=0.05),
                       settings=settings, rng=random.Random(7), **kwargs)  # type: ignore[arg-type]


def assert_exact_bars(closed: dict[str, list[ClosedBar]],
                      source: dict[str, pd.DataFrame]) -> None:
    """Every symbol's bars are consecutive minutes, each equal to the stored candle."""
    for symbol, bars in closed.items():
        starts = [b.start for b in bars]
        assert starts == list(range(starts[0], starts[0] + 60_000 * len(bars), 60_000)), symbol
        frame = source[symbol].loc[pd.to_datetime(starts, unit="ms")]
        got = [[b.open, b.high, b.low, b.close, b.volume] for b in bars]
        assert got == frame[["open", "high", "low", "close", "volume"]].values.tolist()


def test_clean_stream_delivers_bars_books_and_tickers(
        replay_server: Callable[..., ReplayServer],
        source_candles: dict[str, pd.DataFrame]) -> None:
    server = replay_server(stream={"speed": 0, "hold_when_idle": True})
    stream = make_stream(server)
    closed, others = collect(stream, 50)
    assert_exact_bars(closed, source_candles)
    assert closed["BTCUSDT"][0].start == source_candles["BTCUSDT"].index[0].value // 10**6
    kinds = {e.kind for e in others}
    assert {"bar_update", "trade", "book", "ticker", "status"} <= kinds
    book = next(e for e in others if isinstance(e, BookUpdate))
    assert book.best_bid is not None and book.best_ask is not None
    assert book.best_bid < book.best_ask
    assert [b[0] for b in book.bids] == sorted((b[0] for b in book.bids), reverse=True)
    stats = stream.stats()
    assert stats["malformed"] == 0 and stats["reconnects"] == 0
    assert stats["backfilled_bars"] == 0 and stats["duplicate_bars"] == 0


def test_every_closed_bar_exactly_once_under_faults(
        replay_server: Callable[..., ReplayServer],
        source_candles: dict[str, pd.DataFrame]) -> None:
    # The clock keeps running while the client is away (no hold), so each drop loses bars
    # that must come back through REST, in order, between the ones the stream delivers.
    server = replay_server(stream={
        "speed": 1200, "faults": "drop_every=1.2,malformed_every=40,skip_seq_every=25,"
                                 "stall=0.9:0.2,snapshot_every=35"})
    stream = make_stream(server)
    closed, others = collect(stream, 120)
    assert_exact_bars(closed, source_candles)
    stats = stream.stats()
    assert stats["reconnects"] >= 2
    assert stats["backfilled_bars"] > 0
    assert stats["malformed_by_kind"].get("invalid_json", 0) > 0
    assert stats["resyncs"] > 0
    assert stats["unrecovered_bars"] == 0
    assert not [e for e in others if isinstance(e, BarGap)]
    states = [e.state for e in others if isinstance(e, StreamStatus)]
    assert states.count("DISCONNECTED") >= 2 and states[-1] in ("DISCONNECTED", "LIVE")


def test_held_clock_and_faults_give_the_uninterrupted_sequence(
        replay_server: Callable[..., ReplayServer],
        source_candles: dict[str, pd.DataFrame]) -> None:
    server = replay_server(stream={"speed": 0, "hold_when_idle": True,
                                   "faults": "drop_every=0.5,malformed_every=7"})
    stream = make_stream(server)
    closed, _ = collect(stream, 150)
    assert_exact_bars(closed, source_candles)
    first = source_candles["BTCUSDT"].index[0].value // 10**6
    assert closed["BTCUSDT"][0].start == first
    assert stream.stats()["reconnects"] >= 1


def test_a_stalled_connection_is_reported_delayed_then_replaced(
        replay_server: Callable[..., ReplayServer],
        source_candles: dict[str, pd.DataFrame]) -> None:
    server = replay_server(stream={"speed": 600, "faults": "stall=0.5:3"})
    settings = StreamSettings(backoff_initial=0.05, backoff_max=0.2, delayed_after=0.3,
                              dead_after=1.0, ping_interval=0.5)
    stream = make_stream(server, settings)
    closed, others = collect(stream, 40)
    assert_exact_bars(closed, source_candles)
    states = [e.state for e in others if isinstance(e, StreamStatus)]
    assert "DELAYED" in states
    assert stream.stats()["reconnects"] >= 1


def test_resume_backfills_what_a_restarted_consumer_missed(
        replay_server: Callable[..., ReplayServer],
        source_candles: dict[str, pd.DataFrame]) -> None:
    index = source_candles["BTCUSDT"].index
    last_seen = int(index[20].value // 10**6)
    server = replay_server(stream={"speed": 0, "hold_when_idle": True,
                                   "start_ms": int(index[30].value // 10**6)})
    resume = {(s, "1"): last_seen for s in SYMBOLS}
    stream = make_stream(server, resume=resume)
    closed, _ = collect(stream, 20)
    assert_exact_bars(closed, source_candles)
    assert closed["BTCUSDT"][0].start == last_seen + 60_000
    assert closed["BTCUSDT"][0].source == "rest" and closed["BTCUSDT"][-1].source == "stream"


def test_refused_topic_is_logged_and_the_rest_keeps_streaming(
        replay_server: Callable[..., ReplayServer],
        caplog: pytest.LogCaptureFixture) -> None:
    server = replay_server(stream={"speed": 0, "hold_when_idle": True})
    stream = BybitStream(["kline.1.BTCUSDT", "kline.1.DOGEUSDT"],
                         url=public_stream_url(server.base_url), settings=FAST,
                         queue=EventQueue(100))
    stream.start()
    try:
        event = None
        while not isinstance(event, ClosedBar):
            event = stream.queue.get(timeout=10)
            assert event is not None
    finally:
        stream.close()
    assert stream.stats()["subscribe_failures"] == 1
    assert "DOGEUSDT" in caplog.text and "Invalid topic" in caplog.text
    # Both topics went in one request; the refusal names DOGEUSDT's, and only it is refused.
    assert stream.refused_topics() == {"kline.1.DOGEUSDT": "Invalid topic: kline.1.DOGEUSDT"}


@pytest.mark.parametrize(("message", "refused"), [
    ("Invalid topic: kline.1.DOGEUSDT", ["kline.1.DOGEUSDT"]),
    ("error:handler not found,topic:kline.7.BTCUSDT", ["kline.7.BTCUSDT"]),
    ("Invalid topic: kline.1.BTCUSDTX", ["kline.1.BTCUSDTX"]),  # not its prefix BTCUSDT
    ("Invalid topic: kline.1.BTCUSDT, kline.1.BTCUSDTX", ["kline.1.BTCUSDT",
                                                         "kline.1.BTCUSDTX"]),
    ("rate limited", ["kline.1.BTCUSDT", "kline.7.BTCUSDT", "kline.1.BTCUSDTX",
                      "kline.1.DOGEUSDT"]),  # names none: the whole request is refused
    ("", ["kline.1.BTCUSDT", "kline.7.BTCUSDT", "kline.1.BTCUSDTX", "kline.1.DOGEUSDT"]),
])
def test_a_refusal_counts_against_the_topics_it_names(message: str,
                                                      refused: list[str]) -> None:
    batch = ["kline.1.BTCUSDT", "kline.7.BTCUSDT", "kline.1.BTCUSDTX", "kline.1.DOGEUSDT"]
    assert refused_in(message, batch) == refused


def test_an_unreachable_server_is_retried_with_backoff() -> None:
    stream = BybitStream(["kline.1.BTCUSDT"], url="ws://127.0.0.1:9/v5/public/linear",
                         settings=FAST)
    stream.start()
    deadline = time.monotonic() + 20
    try:
        while stream.counts["connect_failures"] < 3:
            assert time.monotonic() < deadline, stream.stats()
            time.sleep(0.05)
        assert stream._thread is not None and stream._thread.is_alive()
    finally:
        stream.close()
    assert stream.counts["connections"] == 0
    assert stream.state == "DISCONNECTED"
    assert stream._thread is not None and not stream._thread.is_alive()


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    stream = BybitStream([], url="ws://127.0.0.1:9/v5/public/linear",
                         settings=StreamSettings(backoff_initial=1, backoff_max=8),
                         rng=random.Random(1))
    delays = [stream.settings.backoff.delay(n, stream.rng) for n in range(6)]
    for n, delay in enumerate(delays):
        ceiling = min(8, 2**n)
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d, 6) for d in delays}) == 6  # jittered, not a fixed ladder


def test_ping_round_trips_and_errors_are_reported_since_the_last_look(
        replay_server: Callable[..., ReplayServer]) -> None:
    server = replay_server(stream={"speed": 60, "faults": "malformed_every=20"})
    settings = StreamSettings(backoff_initial=0.05, backoff_max=0.2, ping_interval=0.05)
    stream = make_stream(server, settings).start()
    try:
        deadline = time.monotonic() + 30
        while stream.counts["pongs"] < 3 or stream.malformed.total < 1:
            assert time.monotonic() < deadline, stream.stats()
            stream.queue.get(timeout=0.2)
        rtt, errors = stream.take_health()
        assert rtt is not None and 0.0 <= rtt < 5_000
        assert errors >= 1 and stream.stats()["rtt_ms"] is not None
        taken = stream.error_count()
        _, again = stream.take_health()
        assert again == stream.error_count() - taken  # only what came since
    finally:
        stream.close()
