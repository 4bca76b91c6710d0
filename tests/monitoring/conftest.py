"""Shared factories for the monitoring tests: snapshots, scrapes, promtool, free ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
CONFIGS = ROOT / "configs"


@dataclass(frozen=True)
class Account:
    """An ``AccountSnapshot`` of the read API's shape, with test defaults."""

    name: str = "RSIEMAMomentumStrategy:BTCUSDT"
    strategy: str = "RSIEMAMomentumStrategy"
    strategy_class: str = "RSIEMAMomentumStrategy"
    symbol: str = "BTCUSDT"
    timeframe: str = "1m"
    params: dict[str, Any] = field(default_factory=dict)
    manual: bool = False
    initial_cash: float = 5000.0
    cash: float = 4900.0
    value: float = 5100.0
    position: float = 0.01
    position_price: float = 20000.0
    realised_pnl: float = 80.0
    unrealised_pnl: float = 20.0
    fees: float = 3.5
    funding: float = -0.25
    peak_value: float = 5200.0
    drawdown_pct: float = 1.923
    trades_won: int = 3
    trades_lost: int = 1
    signals_generated: int = 9
    signals_executed: int = 5
    signals_rejected: dict[str, int] = field(default_factory=lambda: {
        "warmup": 2, "low_confidence": 1})
    last_signal: dict[str, Any] | None = None
    last_bar_ms: int | None = 1_662_354_000_000
    orders_rejected: dict[str, int] = field(default_factory=lambda: {
        "warmup": 2, "margin": 1})
    orders_resized: int = 1


@dataclass(frozen=True)
class Snapshot:
    """A ``SessionSnapshot`` of the read API's shape."""

    state_dir: Path = Path("state/paper")
    accounts: list[Account] = field(default_factory=lambda: [Account()])
    portfolio_value: float = 5100.0
    initial_cash: float = 5000.0
    pnl: float = 100.0
    drawdown_pct: float = 1.5
    win_rate: float | None = 0.75
    trades_won: int = 3
    trades_lost: int = 1
    signals_generated: int = 9
    signals_executed: int = 5
    signals_rejected: dict[str, int] = field(default_factory=dict)
    fees: float = 3.5
    funding: float = -0.25
    open_orders: list[dict[str, Any]] = field(default_factory=list)
    recent_fills: list[dict[str, Any]] = field(default_factory=list)
    recent_signals: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    equity: list[tuple[int, float]] = field(default_factory=list)
    fill_latencies_s: list[float] = field(default_factory=list)
    fill_model: str = "book"
    orders_rejected: dict[str, int] = field(default_factory=lambda: {"warmup": 2, "margin": 1})
    orders_resized: int = 2


@pytest.fixture
def make_account() -> Callable[..., Account]:
    """``make_account(**fields)`` → an account snapshot."""
    return Account


@pytest.fixture
def make_snapshot() -> Callable[..., Snapshot]:
    """``make_snapshot(**fields)`` → a session snapshot."""
    return Snapshot


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse_exposition(text: str) -> Samples:
    """``{(series name, sorted labels): value}`` of a Prometheus text exposition."""
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def scrape(url: str, timeout: float = 10.0) -> str:
    """The body of ``GET url``."""
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return reply.read().decode()


def sample(samples: Samples, name: str, **labels: str) -> float:
    """The one sample named *name* whose labels include *labels*."""
    found = [v for (n, ls), v in samples.items()
             if n == name and labels.items() <= dict(ls).items()]
    assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
    return found[0]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for programs that cannot take port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def promtool() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``promtool(*args)`` → the completed run (skips when promtool is not installed)."""
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool not installed (Debian package 'prometheus'; .ci/run installs it)")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([path, *args], capture_output=True, text=True, timeout=60)
    return run
