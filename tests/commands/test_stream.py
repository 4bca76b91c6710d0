"""``stream`` ends with one line and exit code 2 when Bybit refuses every kline topic, and
keeps streaming the topics it serves when it refuses only some."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pandas as pd

from backtrader_engine.exchanges.bybit.replay import ReplayMarket, ReplayServer


def test_every_kline_topic_refused_ends_with_one_line(
        cli, one_clear_line, replay_server: Callable[..., ReplayServer]) -> None:
    # The replay serves 1m candles of BTCUSDT and ETHUSDT: DOGEUSDT is refused outright.
    server = replay_server(stream={"speed": 0, "hold_when_idle": True})
    line = one_clear_line(cli("stream", "--symbols", "DOGEUSDT", "--base-url",
                              server.base_url, "--bars", "5"))
    assert line.startswith("error: Bybit refused every kline topic (Invalid topic: "
                           "kline.1.DOGEUSDT")
    assert "no bar can arrive for DOGEUSDT;" in line and "--timeframes" in line


def test_the_default_1m_against_a_coarser_replay_is_refused(
        cli, one_clear_line, source_candles: dict[str, pd.DataFrame]) -> None:
    # The README's old mistake: `stream` (default --timeframes 1m) against a replay of
    # coarser candles, which streams their timeframe and longer ones only.
    five = source_candles["BTCUSDT"].resample("5min").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    server = ReplayServer(ReplayMarket({"BTCUSDT": {"5m": five}}), speed=0,
                          hold_when_idle=True).start()
    try:
        line = one_clear_line(cli("stream", "--symbols", "BTCUSDT", "--base-url",
                                  server.base_url, "--bars", "20"))
        assert "(Invalid topic: kline.1.BTCUSDT)" in line
        result = cli("stream", "--symbols", "BTCUSDT", "--timeframes", "5m", "--base-url",
                     server.base_url, "--bars", "2", "--book-depth", "1")
    finally:
        server.stop()
    assert result.code == 0, result.err
    assert len([line for line in result.out.splitlines() if "(stream)" in line]) == 2


def test_every_kline_topic_refused_in_one_request(
        cli, one_clear_line, replay_server: Callable[..., ReplayServer]) -> None:
    server = replay_server(stream={"speed": 0, "hold_when_idle": True})
    line = one_clear_line(cli("stream", "--symbols", "DOGEUSDT,XRPUSDT", "--base-url",
                              server.base_url, "--seconds", "30"))
    assert "kline.1.DOGEUSDT" in line and "kline.1.XRPUSDT" in line


def test_a_refused_symbol_does_not_stop_the_others(
        cli, replay_server: Callable[..., ReplayServer]) -> None:
    # One subscribe request carries both symbols' topics; only DOGEUSDT's are refused.
    server = replay_server(stream={"speed": 0, "hold_when_idle": True})
    result = cli("stream", "--symbols", "BTCUSDT,DOGEUSDT", "--base-url", server.base_url,
                 "--bars", "3", "--book-depth", "1")
    assert result.code == 0, result.err
    bars = [line for line in result.out.splitlines() if "(stream)" in line]
    assert len(bars) == 3 and all(" BTCUSDT " in line for line in bars)
    # The refused symbol is named once, on stderr, and nothing else is said there.
    warnings = [line for line in result.err.splitlines() if line.strip()]
    assert len(warnings) == 1, result.err
    assert warnings[0].startswith("warning: Bybit refused DOGEUSDT (Invalid topic: ")
    assert warnings[0].endswith("; the other symbols stream on")


def test_a_refused_symbol_is_one_line_from_a_real_process(
        replay_server: Callable[..., ReplayServer]) -> None:
    # Run as a user would: the client's own log line must not repeat the error.
    server = replay_server(stream={"speed": 0, "hold_when_idle": True})
    result = subprocess.run([sys.executable, "-m", "backtrader_engine", "stream", "--symbols",
                             "FOOUSDT", "--base-url", server.base_url, "--seconds", "60"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: Bybit refused every kline topic")
    assert "for FOOUSDT;" in lines[0]
