"""Funding-rate loaders and the --funding argument."""

from __future__ import annotations

import pandas as pd
import pyarrow.feather as feather
import pytest

from backtrader_engine.data import load_funding, parse_funding_arg
from backtrader_engine.errors import DataError


def test_freqtrade_funding_feather(testdata):
    path = testdata / "XRP_USDT_USDT-8h-funding_rate.feather"
    raw = feather.read_table(path).to_pandas()
    rates = load_funding(path)
    assert rates.name == "funding_rate"
    assert rates.index.name == "datetime"
    assert rates.index.dtype == "datetime64[ns]"
    assert len(rates) == 91
    # 00:00:00.017 settles the 00:00 interval: floored to the second.
    assert str(raw["date"].iloc[0]) == "2021-11-18 00:00:00.017000+00:00"
    assert rates.index[0] == pd.Timestamp("2021-11-18 00:00:00")
    assert rates.index[-1] == pd.Timestamp("2021-12-18 00:00:00")
    assert rates.tolist() == raw["open"].tolist()
    assert (rates.index.second == 0).all() and (rates.index.microsecond == 0).all()


def test_bybit_csv_with_millisecond_epochs(tmp_path):
    # Rows as returned by Bybit v5 /market/funding/history (newest first).
    path = tmp_path / "bybit_funding.csv"
    path.write_text(
        "symbol,fundingRate,fundingRateTimestamp\n"
        "BTCUSDT,0.0001,1704096000000\n"
        "BTCUSDT,-0.00005,1704067200000\n"
        "BTCUSDT,0.000125,1704038400000\n"
    )
    rates = load_funding(path)
    assert rates.index.tolist() == [
        pd.Timestamp("2023-12-31 16:00"),
        pd.Timestamp("2024-01-01 00:00"),
        pd.Timestamp("2024-01-01 08:00"),
    ]
    assert rates.tolist() == [0.000125, -0.00005, 0.0001]


def test_parquet_and_iso_dates(tmp_path):
    frame = pd.DataFrame(
        {"time": ["2024-01-01T00:00:00Z", "2024-01-01T08:00:00Z"], "funding_rate": [0.0001, 0.0002]}
    )
    frame.to_parquet(tmp_path / "f.parquet")
    rates = load_funding(tmp_path / "f.parquet")
    assert rates.index[1] == pd.Timestamp("2024-01-01 08:00")


def test_funding_errors(tmp_path):
    no_rate = tmp_path / "a.csv"
    no_rate.write_text("symbol,price,time\nX,1,1704096000000\n")
    with pytest.raises(DataError, match="no funding-rate column; expected one of fundingRate"):
        load_funding(no_rate)
    conflict = tmp_path / "b.csv"
    conflict.write_text("rate,timestamp\n0.0001,1704096000000\n0.0002,1704096000000\n")
    with pytest.raises(DataError, match="share timestamp 2024-01-01 08:00:00"):
        load_funding(conflict)
    missing_rate = tmp_path / "c.csv"
    missing_rate.write_text("rate,timestamp\n,1704096000000\n")
    with pytest.raises(DataError, match="funding rate at 2024-01-01 08:00:00 is 'nan'"):
        load_funding(missing_rate)


def test_parse_funding_arg(testdata):
    assert parse_funding_arg("0.0001") == 0.0001
    assert parse_funding_arg(" -1e-4 ") == -0.0001
    series = parse_funding_arg(str(testdata / "XRP_USDT_USDT-8h-funding_rate.feather"))
    assert isinstance(series, pd.Series) and len(series) == 91
    with pytest.raises(DataError, match="neither a number .* nor an existing funding-rate file"):
        parse_funding_arg("0.01%")
    with pytest.raises(DataError, match="not finite"):
        parse_funding_arg("nan")
