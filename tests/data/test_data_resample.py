"""Resampling checked against an independent groupby, plus alignment and edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.data import load_ohlcv, resample_ohlcv
from backtrader_engine.errors import DataError


def _independent(df: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Reference aggregation: group by the floored timestamp, plain pandas reductions."""
    keys = df.index.floor(freq)
    grouped = df.groupby(keys)
    result = pd.DataFrame(
        {
            "open": grouped["open"].first(),
            "high": grouped["high"].max(),
            "low": grouped["low"].min(),
            "close": grouped["close"].last(),
            "volume": grouped["volume"].sum(),
        }
    )
    result.index.name = "datetime"
    return result


@pytest.fixture
def two_days(testdata):
    parts = [load_ohlcv(testdata / f"BTCUSDT-1m-2022-09-0{day}.zip") for day in (5, 6)]
    return pd.concat(parts)


def test_1m_to_1h_matches_groupby_on_floor(two_days, check_canonical):
    result = resample_ohlcv(two_days, "1h")
    check_canonical(result)
    expected = _independent(two_days, "1h")
    assert len(result) == 48
    pd.testing.assert_frame_equal(result, expected, check_freq=False)


def test_1m_to_4h_and_1d_align_to_utc_midnight(two_days):
    four = resample_ohlcv(two_days, "4h")
    assert four.index[0] == pd.Timestamp("2022-09-05 00:00")
    assert (four.index.hour % 4 == 0).all()
    daily = resample_ohlcv(two_days, "1d")
    assert daily.index.tolist() == [pd.Timestamp("2022-09-05"), pd.Timestamp("2022-09-06")]
    pd.testing.assert_frame_equal(daily, _independent(two_days, "1D"), check_freq=False)


def test_label_last_is_open_of_last_base_bar(two_days):
    by_open = resample_ohlcv(two_days, "1h")
    by_last = resample_ohlcv(two_days, "1h", label="last")
    assert by_last.index[0] == pd.Timestamp("2022-09-05 00:59")
    assert (by_last.index == by_open.index + pd.Timedelta(minutes=59)).all()
    np.testing.assert_array_equal(by_last.to_numpy(), by_open.to_numpy())
    # Each higher-timeframe bar carries the close of the base bar it is stamped with.
    assert (by_last["close"] == two_days.loc[by_last.index, "close"]).all()


def test_incomplete_trailing_period_dropped(make_ohlcv):
    df = make_ohlcv(150, start="2024-01-01 00:00", freq="1min")  # ends at 02:29
    result = resample_ohlcv(df, "1h")
    assert result.index.tolist() == [
        pd.Timestamp("2024-01-01 00:00"),
        pd.Timestamp("2024-01-01 01:00"),
    ]
    complete = resample_ohlcv(make_ohlcv(180, freq="1min"), "1h")
    assert len(complete) == 3


def test_gaps_produce_no_rows(make_ohlcv):
    df = make_ohlcv(300, freq="1min")
    holed = df.loc[(df.index < "2024-01-01 01:00") | (df.index >= "2024-01-01 03:00")]
    result = resample_ohlcv(holed, "1h")
    expected = ["2024-01-01 00:00", "2024-01-01 03:00", "2024-01-01 04:00"]
    assert result.index.tolist() == [pd.Timestamp(s) for s in expected]


def test_weekly_bars_start_monday(make_ohlcv):
    df = make_ohlcv(24 * 21, start="2024-01-03", freq="1h")  # Wednesday
    weekly = resample_ohlcv(df, "1w")
    assert (weekly.index.day_of_week == 0).all()
    assert weekly.index[0] == pd.Timestamp("2024-01-01")
    first_week = df.loc[df.index < "2024-01-08"]
    assert weekly["open"].iloc[0] == first_week["open"].iloc[0]
    assert weekly["volume"].iloc[0] == pytest.approx(first_week["volume"].sum())
    assert weekly.index[-1] == pd.Timestamp("2024-01-15")  # week of 01-22 is incomplete


def test_invalid_targets_raise(make_ohlcv):
    hourly = make_ohlcv(48, freq="1h")
    with pytest.raises(DataError, match="cannot resample 1h bars to 5m: .*shorter"):
        resample_ohlcv(hourly, "5m")
    three = make_ohlcv(60, freq="3min")
    with pytest.raises(
        DataError, match="cannot resample 3m bars to 5m: 5m is not a whole multiple"
    ):
        resample_ohlcv(three, "5m")
    with pytest.raises(DataError, match="unknown label 'close'"):
        resample_ohlcv(hourly, "4h", label="close")
    shifted = make_ohlcv(48, start="2024-01-01 00:30", freq="1h")
    with pytest.raises(DataError, match="2024-01-01 00:30:00 is not on the 1h grid"):
        resample_ohlcv(shifted, "4h")


def test_same_timeframe_is_identity(make_ohlcv):
    df = make_ohlcv(30, freq="5min")
    pd.testing.assert_frame_equal(resample_ohlcv(df, "5m"), df, check_freq=False)
