"""Rejections over time from a real ledger: per hour and per day they add up to the
snapshot's rejection counts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.dashboard.model.rejections import (
    KIND_LABELS,
    default_period,
    of_kind,
    rejection_timeline,
)
from backtrader_engine.errors import UserError
from backtrader_engine.operations import read_snapshot, rejection_history
from backtrader_engine.operations.rejections import ORDER, PERIODS_MS, SIGNAL


@pytest.mark.parametrize("period", list(PERIODS_MS))
def test_the_periods_add_up_to_the_snapshots_counts(ledger: Path, period: str) -> None:
    snap = read_snapshot(ledger)
    history = rejection_history(ledger, period)
    totals: dict[str, Counter[str]] = {SIGNAL: Counter(), ORDER: Counter()}
    for row in history:
        assert row.period_ms % PERIODS_MS[period] == 0 and row.count > 0
        totals[row.kind][row.reason] += row.count
    assert dict(totals[SIGNAL]) == snap.signals_rejected and snap.signals_rejected
    assert dict(totals[ORDER]) == snap.orders_rejected and snap.orders_rejected
    # More than one period: the session's refusals are spread over time.
    assert len({row.period_ms for row in history}) > 1
    assert [r.period_ms for r in history] == sorted(r.period_ms for r in history)


def test_the_timeline_frame_by_kind(ledger: Path) -> None:
    frame = rejection_timeline(ledger, "day")
    assert list(frame.columns) == ["time", "kind", "reason", "count"]
    assert isinstance(frame["time"].dtype, pd.DatetimeTZDtype)
    assert set(frame["kind"]) == set(KIND_LABELS.values())
    snap = read_snapshot(ledger)
    signals = of_kind(frame, SIGNAL)
    assert signals.groupby("reason")["count"].sum().to_dict() == snap.signals_rejected
    hourly = rejection_timeline(ledger, "hour")
    assert hourly["count"].sum() == frame["count"].sum() and len(hourly) >= len(frame)


def test_an_unknown_period_is_refused(ledger: Path) -> None:
    with pytest.raises(UserError, match="period 'week': expected one of hour, day"):
        rejection_history(ledger, "week")


def test_the_default_period_follows_the_sessions_span() -> None:
    day = PERIODS_MS["day"]
    assert default_period(None, None) == "hour"
    assert default_period(0, 3 * day) == "hour"
    assert default_period(0, 3 * day + 1) == "day"
