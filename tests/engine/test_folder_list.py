"""``bte data list --data FOLDER``: a folder of loose candle files, listed as ``--data FOLDER
--symbols`` reads it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtrader_engine.engine.folder_list import format_folder_list, list_folder


def _folder(root: Path, make_ohlcv) -> Path:
    root.mkdir()
    btc = make_ohlcv(48, start="2024-03-01", freq="1h")
    btc.drop(btc.index[10:13]).to_csv(root / "BTCUSDT_1h.csv")  # 3 bars gone
    make_ohlcv(100, start="2024-03-01", freq="5min").to_parquet(root / "ETHUSDT-5m.parquet")
    pd.DataFrame({"fundingRate": [0.0001, -0.0002],
                  "fundingRateTimestamp": [1709251200000, 1709280000000]}).to_csv(
        root / "BTCUSDT-funding.csv", index=False)
    (root / "SOLUSDT-1h.csv").write_text("this is not a candle file\n")
    (root / "notes.md").write_text("ignored: not a data suffix")
    return root


def test_each_file_has_its_symbol_bar_size_range_and_gaps(tmp_path: Path, make_ohlcv) -> None:
    files = {f.path.name: f for f in list_folder(_folder(tmp_path / "candles", make_ohlcv))}
    assert sorted(files) == ["BTCUSDT-funding.csv", "BTCUSDT_1h.csv", "ETHUSDT-5m.parquet",
                             "SOLUSDT-1h.csv"]
    btc = files["BTCUSDT_1h.csv"]
    assert (btc.symbol, btc.timeframe, btc.rows, btc.missing) == ("BTCUSDT", "1h", 45, 3)
    assert (btc.first, btc.last) == (pd.Timestamp("2024-03-01 00:00"),
                                     pd.Timestamp("2024-03-02 23:00"))
    eth = files["ETHUSDT-5m.parquet"]
    assert (eth.symbol, eth.timeframe, eth.rows, eth.missing) == ("ETHUSDT", "5m", 100, 0)
    funding = files["BTCUSDT-funding.csv"]
    assert (funding.kind, funding.symbol, funding.rows, funding.missing) == (
        "funding", "BTCUSDT", 2, None)
    # An unreadable file is named with what is wrong, and the others are still listed.
    assert files["SOLUSDT-1h.csv"].problem
    text = format_folder_list(list(files.values()))
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["FILE", "SYMBOL", "TIMEFRAME"]
    assert lines[1].split() == ["BTCUSDT-funding.csv", "BTCUSDT", "funding", "2024-03-01",
                                "00:00", "2024-03-01", "08:00", "2", "-"]
    assert lines[2].split()[-2:] == ["45", "3"]
    assert lines[-1].startswith("not readable: SOLUSDT-1h.csv: ")


def test_the_bundled_folder_lists_the_symbols_a_portfolio_can_use(cli) -> None:
    result = cli("data", "list", "--data", "backtrader_engine/resources/data")
    assert result.code == 0, result.err
    rows = {line.split()[0]: line.split() for line in result.out.splitlines()[1:]}
    assert rows["SOLUSDT-1h-bybit-perp.parquet"][1:3] == ["SOLUSDT", "1h"]
    assert rows["SOLUSDT-1h-bybit-perp.parquet"][-2:] == ["1000", "0"]
    assert rows["XRPUSDT-funding-8h.parquet"][2] == "funding"


def test_a_store_option_on_a_folder_of_loose_files_lists_the_files(cli, tmp_path: Path,
                                                                   make_ohlcv) -> None:
    folder = _folder(tmp_path / "candles", make_ohlcv)
    result = cli("data", "list", "--store", str(folder))
    assert result.code == 0, result.err
    first, header = result.out.splitlines()[:2]
    assert "is not a store that bte download filled" in first and f"--data {folder}" in first
    assert header.split()[0] == "FILE"
    assert "holds no candles yet" not in result.out


def test_data_that_is_not_a_folder_is_one_line(cli, one_clear_line, tmp_path: Path) -> None:
    file = tmp_path / "BTCUSDT_1h.csv"
    file.write_text("x")
    line = one_clear_line(cli("data", "list", "--data", str(file)))
    assert "not a folder" in line and "data check" in line
    both = cli("data", "list", "--data", str(tmp_path), "--store", str(tmp_path))
    assert both.code == 2 and "not allowed with" in both.err


def test_a_folder_without_candle_files_says_so(cli, tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    result = cli("data", "list", "--data", str(tmp_path))
    assert result.code == 0 and "holds no candle files" in result.out
