"""Paper trading on an in-process replay: closed-kline-to-fill latency and bars/s, against the
stream client alone in the same run.

Run: ``python bench/paper_latency.py [--bars 1100] [--skip 20] [--speed 2400]
[--throughput-bars 500] [--profile]``

A :class:`ReplayServer` plays one real day of BTCUSDT 1m candles (plus copies scaled for ETHUSDT
and SOLUSDT) after 300 warm-up bars, in a process of its own, as the exchange is: it does not
compete with the session for this process's GIL. Its connection class is swapped (in that
process only) for one that stamps each ``confirm=true`` kline with ``perf_counter_ns()`` as it
is handed to the socket, keyed by (symbol, bar start); on Linux that clock is the system-wide
CLOCK_MONOTONIC, so its stamps and the session's compare directly.

1. **Closed kline to fill.** A :class:`PaperSession` (``fill_model="book"``, ``risk=None``, no
   Manual sub-accounts) runs :class:`FlipStrategy` on BTCUSDT: a market order on every live
   bar, alternately buying and selling 0.001. The book model fills it on that bar, in the
   broker step cerebro runs once ``next`` has returned; the account's
   ``AccountRecorder.on_fill`` is wrapped to stamp the fill (before its ledger write) under the
   bar the order was placed on. So the path is all a live bar goes through: socket, stream
   client, hub, ledger write of the bar, hand-over to the account's cerebro thread, broker
   step, strategy ``next``, submit, the broker's book fill. The replay is paced (``--speed``,
   market time per wall time; 2400 = a bar every 25 ms) so each bar is done before the next
   arrives, as live; unpaced, it would measure queueing behind a backlog, not the path. The first
   ``--skip`` live bars (the account still replays its warm-up) are not counted.
   The same bars are also timed from their **arrival** in this process (the client
   connection's ``data_received``, stamped for frames holding a confirmed kline): the part
   of the latency the bot itself adds, without the server's send and the loopback hop.
2. **Baseline:** a bare :class:`BybitStream` on the same topics, replay and pacing; its queue
   stamps each ``ClosedBar`` right after ``put`` while this thread consumes it. The floor any
   stream consumer pays; paper/baseline is what the paper path adds.
3. **Throughput.** Five built-in strategies x three symbols (15 sub-accounts), replay at speed 0
   (as fast as the session reads): live bars released (logged, then processed by the symbol's
   5 sub-accounts) per second of wall time, over ``--throughput-bars`` per symbol after
   ``--skip``. Baseline: the bare stream client at speed 0, closed bars/s on its queue.

The exchange runs on another machine; here its stand-in shares the box, so the server process
is pinned to the first CPU and this process to the others (Linux, two CPUs or more). Unpinned,
the scheduler tends to wake the session's stream thread on the CPU the server is still busy
on (it has just written the frame and goes on building the next ones), which adds a few tenths
of a millisecond that say nothing about the paper path; the output says whether pinning was
on. Other processes still matter (the load average is printed). Targets (PASS/FAIL): kline-to-fill
p99 <= 2 ms; in this process (arrival to fill) p50 <= 0.3 ms and p99 <= 1 ms; throughput has
none. Exit status 0 unless something fails to run. ``--profile`` prints a cProfile of the
session's threads (waits included) in the paper latency run. ``--stages`` splits arrival to
fill at each hand-over in a run of its own (the stamps cost a few microseconds each, so that
run is not the one in the table): the stream client's parse up to its queue, the session's
hub thread taking the bar, the bar reaching the account's inbox (logged, staged), the
account's feed loading it, the strategy's ``next()``, and the fill.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import itertools
import json
import multiprocessing
import os
import pstats
import re
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

from websockets.asyncio.client import ClientConnection  # noqa: E402

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
WARMUP, LIVE, P99_TARGET_MS = 300, 1440 - 300, 2.0  # the test day has 1,440 bars
IN_PROCESS_TARGETS_MS = {50: 0.3, 99: 1.0}  # arrival -> fill, by percentile
Key = tuple[str, int]  # (symbol, bar start ms)
SENT: list[tuple[int, str]] = []  # (perf_counter_ns, frame) of each confirmed kline sent
FILLS: dict[Key, int] = {}  # perf_counter_ns of the fill of the order placed on each bar
ARRIVED: list[tuple[int, bytes]] = []  # (perf_counter_ns, chunk) holding a confirmed kline
SERVER_CPUS: set[int] = set()  # where the replay server process runs (empty: anywhere)
PROFILES: list[cProfile.Profile] = []  # one per thread the profiled session started
STAGES: dict[str, dict[Key, int]] = {}  # --stages: perf_counter_ns of each bar at each stage
STAGE_NAMES = ("queued", "hub", "inbox", "feed", "next")


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
    """The replay's per-connection client, writing through a :class:`StampedSocket`."""

    def __init__(self, connection: Any, faults: Any) -> None:
        super().__init__(StampedSocket(connection), faults)


