"""The datasets shipped in the package match their documented sources."""

from __future__ import annotations

import shutil

import pandas as pd

from backtrader_engine.data import (
    bundled_datasets,
    bundled_info,
    check_quality,
    default_dataset,
    load_funding,
    load_ohlcv,
    validate_for_backtest,
    write_parquet_atomic,
)


def test_default_dataset_is_converted_coinbase_csv(testdata, check_canonical):
    path = default_dataset()
    assert path.name == "BTCUSD-1h-coinbase.parquet"
    df = load_ohlcv(path)
    check_canonical(df)
    expected = load_ohlcv(testdata / "Coinbase_BTCUSD_1h.csv")
    pd.testing.assert_frame_equal(df, expected)
    validate_for_backtest(df, path)
    assert check_quality(df).timeframe == "1h"


def test_bundled_perp_and_funding(testdata):
    datasets = bundled_datasets()
    assert set(datasets) == {"BTCUSD-1h-coinbase", "XRPUSDT-5m-binance-perp", "XRPUSDT-funding-8h"}
    candles = load_ohlcv(datasets["XRPUSDT-5m-binance-perp"])
    source = load_ohlcv(testdata / "XRP_USDT_USDT-5m-futures.feather")
    pd.testing.assert_frame_equal(candles, source)
    funding = load_funding(datasets["XRPUSDT-funding-8h"])
    expected = load_funding(testdata / "XRP_USDT_USDT-8h-funding_rate.feather")
    pd.testing.assert_series_equal(funding, expected)
    overlap = funding.loc[candles.index[0] : candles.index[-1]]
    assert len(overlap) == 12


def test_bundled_candles_know_their_instrument(tmp_path):
    datasets = bundled_datasets()
    btc = bundled_info(datasets["BTCUSD-1h-coinbase"])
    assert btc is not None and btc.label == "BTC-USD (Coinbase spot, USD)" and btc.quote == "USD"
    xrp = bundled_info(datasets["XRPUSDT-5m-binance-perp"])
    assert xrp is not None and xrp.quote == "USDT"
    assert bundled_info(datasets["XRPUSDT-funding-8h"]) is None  # funding, not candles
    # A byte-identical copy (another checkout's resources) is still recognised ...
    copy = tmp_path / "BTCUSD-1h-coinbase.parquet"
    shutil.copyfile(datasets["BTCUSD-1h-coinbase"], copy)
    assert bundled_info(copy) == btc
    # ... but not a different file that merely shares the name, nor a missing one.
    write_parquet_atomic(load_ohlcv(datasets["BTCUSD-1h-coinbase"]).iloc[:100], copy)
    assert bundled_info(copy) is None
    assert bundled_info(tmp_path / "missing.parquet") is None
