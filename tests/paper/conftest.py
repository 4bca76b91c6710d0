"""Shared factories for the paper tests: bar contexts from real candles."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.data import load_ohlcv
from backtrader_engine.paper.context import BarContext


@pytest.fixture(scope="session")
def btc_1m() -> pd.DataFrame:
    """One real day of BTCUSDT perpetual 1m candles."""
    return load_ohlcv(Path(__file__).resolve().parents[1] / "testdata"
                      / "BTCUSDT-1m-2022-09-05.zip")


@pytest.fixture
def to_contexts() -> Callable[..., list[BarContext]]:
    """``to_contexts(frame, source="stream", spread=None, depth=1.0, funding=None)``.

    With *spread* (a price) every context carries a 5-level book around its close.
    """
    def build(frame: pd.DataFrame, source: str = "stream", spread: float | None = None,
              depth: float = 1.0, funding: float | None = None,
              symbol: str = "BTCUSDT") -> list[BarContext]:
        out = []
        for stamp, row in frame.iterrows():
            start = int(stamp.value // 1_000_000)
            bids: tuple = ()
            asks: tuple = ()
            if spread is not None:
                bids = tuple((row.close - spread / 2 - k * spread, depth) for k in range(5))
                asks = tuple((row.close + spread / 2 + k * spread, depth) for k in range(5))
            next_funding = (start // 28_800_000 + 1) * 28_800_000
            out.append(BarContext(symbol, "1", start, start + 59_999, row.open, row.high,
                                  row.low, row.close, row.volume, source, bids, asks,
                                  row.close, funding, next_funding))
        return out
    return build


LIVE_BARS = 1440 - 300  # the test day's candles after 300 warm-up bars, per symbol


def live_bars_logged(state: Path) -> int:
    """Live (non-warm-up) bars in a session's ledger, over all streams."""
    import sqlite3

    path = state / "ledger.sqlite"
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT COUNT(*) FROM bars WHERE source != 'warmup'").fetchone()[0]
    except sqlite3.OperationalError:  # created but the schema not yet written
        return 0
    finally:
        db.close()


def wait_for_bars(state: Path, count: int, limit_s: float = 90.0) -> None:
    """Wait until *count* live bars are logged."""
    import time

    deadline = time.monotonic() + limit_s
    while live_bars_logged(state) < count:
        assert time.monotonic() < deadline, f"only {live_bars_logged(state)} bars logged"
        time.sleep(0.05)


def ledger_rows(state: Path, sql: str) -> list[tuple]:
    """Rows of *sql* on the session's ledger (read-only)."""
    import sqlite3

    db = sqlite3.connect(f"file:{state / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def assert_summary_ends(lines: list[str]) -> None:
    """The summary paper prints last: the total, then a line per sub-account with refused
    orders (why, in the backtest summary's words), then the stream counters."""
    assert lines[-1].startswith("live bars "), lines[-3:]
    total = max(i for i, line in enumerate(lines) if line.startswith("total "))
    refusals = lines[total + 1:-1]
    assert all(line.startswith("  ")
               and re.search(r": \d+ orders? (rejected|expired|rounded down)", line)
               for line in refusals), refusals