_data_received = ClientConnection.data_received


def _stamped_data_received(self: ClientConnection, data: bytes) -> None:
    if b'"confirm":true' in data:
        ARRIVED.append((time.perf_counter_ns(), data))
    _data_received(self, data)


ClientConnection.data_received = _stamped_data_received  # type: ignore[method-assign]
_KLINE = re.compile(rb'"topic":"kline\.[^.]+\.(\w+)","data":\[\{"start":(\d+)')


def arrival_times() -> dict[Key, int]:
    """Arrival stamps keyed by (symbol, start), parsed after the run; cleared for the next."""
    out = {}
    for ns, chunk in ARRIVED:
        for match in _KLINE.finditer(chunk):
            out[(match.group(1).decode(), int(match.group(2)))] = ns
    ARRIVED.clear()
    return out


def sent_times() -> dict[Key, int]:
    """Send stamps keyed by (symbol, start), parsed after the run (off the hot path)."""
    out = {}
    for ns, frame in SENT:
        message = json.loads(frame)
        out[(message["topic"].rpartition(".")[2], int(message["data"][0]["start"]))] = ns
    return out


def since_sent(got: dict[Key, int], sent: dict[Key, int]) -> dict[Key, float]:
    """Milliseconds from each bar's send to its stamp in *got*."""
    return {k: (v - sent[k]) / 1e6 for k, v in got.items() if k in sent}


def make_store(root: Path, symbols: list[str]) -> Path:
    """A DataStore under *root* holding the BTCUSDT candles scaled for each of *symbols*."""
    btc = load_ohlcv(SOURCE)
    prices = ["open", "high", "low", "close"]
    store = DataStore(root)
    for symbol in symbols:
        frame = btc.copy()
        frame[prices] = (frame[prices] / SCALES[symbol]).round(2)
        store.write("bybit", symbol, "1m", frame)
    return root


class ReplayProcess:
    """The replay server running in a child process; ``base_url`` and, after the run, the
    send stamps it took."""

    def __init__(self, store: Path, speed: float) -> None:
        start_ms = int(load_ohlcv(SOURCE).index[WARMUP].value // 1_000_000)
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=serve_replay, args=(
            store, speed, start_ms, SERVER_CPUS, child), daemon=True)
        self._process.start()
        self.base_url: str = self._pipe.recv()

    def stop(self) -> list[tuple[int, str]]:
        """Stop the server; its (perf_counter_ns, frame) stamps."""
        self._pipe.send("stop")
        sent = self._pipe.recv()
        self._process.join(10)
        return sent


def split_cpus() -> tuple[set[int], set[int]] | None:
    """(the server's CPU, the session's CPUs), or ``None`` where pinning is not possible."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return ({cpus[0]}, set(cpus[1:])) if len(cpus) >= 2 else None


def serve_replay(store: Path, speed: float, start_ms: int, cpus: set[int], pipe: Any) -> None:
    """Child process: a held replay of *store* from the first live bar, sends stamped."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    replay_stream.Client = StampedClient  # type: ignore[misc]
    server = ReplayServer(ReplayMarket.from_store(store), speed=speed, hold_when_idle=True,
                          start_ms=start_ms).start()
    server.start_clock()
    pipe.send(server.base_url)
    pipe.recv()
    server.stop()
    pipe.send(SENT)


