"""The status snapshot read from a paper ledger, against the session's own figures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.operations import live_status, read_snapshot
from backtrader_engine.paper.session import PaperSession

from ..paper.conftest import wait_for_bars


def test_the_snapshot_agrees_with_the_running_session(
        tmp_path: Path, paper_session: Callable[..., PaperSession]) -> None:
    state = tmp_path / "state"
    session = paper_session(state, manual=False)
    try:
        wait_for_bars(state, 2 * 400)
        live = live_status(state)
    finally:
        summary = session.stop()
    snap = read_snapshot(state, recent=5)
    assert live is not None and live["ok"] and "breakers" in live and "stream" in live
    assert live["entries_paused"] is False
    assert {a.name for a in snap.accounts} == set(summary["accounts"])
    for account in snap.accounts:
        row = summary["accounts"][account.name]
        assert account.value == pytest.approx(row["value"])
        assert account.cash == pytest.approx(row["cash"])
        assert account.position == pytest.approx(row["position"], abs=1e-12)
        assert account.fees == pytest.approx(row["fees"])
        # Value is start cash plus realised (net of fees and funding) plus open profit.
        assert account.initial_cash + account.realised_pnl + account.unrealised_pnl == (
            pytest.approx(account.value))
        if account.position == 0:
            assert account.unrealised_pnl == pytest.approx(0.0, abs=1e-6)
        assert account.peak_value >= account.value and account.drawdown_pct >= 0
        assert account.signals_generated >= account.signals_executed + sum(
            account.signals_rejected.values())
        assert account.last_bar_ms is not None
    assert snap.portfolio_value == pytest.approx(sum(r["value"] for r in
                                                     summary["accounts"].values()))
    assert snap.pnl == pytest.approx(snap.portfolio_value - snap.initial_cash)
    assert snap.trades_won + snap.trades_lost > 0 and 0 <= snap.win_rate <= 1
    assert snap.equity and snap.equity[-1][1] == pytest.approx(snap.portfolio_value)
    assert [t for t, _ in snap.equity] == sorted(t for t, _ in snap.equity)
    assert len(snap.recent_fills) == 5 and len(snap.events) <= 5
    assert set(snap.streams) == {"BTCUSDT 1", "ETHUSDT 1"}
    assert snap.fill_latencies_s and all(0 <= x < 60 for x in snap.fill_latencies_s)
    assert snap.fill_model == "book"
    json.dumps(snap.to_dict())
    assert live_status(state) is None  # stopped: nobody answers


def test_no_ledger_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no paper ledger in .*start a session"):
        read_snapshot(tmp_path)
    assert live_status(tmp_path) is None


def test_a_corrupt_ledger_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "ledger.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(UserError, match="unreadable ledger"):
        read_snapshot(tmp_path)
