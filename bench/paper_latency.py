"""Paper trading on an in-process replay: closed-kline-to-fill latency and bars/s, against the
stream client alone in the same run.

Run: ``python bench/paper_latency.py [--bars 1100] [--skip 20] [--speed 2400]
[--throughput-bars 1100] [--profile]``

The replay server (:class:`ReplayServer`) plays one real day of BTCUSDT 1m candles (plus
copies scaled for ETHUSDT and SOLUSDT) from a temp ``DataStore``, starting after 300 warm-up
bars, on its own thread of this process, so ``time.perf_counter_ns()`` stamps taken on the
server's thread and on the session's threads compare directly. Each server connection is a
``Client`` whose WebSocket ``send`` is wrapped: the moment a ``confirm=true`` kline frame is
handed to the socket is noted, keyed by (symbol, bar start).

1. **Closed kline to fill.** A :class:`PaperSession` (``fill_model="book"``, ``risk=None``)
   runs one sub-account, :class:`FlipStrategy` on BTCUSDT, which sends a market order on
   every live bar (alternately buy and sell 0.001, so the position stays bounded). The book
   fill model fills it inside ``submit``, against the book captured when the bar closed; the
   account's ``AccountRecorder.on_fill`` is wrapped to stamp the fill (before its ledger
   write) and key it by the bar it was placed on (``order.data.context``). So the measured path
   is everything a live bar goes through: socket, stream client (parse, kline sequencer,
   queue), hub (context with book and ticker, release order), ledger write of the bar,
   hand-over to the account's cerebro thread, strategy ``next``, broker submit and fill.
   The replay is paced (``--speed``: market time per wall time; 2400 gives a 1m bar every
   25 ms) so each bar is processed before the next arrives, as in live trading; without
   pacing the numbers would measure queueing behind a backlog, not the path. The first
   ``--skip`` live bars are left out: the account is still replaying its warm-up when the
   stream starts.
2. **Baseline:** a bare :class:`BybitStream` on the same topics, same replay and pacing, whose
   queue stamps each ``ClosedBar`` right after ``put`` while this thread consumes the queue.
   The floor any consumer of the stream pays; paper/baseline is what the paper path adds.
3. **Throughput.** Five built-in strategies on three symbols (15 sub-accounts), replay at speed
   0 (as fast as the session reads): live bars released per second of wall time, each one
   logged and processed by the 5 sub-accounts of its symbol before the next goes. Counted from
   the ``--skip``-th to the ``skip + --throughput-bars``-th bar of each symbol. Baseline: the
   bare stream client at speed 0, closed bars per second on its queue.

The replay server shares the GIL with the session (it formats the next frames while the bar is
processed), so in-process numbers are a little worse than against a remote exchange. Target:
kline-to-fill p99 at most 2 ms in-process; the table says PASS or FAIL, and the exit status is
0 either way unless something fails to run. Throughput has no target.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import backtrader as bt
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backtrader_engine.data import DataStore, load_ohlcv  # noqa: E402
from backtrader_engine.engine.costs import CostModel  # noqa: E402
from backtrader_engine.exchanges.bybit.replay import ReplayMarket, ReplayServer  # noqa: E402
from backtrader_engine.exchanges.bybit.replay import stream as replay_stream  # noqa: E402
from backtrader_engine.exchanges.bybit.replay.connection import Client  # noqa: E402
from backtrader_engine.exchanges.bybit.stream import (  # noqa: E402
    BybitStream,
    ClosedBar,
    EventQueue,
    MarketEvent,
    StreamSettings,
    public_stream_url,
    stream_topics,
)
from backtrader_engine.paper.account import AccountSpec  # noqa: E402
from backtrader_engine.paper.session import PaperSession, PaperSettings  # noqa: E402
from backtrader_engine.strategies import resolve_strategy  # noqa: E402

SOURCE = ROOT / "tests" / "testdata" / "BTCUSDT-1m-2022-09-05.zip"
SCALES = {"BTCUSDT": 1.0, "ETHUSDT": 13.0, "SOLUSDT": 1000.0}  # BTC price over the symbol's
STRATEGIES = ("RSIEMAMomentumStrategy", "BollingerReversionStrategy",
              "VolatilityBreakoutStrategy", "EMABreakoutConservativeStrategy",
              "TrendFollowingADXEMAStrategy")
WARMUP, P99_TARGET_MS = 300, 2.0
Key = tuple[str, int]  # (symbol, bar start ms)
SENT: list[tuple[int, str]] = []  # (perf_counter_ns, frame) of every confirmed kline sent
FILLS: dict[Key, int] = {}  # perf_counter_ns of the fill of the order placed on each bar
PROFILES: list[cProfile.Profile] = []  # one per thread the profiled session started


# --- replay with send stamps -----------------------------------------------------------------
class StampedSocket:
    """A server connection whose ``send`` notes when a ``confirm=true`` kline goes out."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def send(self, frame: str) -> None:
        if frame.startswith('{"topic":"kline.') and '"confirm":true' in frame:
            SENT.append((time.perf_counter_ns(), frame))
        await self._connection.send(frame)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class StampedClient(Client):
    def __init__(self, connection: Any, faults: Any) -> None:
        super().__init__(StampedSocket(connection), faults)


