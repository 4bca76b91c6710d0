"""Timeframe names, Bybit aliases, inference and backtrader mapping."""

from __future__ import annotations

import backtrader as bt
import pandas as pd
import pytest

from backtrader_engine.data import (
    TIMEFRAMES,
    canonical_timeframe,
    infer_timeframe,
    load_ohlcv,
    parse_timeframe,
    timeframe_to_backtrader,
)
from backtrader_engine.errors import DataError


@pytest.mark.parametrize(
    ("name", "minutes"),
    [
        ("1m", 1),
        ("3m", 3),
        ("5m", 5),
        ("15m", 15),
        ("30m", 30),
        ("1h", 60),
        ("2h", 120),
        ("4h", 240),
        ("6h", 360),
        ("12h", 720),
        ("1d", 1440),
        ("1w", 10080),
    ],
)
def test_parse_canonical_names(name, minutes):
    assert parse_timeframe(name) == pd.Timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("bybit", "name"),
    [
        ("1", "1m"),
        ("3", "3m"),
        ("5", "5m"),
        ("15", "15m"),
        ("30", "30m"),
        ("60", "1h"),
        ("120", "2h"),
        ("240", "4h"),
        ("360", "6h"),
        ("720", "12h"),
        ("D", "1d"),
        ("W", "1w"),
    ],
)
def test_bybit_intervals_map_to_canonical(bybit, name):
    assert canonical_timeframe(bybit) == name
    assert parse_timeframe(bybit) == TIMEFRAMES[name]


def test_upper_case_hours_days_weeks_accepted_but_not_months():
    assert canonical_timeframe("4H") == "4h"
    assert canonical_timeframe(" 1D ") == "1d"
    with pytest.raises(DataError, match="unknown timeframe '1M'"):
        parse_timeframe("1M")


@pytest.mark.parametrize("bad", ["7m", "1y", "", "hourly", "90"])
def test_parse_errors_list_valid_values(bad):
    with pytest.raises(DataError) as caught:
        parse_timeframe(bad)
    message = str(caught.value)
    assert f"unknown timeframe '{bad}'" in message
    assert "expected one of 1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 12h, 1d, 1w" in message
    assert "Bybit interval: 1, 3, 5, 15, 30, 60, 120, 240, 360, 720, D, W" in message


def test_parse_error_suggests_close_name():
    with pytest.raises(DataError, match="did you mean '15m'"):
        parse_timeframe("15min")


def test_infer_timeframe_from_real_files(testdata):
    assert infer_timeframe(load_ohlcv(testdata / "XRP_USDT_USDT-5m-futures.feather")) == "5m"
    assert infer_timeframe(load_ohlcv(testdata / "Coinbase_BTCUSD_1h.csv")) == "1h"
    minute = load_ohlcv(testdata / "BTCUSDT-1m-2022-09-05.zip")
    assert infer_timeframe(minute) == "1m"


def test_infer_timeframe_uses_mode_not_minimum():
    index = pd.DatetimeIndex(
        [
            "2024-01-01 00:00",
            "2024-01-01 00:05",
            "2024-01-01 00:07",
            "2024-01-01 00:10",
            "2024-01-01 00:15",
            "2024-01-01 00:20",
        ]
    )
    assert infer_timeframe(index) == "5m"
    monthly = pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2024-03-03"])
    assert infer_timeframe(monthly) == "31d"


def test_infer_timeframe_needs_two_bars(make_ohlcv):
    with pytest.raises(DataError, match="at least 2 distinct timestamps"):
        infer_timeframe(make_ohlcv(1))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("1m", (bt.TimeFrame.Minutes, 1)),
        ("15", (bt.TimeFrame.Minutes, 15)),
        ("4h", (bt.TimeFrame.Minutes, 240)),
        ("12h", (bt.TimeFrame.Minutes, 720)),
        ("1d", (bt.TimeFrame.Days, 1)),
        ("W", (bt.TimeFrame.Weeks, 1)),
    ],
)
def test_timeframe_to_backtrader(name, expected):
    assert timeframe_to_backtrader(name) == expected
