"""Quality findings on small synthetic frames, the backtest gate and the text report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.data import (
    check_quality,
    format_quality_report,
    load_with_report,
    validate_for_backtest,
)
from backtrader_engine.errors import DataError


def _edit(df: pd.DataFrame, stamp: str, **values: float) -> pd.DataFrame:
    df = df.copy()
    for col, value in values.items():
        df.loc[pd.Timestamp(stamp), col] = value
    return df


def test_clean_frame_is_ok(make_ohlcv):
    report = check_quality(make_ohlcv(200, freq="5min"))
    assert report.rows == 200
    assert report.timeframe == "5m"
    assert report.first == pd.Timestamp("2024-01-01 00:00")
    assert report.gap_count == 0
    assert report.severity == "ok"
    assert report.ok
    assert report.volatility is not None and report.volatility.atr_pct_median > 0


def test_gaps_counted_with_largest_listed(make_ohlcv):
    df = make_ohlcv(120, freq="1min")
    holes = (df.index >= "2024-01-01 00:10") & (df.index < "2024-01-01 00:13")
    holes |= (df.index >= "2024-01-01 01:00") & (df.index < "2024-01-01 01:30")
    report = check_quality(df.loc[~holes])
    assert report.gap_count == 2
    assert report.missing_bars == 33
    assert report.largest_gaps[1].start == pd.Timestamp("2024-01-01 01:00")
    assert report.largest_gaps[1].end == pd.Timestamp("2024-01-01 01:29")
    assert report.largest_gaps[1].missing_bars == 30
    assert report.severity == "warning" and report.ok


def test_explicit_timeframe_overrides_inference(make_ohlcv):
    df = make_ohlcv(10, freq="2min")
    report = check_quality(df, timeframe="1m")
    assert report.timeframe == "1m"
    assert report.gap_count == 9 and report.missing_bars == 9


def test_nan_nonpositive_and_high_below_low_are_errors(make_ohlcv):
    df = make_ohlcv(50, freq="1h")
    df = _edit(df, "2024-01-01 03:00", close=np.nan)
    df = _edit(df, "2024-01-01 05:00", low=0.0)
    df = _edit(df, "2024-01-01 07:00", high=1.0, low=2.0)
    report = check_quality(df)
    assert report.nan_counts["close"] == 1
    assert report.nonpositive_count == 1
    assert report.nonpositive_examples == (pd.Timestamp("2024-01-01 05:00"),)
    assert report.high_below_low_count == 1
    assert report.high_below_low_examples == (pd.Timestamp("2024-01-01 07:00"),)
    assert report.severity == "error"
    assert not report.ok
    messages = [f.message for f in report.findings if f.severity == "error"]
    assert "1 NaN value(s) in 'close'" in messages


def test_open_close_outside_range_and_zero_volume_are_warnings(make_ohlcv):
    df = make_ohlcv(30, freq="1h")
    row = df.loc[pd.Timestamp("2024-01-01 02:00")]
    df = _edit(df, "2024-01-01 02:00", close=row["high"] + 1.0)
    df = _edit(df, "2024-01-01 04:00", volume=0.0)
    report = check_quality(df)
    assert report.outside_range_count == 1
    assert report.outside_range_examples == (pd.Timestamp("2024-01-01 02:00"),)
    assert report.zero_volume_count == 1
    assert report.severity == "warning"


def test_load_info_feeds_the_report(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        "date,open,high,low,close\n2024-01-01 01:00,1,2,0.5,1\n2024-01-01 00:00,1,2,0.5,1\n"
        "2024-01-01 00:00,1,2,0.5,1\n"
    )
    df, info = load_with_report(path)
    report = check_quality(df, info=info)
    assert report.duplicates_dropped == 1
    assert report.volume_filled
    assert report.source_order == "descending"
    text = format_quality_report(report, path)
    assert "no volume column: filled with 0" in text
    assert "1 exact duplicate row(s) dropped" in text


def test_validate_for_backtest_refuses_bad_bars(make_ohlcv):
    df = make_ohlcv(20, freq="1h")
    validate_for_backtest(df, "ok.csv")
    cases = [
        (
            _edit(df, "2024-01-01 04:00", open=np.nan),
            r"bad\.csv: bar 2024-01-01 04:00:00: open is NaN",
        ),
        (_edit(df, "2024-01-01 05:00", close=-1.0), r"bar 2024-01-01 05:00:00: close is <= 0"),
        (_edit(df, "2024-01-01 06:00", volume=-3.0), r"volume is negative"),
        (_edit(df, "2024-01-01 07:00", high=1.0, low=2.0), r"high 1\.0 < low 2\.0"),
        (df.iloc[0:0], r"no bars"),
        (df.drop(columns="volume"), r"missing column\(s\) volume"),
        (df.iloc[::-1], r"not ascending and unique"),
    ]
    for frame, message in cases:
        with pytest.raises(DataError, match=message):
            validate_for_backtest(frame, "bad.csv")


def test_validate_names_the_earliest_problem(make_ohlcv):
    df = make_ohlcv(20, freq="1h")
    df = _edit(df, "2024-01-01 09:00", open=np.nan)
    df = _edit(df, "2024-01-01 03:00", volume=np.nan)
    with pytest.raises(DataError, match="bar 2024-01-01 03:00:00: volume is NaN"):
        validate_for_backtest(df, "x")


def test_report_text_is_aligned_and_complete(testdata):
    path = testdata / "Coinbase_BTCUSD_1h.csv"
    df, info = load_with_report(path)
    report = check_quality(df, info=info)
    text = format_quality_report(report, path)
    lines = text.splitlines()
    assert lines[0] == f"Data quality report: {path}"
    table = lines[1:17]
    value_columns = {len(line) - len(line[2:].split("  ", 1)[1].lstrip()) for line in table}
    assert len(value_columns) == 1  # every value starts in the same column
    assert "  format              cryptodatadownload-csv" in lines
    assert "  rows                20111" in lines
    assert "  timeframe           1h" in lines
    assert "  zero-volume bars    28" in lines
    assert any(line.startswith("  volatility          ATR(14) median") for line in lines)
    assert "source order mostly descending, 5 step(s) out of order; sorted ascending" in text
    assert lines[-1] == "Result: WARNING: usable, but review the findings"


def test_report_lists_gaps_table(make_ohlcv):
    df = make_ohlcv(60, freq="1min")
    df = df.loc[(df.index < "2024-01-01 00:20") | (df.index >= "2024-01-01 00:25")]
    text = format_quality_report(check_quality(df), "mem")
    assert "Largest gaps (UTC):" in text
    assert "  2024-01-01 00:20:00  2024-01-01 00:24:00     5" in text


def test_empty_frame_report(make_ohlcv):
    report = check_quality(make_ohlcv(5).iloc[0:0])
    assert report.rows == 0 and not report.ok
    assert format_quality_report(report, "empty").endswith(
        "ERROR: refused by backtest, optimize, paper and replay"
    )
