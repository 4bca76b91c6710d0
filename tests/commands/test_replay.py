"""``replay`` serves the bundled candles while the default store is empty (a fresh clone), and
an explicit store or symbol with nothing to serve fails with one line suggesting --data."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from backtrader_engine.data import DataStore

KLINES = "/v5/market/kline?category=linear&symbol={}&interval=60&limit=1"


@pytest.mark.parametrize("args", [("--store", "data"), ()], ids=["readme", "no-store"])
def test_fresh_clone_replays_the_bundled_candles(replay_child, args) -> None:
    proc, rest = replay_child(*args, "--symbol", "BTCUSDT", "--port", "0", "--speed", "0",
                              "--hold-when-idle")
    reply = requests.get(rest + KLINES.format("BTCUSDT"), timeout=5).json()
    assert reply["retCode"] == 0 and reply["result"]["list"]
    # 2017-07-01 11:00 UTC, the first bundled Coinbase candle: the clock has not moved.
    assert reply["result"]["list"][0][0] == "1498906800000"
    proc.terminate()
    assert "bundled BTC-USD (Coinbase spot, USD) candles as BTCUSDT" in proc.stderr.read()


def _error(cli, *args: str, one_clear_line) -> str:
    return one_clear_line(cli("replay", *args))


def test_other_symbol_on_an_empty_default_store_suggests_data(cli, one_clear_line,
                                                               fresh_cwd: Path) -> None:
    line = _error(cli, "--store", "data", "--symbol", "ETHUSDT", one_clear_line=one_clear_line)
    assert "no stored 'bybit' candles for ETHUSDT" in line and "--data FILE" in line
    assert "bte download --symbols ETHUSDT" in line


def test_explicit_empty_store_suggests_data(cli, one_clear_line, fresh_cwd: Path) -> None:
    line = _error(cli, "--store", "mystore", "--symbol", "BTCUSDT",
                  one_clear_line=one_clear_line)
    assert line.startswith("error: mystore: ") and "no such folder" in line
    assert "--data FILE" in line
    (fresh_cwd / "mystore").mkdir()
    line = _error(cli, "--store", "mystore", "--symbol", "BTCUSDT",
                  one_clear_line=one_clear_line)
    assert "nothing is stored there" in line and "--data FILE" in line


def test_store_without_the_symbol_lists_what_it_has(cli, one_clear_line, fresh_cwd: Path,
                                                    make_ohlcv) -> None:
    DataStore(fresh_cwd / "data").write("bybit", "ETHUSDT", "1m", make_ohlcv(100))
    # A store that holds anything is the user's own: no bundled stand-in for BTCUSDT then.
    line = _error(cli, "--symbol", "BTCUSDT", one_clear_line=one_clear_line)
    assert "stored: ETHUSDT" in line and "--data FILE" in line


def test_data_and_store_together_are_refused(cli, one_clear_line, fresh_cwd: Path) -> None:
    line = _error(cli, "--data", "x.csv", "--store", "data", "--symbol", "BTCUSDT",
                  one_clear_line=one_clear_line)
    assert "not both" in line
