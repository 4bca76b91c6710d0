"""Rolling market-time windows: what is inside ``(now - length, now]``."""

from __future__ import annotations

import pytest

from backtrader_engine.risk.windows import EventWindow, RollingRange


def test_event_window_excludes_events_exactly_one_length_old():
    window = EventWindow(3600.0)
    for t in (0.0, 10.0, 20.0):
        window.add(t)
    assert window.count(3599.999) == 3
    assert window.count(3600.0) == 2
    assert window.count(3620.0) == 0
    assert window.last() == 20.0


def test_rolling_range_tracks_extremes_inside_the_window_only():
    series = RollingRange(180.0)
    series.add(0.0, high=110.0, low=100.0, close=100.0)
    series.add(60.0, high=104.0, low=98.0, close=102.0)
    series.add(120.0, high=103.0, low=99.0, close=100.0)
    assert series.range_pct(120.0) == pytest.approx(12.0)  # (110 - 98) / 100
    series.add(180.0, high=101.0, low=100.0, close=100.0)  # the 110 bar leaves the window
    assert series.range_pct(180.0) == pytest.approx(6.0)  # (104 - 98) / 100
    series.add(180.0, high=500.0, low=1.0, close=100.0)  # a repeated bar is ignored
    assert series.range_pct(180.0) == pytest.approx(6.0)


def test_rolling_range_is_unknown_after_a_whole_window_without_bars():
    series = RollingRange(60.0)
    assert series.range_pct(0.0) is None
    series.add(0.0, high=101.0, low=99.0, close=100.0)
    assert series.range_pct(59.0) == pytest.approx(2.0)
    assert series.range_pct(60.0) is None
