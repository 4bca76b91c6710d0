"""The datasets shipped in the package match their documented sources."""

from __future__ import annotations

import shutil

import pandas as pd

from backtrader_engine.data import (
    bundled_datasets,
    bundled_info,
    bundled_perp_1h,
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
    assert set(datasets) == {
        "BTCUSD-1h-coinbase", "XRPUSDT-5m-binance-perp", "XRPUSDT-funding-8h",
        "BTCUSDT-1h-bybit-perp", "ETHUSDT-1h-bybit-perp", "SOLUSDT-1h-bybit-perp",
        "XRPUSDT-1h-bybit-perp", "BNBUSDT-1h-bybit-perp",
    }
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


def test_bybit_perp_candles_are_the_test_data_over_one_common_range(testdata, check_canonical):
    perp = bundled_perp_1h()
    assert list(perp) == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT"]
    frames = {symbol: load_ohlcv(path) for symbol, path in perp.items()}
    for symbol, df in frames.items():
        check_canonical(df)
        # Converted, never trimmed: the bundled file is the raw CSV, value for value.
        pd.testing.assert_frame_equal(df, load_ohlcv(testdata / f"{symbol}_1h.csv"))
        assert check_quality(df).timeframe == "1h"
        info = bundled_info(perp[symbol])
        assert info is not None and info.symbol == symbol and info.quote == "USDT"
        assert info.venue == "Bybit USDT perpetual"
    # Bybit's kline CSV carries base-asset ``volume`` and quote ``turnover``; volume is the former.
    assert frames["BTCUSDT"]["volume"].iloc[0] == 1505.005
    # Every symbol has the same 1000 hourly bars, none missing.
    index = frames["BTCUSDT"].index
    assert len(index) == 1000
    assert index[0] == pd.Timestamp("2025-09-11 08:00")
    assert index[-1] == pd.Timestamp("2025-10-22 23:00")
    assert (index.to_series().diff().dropna() == pd.Timedelta(hours=1)).all()
    for df in frames.values():
        assert df.index.equals(index)
    # Distinct markets, not one series copied five times.
    closes = pd.DataFrame({symbol: df["close"] for symbol, df in frames.items()})
    assert closes.iloc[-1].round(4).to_dict() == {
        "BTCUSDT": 107357.1, "ETHUSDT": 3769.32, "SOLUSDT": 179.57,
        "XRPUSDT": 2.3475, "BNBUSDT": 1064.6,
    }
