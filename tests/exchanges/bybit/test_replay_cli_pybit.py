"""The ``replay`` command, and pybit's WebSocket against the replay stream."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests
from pybit.unified_trading import WebSocket

from backtrader_engine.cli import main
from backtrader_engine.data import load_ohlcv

START = 1662336000000 + 86_400_000 - 100 * 60_000


class LocalWebSocket(WebSocket):
    """pybit's public WebSocket pointed at a local ``ws://`` base URL."""

    def __init__(self, channel_type: str, base_url: str, **kw: Any) -> None:
        self._local_url = f"{base_url}/v5/public/{channel_type}"  # __init__ connects
        kw.setdefault("testnet", False)
        super().__init__(channel_type=channel_type, **kw)

    def _connect(self, url: str) -> Any:
        return super()._connect(self._local_url)


def test_pybit_receives_klines_through_its_callback(replay_server) -> None:
    server = replay_server(stream={"hold_when_idle": True, "start_ms": START, "speed": 600})
    got: queue.Queue[dict[str, Any]] = queue.Queue()
    ws = LocalWebSocket("linear", server.base_url.replace("http", "ws"))
    try:
        ws.kline_stream(interval=1, symbol="BTCUSDT", callback=got.put)
        messages = [got.get(timeout=10) for _ in range(10)]
    finally:
        ws.exit()
    assert all(m["topic"] == "kline.1.BTCUSDT" for m in messages)
    assert messages[0]["data"][0]["start"] == START
    assert any(m["data"][0]["confirm"] for m in messages)


def test_replay_command_serves_until_interrupted(source_store: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "replay", "--store", str(source_store),
         "--symbol", "BTCUSDT", "--port", "0", "--speed", "0", "--hold-when-idle"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        rest = proc.stdout.readline().split()[-1]  # type: ignore[union-attr]
        stream = proc.stdout.readline().split()[-1]  # type: ignore[union-attr]
        assert rest.startswith("http://127.0.0.1:") and stream == rest.replace(
            "http", "ws") + "/v5/public/linear"
        reply = requests.get(rest + "/v5/market/time", timeout=5).json()
        assert reply["retCode"] == 0
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 130


def test_replay_command_user_errors(source_store: Path, capsys) -> None:
    assert main(["replay", "--data", "x.csv", "--store", str(source_store),
                 "--symbol", "BTCUSDT"]) == 2
    assert "one of --data PATH and --store DIR, not both" in capsys.readouterr().err
    assert main(["replay", "--store", str(source_store), "--symbol", "BTCUSDT",
                 "--faults", "nope=1"]) == 2
    assert "unknown fault 'nope'" in capsys.readouterr().err
    assert main(["replay", "--store", str(source_store), "--symbol", "XRPUSDT"]) == 2


def test_pybit_reconnects_and_resubscribes_after_a_drop(replay_server) -> None:
    server = replay_server(stream={"hold_when_idle": True, "start_ms": START, "speed": 60,
                                   "faults": "drop_every=1"})
    got: queue.Queue[dict[str, Any]] = queue.Queue()
    ws = LocalWebSocket("linear", server.base_url.replace("http", "ws"), retries=0)
    try:
        ws.kline_stream(interval=1, symbol="BTCUSDT", callback=got.put)
        first = got.get(timeout=10)
        # The server aborts the socket every second; messages keep coming 3 s later.
        deadline = time.monotonic() + 3.5
        while time.monotonic() < deadline:
            got.get(timeout=5)
        later = got.get(timeout=5)
    finally:
        ws.exit()
    assert first["topic"] == later["topic"] == "kline.1.BTCUSDT"
    assert later["data"][0]["start"] > first["data"][0]["start"]


def test_replay_data_file_streams_its_candles_to_the_stream_command(
        testdata: Path, capsys) -> None:
    source = testdata / "BTCUSDT-1m-2022-09-05.zip"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "replay", "--data", str(source),
         "--symbol", "BTCUSDT", "--port", "0", "--speed", "0", "--hold-when-idle"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        rest = proc.stdout.readline().split()[-1]  # type: ignore[union-attr]
        assert main(["stream", "--symbols", "BTCUSDT", "--base-url", rest, "--bars", "5",
                     "--book-depth", "1"]) == 0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    lines = capsys.readouterr().out.splitlines()
    bars = [line for line in lines if "BTCUSDT" in line and "(stream)" in line]
    candles = load_ohlcv(source)
    assert len(bars) == 5
    first = candles.iloc[0]
    assert bars[0].startswith("2022-09-05 00:00 BTCUSDT")
    assert f"O {first.open:g}  H {first.high:g}  L {first.low:g}  C {first.close:g}" in bars[0]
    assert lines[0] == "-- LIVE (data flowing)"
    assert lines[-1].startswith("messages ") and "reconnects 0" in lines[-1]


def test_stream_command_user_errors(capsys) -> None:
    assert main(["stream", "--symbols", "BTCUSDT", "--timeframes", "7m"]) == 2
    assert "7m" in capsys.readouterr().err
    assert main(["stream", "--symbols", "BTCUSDT", "--book-depth", "25"]) == 2
    assert "--book-depth '25'" in capsys.readouterr().err
