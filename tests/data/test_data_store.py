"""DataStore: layout, atomic writes, merge semantics, listing and funding series."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from backtrader_engine.data import DataStore, MergeResult, load_ohlcv
from backtrader_engine.errors import DataError


def test_layout_and_timeframe_aliases(tmp_path):
    store = DataStore(tmp_path)
    assert store.path_for("Bybit", "BTCUSDT", "60") == tmp_path / "bybit/BTCUSDT/1h.parquet"
    assert store.path_for("bybit", "BTCUSDT", "1h") == store.path_for("BYBIT", "BTCUSDT", "60")
    assert store.funding_path("bybit", "BTCUSDT") == tmp_path / "bybit/BTCUSDT/funding.parquet"
    assert DataStore().root.as_posix() == "data"


@pytest.mark.parametrize(
    ("exchange", "symbol"),
    [("bybit", "BTC/USDT"), ("../x", "BTCUSDT"), ("bybit", "BTC:USDT"), ("", "BTCUSDT")],
)
def test_invalid_names_rejected(tmp_path, exchange, symbol):
    with pytest.raises(DataError, match="invalid (exchange|symbol)"):
        DataStore(tmp_path).path_for(exchange, symbol, "1h")


def test_write_read_round_trip(tmp_path, testdata, check_canonical):
    store = DataStore(tmp_path)
    df = load_ohlcv(testdata / "XRP_USDT_USDT-5m-futures.feather")
    path = store.write("binance", "XRPUSDT", "5m", df)
    assert path == tmp_path / "binance/XRPUSDT/5m.parquet"
    back = store.read("binance", "XRPUSDT", "5m")
    check_canonical(back)
    pd.testing.assert_frame_equal(back, df)
    window = store.read("binance", "XRPUSDT", "5", start="2021-11-16", end="2021-11-16 01:00")
    assert window.index[0] == pd.Timestamp("2021-11-16") and len(window) == 13
    assert store.last_timestamp("binance", "XRPUSDT", "5m") == pd.Timestamp("2021-11-21 22:30")
    assert store.last_timestamp("binance", "XRPUSDT", "1h") is None
    assert [p.name for p in path.parent.iterdir()] == ["5m.parquet"]  # no temp file left


def test_write_canonicalises_input(tmp_path, make_ohlcv):
    df = make_ohlcv(5, freq="1h")
    messy = df.iloc[::-1].rename(columns=str.upper).tz_localize("UTC").tz_convert("Asia/Tokyo")
    store = DataStore(tmp_path)
    store.write("bybit", "ETHUSDT", "1h", messy)
    pd.testing.assert_frame_equal(store.read("bybit", "ETHUSDT", "1h"), df, check_freq=False)


def test_failed_write_keeps_previous_file(tmp_path, make_ohlcv, monkeypatch):
    store = DataStore(tmp_path)
    original = make_ohlcv(10, freq="1h")
    store.write("bybit", "SOLUSDT", "1h", original)

    def broken_write(table, where, **kwargs):
        with open(where, "wb") as handle:
            handle.write(b"PAR1 partial")
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", broken_write)
    with pytest.raises(OSError, match="disk full"):
        store.write("bybit", "SOLUSDT", "1h", make_ohlcv(20, freq="1h", seed=3))
    monkeypatch.undo()
    pd.testing.assert_frame_equal(store.read("bybit", "SOLUSDT", "1h"), original, check_freq=False)
    files = sorted(p.name for p in store.path_for("bybit", "SOLUSDT", "1h").parent.iterdir())
    assert files == ["1h.parquet"]


def test_merge_unions_and_new_rows_win(tmp_path, make_ohlcv):
    store = DataStore(tmp_path)
    old = make_ohlcv(10, freq="1h")
    first = store.merge("bybit", "BTCUSDT", "1h", old)
    assert first == MergeResult(added=10, replaced=0, rows=10)
    new = make_ohlcv(10, start="2024-01-01 05:00", freq="1h", seed=7)
    new.loc[pd.Timestamp("2024-01-01 06:00")] = old.loc[pd.Timestamp("2024-01-01 06:00")]
    result = store.merge("bybit", "BTCUSDT", "1h", new)
    # Overlap 05:00..09:00 is 5 bars; one of them is identical, so 4 were replaced.
    assert result == MergeResult(added=5, replaced=4, rows=15)
    merged = store.read("bybit", "BTCUSDT", "1h")
    assert merged.index[0] == pd.Timestamp("2024-01-01 00:00")
    assert merged.index[-1] == pd.Timestamp("2024-01-01 14:00")
    pd.testing.assert_frame_equal(merged.loc["2024-01-01 05:00":], new, check_freq=False)
    pd.testing.assert_frame_equal(merged.loc[:"2024-01-01 04:00"], old.iloc[:5], check_freq=False)


def test_available_lists_entries(tmp_path, make_ohlcv):
    store = DataStore(tmp_path)
    assert store.available() == []
    store.write("bybit", "BTCUSDT", "1h", make_ohlcv(24, freq="1h"))
    store.write("bybit", "BTCUSDT", "5m", make_ohlcv(12, freq="5min"))
    rates = pd.Series([0.0001, -0.0002], index=pd.DatetimeIndex(["2024-01-01", "2024-01-01 08:00"]))
    store.write_funding("bybit", "BTCUSDT", rates)
    entries = store.available()
    assert [(e.exchange, e.symbol, e.timeframe, e.kind, e.rows) for e in entries] == [
        ("bybit", "BTCUSDT", "1h", "ohlcv", 24),
        ("bybit", "BTCUSDT", "5m", "ohlcv", 12),
        ("bybit", "BTCUSDT", "funding", "funding", 2),
    ]


def test_read_missing_suggests_stored(tmp_path, make_ohlcv):
    store = DataStore(tmp_path)
    store.write("bybit", "BTCUSDT", "1h", make_ohlcv(5, freq="1h"))
    with pytest.raises(DataError, match=r"not in the store \(did you mean 'bybit/BTCUSDT/1h'"):
        store.read("bybit", "BTCUSDT", "4h")


def test_funding_round_trip_and_merge(tmp_path):
    store = DataStore(tmp_path)
    stamps = pd.DatetimeIndex(["2024-01-01 00:00:00.017", "2024-01-01 08:00:00.004"])
    store.write_funding("bybit", "BTCUSDT", pd.Series([0.0001, 0.00012], index=stamps))
    rates = store.read_funding("bybit", "BTCUSDT")
    assert rates.name == "funding_rate"
    assert rates.index.tolist() == [
        pd.Timestamp("2024-01-01 00:00"),
        pd.Timestamp("2024-01-01 08:00"),
    ]
    more = pd.Series(
        [0.0003, 0.0002], index=pd.DatetimeIndex(["2024-01-01 08:00", "2024-01-01 16:00"])
    )
    assert store.merge_funding("bybit", "BTCUSDT", more) == MergeResult(added=1, replaced=1, rows=3)
    merged = store.read_funding("bybit", "BTCUSDT", start="2024-01-01 08:00")
    assert merged.tolist() == [0.0003, 0.0002]
    with pytest.raises(DataError, match="not in the store"):
        store.read_funding("bybit", "ETHUSDT")
