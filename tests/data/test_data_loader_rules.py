"""Loader behaviour on small synthetic files: layouts, ordering, duplicates and errors."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.data import detect_format, load_ohlcv, load_with_report
from backtrader_engine.errors import DataError

HEADER = "timestamp,open,high,low,close,volume\n"


def _write(path, text):
    path.write_text(text)
    return path


def test_descending_csv_is_sorted_ascending(tmp_path, check_canonical):
    path = _write(
        tmp_path / "desc.csv",
        HEADER + "2024-01-01 02:00,3,3,3,3,1\n2024-01-01 01:00,2,2,2,2,1\n"
        "2024-01-01 00:00,1,1,1,1,1\n",
    )
    df, info = load_with_report(path)
    check_canonical(df)
    assert df["close"].tolist() == [1.0, 2.0, 3.0]
    assert info.source_order == "descending"


def test_cryptodatadownload_pm_and_iso_dates(tmp_path):
    banner = "Timestamps are UTC timezone,https://www.CryptoDataDownload.com\n"
    header = "date,symbol,open,high,low,close,volume_btc,volume\n"
    path = _write(
        tmp_path / "cdd.csv",
        banner + header + "2019-10-17 09-PM,BTCUSD,2,3,1,2,10,20000\n"
        "2019-10-17 09-AM,BTCUSD,1,2,1,1,5,5000\n",
    )
    df = load_ohlcv(path)
    assert df.index.tolist() == [pd.Timestamp("2019-10-17 09:00"), pd.Timestamp("2019-10-17 21:00")]
    assert df["volume"].tolist() == [5.0, 10.0]  # base-asset volume, not the USD column
    iso = _write(
        tmp_path / "cdd_iso.csv",
        banner + header + "2019-10-18,BTCUSD,2,3,1,2,10,20000\n2019-10-17,BTCUSD,1,2,1,1,5,5\n",
    )
    assert load_ohlcv(iso).index[0] == pd.Timestamp("2019-10-17")


def test_bitfinex_style_volume_from_is_base_volume(tmp_path):
    path = _write(
        tmp_path / "bitfinex.csv",
        "Date,Symbol,Open,High,Low,Close,VolumeFrom,VolumeTo\n"
        "2019-07-04 01:00,BTCUSD,11849.99,11880.0,11790.01,11849.69,303.61,3589525.18\n"
        "2019-07-04 00:00,BTCUSD,11976.42,12064.26,11812.01,11849.99,1627.53,19416056.06\n",
    )
    df, info = load_with_report(path)
    assert info.format == "cryptodatadownload-csv"
    assert info.volume_column == "VolumeFrom"
    assert df["volume"].tolist() == [1627.53, 303.61]


def test_generic_csv_any_case_unnamed_index_and_extra_columns(tmp_path):
    path = _write(
        tmp_path / "mixed.csv",
        ",Symbol,OPEN,High,low,CLOSE,Volume,Trades\n"
        "2019-09-30 07:00:00,BTC/USDT,7986.86,8014.21,7984.26,7998.49,269.9,12\n"
        "2019-09-30 08:00:00,BTC/USDT,7997.94,8152.8,7997.91,8114.76,4459.1,40\n",
    )
    df = load_ohlcv(path)
    assert df.iloc[1].tolist() == [7997.94, 8152.8, 7997.91, 8114.76, 4459.1]
    assert df.index[0] == pd.Timestamp("2019-09-30 07:00")


@pytest.mark.parametrize(
    ("stamp", "unit"),
    [(1_700_000_000, "s"), (1_700_000_000_000, "ms"), (1_700_000_000_000_000, "us")],
)
def test_epoch_numbers_detected_by_magnitude(tmp_path, stamp, unit):
    step = {"s": 60, "ms": 60_000, "us": 60_000_000}[unit]
    path = _write(
        tmp_path / "epoch.csv", HEADER + f"{stamp},1,2,0.5,1.5,3\n{stamp + step},1,2,0.5,1.5,3\n"
    )
    df = load_ohlcv(path)
    expected = pd.Timestamp(stamp, unit=unit)
    assert df.index[0] == expected
    assert df.index[1] - df.index[0] == pd.Timedelta(minutes=1)


def test_binance_zip_with_microsecond_open_times(tmp_path, zip_writer):
    # Binance spot archives switched to microsecond timestamps in 2025.
    us = 1_735_689_600_000_000  # 2025-01-01 00:00 UTC
    minute = 60_000_000
    rows = [
        f"{us + i * minute},94000.0,94100.0,93900.0,94050.0,12.5,{us + (i + 1) * minute - 1},"
        "1175000.0,100,6.0,564000.0,0"
        for i in range(3)
    ]
    path = zip_writer(
        tmp_path / "BTCUSDT-1m-2025-01-01.zip", "BTCUSDT-1m-2025-01-01.csv", "\n".join(rows) + "\n"
    )
    df = load_ohlcv(path)
    assert df.index[0] == pd.Timestamp("2025-01-01 00:00")
    assert df.index[-1] == pd.Timestamp("2025-01-01 00:02")


def test_parquet_variants(tmp_path, make_ohlcv, check_canonical):
    base = make_ohlcv(5, freq="1h")
    aware = base.tz_localize("UTC").tz_convert("Europe/Berlin")
    aware.to_parquet(tmp_path / "aware.parquet")
    ms = base.reset_index(drop=True).assign(timestamp=base.index.asi8 // 1_000_000)
    ms.to_parquet(tmp_path / "ms.parquet")
    naive = base.reset_index().rename(columns={"datetime": "open_time"})
    naive.columns = [c.upper() for c in naive.columns]
    naive.to_parquet(tmp_path / "naive.parquet")
    for name in ("aware", "ms", "naive"):
        df = load_ohlcv(tmp_path / f"{name}.parquet")
        check_canonical(df)
        pd.testing.assert_frame_equal(df, base, check_freq=False)


def test_exact_duplicates_dropped_and_counted(tmp_path):
    path = _write(
        tmp_path / "dup.csv",
        HEADER + "2024-01-01 00:00,1,1,1,1,1\n2024-01-01 01:00,2,2,2,2,1\n"
        "2024-01-01 01:00,2,2,2,2,1\n2024-01-01 00:00,1,1,1,1,1\n",
    )
    df, info = load_with_report(path)
    assert len(df) == 2
    assert info.duplicates_dropped == 2
    assert info.source_rows == 4


def test_conflicting_duplicates_raise_naming_timestamp(tmp_path):
    path = _write(
        tmp_path / "conflict.csv",
        HEADER + "2024-01-01 00:00,1,1,1,1,1\n2024-01-01 01:00,2,2,2,2,1\n"
        "2024-01-01 01:00,2,2,2,2.5,1\n",
    )
    with pytest.raises(DataError, match=r"2024-01-01 01:00:00 but have different values"):
        load_ohlcv(path)


def test_directory_loads_and_concatenates_supported_files(tmp_path, testdata, check_canonical):
    for day in ("05", "06"):
        name = f"BTCUSDT-1m-2022-09-{day}.zip"
        shutil.copy(testdata / name, tmp_path / name)
    (tmp_path / "README.md").write_text("not data")
    (tmp_path / "BTCUSDT-1m-2022-09-05.zip.CHECKSUM").write_text("abc  file\n")
    df, info = load_with_report(tmp_path)
    check_canonical(df)
    assert detect_format(tmp_path) == "directory"
    assert info.format == "directory"
    assert info.member_formats == ("binance-zip", "binance-zip")
    assert len(df) == 2880
    assert df.index[0] == pd.Timestamp("2022-09-05 00:00")
    assert df.index[-1] == pd.Timestamp("2022-09-06 23:59")
    assert (np.diff(df.index.asi8) == 60_000_000_000).all()
    globbed = load_ohlcv(str(tmp_path / "BTCUSDT-1m-*.zip"))
    pd.testing.assert_frame_equal(globbed, df)


def test_directory_mixing_intervals_is_refused(tmp_path, testdata):
    for name in ("BTCUSDT-1m-2022-09-05.zip", "BTCUSDT-1h-2022-09-07.zip"):
        shutil.copy(testdata / name, tmp_path / name)
    with pytest.raises(DataError, match=r"BTCUSDT 1m next to BTCUSDT 1h .*one symbol and interval"):
        load_ohlcv(tmp_path)


def test_directory_mixing_bar_sizes_is_refused(tmp_path, testdata):
    shutil.copy(testdata / "BTCUSDT-1m-2022-09-05.zip", tmp_path / "a.zip")
    shutil.copy(testdata / "SOLUSDT.csv", tmp_path / "b.csv")
    with pytest.raises(DataError, match=r"b.csv: bars are 1h apart but a.zip has 1m bars"):
        load_ohlcv(tmp_path)


def test_start_end_filter_is_inclusive(testdata):
    path = testdata / "SOLUSDT.csv"
    df = load_ohlcv(path, start="2024-09-21 00:00", end=pd.Timestamp("2024-09-21 05:00"))
    assert df.index[0] == pd.Timestamp("2024-09-21 00:00")
    assert df.index[-1] == pd.Timestamp("2024-09-21 05:00")
    aware = load_ohlcv(path, start="2024-09-21 02:00+02:00", end="2024-09-21 01:00+00:00")
    assert len(aware) == 2
    with pytest.raises(DataError, match="no bars between .* the data covers 2024-09-20 15:00"):
        load_ohlcv(path, start="2030-01-01")
    with pytest.raises(DataError, match="cannot parse start 'yesterday-ish'"):
        load_ohlcv(path, start="yesterday-ish")


def test_missing_volume_filled_with_zero(tmp_path):
    path = _write(tmp_path / "novol.csv", "date,open,high,low,close\n2024-01-01,1,2,0.5,1.5\n")
    df, info = load_with_report(path)
    assert df["volume"].tolist() == [0.0]
    assert info.volume_filled


def test_missing_file_names_path_and_suggests(tmp_path):
    _write(tmp_path / "BTCUSDT-1h.csv", HEADER)
    with pytest.raises(
        DataError, match=r"BTCUSDT-1h\.cvs: file not found.*did you mean 'BTCUSDT-1h\.csv'"
    ):
        load_ohlcv(tmp_path / "BTCUSDT-1h.cvs")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.csv", "hello,world\nfoo,bar\n", "unknown layout: first line has 2 field"),
        ("numbers.csv", "1,2,3,4,5\n6,7,8,9,10\n", "headerless CSV with 5 columns"),
        ("blob.bin", b"\x00\x01\x02binary", "binary file that is not Parquet, Feather or ZIP"),
    ],
)
def test_unknown_layouts_list_supported_ones(tmp_path, name, content, message):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(DataError, match=message) as caught:
        load_ohlcv(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_wrong_columns_and_values_are_hard_errors(tmp_path):
    no_close = _write(tmp_path / "a.csv", "time,open,high,low,vol\n2024-01-01,1,2,0.5,3\n")
    with pytest.raises(DataError, match="missing column.*close.*found: time, open, high, low, vol"):
        load_ohlcv(no_close)
    bad_date = _write(tmp_path / "b.csv", HEADER + "2024-01-01,1,2,0.5,1,1\nsoon,1,2,0.5,1,1\n")
    with pytest.raises(DataError, match=r"b\.csv: line 3: cannot parse 'timestamp' value 'soon'"):
        load_ohlcv(bad_date)
    bad_price = _write(tmp_path / "c.csv", HEADER + "2024-01-01,1,2,0.5,12.3.4,1\n")
    with pytest.raises(DataError, match=r"line 2: column 'close' value '12.3.4' is not a number"):
        load_ohlcv(bad_price)
    no_time = _write(tmp_path / "d.csv", "Sym,open,high,low,close\nX,1,2,0.5,1\n")
    with pytest.raises(DataError, match="no timestamp column"):
        load_ohlcv(no_time)


def test_extension_must_agree_with_content(tmp_path):
    path = _write(tmp_path / "candles.parquet", HEADER + "2024-01-01,1,2,0.5,1,1\n")
    with pytest.raises(DataError, match="extension says Parquet but the content is not"):
        load_ohlcv(path)


def test_empty_cells_become_nan_not_errors(tmp_path):
    path = _write(tmp_path / "gap.csv", HEADER + "2024-01-01 00:00,1,2,0.5,,1\n")
    df = load_ohlcv(path)
    assert np.isnan(df["close"].iloc[0])


def test_generic_feather_and_csv_inside_zip(tmp_path, make_ohlcv, zip_writer, check_canonical):
    base = make_ohlcv(6, freq="15min")
    base.reset_index().to_feather(tmp_path / "plain.feather")
    assert detect_format(tmp_path / "plain.feather") == "feather"
    pd.testing.assert_frame_equal(load_ohlcv(tmp_path / "plain.feather"), base, check_freq=False)
    text = base.rename(columns=str.title).to_csv(index_label="Date")
    path = zip_writer(tmp_path / "candles.zip", "candles.csv", text)
    assert detect_format(path) == "csv-zip"
    df = load_ohlcv(path)
    check_canonical(df)
    pd.testing.assert_frame_equal(df, base, check_freq=False, check_exact=False, rtol=1e-12)


def test_headerless_binance_csv_outside_zip(tmp_path):
    path = _write(
        tmp_path / "klines.csv",
        "1662508800000,18790.61,18873.17,18656.19,18833.11,15856.22,1662512399999,0,1,0,0,0\n"
        "1662512400000,18833.11,18861.22,18764.15,18787.65,10727.61,1662515999999,0,1,0,0,0\n",
    )
    assert detect_format(path) == "binance-csv"
    df = load_ohlcv(path)
    assert df.index[1] == pd.Timestamp("2022-09-07 01:00")
    assert df.iloc[1].tolist() == [18833.11, 18861.22, 18764.15, 18787.65, 10727.61]


def test_all_nan_volume_is_treated_as_missing(tmp_path, make_ohlcv):
    base = make_ohlcv(4, freq="1h").assign(volume=np.nan)
    base.to_parquet(tmp_path / "mark.parquet")
    df, info = load_with_report(tmp_path / "mark.parquet")
    assert info.volume_filled and info.volume_column is None
    assert (df["volume"] == 0.0).all()


def test_non_epoch_numbers_rejected(tmp_path):
    path = _write(tmp_path / "rows.csv", HEADER + "1,1,2,0.5,1,1\n2,1,2,0.5,1,1\n")
    with pytest.raises(DataError, match=r"line 2: 'timestamp' value 1 is not an epoch timestamp"):
        load_ohlcv(path)
