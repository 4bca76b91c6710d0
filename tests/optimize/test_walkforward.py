"""Hold-out split, walk-forward windows, equity stitching and walk-forward efficiency."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.optimize.walkforward import (
    Window,
    annualised_return_pct,
    split_in_out_of_sample,
    stitch_equity,
    walk_forward_efficiency,
    walk_forward_windows,
)


@pytest.fixture
def bars() -> pd.DataFrame:
    index = pd.date_range("2023-01-01", periods=1000, freq="1h", name="datetime")
    return pd.DataFrame({"close": np.linspace(100.0, 200.0, len(index))}, index=index)


def _one_line_user_error(excinfo: pytest.ExceptionInfo[UserError]) -> str:
    message = str(excinfo.value)
    assert message and "\n" not in message
    return message


# --- in-sample / out-of-sample split ---------------------------------------------------------

@pytest.mark.parametrize(("fraction", "n_oos"), [(0.2, 200), (0.3, 300), (0.05, 50), (0.25, 250)])
def test_split_holds_out_the_last_bars(bars, fraction, n_oos):
    in_sample, out_of_sample = split_in_out_of_sample(bars, fraction)
    assert out_of_sample is not None
    assert len(out_of_sample) == n_oos
    assert len(in_sample) == len(bars) - n_oos
    assert in_sample.index[-1] < out_of_sample.index[0]
    pd.testing.assert_frame_equal(pd.concat([in_sample, out_of_sample]), bars)


def test_split_with_zero_fraction_keeps_everything(bars):
    in_sample, out_of_sample = split_in_out_of_sample(bars, 0.0)
    assert out_of_sample is None
    pd.testing.assert_frame_equal(in_sample, bars)


@pytest.mark.parametrize("fraction", [-0.1, 0.9, 0.95, 1.0, float("nan")])
def test_split_rejects_fractions_out_of_range(bars, fraction):
    with pytest.raises(UserError) as excinfo:
        split_in_out_of_sample(bars, fraction)
    assert "out of range" in _one_line_user_error(excinfo)


def test_split_rejects_a_too_small_hold_out(bars):
    with pytest.raises(UserError) as excinfo:
        split_in_out_of_sample(bars, 0.04)
    message = _one_line_user_error(excinfo)
    assert "out-of-sample part would have 40 bars" in message
    assert "1000 bars" in message


def test_split_rejects_a_too_small_in_sample_part(bars):
    with pytest.raises(UserError) as excinfo:
        split_in_out_of_sample(bars.iloc[:120], 0.6)
    assert "in-sample part would have 48 bars" in _one_line_user_error(excinfo)
    with pytest.raises(UserError):
        split_in_out_of_sample(bars.iloc[:30], 0.0)


# --- walk-forward windows --------------------------------------------------------------------

def _positions(index: pd.DatetimeIndex, window: Window) -> tuple[int, int, int, int]:
    return (index.get_loc(window.train_start), index.get_loc(window.train_end),
            index.get_loc(window.test_start), index.get_loc(window.test_end))


@pytest.mark.parametrize(("n_bars", "k", "fraction"),
                         [(1000, 4, 0.7), (1000, 1, 0.7), (1003, 5, 0.6), (5000, 10, 0.8)])
def test_windows_roll_and_tile_the_end_of_the_data(n_bars, k, fraction):
    index = pd.date_range("2022-06-01", periods=n_bars, freq="15min")
    windows = walk_forward_windows(index, k, fraction)
    spans = [_positions(index, w) for w in windows]

    assert [w.index for w in windows] == list(range(k))
    assert spans[0][0] == 0
    assert spans[-1][3] == n_bars - 1
    train_lengths = {train_end - train_start + 1 for train_start, train_end, _, _ in spans}
    test_lengths = {test_end - test_start + 1 for _, _, test_start, test_end in spans}
    assert len(train_lengths) == 1 and len(test_lengths) == 1
    train_len, test_len = train_lengths.pop(), test_lengths.pop()
    for train_start, train_end, test_start, test_end in spans:
        assert test_start == train_end + 1  # the test follows the train span immediately
        assert train_start <= train_end < test_start <= test_end
    for previous, current in zip(spans, spans[1:], strict=False):
        assert current[2] == previous[3] + 1  # test spans touch without overlapping
        assert current[0] - previous[0] == test_len  # windows move on by one test span
    assert train_len + k * test_len == n_bars
    assert train_len / (train_len + test_len) == pytest.approx(fraction, abs=0.02)


def test_window_lengths_follow_the_documented_formula():
    index = pd.date_range("2022-01-01", periods=1000, freq="1h")
    windows = walk_forward_windows(index, 4, 0.7)
    test_len = math.floor(1000 * 0.3 / (0.7 + 4 * 0.3))
    first = _positions(index, windows[0])
    assert first == (0, 1000 - 4 * test_len - 1, 1000 - 4 * test_len,
                     1000 - 4 * test_len + test_len - 1)


@pytest.mark.parametrize(("k", "fraction", "fragment"), [
    (0, 0.7, "at least 1 window"),
    (-2, 0.7, "at least 1 window"),
    (3, 0.0, "out of range"),
    (3, 1.0, "out of range"),
    (30, 0.7, "at least 50 are needed"),
    (1, 0.04, "train on 40 bars"),
])
def test_windows_reject_bad_settings(k, fraction, fragment):
    index = pd.date_range("2022-01-01", periods=1000, freq="1h")
    with pytest.raises(UserError) as excinfo:
        walk_forward_windows(index, k, fraction)
    assert fragment in _one_line_user_error(excinfo)


# --- stitching and annualised returns --------------------------------------------------------

def test_stitch_equity_compounds_segments_from_one_account():
    days = pd.date_range("2024-01-01", periods=6, freq="D")
    first = pd.Series([100.0, 110.0], index=days[:2])
    second = pd.Series([100.0, 90.0, 99.0], index=days[2:5])
    third = pd.Series([105.0], index=days[5:])

    stitched = stitch_equity([first, pd.Series(dtype=float), second, third], 100.0)

    expected = pd.Series([100.0, 110.0, 110.0, 99.0, 108.9, 108.9 * 1.05], index=days)
    pd.testing.assert_series_equal(stitched, expected, check_names=False)


def test_stitch_equity_keeps_each_segments_first_bar_return():
    days = pd.date_range("2024-01-01", periods=4, freq="D")
    segments = [pd.Series([1000.0, 1200.0], index=days[:2]),
                pd.Series([900.0, 990.0], index=days[2:])]
    stitched = stitch_equity(segments, 1000.0)
    np.testing.assert_allclose(stitched.to_numpy(), [1000.0, 1200.0, 1080.0, 1188.0])


def test_stitch_equity_edge_cases():
    assert stitch_equity([], 100.0).empty
    assert stitch_equity([pd.Series(dtype=float)], 100.0).empty
    with pytest.raises(ValueError):
        stitch_equity([], 0.0)


def test_annualised_return_over_one_year():
    # 365 daily bars: the span is 364 days between first and last bar plus one bar.
    days = pd.date_range("2023-01-01", periods=365, freq="D")
    equity = pd.Series(np.linspace(100.0, 150.0, len(days)), index=days)
    assert annualised_return_pct(equity) == pytest.approx(50.0)
    assert annualised_return_pct(equity, initial=120.0) == pytest.approx(25.0)


def test_annualised_return_compounds_over_two_years():
    days = pd.date_range("2022-01-01", periods=730, freq="D")
    equity = pd.Series(100.0, index=days)
    equity.iloc[-1] = 121.0
    assert annualised_return_pct(equity) == pytest.approx(10.0)


def test_annualised_return_edge_cases():
    days = pd.date_range("2023-01-01", periods=10, freq="D")
    assert annualised_return_pct(pd.Series([100.0], index=days[:1])) is None
    assert annualised_return_pct(pd.Series(np.full(10, 100.0), index=days), initial=0.0) is None
    wiped = pd.Series(np.r_[np.full(9, 100.0), 0.0], index=days)
    assert annualised_return_pct(wiped) == -100.0


# --- walk-forward efficiency -----------------------------------------------------------------

@pytest.mark.parametrize(("train", "test", "expected"), [
    ([40.0, 60.0], [20.0, 30.0], 0.5),
    ([10.0], [15.0], 1.5),
    ([30.0, 10.0, 20.0], [-10.0, 0.0, 4.0], -0.1),
    ([50.0, -10.0], [10.0, 10.0, 10.0], 0.5),
])
def test_walk_forward_efficiency(train, test, expected):
    assert walk_forward_efficiency(train, test) == pytest.approx(expected)


@pytest.mark.parametrize(("train", "test"), [
    ([], [10.0]),
    ([10.0], []),
    ([-5.0, 5.0], [10.0, 10.0]),
    ([-20.0], [5.0]),
    ([10.0, float("nan")], [5.0, 5.0]),
])
def test_walk_forward_efficiency_undefined(train, test):
    assert walk_forward_efficiency(train, test) is None
