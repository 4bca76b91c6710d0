"""The equity curve with its drawdown, from a real paper session's ledger."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.dashboard.model.equity import equity_drawdown
from backtrader_engine.errors import UserError
from backtrader_engine.operations import read_snapshot


def test_the_curve_and_its_drawdown_end_where_the_snapshot_does(ledger: Path) -> None:
    snap = read_snapshot(ledger)
    frame = equity_drawdown(ledger)
    assert list(frame.columns) == ["time", "value", "peak", "drawdown_pct"]
    assert len(frame) == len(snap.equity) > 100
    assert [int(t.timestamp() * 1000) for t in frame["time"]] == [t for t, _ in snap.equity]
    assert frame["value"].tolist() == pytest.approx([v for _, v in snap.equity])
    # The drawdown is measured from the stored running peak, as the drawdown card is.
    assert frame["drawdown_pct"].iloc[-1] == pytest.approx(snap.drawdown_pct)
    assert (frame["peak"] >= frame["value"] - 1e-9).all() and frame["peak"].is_monotonic_increasing
    assert (frame["drawdown_pct"] >= 0).all() and frame["drawdown_pct"].max() > 0
    at_peak = frame["value"] >= frame["peak"]
    assert (frame.loc[at_peak, "drawdown_pct"] == 0).all()


def test_a_long_curve_is_thinned_keeping_its_ends(ledger: Path) -> None:
    full = equity_drawdown(ledger)
    thin = equity_drawdown(ledger, max_points=50)
    assert 25 <= len(thin) <= 51
    assert thin["time"].iloc[0] == full["time"].iloc[0]
    assert thin["time"].iloc[-1] == full["time"].iloc[-1]
    assert set(thin["time"]) <= set(full["time"])
    assert isinstance(thin["time"].dtype, pd.DatetimeTZDtype)


def test_no_ledger_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no paper ledger"):
        equity_drawdown(tmp_path)