@contextlib.contextmanager
def replay(store: Path, speed: float) -> Iterator[ReplayProcess]:
    """A replay server process for the ``with`` block; its stamps land in :data:`SENT`."""
    SENT.clear()
    server = ReplayProcess(store, speed)
    try:
        yield server
    finally:
        SENT.extend(server.stop())


def wait_until(done: Callable[[], bool], limit_s: float, what: str) -> None:
    """Poll *done* every 20 ms for at most *limit_s* seconds."""
    deadline = time.monotonic() + limit_s
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


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
        if STAGES:
            STAGES["next"][(ctx.symbol, ctx.start)] = time.perf_counter_ns()
        self.flip = not self.flip
        (self.buy if self.flip else self.sell)(size=self.p.size)


def session(server: ReplayProcess, state: Path, specs: list[AccountSpec]) -> PaperSession:
    settings = PaperSettings(specs, state, base_url=server.base_url, fill_model="book",
                             risk=None, costs=CostModel(funding=0.0), warmup_bars=WARMUP,
                             stream_settings=StreamSettings(backoff_initial=0.05,
                                                            backoff_max=0.2),
                             manual=False, control=False)
    return PaperSession(settings).start()


def profile_thread(*_: object) -> None:
    """``threading.setprofile`` hook: each new thread runs under a cProfile of its own."""
    PROFILES.append(cProfile.Profile())
    PROFILES[-1].enable()


Stamps = tuple[dict[Key, int], dict[Key, int], dict[Key, int]]  # (measured, sent, arrived)


