"""The ``paper`` command with Telegram: what the operator is told, and that trading never
depends on Telegram."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.commands.inject import EXIT_REJECTED
from backtrader_engine.data import DataStore
from backtrader_engine.exchanges.bybit.replay import ReplayMarket, ReplayServer

from ..paper.conftest import assert_summary_ends, wait_for_bars
from .conftest import TOKEN, FakeBotApi, ask

IDLE = str(Path(__file__).resolve().parent / "fixtures" / "idle_strategy.py") + ":Idle"
TOLD = re.compile(r"<b>(?:\[\w+\] )?(Bot started|Signal executed|Signal rejected \((\w+)\)|"
                  r"Position closed|Bot stopped)")


def paper(configs: Path, url: str, state: Path, *extra: str,
          env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir", str(configs),
         "--source", url, "--state", str(state), "--status-every", "0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})


def told(api: FakeBotApi) -> list[str]:
    """The notifications' titles in the order they were sent (command answers left out)."""
    out = []
    for call in api.sent(111):
        if "reply_parameters" in call.params:
            continue
        out += [m.group(1) for m in TOLD.finditer(call.params["text"])]
    return out


def test_a_paper_session_tells_started_executed_rejected_closed_stopped(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        fake_telegram: Callable[..., FakeBotApi], alert_configs: Callable[..., Path],
        cli: Callable[..., object]) -> None:
    api = fake_telegram()
    configs = alert_configs(enabled=True, api_base_url=api.base_url, poll_seconds=0.05,
                            status_poll_seconds=0)
    state = tmp_path / "state"
    proc = paper(configs, three_symbol_replay.base_url, state, "--strategy", IDLE,
                 "--symbols", "BTCUSDT", "--timeframe", "1m",
                 env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": "111"})
    try:
        api.wait_for(lambda: "Bot started" in told(api), 90, "'Bot started'")
        wait_for_bars(state, 2)

        def inject(*args: str, code: int = 0) -> None:
            result = cli("inject", "--state", str(state), "--symbol", "BTCUSDT", *args)
            assert result.code == code, result.err  # type: ignore[attr-defined]

        inject("--side", "buy", "--qty", "0.01")
        api.wait_for(lambda: "Signal executed" in told(api), 30, "'Signal executed'")
        inject("--side", "buy", "--confidence", "0.3", code=EXIT_REJECTED)
        api.wait_for(lambda: any(t.startswith("Signal rejected") for t in told(api)), 30,
                     "'Signal rejected'")
        status = ask(api, "/status")
        inject("--side", "sell", "--qty", "0.01")
        api.wait_for(lambda: "Position closed" in told(api), 30, "'Position closed'")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert told(api) == ["Bot started", "Signal executed", "Signal rejected (low_confidence)",
                         "Position closed", "Bot stopped"]
    executed = next(t for t in api.texts(111) if "Signal executed" in t)
    assert "strategy: ManualSignalStrategy" in executed and "qty: 0.01" in executed
    assert re.search(r"fee: 0\.\d+ USDT", executed)
    rejected = next(t for t in api.texts(111) if "Signal rejected" in t)
    assert "reason: low_confidence" in rejected and "message: confidence 0.3 is" in rejected
    # /status answered from the running session with live figures.
    assert status.startswith("<b>Status</b>: running")
    assert re.search(r"live bars [1-9]\d*", status)
    assert "ManualSignalStrategy:BTCUSDT: " in status and "0.01 @ " in status
    assert TOKEN not in out + err


LIVE = 400  # live bars per symbol in the identity runs
TABLES = {"orders": "account, seq", "fills": "account, order_seq, fill_seq",
          "signals": "account, order_seq", "account_state": "account",
          "equity": "account, bar_seq"}


@pytest.fixture
def short_store(tmp_path: Path, source_candles: dict[str, pd.DataFrame]) -> Path:
    """BTCUSDT and ETHUSDT: 300 warm-up bars and LIVE live ones."""
    root = tmp_path / "short"
    store = DataStore(root)
    for symbol, frame in source_candles.items():
        store.write("bybit", symbol, "1m", frame.iloc[:300 + LIVE])
    return root


def ledger_tables(state: Path) -> dict[str, pd.DataFrame]:
    db = sqlite3.connect(f"file:{state / 'ledger.sqlite'}?mode=ro", uri=True)
    try:
        out = {}
        for table, key in TABLES.items():
            frame = pd.read_sql_query(f"SELECT * FROM {table} ORDER BY {key}", db)
            out[table] = frame.drop(columns=["recorded_at"], errors="ignore")
        return out
    finally:
        db.close()


def run_to_the_end(configs: Path, store: Path, state: Path, env: dict[str, str]) -> str:
    """A whole held replay through the paper command, then SIGTERM; its stdout."""
    start = int(pd.Timestamp("2022-09-05 05:00", tz="UTC").value // 1_000_000)
    server = ReplayServer(ReplayMarket.from_store(store), speed=0, hold_when_idle=True,
                          start_ms=start).start()
    server.start_clock()
    proc = paper(configs, server.base_url, state, "--strategy",
                 "RSIEMAMomentumStrategy,BollingerReversionStrategy",
                 "--symbols", "BTCUSDT,ETHUSDT", "--timeframe", "1m", "--fill-model", "bar",
                 "--cash-per-account", "5000", env=env)
    try:
        wait_for_bars(state, 2 * LIVE, limit_s=120)
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=90)  # bounded even with Telegram hanging
        server.stop()
    assert proc.returncode == 0, err
    assert TOKEN not in out + err
    return out


@pytest.mark.parametrize("mode", ["fail", "hang"])
def test_telegram_failing_or_hanging_leaves_the_ledger_as_without_telegram(
        mode: str, tmp_path: Path, short_store: Path,
        fake_telegram: Callable[..., FakeBotApi], alert_configs: Callable[..., Path]) -> None:
    api = fake_telegram()
    api.set_mode(mode)
    off = alert_configs(enabled=False)
    run_to_the_end(off, short_store, tmp_path / "without", {})
    on = alert_configs(enabled=True, api_base_url=api.base_url, poll_seconds=0.05,
                       request_timeout_seconds=30, shutdown_timeout_seconds=1)
    out = run_to_the_end(on, short_store, tmp_path / "with",
                         {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": "111"})
    assert_summary_ends(out.splitlines())  # the whole summary: it stopped cleanly
    assert api.requests("sendMessage") or api.requests("getMe")  # Telegram was tried
    expected, got = ledger_tables(tmp_path / "without"), ledger_tables(tmp_path / "with")
    assert len(expected["fills"]) > 4 and len(expected["signals"]) > 2
    for table in TABLES:
        pd.testing.assert_frame_equal(got[table], expected[table], obj=table)