def sent_times() -> dict[Key, int]:
    """Send stamps keyed by (symbol, start), parsed after the run (not on the hot path)."""
    import json
    out = {}
    for ns, frame in SENT:
        message = json.loads(frame)
        out[(message["topic"].rpartition(".")[2], int(message["data"][0]["start"]))] = ns
    return out


def make_store(root: Path, symbols: list[str]) -> Path:
    """A DataStore under *root* holding BTCUSDT candles scaled for each of *symbols*."""
    btc = load_ohlcv(SOURCE)
    prices = ["open", "high", "low", "close"]
    store = DataStore(root)
    for symbol in symbols:
        frame = btc.copy()
        frame[prices] = (frame[prices] / SCALES[symbol]).round(2)
        store.write("bybit", symbol, "1m", frame)
    return root


def live_start() -> int:
    """Start (ms) of the first live bar: the replay begins after the warm-up bars."""
    return int(load_ohlcv(SOURCE).index[WARMUP].value // 1_000_000)


@contextlib.contextmanager
def replay(store: Path, start_ms: int, speed: float) -> Iterator[ReplayServer]:
    """A held replay of *store* from *start_ms*, clock started, sends stamped."""
    SENT.clear()
    market = ReplayMarket.from_store(store)
    replay_stream.Client = StampedClient  # type: ignore[misc]  # this process only
    server = ReplayServer(market, speed=speed, hold_when_idle=True, start_ms=start_ms).start()
    server.start_clock()
    try:
        yield server
    finally:
        server.stop()
        replay_stream.Client = Client  # type: ignore[misc]


def topics(symbols: list[str]) -> list[str]:
    """What a paper session on 1m bars of *symbols* subscribes to."""
    return [f"kline.1.{s}" for s in symbols] + stream_topics(symbols, intervals=())


# --- paper path ------------------------------------------------------------------------------
class FlipStrategy(bt.Strategy):
    """A market order on every live bar, alternately buy and sell; stamps its fills."""

    params = (("size", 0.001),)

    def start(self) -> None:
        recorder = self.broker.p.recorder
        record = recorder.on_fill

        def on_fill(order: bt.Order, *args: Any) -> None:
            now = time.perf_counter_ns()
            ctx = order.data.context
            FILLS[(ctx.symbol, ctx.start)] = now
            record(order, *args)

        recorder.on_fill = on_fill
        self.flip = False

    def next(self) -> None:
        ctx = self.data.context
        if ctx is None or not ctx.tradable:
            return
        self.flip = not self.flip
        (self.buy if self.flip else self.sell)(size=self.p.size)


def session(server: ReplayServer, state: Path, specs: list[AccountSpec]) -> PaperSession:
    settings = PaperSettings(specs, state, base_url=server.base_url, fill_model="book",
                             risk=None, costs=CostModel(funding=0.0), warmup_bars=WARMUP,
                             stream_settings=StreamSettings(backoff_initial=0.05,
                                                            backoff_max=0.2),
                             manual=False, control=False)
    return PaperSession(settings).start()


def wait_until(done: Callable[[], bool], limit_s: float, what: str) -> None:
    deadline = time.monotonic() + limit_s
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


def profile_thread(*_: object) -> None:
    """``threading.setprofile`` hook: each new thread runs under a cProfile of its own."""
    PROFILES.append(cProfile.Profile())
    PROFILES[-1].enable()


def paper_latency(store: Path, start_ms: int, speed: float, count: int,
                  profile: bool) -> dict[Key, float]:
    """Send-to-fill latency (ms) of the first *count* live bars of one paper account."""
    FILLS.clear()
    spec = AccountSpec("flip", FlipStrategy, {}, "BTCUSDT", "1m", "1", (), 10_000.0)
    with replay(store, start_ms, speed) as server, \
            tempfile.TemporaryDirectory() as state:
        threading.setprofile(profile_thread if profile else None)  # type: ignore[arg-type]
        paper = session(server, Path(state), [spec])
        threading.setprofile(None)  # type: ignore[arg-type]
        try:
            wait_until(lambda: len(FILLS) >= count, count * 60 / speed + 60, "fills")
        finally:
            paper.stop()
        sent = sent_times()
    return {k: (v - sent[k]) / 1e6 for k, v in FILLS.items() if k in sent}


# --- stream client alone ---------------------------------------------------------------------
class StampedQueue(EventQueue):
    """Notes ``perf_counter_ns()`` right after each closed bar is put."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: dict[Key, int] = {}

    def put(self, event: MarketEvent) -> None:
        super().put(event)
        if isinstance(event, ClosedBar):
            self.stamps[(event.symbol, event.start)] = time.perf_counter_ns()


def stream_alone(store: Path, start_ms: int, symbols: list[str], speed: float,
                 count: int) -> tuple[dict[Key, int], dict[Key, int]]:
    """Closed-bar stamps of a bare stream client, until *count* arrived; and the send stamps."""
    queue = StampedQueue()
    with replay(store, start_ms, speed) as server:
        stream = BybitStream(topics(symbols), url=public_stream_url(server.base_url),
                             queue=queue).start()
        deadline = time.monotonic() + count * 60 / (speed or 6000) / len(symbols) + 60
        try:
            while len(queue.stamps) < count and time.monotonic() < deadline:
                queue.get(timeout=0.2)  # a consumer that keeps up
        finally:
            stream.close()
        return queue.stamps, sent_times()


def stream_latency(store: Path, start_ms: int, speed: float, count: int) -> dict[Key, float]:
    got, sent = stream_alone(store, start_ms, ["BTCUSDT"], speed, count)
    return {k: (v - sent[k]) / 1e6 for k, v in got.items() if k in sent}


# --- throughput ------------------------------------------------------------------------------
def paper_throughput(store: Path, start_ms: int, skip: int, bars: int) -> float:
    """Live bars/s of 5 strategies x 3 symbols at replay speed 0, bars skip..skip+bars."""
    symbols = list(SCALES)
    specs = [AccountSpec(name, resolve_strategy(name), {}, symbol, "1m", "1", (), 5000.0)
             for name in STRATEGIES for symbol in symbols]
    first, last = skip * len(symbols), (skip + bars) * len(symbols)
    with replay(store, start_ms, 0) as server, tempfile.TemporaryDirectory() as state:
        paper = session(server, Path(state), specs)
        try:
            wait_until(lambda: paper.live_bars >= first, 120, "the first live bars")
            n0, t0 = paper.live_bars, time.perf_counter()
            wait_until(lambda: paper.live_bars >= last, 600, "live bars")
            n1, t1 = paper.live_bars, time.perf_counter()
        finally:
            paper.stop()
    return (n1 - n0) / (t1 - t0)


def stream_throughput(store: Path, start_ms: int, skip: int, bars: int) -> float:
    """Closed bars/s of the bare stream client at speed 0 on three symbols."""
    symbols = list(SCALES)
    got, _ = stream_alone(store, start_ms, symbols, 0, (skip + bars) * len(symbols))
    stamps = sorted(got.values())[skip * len(symbols):]
    return (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1e9)


# --- report ----------------------------------------------------------------------------------
def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("measure", "baseline", "paper", "paper/baseline", "target", "result")
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    line = "| " + " | ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    print(line.format(*header) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line.format(*row) + " |")


def window(latency: dict[Key, float], skip: int, bars: int) -> np.ndarray:
    """Latencies of live bars skip..skip+bars, in bar order."""
    return np.array([latency[k] for k in sorted(latency)[skip:skip + bars]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1100, help="live bars in the latency runs")
    parser.add_argument("--skip", type=int, default=20, help="first live bars not counted")
    parser.add_argument("--speed", type=float, default=2400.0,
                        help="market time per wall time in the latency runs (2400: 25 ms/bar)")
    parser.add_argument("--throughput-bars", type=int, default=1100,
                        help="live bars per symbol in the throughput runs")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the session's threads in the paper latency run")
    args = parser.parse_args()
    live = 1440 - WARMUP
    if args.skip + max(args.bars, args.throughput_bars) > live or args.speed <= 0:
        parser.error(f"--skip + --bars (and + --throughput-bars) must be at most {live}; "
                     "--speed must be positive")
    print(f"command: python bench/paper_latency.py --bars {args.bars} --skip {args.skip} "
          f"--speed {args.speed:g} --throughput-bars {args.throughput_bars}"
          + (" --profile" if args.profile else ""))
    count = args.skip + args.bars
    start_ms = live_start()
    with tempfile.TemporaryDirectory() as tmp:
        one = make_store(Path(tmp) / "one", ["BTCUSDT"])
        three = make_store(Path(tmp) / "three", list(SCALES))
        paper = window(paper_latency(one, start_ms, args.speed, count, args.profile),
                       args.skip, args.bars)
        base = window(stream_latency(one, start_ms, args.speed, count), args.skip, args.bars)
        paper_rate = paper_throughput(three, start_ms, args.skip, args.throughput_bars)
        base_rate = stream_throughput(three, start_ms, args.skip, args.throughput_bars)
    if PROFILES:  # the session's threads in the paper latency run, waits included
        pstats.Stats(*PROFILES).sort_stats("tottime").print_stats(30)

    rows = []
    what = f"({len(paper)}/{len(base)} bars @ {args.speed:g}x)"
    for name, b, p in (("p50", *np.percentile([base, paper], 50, axis=1)),
                       ("p99", *np.percentile([base, paper], 99, axis=1)),
                       ("max", base.max(), paper.max())):
        target, result = ("<= 2 ms", "PASS" if p <= P99_TARGET_MS else "FAIL") \
            if name == "p99" else ("", "")
        rows.append((f"kline->fill {name} ms {what}", f"{b:.3f}", f"{p:.3f}", f"{p / b:.2f}x",
                     target, result))
    rows.append((f"bars/s, 5 strategies x 3 symbols @ speed 0 ({args.throughput_bars}/symbol)",
                 f"{base_rate:,.0f}", f"{paper_rate:,.0f}", f"{paper_rate / base_rate:.3f}x",
                 "", ""))
    print()
    print_table(rows)
    print("baseline: stream client alone (kline send -> ClosedBar on its queue; closed bars/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