@contextlib.contextmanager
def stage_stamps() -> Iterator[None]:
    """Stamp each live bar at each hand-over (:data:`STAGE_NAMES`) for the ``with`` block."""
    from backtrader_engine.paper.account import Account
    from backtrader_engine.paper.feed import LiveFeed
    from backtrader_engine.paper.hub import MarketHub

    STAGES.update({name: {} for name in STAGE_NAMES})
    put, on_event, deliver, load = (EventQueue.put, MarketHub.on_event, Account.deliver,
                                    LiveFeed._deliver)

    def stamp(name: str, item: Any) -> None:
        if isinstance(item, ClosedBar) or (hasattr(item, "tradable") and item.tradable):
            STAGES[name][(item.symbol, item.start)] = time.perf_counter_ns()

    def stamped(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def call(self: Any, item: Any, *args: Any, **kwargs: Any) -> Any:
            if name != "queued":
                stamp(name, item)
            result = method(self, item, *args, **kwargs)
            if name == "queued":  # as the baseline stamps: right after the put
                stamp(name, item)
            return result
        return call

    EventQueue.put = stamped("queued", put)  # type: ignore[method-assign]
    MarketHub.on_event = stamped("hub", on_event)  # type: ignore[method-assign]
    Account.deliver = stamped("inbox", deliver)  # type: ignore[method-assign]
    LiveFeed._deliver = stamped("feed", load)  # type: ignore[method-assign]
    try:
        yield
    finally:
        EventQueue.put, MarketHub.on_event = put, on_event  # type: ignore[method-assign]
        Account.deliver, LiveFeed._deliver = deliver, load  # type: ignore[method-assign]


def print_stages(fills: dict[Key, int], arrived: dict[Key, int], skip: int, bars: int) -> None:
    """Percentiles of each leg from arrival to fill, over the bars the table counts."""
    keys = [k for k in sorted(fills)[skip:skip + bars] if k in arrived]
    legs = [("arrival", arrived), *((n, STAGES[n]) for n in STAGE_NAMES), ("fill", fills)]
    print(f"arrival->fill by stage ({len(keys)} bars, ms) |    p50 |    p90 |    p99 |")
    for (a, at), (b, bt_) in itertools.pairwise(legs):
        ms = np.array([(bt_[k] - at[k]) / 1e6 for k in keys if k in at and k in bt_])
        print(f"  {a + ' -> ' + b:<36} | " + " | ".join(
            f"{np.percentile(ms, q):6.3f}" for q in (50, 90, 99)) + " |")
    total = np.array([(fills[k] - arrived[k]) / 1e6 for k in keys])
    print(f"  {'arrival -> fill':<36} | " + " | ".join(
        f"{np.percentile(total, q):6.3f}" for q in (50, 90, 99)) + " |")
    STAGES.clear()


def paper_latency(store: Path, speed: float, count: int, profile: bool) -> Stamps:
    """Fill stamps over the first *count* live bars of one account; send and arrival
    stamps of the same bars."""
    FILLS.clear()
    ARRIVED.clear()
    spec = AccountSpec("flip", FlipStrategy, {}, "BTCUSDT", "1m", "1", (), 10_000.0)
    with replay(store, speed) as server, tempfile.TemporaryDirectory() as state:
        threading.setprofile(profile_thread if profile else None)  # type: ignore[arg-type]
        paper = session(server, Path(state), [spec])
        threading.setprofile(None)  # type: ignore[arg-type]
        try:
            wait_until(lambda: len(FILLS) >= count, count * 60 / speed + 60, "fills")
        finally:
            paper.stop()
    return dict(FILLS), sent_times(), arrival_times()


def paper_throughput(store: Path, skip: int, bars: int) -> float:
    """Live bars/s of 5 strategies x 3 symbols at replay speed 0, bars skip..skip+bars."""
    symbols = list(SCALES)
    specs = [AccountSpec(name, resolve_strategy(name), {}, symbol, "1m", "1", (), 5000.0)
             for name in STRATEGIES for symbol in symbols]
    first, last = skip * len(symbols), (skip + bars) * len(symbols)
    with replay(store, 0) as server, tempfile.TemporaryDirectory() as state:
        paper = session(server, Path(state), specs)
        try:
            wait_until(lambda: paper.live_bars >= first, 300, "the first live bars")
            n0, t0 = paper.live_bars, time.perf_counter()
            wait_until(lambda: paper.live_bars >= last, 600, "live bars")
            n1, t1 = paper.live_bars, time.perf_counter()
        finally:
            paper.stop()
    ARRIVED.clear()
    return (n1 - n0) / (t1 - t0)


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


def stream_alone(store: Path, symbols: list[str], speed: float, count: int) -> Stamps:
    """Closed-bar stamps of a bare stream client until *count* arrived; the send and
    arrival stamps."""
    ARRIVED.clear()
    queue = StampedQueue()
    topics = [f"kline.1.{s}" for s in symbols] + stream_topics(symbols, intervals=())
    with replay(store, speed) as server:  # the topics a paper session subscribes to
        stream = BybitStream(topics, url=public_stream_url(server.base_url),
                             queue=queue).start()
        deadline = time.monotonic() + count * 60 / (speed or 3000) + 60
        try:
            while len(queue.stamps) < count and time.monotonic() < deadline:
                queue.get(timeout=0.2)  # a consumer that keeps up
        finally:
            stream.close()
    return queue.stamps, sent_times(), arrival_times()


def stream_throughput(store: Path, skip: int, bars: int) -> float:
    """Closed bars/s of the bare stream client at speed 0 on three symbols."""
    n = len(SCALES)
    got, _, _ = stream_alone(store, list(SCALES), 0, (skip + bars) * n)
    stamps = sorted(got.values())[skip * n:]
    return (len(stamps) - 1) / ((stamps[-1] - stamps[0]) / 1e9)


# --- report ----------------------------------------------------------------------------------
def window(latency: dict[Key, float], skip: int, bars: int) -> np.ndarray:
    """Latencies of live bars skip..skip+bars, in bar order."""
    return np.array([latency[k] for k in sorted(latency)[skip:skip + bars]])


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("measure", "baseline", "paper", "paper/baseline", "target", "result")
    table = [header, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    line = "| " + " | ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    print(line.format(*header) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line.format(*row) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1100, help="live bars in the latency runs")
    parser.add_argument("--skip", type=int, default=20, help="first live bars not counted")
    parser.add_argument("--speed", type=float, default=2400.0,
                        help="market time per wall time in the latency runs (2400: 25 ms/bar)")
    parser.add_argument("--throughput-bars", type=int, default=500,
                        help="live bars per symbol in the throughput runs")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the session's threads in the paper latency run")
    parser.add_argument("--stages", action="store_true",
                        help="split arrival->fill at each hand-over, in a run of its own")
    args = parser.parse_args()
    if args.skip + max(args.bars, args.throughput_bars) > LIVE or args.speed <= 0:
        parser.error(f"--skip plus --bars (or --throughput-bars) must be at most {LIVE}; "
                     "--speed must be positive")
    print(f"command: python bench/paper_latency.py --bars {args.bars} --skip {args.skip} "
          f"--speed {args.speed:g} --throughput-bars {args.throughput_bars}"
          + (" --profile" if args.profile else "") + (" --stages" if args.stages else ""))
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
          + f" on {os.cpu_count()} CPUs")
    split = split_cpus()
    if split is not None:
        SERVER_CPUS.update(split[0])
        os.sched_setaffinity(0, split[1])  # before any thread starts: they inherit it
    print("cpu pinning: " + (f"replay server on CPU {sorted(split[0])}, session on "
                             f"{sorted(split[1])}" if split else "off (needs Linux and 2+ CPUs)"))
    with tempfile.TemporaryDirectory() as tmp:
        one = make_store(Path(tmp) / "one", ["BTCUSDT"])
        three = make_store(Path(tmp) / "three", list(SCALES))
        count = args.skip + args.bars
        fills, sent, arrived = paper_latency(one, args.speed, count, args.profile)
        paper = window(since_sent(fills, sent), args.skip, args.bars)
        paper_in = window(since_sent(fills, arrived), args.skip, args.bars)
        queued, sent, arrived = stream_alone(one, ["BTCUSDT"], args.speed, count)
        base = window(since_sent(queued, sent), args.skip, args.bars)
        base_in = window(since_sent(queued, arrived), args.skip, args.bars)
        paper_rate = paper_throughput(three, args.skip, args.throughput_bars)
        base_rate = stream_throughput(three, args.skip, args.throughput_bars)
        if args.stages:
            with stage_stamps():
                staged, _, staged_arrived = paper_latency(one, args.speed, count, False)
    if PROFILES:
        pstats.Stats(*PROFILES).sort_stats("tottime").print_stats(30)

    rows, what = [], f"({len(paper)}/{len(base)} bars @ {args.speed:g}x)"
    for name, q in (("p50", 50), ("p99", 99), ("max", 100)):
        b, p = np.percentile(base, q), np.percentile(paper, q)
        target, result = ("<= 2 ms", "PASS" if p <= P99_TARGET_MS else "FAIL") if q == 99 \
            else ("", "")
        rows.append((f"kline->fill {name} ms {what}", f"{b:.3f}", f"{p:.3f}", f"{p / b:.2f}x",
                     target, result))
    for name, q in (("p50", 50), ("p99", 99)):
        b, p = np.percentile(base_in, q), np.percentile(paper_in, q)
        limit = IN_PROCESS_TARGETS_MS[q]
        rows.append((f"  of which in this process (arrival->fill) {name} ms", f"{b:.3f}",
                     f"{p:.3f}", f"{p / b:.2f}x", f"<= {limit:g} ms",
                     "PASS" if p <= limit else "FAIL"))
    rows.append((f"bars/s, 5 strategies x 3 symbols @ speed 0 ({args.throughput_bars}/symbol)",
                 f"{base_rate:,.0f}", f"{paper_rate:,.0f}", f"{paper_rate / base_rate:.3f}x",
                 "", ""))
    print()
    print_table(rows)
    print("baseline: the stream client alone (kline send, or arrival, -> ClosedBar on its "
          "queue; closed bars/s)")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    if args.stages:
        print()
        print_stages(staged, staged_arrived, args.skip, args.bars)
    return 0


if __name__ == "__main__":
    sys.exit(main())
