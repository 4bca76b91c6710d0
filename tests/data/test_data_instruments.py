"""A folder, pattern or file holding two instruments is refused instead of joined."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backtrader_engine.data import load_ohlcv
from backtrader_engine.data.instruments import symbol_from_name
from backtrader_engine.errors import DataError


@pytest.mark.parametrize(("name", "symbol"), [
    ("BTCUSDT-1m-2022-09-05.zip", "BTCUSDT"),
    ("BTCUSD_PERP-1m-2022-10-24.zip", "BTCUSD"),
    ("XRP_USDT_USDT-1h-futures.feather", "XRPUSDT"),
    ("ETH_BTC-5m.feather", "ETHBTC"),
    ("Coinbase_BTCUSD_1h.csv", "BTCUSD"),
    ("bitfinex-1h-btc-usd.csv", "BTCUSD"),
    ("btc_usdt_1h.csv", "BTCUSDT"),
    ("1000PEPEUSDT-1h.csv", "1000PEPEUSDT"),
    ("2022-09-05.csv", None),
    ("part1.csv", None),
    ("jan_btc.csv", None),
    ("1h.parquet", None),
])
def test_symbol_from_file_name(name, symbol):
    assert symbol_from_name(name) == symbol


def _frame_csv(path: Path, make_ohlcv, start: str, price: float, seed: int) -> Path:
    df = make_ohlcv(300, start=start, freq="1h", seed=seed)
    df[["open", "high", "low", "close"]] *= price / 100.0
    df.to_csv(path)
    return path


def test_a_folder_of_two_named_instruments_is_refused_naming_them(tmp_path, make_ohlcv):
    _frame_csv(tmp_path / "BTCUSDT-1h.csv", make_ohlcv, "2022-01-01", 20000, 1)
    _frame_csv(tmp_path / "ETHUSDT-1h.csv", make_ohlcv, "2022-01-14", 400, 2)
    with pytest.raises(DataError) as exc:
        load_ohlcv(tmp_path)
    assert str(exc.value) == (f"{tmp_path}: candles of 2 instruments: BTCUSDT (BTCUSDT-1h.csv), "
                              "ETHUSDT (ETHUSDT-1h.csv); expected one instrument per folder or "
                              "pattern (load each one on its own)")


def test_unnamed_files_of_two_instruments_are_refused_by_the_jump_at_the_join(
        tmp_path, make_ohlcv):
    _frame_csv(tmp_path / "a.csv", make_ohlcv, "2022-01-01", 20000, 1)
    _frame_csv(tmp_path / "b.csv", make_ohlcv, "2022-01-13 12:00", 400, 2)
    with pytest.raises(DataError, match=r"the price jumps -98% from .* \(last close of a\.csv\) "
                                        r"to .* \(first open of b\.csv\); expected one instrument"):
        load_ohlcv(tmp_path)


def test_a_symbol_column_with_two_instruments_is_refused(tmp_path):
    path = tmp_path / "both.csv"
    path.write_text("date,symbol,open,high,low,close,volume\n"
                    "2022-01-01 00:00,BTC/USD,100,101,99,100,1\n"
                    "2022-01-01 01:00,BTC/USD,100,101,99,100,1\n"
                    "2022-01-01 02:00,ETH/USD,10,11,9,10,1\n")
    with pytest.raises(DataError, match=r"both\.csv: candles of more than one instrument in its "
                                        r"symbol column: BTC/USD \(2 rows\), ETH/USD \(1 rows\)"):
        load_ohlcv(path)


def test_one_instrument_split_over_files_still_loads(tmp_path, testdata):
    for name in ("BTCUSDT-1m-2022-09-05.zip", "BTCUSDT-1m-2022-09-06.zip"):
        shutil.copy(testdata / name, tmp_path / name)
    assert len(load_ohlcv(tmp_path)) == 2880
