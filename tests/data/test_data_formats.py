"""Every supported layout, loaded from the real files in tests/testdata.

First and last rows are checked against the raw file text (or the raw Arrow table), so the
loader is compared with the source rather than with itself.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.feather as feather
import pytest

from backtrader_engine.data import detect_format, load_ohlcv, load_with_report

FILES = {
    "XRP_USDT_USDT-5m-futures.feather": ("freqtrade-feather", 1999),
    "XRP_USDT_USDT-1h-futures.feather": ("freqtrade-feather", 100),
    "BTCUSDT-1m-2022-09-05.zip": ("binance-zip", 1440),
    "BTCUSDT-1m-2022-09-06.zip": ("binance-zip", 1440),
    "BTCUSDT-1h-2022-09-07.zip": ("binance-zip", 24),
    "Coinbase_BTCUSD_1h.csv": ("cryptodatadownload-csv", 20111),
    "SOLUSDT.csv": ("csv", 1000),
}


def _bar(df: pd.DataFrame, stamp: str) -> list[float]:
    return df.loc[pd.Timestamp(stamp)].tolist()


def _zip_lines(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        (member,) = archive.namelist()
        return archive.read(member).decode().splitlines()


def _binance_row(line: str) -> tuple[pd.Timestamp, list[float]]:
    fields = line.split(",")
    return pd.Timestamp(int(fields[0]), unit="ms"), [float(v) for v in fields[1:6]]


@pytest.mark.parametrize(("name", "expected"), FILES.items())
def test_every_file_is_detected_and_canonical(testdata, check_canonical, name, expected):
    kind, rows = expected
    assert detect_format(testdata / name) == kind
    df, info = load_with_report(testdata / name)
    check_canonical(df)
    assert len(df) == rows
    assert info.format == kind
    assert info.duplicates_dropped == 0


def test_freqtrade_feather_matches_raw_table(testdata):
    path = testdata / "XRP_USDT_USDT-5m-futures.feather"
    raw = feather.read_table(path).to_pandas()
    df = load_ohlcv(path)
    for pos in (0, -1):
        row = raw.iloc[pos]
        stamp = row["date"].tz_convert("UTC").tz_localize(None)
        assert df.index[pos] == stamp
        assert df.iloc[pos].tolist() == [row[c] for c in ("open", "high", "low", "close", "volume")]
    assert df.index[0] == pd.Timestamp("2021-11-15 00:00")
    assert df.index[-1] == pd.Timestamp("2021-11-21 22:30")
    # The canonical frame owns its data: editing a copy of a column never touches the source.
    column = df["close"].to_numpy(copy=True)
    column[0] = -1.0
    assert df["close"].iloc[0] == raw["close"].iloc[0]


def test_binance_zip_with_header(testdata):
    path = testdata / "BTCUSDT-1m-2022-09-05.zip"
    lines = _zip_lines(path)
    assert lines[0].startswith("open_time,open,high")
    df, info = load_with_report(path)
    first_stamp, first_values = _binance_row(lines[1])
    last_stamp, last_values = _binance_row(lines[-1])
    assert first_stamp == pd.Timestamp("2022-09-05 00:00")
    assert df.index[0] == first_stamp and df.iloc[0].tolist() == first_values
    assert df.index[-1] == last_stamp and df.iloc[-1].tolist() == last_values
    assert first_values == [19992.7, 20000.0, 19988.1, 19996.8, 482.638]
    assert info.time_column == "open_time"


def test_binance_zip_without_header(testdata):
    path = testdata / "BTCUSDT-1h-2022-09-07.zip"
    lines = _zip_lines(path)
    assert lines[0].split(",")[0].isdigit()
    df = load_ohlcv(path)
    first_stamp, first_values = _binance_row(lines[0])
    last_stamp, last_values = _binance_row(lines[-1])
    assert df.index[0] == first_stamp == pd.Timestamp("2022-09-07 00:00")
    assert df.index[-1] == last_stamp == pd.Timestamp("2022-09-07 23:00")
    assert df.iloc[0].tolist() == first_values
    assert df.iloc[-1].tolist() == last_values


def test_cryptodatadownload_descending_becomes_ascending(testdata):
    path = testdata / "Coinbase_BTCUSD_1h.csv"
    lines = path.read_text().splitlines()
    assert "CryptoDataDownload" in lines[0]
    df, info = load_with_report(path)
    # Newest first in the file: its first data line is the frame's last bar and vice versa.
    assert lines[2] == "2019-10-17 09-AM,BTCUSD,8051,8056.83,8021.23,8035.88,61.25,492394.56"
    assert df.index[-1] == pd.Timestamp("2019-10-17 09:00")
    assert df.iloc[-1].tolist() == [8051.0, 8056.83, 8021.23, 8035.88, 61.25]
    assert lines[-1] == "2017-07-01 11-AM,BTCUSD,2505.56,2513.38,2495.12,2509.17,114.6,287000.32"
    assert df.index[0] == pd.Timestamp("2017-07-01 11:00")
    assert df.iloc[0].tolist() == [2505.56, 2513.38, 2495.12, 2509.17, 114.6]
    assert info.source_order == "mostly descending"
    assert info.out_of_order == 5
    assert info.volume_column == "volume_btc"


def test_cryptodatadownload_am_pm_hours(testdata):
    df = load_ohlcv(testdata / "Coinbase_BTCUSD_1h.csv")
    text = (testdata / "Coinbase_BTCUSD_1h.csv").read_text()
    # 12-AM is midnight, 12-PM is noon, 11-PM is 23:00.
    expected = {
        "2019-10-16 11-PM": "2019-10-16 23:00",
        "2019-10-17 12-AM": "2019-10-17 00:00",
        "2019-10-16 12-PM": "2019-10-16 12:00",
        "2019-10-16 09-PM": "2019-10-16 21:00",
    }
    for raw_date, stamp in expected.items():
        line = next(line for line in text.splitlines() if line.startswith(raw_date + ","))
        close = float(line.split(",")[5])
        assert df.loc[pd.Timestamp(stamp), "close"] == close


def test_generic_csv_matches_raw_text(testdata):
    path = testdata / "SOLUSDT.csv"
    lines = path.read_text().splitlines()
    assert lines[0] == "timestamp,Open,High,Low,Close,Volume"
    df, info = load_with_report(path)
    for pos, line in ((0, lines[1]), (-1, lines[-1])):
        stamp, *values = line.split(",")
        assert df.index[pos] == pd.Timestamp(stamp)
        assert df.iloc[pos].tolist() == [float(v) for v in values]
    assert df.index[-1] == pd.Timestamp("2024-11-01 06:00")
    assert info.source_order == "ascending"
    assert not info.volume_filled
