"""``bte data list``: each stored series with its range, bars and missing bars."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtrader_engine.data.store import DataStore
from backtrader_engine.data.store_list_text import format_store_list, list_store


def _store_with_a_gap(root: Path, make_ohlcv) -> DataStore:
    store = DataStore(root)
    candles = make_ohlcv(120, start="2024-03-01")  # 1m bars 00:00 .. 01:59
    store.write("bybit", "BTCUSDT", "1m", candles.drop(candles.index[50:55]))  # 5 bars gone
    store.write("bybit", "ETHUSDT", "1h", make_ohlcv(48, start="2024-03-01", freq="1h"))
    rates = pd.Series([0.0001, -0.0002], name="funding_rate",
                      index=pd.DatetimeIndex(["2024-03-01 00:00", "2024-03-01 08:00"],
                                             name="datetime"))
    store.write_funding("bybit", "BTCUSDT", rates)
    return store


def test_each_series_has_its_range_bars_and_missing_bars(tmp_path: Path, make_ohlcv) -> None:
    series = {(s.entry.symbol, s.entry.timeframe): s
              for s in list_store(_store_with_a_gap(tmp_path / "data", make_ohlcv))}
    btc = series[("BTCUSDT", "1m")]
    assert (btc.entry.rows, btc.missing) == (115, 5)
    assert (btc.first, btc.last) == (pd.Timestamp("2024-03-01 00:00"),
                                     pd.Timestamp("2024-03-01 01:59"))
    eth = series[("ETHUSDT", "1h")]
    assert (eth.entry.rows, eth.missing, eth.last) == (48, 0, pd.Timestamp("2024-03-02 23:00"))
    funding = series[("BTCUSDT", "funding")]
    assert (funding.entry.rows, funding.missing) == (2, None)
    text = format_store_list(list(series.values()))
    assert text.splitlines()[0].split() == ["EXCHANGE", "SYMBOL", "TIMEFRAME", "FROM", "(UTC)",
                                            "TO", "(UTC)", "BARS", "MISSING"]
    assert "2024-03-01 00:00 2024-03-01 01:59  115       5" in text


def test_the_command_lists_a_store_and_says_when_it_is_empty(cli, tmp_path: Path,
                                                             make_ohlcv) -> None:
    root = tmp_path / "data"
    _store_with_a_gap(root, make_ohlcv)
    result = cli("data", "list", "--store", str(root))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 4 and lines[1].split()[:3] == ["bybit", "BTCUSDT", "1m"]
    empty = tmp_path / "empty"
    empty.mkdir()
    result = cli("data", "list", "--store", str(empty))
    assert result.code == 0 and "holds no candles yet" in result.out


def test_a_store_folder_that_does_not_exist_is_one_line(cli, one_clear_line,
                                                        tmp_path: Path) -> None:
    line = one_clear_line(cli("data", "list", "--store", str(tmp_path / "nope")))
    assert "no such folder" in line and "--store" in line
