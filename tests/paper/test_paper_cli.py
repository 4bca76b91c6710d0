"""The ``paper`` command: the offline demo, clean stops, kill -9 and restart."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.paper.session import PaperSession

from .conftest import LIVE_BARS, assert_summary_ends, live_bars_logged, wait_for_bars

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = str(ROOT / "configs")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
KEY = ["account", "order_seq", "fill_seq"]


def fills(state: Path) -> pd.DataFrame:
    db = sqlite3.connect(f"file:{state / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        return pd.read_sql_query("SELECT account, order_seq, fill_seq, bar_seq, ts_ms, side, "
                                 "size, price, fee, pnl, position_after FROM fills ORDER BY "
                                 "account, order_seq, fill_seq", db)
    finally:
        db.close()


@pytest.fixture
def replay_url(source_store: Path) -> Iterator[str]:
    """A ``replay`` command serving the two-symbol store, clock held while idle."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "replay", "--store", str(source_store),
         "--symbol", "BTCUSDT", "--port", "0", "--speed", "0", "--hold-when-idle",
         "--start", "2022-09-05T05:00"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=ENV)
    try:
        yield proc.stdout.readline().split()[-1]  # type: ignore[union-attr]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)


def paper(url: str, state: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir", CONFIGS,
         "--strategy", "RSIEMAMomentumStrategy,BollingerReversionStrategy",
         "--symbols", "BTCUSDT,ETHUSDT", "--timeframe", "1m", "--source", url,
         "--state", str(state), "--cash-per-account", "5000", "--no-risk-gate",
         "--status-every", "0", "--no-metrics", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)


def test_kill_9_at_random_moments_loses_and_repeats_nothing(
        tmp_path: Path, replay_url: str, paper_session: Callable[..., PaperSession]) -> None:
    state = tmp_path / "killed"
    rng = random.Random(20261122)
    for kill in range(10):
        proc = paper(replay_url, state, "--fill-model", "bar")
        time.sleep(rng.uniform(1.5, 4.0))
        before = fills(state) if (state / "ledger.sqlite").exists() else None
        proc.kill()  # SIGKILL: no cleanup at all
        proc.wait(10)
        if before is None:
            continue
        after = fills(state)
        assert not after.duplicated(KEY).any()
        # Every fill recorded before the kill is still there, unchanged.
        merged = before.merge(after, on=KEY, suffixes=("", "_after"))
        assert len(merged) == len(before), f"kill {kill}: fills lost"
        for column in ("price", "size", "fee"):
            assert (merged[column] == merged[f"{column}_after"]).all()
    proc = paper(replay_url, state, "--fill-model", "bar")
    try:
        wait_for_bars(state, 2 * LIVE_BARS, limit_s=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "caught up" in out and "total" in out
    # The uninterrupted run of the same session, on its own replay.
    whole = tmp_path / "whole"
    session = paper_session(whole, fill_model="bar")
    wait_for_bars(whole, 2 * LIVE_BARS)
    session.stop()
    got, expected = fills(state), fills(whole)
    assert len(expected) > 20
    pd.testing.assert_frame_equal(got, expected)
    ledger = sqlite3.connect(state / "ledger.sqlite")
    positions = dict(ledger.execute("SELECT account, position FROM account_state"))
    for account, size in ledger.execute("SELECT account, SUM(size) FROM fills GROUP BY "
                                        "account"):
        assert positions[account] == pytest.approx(size, abs=1e-9)


def test_offline_demo_runs_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    proc = subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir", CONFIGS,
         "--source", "replay", "--replay-speed", "0", "--state", str(state),
         "--status-every", "0", "--no-metrics"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        wait_for_bars(state, 20, limit_s=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "paper trading 7 sub-account(s)" in out  # 6 strategies + the manual one
    assert "TrendFollowingADXEMAStrategy:BTCUSDT" in out
    lines = out.splitlines()
    assert_summary_ends(lines)
    assert live_bars_logged(state) >= 20


@pytest.mark.parametrize(("args", "message"), [
    (["--source", "ftp://x"], "expected bybit, replay or http://HOST:PORT"),
    (["--source", "replay", "--symbols", "DOGEUSDT", "--strategy", "RSIEMAMomentumStrategy"],
     "the replay has no candles for DOGEUSDT"),
    (["--source", "replay", "--strategy", "RSIEMAMomentumStrategy", "--timeframe", "1m",
      "--symbols", "BTCUSDT"], "needs --timeframe 1h or coarser"),
    (["--strategy", "NoSuchStrategy", "--source", "replay"], "NoSuchStrategy"),
])
def test_user_errors_are_one_line(args: list[str], message: str, tmp_path: Path,
                                  cli: Callable[..., object]) -> None:
    # --max-bars/--duration bound the run should the error not come (a failing test, not a
    # hanging one).
    result = cli("paper", "--config-dir", CONFIGS, "--state", str(tmp_path / "s"),
                 "--max-bars", "1", "--duration", "20", "--no-metrics", *args)
    assert result.code == 2  # type: ignore[attr-defined]
    assert message in result.err  # type: ignore[attr-defined]


def test_sigterm_during_set_up_ends_the_command_cleanly(tmp_path: Path) -> None:
    # The replay demo loads its candles and starts its server after the metrics endpoint is
    # up: a stop asked for then must not kill the process half-way (exit -15).
    proc = subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir", CONFIGS,
         "--source", "replay", "--state", str(tmp_path / "early"), "--metrics-port", "0",
         "--status-every", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=ENV)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("metrics on "), line
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err[-2000:]
    assert ("stop requested during set-up: the session was not started" in out
            or "live bars " in out), out  # (or the session had just started: it stopped)
