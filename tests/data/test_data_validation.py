"""The one set of candle rules: what is refused, the line it is refused with, and that the
quality report (``data check``) calls refused exactly what the loaders refuse."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.data import check_quality, load_ohlcv, validate_for_backtest
from backtrader_engine.data.validation import (
    MAX_VALUE,
    MIN_BARS,
    REGIME_RUN,
    bar_sizes,
    refusal,
    validate_candles,
)
from backtrader_engine.errors import DataError


def _mixed(make_ohlcv, first: str, n_first: int, second: str, n_second: int) -> pd.DataFrame:
    """*n_first* bars of size *first*, then *n_second* bars of size *second* a day later."""
    a = make_ohlcv(n_first, start="2022-01-01", freq=first)
    b = make_ohlcv(n_second, start=a.index[-1] + pd.Timedelta(days=1), freq=second, seed=1)
    return pd.concat([a, b])


def _set(df: pd.DataFrame, row: int, **values: float) -> pd.DataFrame:
    df = df.copy()
    for col, value in values.items():
        df.iloc[row, df.columns.get_loc(col)] = value
    return df


@pytest.mark.parametrize(("first", "n_first", "second", "n_second"), [
    ("1h", 1200, "5min", 300),   # the 5m bars are not on the 1h grid
    ("5min", 1200, "1h", 300),   # the 1h bars look like 11 missing 5m bars, again and again
])
def test_a_file_mixing_bar_sizes_is_refused_with_the_sizes_and_counts(
        make_ohlcv, first, n_first, second, n_second):
    df = _mixed(make_ohlcv, first, n_first, second, n_second)
    line = refusal(df, "mixed.csv")
    big, small = ("1h", "5m") if first == "1h" else ("5m", "1h")
    assert line is not None and "\n" not in line
    assert line.startswith(f"mixed.csv: bars of more than one size: {big} ({n_first}) and "
                           f"{small} ({n_second}), the {small} bars from ")
    with pytest.raises(DataError, match="expected one bar size"):
        validate_for_backtest(df, "mixed.csv")


def test_gaps_are_not_a_second_bar_size(make_ohlcv):
    df = make_ohlcv(3000, freq="1min")
    rng = np.random.default_rng(3)
    # Missing bars of every length, scattered, and a few back-to-back 5m gaps (as in sparse
    # real 1m files): all multiples of 1m, none a run of REGIME_RUN.
    holes = np.zeros(len(df), dtype=bool)
    for start in rng.choice(np.arange(10, 2900, 40), 40, replace=False):
        holes[start:start + int(rng.integers(1, 30))] = True
    for k in range(REGIME_RUN - 1):
        holes[2000 + 5 * k + 1:2000 + 5 * k + 5] = True
    df = df.loc[~holes]
    sizes = bar_sizes(pd.DatetimeIndex(df.index))
    assert [(s.name, s.bars) for s in sizes] == [("1m", len(df))]
    assert refusal(df, "gappy.csv") is None
    assert check_quality(df).gap_count > 0  # still reported, as a warning


@pytest.mark.parametrize("name", ["Coinbase_BTCUSD_1h.csv", "SOLUSDT.csv",
                                  "BTCUSDT-1m-2022-09-05.zip", "XRP_USDT_USDT-5m-futures.feather",
                                  "XRP_USDT_USDT-1h-futures.feather"])
def test_real_candles_pass(testdata, name):
    df = load_ohlcv(testdata / name)
    assert refusal(df, name) is None
    assert len(bar_sizes(pd.DatetimeIndex(df.index))) == 1


@pytest.mark.parametrize(("rows", "message"), [(0, "no bars"), (1, "only 1 bar(s)"),
                                                (2, "only 2 bar(s)")])
def test_too_few_bars_are_refused_with_the_minimum(make_ohlcv, rows, message):
    line = refusal(make_ohlcv(5, freq="1h").iloc[:rows], "tiny.csv")
    assert line is not None and line.startswith(f"tiny.csv: {message}")
    assert f"at least {MIN_BARS}" in line
    assert refusal(make_ohlcv(MIN_BARS, freq="1h"), "ok.csv") is None


@pytest.mark.parametrize(("edit", "message"), [
    ({"close": np.nan}, "close is NaN"),
    ({"high": np.inf}, "high is infinite"),
    ({"low": -np.inf}, "low is infinite"),
    ({"open": 1e308, "high": 1e308, "low": 1e308, "close": 1e308},
     f"open is above {MAX_VALUE:g}"),
    ({"volume": 1e300}, f"volume is above {MAX_VALUE:g}"),
    ({"low": 0.0}, "low is <= 0"),
    ({"volume": -1.0}, "volume is negative"),
    ({"high": 1.0, "low": 2.0}, "high 1.0 < low 2.0"),
])
def test_bad_values_are_refused_naming_the_bar(make_ohlcv, edit, message):
    df = _set(make_ohlcv(50, freq="1h"), 7, **edit)
    line = refusal(df, "bad.csv")
    assert line is not None and line.startswith(f"bad.csv: bar {df.index[7]}: {message}")


BAD_FRAMES = {
    "nan": lambda df: _set(df, 3, close=np.nan),
    "inf": lambda df: _set(df, 3, high=np.inf),
    "huge": lambda df: _set(df, 3, open=1e308, high=1e308, low=1e308, close=1e308),
    "zero": lambda df: _set(df, 3, low=0.0),
    "negative volume": lambda df: _set(df, 3, volume=-1.0),
    "high below low": lambda df: _set(df, 3, high=1.0, low=2.0),
    "one row": lambda df: df.iloc[:1],
    "two rows": lambda df: df.iloc[:2],
    "empty": lambda df: df.iloc[:0],
    "mixed": lambda df: pd.concat([df, df.iloc[:40].set_axis(
        pd.date_range(df.index[-1] + pd.Timedelta(days=1), periods=40, freq="5min"))]),
    "clean": lambda df: df,
    "gap": lambda df: df.drop(df.index[10:20]),
    "zero volume": lambda df: _set(df, 3, volume=0.0),
}


@pytest.mark.parametrize("case", sorted(BAD_FRAMES))
def test_the_report_refuses_exactly_what_the_loaders_refuse(make_ohlcv, case):
    df = BAD_FRAMES[case](make_ohlcv(200, freq="1h"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning on any of them
        report = check_quality(df, source="x.csv")
    try:
        validate_candles(df, "x.csv")
        refused = None
    except DataError as exc:
        refused = str(exc)
    assert report.refusal == refused
    assert (report.severity == "error") == (refused is not None)
    assert report.ok == (refused is None)
