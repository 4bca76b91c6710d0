"""The replay market applies the candle rules of every mode, so it never serves nan or inf."""

from __future__ import annotations

import numpy as np
import pytest

from backtrader_engine.errors import DataError
from backtrader_engine.exchanges.bybit.replay import ReplayMarket
from backtrader_engine.exchanges.bybit.replay.market import _num


@pytest.mark.parametrize(("column", "value", "message"), [
    ("close", np.nan, "close is NaN"), ("high", np.inf, "high is infinite"),
    ("open", 1e308, r"open is above 1e\+18")])
def test_a_market_of_bad_candles_is_refused(make_ohlcv, column, value, message):
    frame = make_ohlcv(50, freq="5min")
    frame.iloc[10, frame.columns.get_loc(column)] = value
    with pytest.raises(DataError, match=f"BTCUSDT 5m candles: bar .*: {message}"):
        ReplayMarket({"BTCUSDT": {"5m": frame}})


def test_numbers_are_never_sent_as_nan_or_inf():
    assert _num(1.5) == "1.5"
    for value in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="non-finite"):
            _num(value)
