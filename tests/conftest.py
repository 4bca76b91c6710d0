"""Shared factories: real test data paths, synthetic candles, CLI runner, replay server."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.data import DataStore, load_ohlcv
from backtrader_engine.exchanges.bybit.replay import ReplayMarket, ReplayServer

TESTDATA = Path(__file__).resolve().parent / "testdata"


@pytest.fixture
def testdata() -> Path:
    """Folder of real candles (see tests/testdata/SOURCES.md)."""
    return TESTDATA


def synthetic_ohlcv(n: int = 2000, *, start: str = "2022-01-01", freq: str = "1min",
                    seed: int = 7, drift: float = 0.0, vol: float = 0.002,
                    price: float = 100.0) -> pd.DataFrame:
    """A random-walk OHLCV frame in the package's canonical layout."""
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(drift, vol, n)))
    open_ = np.r_[price, close[:-1]]
    wick = np.abs(rng.normal(0.0, vol / 2, (2, n)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    index = pd.date_range(start, periods=n, freq=freq, name="datetime")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": rng.uniform(1.0, 10.0, n)}, index=index)


@pytest.fixture
def make_ohlcv() -> Callable[..., pd.DataFrame]:
    return synthetic_ohlcv


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> CliResult:
    """Run the CLI in-process and capture its exit code, stdout and stderr."""
    from backtrader_engine.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    return run_cli


def one_clear_line(result: CliResult) -> str:
    """Assert the run failed with exit code 2 and one stderr line, no traceback; return it."""
    assert result.code == 2, (result.out, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err
    return lines[0]


@pytest.fixture(name="one_clear_line")
def one_clear_line_fixture() -> Callable[[CliResult], str]:
    return one_clear_line


@pytest.fixture(scope="session")
def source_candles() -> dict[str, pd.DataFrame]:
    """One real day of BTCUSDT 1m candles, and a scaled copy standing in for ETHUSDT."""
    path = TESTDATA / "BTCUSDT-1m-2022-09-05.zip"
    btc = load_ohlcv(path)
    eth = btc.copy()
    eth[["open", "high", "low", "close"]] = (eth[["open", "high", "low", "close"]] / 13).round(2)
    return {"BTCUSDT": btc, "ETHUSDT": eth}


@pytest.fixture
def source_store(tmp_path: Path, source_candles: dict[str, pd.DataFrame]) -> Path:
    """A DataStore folder holding the source candles under exchange 'bybit'."""
    root = tmp_path / "source"
    store = DataStore(root)
    for symbol, frame in source_candles.items():
        store.write("bybit", symbol, "1m", frame)
    return root


@pytest.fixture
def replay_server(source_store: Path) -> Iterator[Callable[..., ReplayServer]]:
    """Factory: ``replay_server(rate_limit=None, stream={...}, **market_kwargs)`` on a free port.

    *stream* holds the stream keywords of :class:`ReplayServer` (speed, hold_when_idle,
    faults, start_ms).
    """
    started: list[ReplayServer] = []

    def factory(*, rate_limit: int | None = None, rate_limit_mode: str = "retcode",
                stream: dict[str, object] | None = None,
                **market_kwargs: object) -> ReplayServer:
        market = ReplayMarket.from_store(source_store, **market_kwargs)
        server = ReplayServer(market, rate_limit=rate_limit, rate_limit_mode=rate_limit_mode,
                              **(stream or {}))  # type: ignore[arg-type]
        started.append(server.start())
        return server

    yield factory
    for server in started:
        server.stop()


THREE_SYMBOLS = ("ETHUSDT", "BTCUSDT", "SOLUSDT")


@pytest.fixture
def three_symbol_replay(tmp_path: Path, source_candles: dict[str, pd.DataFrame]
                        ) -> ReplayServer:
    root = tmp_path / "store"
    btc = source_candles["BTCUSDT"]
    sol = btc.copy()
    sol[["open", "high", "low", "close"]] = (sol[["open", "high", "low", "close"]] / 1000
                                             ).round(3)
    store = DataStore(root)
    store.write("bybit", "BTCUSDT", "1m", btc)
    store.write("bybit", "ETHUSDT", "1m", source_candles["ETHUSDT"])
    store.write("bybit", "SOLUSDT", "1m", sol)
    start = int(btc.index[300].value // 1_000_000)
    server = ReplayServer(ReplayMarket.from_store(root), speed=120, hold_when_idle=True,
                          start_ms=start).start()
    server.start_clock()
    yield server
    server.stop()


@pytest.fixture
def idle_session() -> Callable[..., object]:
    """``idle_session(state, server)`` → a started session of strategies that never trade
    on the three symbols (so only injected signals do), behind the default risk gate."""
    import backtrader as bt

    from backtrader_engine.config import RiskConfig
    from backtrader_engine.engine.costs import CostModel
    from backtrader_engine.exchanges.bybit.stream import StreamSettings
    from backtrader_engine.paper.account import AccountSpec
    from backtrader_engine.paper.session import PaperSession, PaperSettings

    class Idle(bt.Strategy):
        """Trades nothing."""

    def start(state: Path, server: ReplayServer, **settings: object) -> PaperSession:
        specs = [AccountSpec("idle", Idle, {}, symbol, "1m", "1", (), 3000.0)
                 for symbol in THREE_SYMBOLS]
        defaults: dict[str, object] = {
            "base_url": server.base_url, "costs": CostModel(funding=0.0),
            "risk": RiskConfig(), "warmup_bars": 300,
            "stream_settings": StreamSettings(backoff_initial=0.05)}
        defaults.update(settings)
        return PaperSession(PaperSettings(specs, state, **defaults)).start()
    return start


@pytest.fixture
def paper_session(replay_server: Callable[..., object],
                  source_candles: dict[str, pd.DataFrame]) -> Callable[..., object]:
    """``paper_session(state, **settings)`` → a started PaperSession on a fresh held replay.

    Two strategies x two symbols, 1m, 300 warm-up bars; the replay starts after them, runs
    as fast as the session reads and holds its clock while nobody is subscribed. Pass
    ``server=`` to reuse a replay across sessions.
    """
    from backtrader_engine.engine.costs import CostModel
    from backtrader_engine.exchanges.bybit.stream import StreamSettings
    from backtrader_engine.paper.account import AccountSpec
    from backtrader_engine.paper.session import PaperSession, PaperSettings
    from backtrader_engine.strategies import resolve_strategy

    start = int(source_candles["BTCUSDT"].index[300].value // 1_000_000)

    def start_session(state: Path, *, server: object | None = None,
                      strategies: tuple[str, ...] = ("RSIEMAMomentumStrategy",
                                                     "BollingerReversionStrategy"),
                      **settings: object) -> PaperSession:
        if server is None:
            server = replay_server(stream={"speed": 0, "hold_when_idle": True,
                                           "start_ms": start})
            server.start_clock()  # type: ignore[attr-defined]
        specs = [AccountSpec(name, resolve_strategy(name), {}, symbol, "1m", "1", (), 5000.0)
                 for name in strategies for symbol in ("BTCUSDT", "ETHUSDT")]
        defaults: dict[str, object] = {
            "base_url": server.base_url, "costs": CostModel(funding=0.0), "warmup_bars": 300,
            "stream_settings": StreamSettings(backoff_initial=0.05, backoff_max=0.2)}
        defaults.update(settings)
        session = PaperSession(PaperSettings(specs, state, **defaults))  # type: ignore[arg-type]
        session.server = server  # type: ignore[attr-defined]
        return session.start()
    return start_session


@pytest.fixture
def child() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """``child(code)``: a Python child running *code* after printing 'ready'; killed at the end.

    Waits for 'ready', so signal handlers set before it are in place.
    """
    started: list[subprocess.Popen[str]] = []

    def spawn(code: str = "") -> subprocess.Popen[str]:
        script = f"import signal, sys, time\n{code}\nprint('ready', flush=True)\n" \
                 "while True: time.sleep(0.1)\n"
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        started.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        return proc

    yield spawn
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


# --- round trips: one set of fills and funding payments for every consumer of the rule -------
@dataclass(frozen=True)
class TripFill:
    """One execution as backtrader reports it (an ``OrderExecutionBit``'s fields)."""

    ts_ms: int
    size: float
    price: float
    position_after: float
    closed: float
    opened: float
    pnl: float
    closed_fee: float
    opened_fee: float

    @property
    def fee(self) -> float:
        return self.closed_fee + self.opened_fee


@dataclass(frozen=True)
class TripFunding:
    """One funding settlement charged to the position (negative: received)."""

    ts_ms: int
    payment: float


@dataclass(frozen=True)
class TripScenario:
    """Fills and settlements in order, the last mark and what the one rule makes of them."""

    events: tuple[TripFill | TripFunding, ...]
    mark: float
    fee_rate: float
    closed: int
    won: int
    lost: int
    net_pnl: float
    open_trips: int


def build_trip_scenario(orders: list[tuple[str, int, float, float]], fee_rate: float,
                        mark: float) -> tuple[TripFill | TripFunding, ...]:
    """Fills and settlements from ``("fill", ts_ms, size, price)`` and ``("funding", ts_ms,
    payment, 0)``, with backtrader's per-fill PnL and fees (average-price position)."""
    events: list[TripFill | TripFunding] = []
    position, avg = 0.0, 0.0
    for kind, ts, a, b in orders:
        if kind == "funding":
            events.append(TripFunding(ts, a))
            continue
        size, price = a, b
        if position == 0.0 or (position > 0) == (size > 0):
            closed, opened = 0.0, size
        else:
            closed = -position if abs(size) >= abs(position) else size
            opened = size - closed
        pnl = -closed * (price - avg)  # closing a long sells (closed < 0)
        after = position + size
        if opened and closed:
            avg = price
        elif opened:
            avg = (avg * abs(position) + price * abs(opened)) / abs(after)
        position = after
        events.append(TripFill(ts, size, price, after, closed, opened, pnl,
                               abs(closed) * price * fee_rate, abs(opened) * price * fee_rate))
    return tuple(events)


@pytest.fixture
def trip_scenario() -> TripScenario:
    """Four round trips through every case of the rule, fees at 0.1 %.

    1. long 1 @ 100 → 101: gross +1, fees 0.201, funding 1.0 paid: net −0.201, a **loss only
       because of funding** (a win of 0.799 without it);
    2. short 2 @ 100, bought back by a **reversal** (buy 3 @ 98): gross +4, fees 0.2 + 0.196,
       funding 0.05 received: net +3.654, a win;
    3. the long 1 @ 98 the reversal opened, closed in two **partial** sells (0.5 @ 97,
       0.5 @ 99): gross 0, fees 0.098 + 0.0485 + 0.0495, funding 0.02: net −0.216, a loss;
    4. long 2 @ 100, **still open** at the end (mark 102), funding 0.03.

    Closed: 3, won 1, lost 2, net PnL −0.201 + 3.654 − 0.216 = 3.237.
    """
    hour = 3_600_000
    t0 = 1_662_336_000_000  # 2022-09-05 00:00 UTC
    orders = [
        ("fill", t0 + 1 * hour, 1.0, 100.0),
        ("funding", t0 + 2 * hour, 1.0, 0.0),
        ("fill", t0 + 3 * hour, -1.0, 101.0),
        ("fill", t0 + 4 * hour, -2.0, 100.0),
        ("funding", t0 + 5 * hour, -0.05, 0.0),
        ("fill", t0 + 6 * hour, 3.0, 98.0),
        ("funding", t0 + 7 * hour, 0.02, 0.0),
        ("fill", t0 + 8 * hour, -0.5, 97.0),
        ("fill", t0 + 9 * hour, -0.5, 99.0),
        ("fill", t0 + 10 * hour, 2.0, 100.0),
        ("funding", t0 + 11 * hour, 0.03, 0.0),
    ]
    return TripScenario(build_trip_scenario(orders, 0.001, 102.0), mark=102.0, fee_rate=0.001,
                        closed=3, won=1, lost=2, net_pnl=-0.201 + 3.654 - 0.216, open_trips=1)


#: Fixtures that run a real external program (PostgreSQL, promtool): their tests must carry
#: the ``integration`` mark, so that ``-m "not integration"`` passes on a bare machine.
PROGRAM_FIXTURES = frozenset({"postgres_server", "postgres_url", "promtool"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [item.nodeid for item in items
                if PROGRAM_FIXTURES & set(getattr(item, "fixturenames", ()))
                and item.get_closest_marker("integration") is None]
    if unmarked:
        raise pytest.UsageError("tests that run an external program need "
                                "@pytest.mark.integration: " + ", ".join(unmarked))
