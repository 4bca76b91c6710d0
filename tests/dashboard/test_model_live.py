"""The live view's model over a real ledger: figures, tables, breakers, damaged ledgers."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtrader_engine.dashboard.model import live as shape
from backtrader_engine.dashboard.model import load_live
from backtrader_engine.operations import read_snapshot


def test_figures_are_the_snapshots(ledger: Path) -> None:
    data = load_live(ledger)
    snap = read_snapshot(ledger)
    assert data.problem is None and data.live is None and not data.running
    figures = {f.key: f for f in shape.headline(data.snapshot)}
    assert figures["live_portfolio_value"].value == f"{snap.portfolio_value:,.2f}"
    assert figures["live_pnl"].value == f"{snap.pnl:+,.2f}"
    assert figures["live_pnl"].delta == f"{snap.pnl / snap.initial_cash * 100:+.2f}%"
    assert figures["live_drawdown"].value == f"{snap.drawdown_pct:.2f}%"
    assert figures["live_win_rate"].value == f"{snap.win_rate * 100:.1f}%"
    assert f"{snap.trades_won} won / {snap.trades_lost} lost" in figures["live_win_rate"].help
    assert figures["live_positions"].value == str(sum(1 for a in snap.accounts if a.position))
    signals = {f.key: f.value for f in shape.signal_figures(data.snapshot)}
    assert signals["live_signals_executed"] == str(snap.signals_executed)
    assert signals["live_signals_rejected"] == str(sum(snap.signals_rejected.values()))
    assert signals["live_orders_rejected"] == str(sum(snap.orders_rejected.values()))
    assert snap.orders_rejected.get("warmup", 0) > 0  # orders on warm-up history are refused


def test_tables_hold_the_snapshots_rows(ledger: Path) -> None:
    snap = read_snapshot(ledger, recent=20)
    positions = shape.positions_frame(snap)
    assert len(positions) == sum(1 for a in snap.accounts if a.position) > 0
    assert set(positions["side"]) <= {"long", "short"} and (positions["size"] > 0).all()
    orders = shape.orders_frame(snap)
    assert len(orders) == len(snap.open_orders)
    assert orders["time"].dt.tz is not None
    fills = shape.fills_frame(snap)
    assert len(fills) == 20 and fills["time"].is_monotonic_decreasing
    signals = shape.signals_frame(snap)
    assert {"outcome", "reason"} <= set(signals.columns) and len(signals) == 20
    rejections = shape.rejections_frame(snap)
    assert dict(zip(rejections["reason"], rejections["count"], strict=True)) == \
        snap.signals_rejected
    assert rejections["count"].is_monotonic_decreasing
    assert shape.symbols(snap) == ["BTCUSDT"]


def test_breakers_from_the_running_sessions_status() -> None:
    live = {"breakers": {
        "drawdown": {"open": False, "opened_at": None, "closes_at": None, "reason": "",
                     "trips": 0},
        "latency": {"open": True, "opened_at": "2024-01-01T00:00:00",
                    "closes_at": "2024-01-01T00:15:00", "reason": "latency 2500 ms > 2000 ms",
                    "trips": 2}}}
    frame = shape.breakers_frame(live)
    assert list(frame["state"]) == ["closed", "OPEN"]
    assert frame.loc[1, "reason"] == "latency 2500 ms > 2000 ms" and frame.loc[1, "trips"] == 2
    assert shape.open_breakers(live) == ["latency"]
    assert shape.breakers_frame(None).empty and shape.open_breakers(None) == []


def test_breakers_show_their_mode_and_a_halt_asks_for_the_operator() -> None:
    halted = {"open": True, "mode": "halt", "reason": "error_rate 11 errors/min > 10 errors/min",
              "opened_at": "2024-01-01T00:00:00", "closes_at": None, "trips": 1,
              "halted_seconds": 600.0,
              "resumes": "entries resume when an operator runs /start_trading or bte bot "
                         "resume-entries (or Resume entries in the panel), with a fresh error "
                         "count"}
    cooling = {"open": True, "mode": "cooldown", "reason": "spread 0.6% > 0.5%",
               "opened_at": "2024-01-01T00:05:00", "closes_at": "2024-01-01T00:20:00",
               "trips": 3, "halted_seconds": 1_900.0,
               "resumes": "entries resume 2024-01-01 00:20 UTC"}
    live = {"entries_paused": False, "breakers": {"spread": cooling, "error_rate": halted}}
    frame = shape.breakers_frame(live)
    assert list(frame["mode"]) == ["cooldown", "halt"]
    assert list(frame["halted s"]) == [1_900.0, 600.0]
    assert frame.loc[0, "resumes"] == "entries resume 2024-01-01 00:20 UTC"
    assert shape.halted_breakers(live) == ["error_rate"] and shape.needs_resume(live)
    only_cooling = {"entries_paused": False, "breakers": {"spread": cooling}}
    assert shape.halted_breakers(only_cooling) == [] and not shape.needs_resume(only_cooling)
    assert shape.needs_resume({**only_cooling, "entries_paused": True})
    assert not shape.needs_resume(None)


def test_the_banner_names_the_operators_pause() -> None:
    assert shape.pause_text({"entries_paused": False}) == ""
    assert shape.pause_text({"entries_paused": True}) == "new entries paused"
    trading = {"entries_paused": True, "trading_paused": True, "breakers": {}}
    assert shape.pause_text(trading) == "trading paused" and shape.needs_resume(trading)
    assert shape.pause_text(None) == ""


def test_no_ledger_is_a_problem_not_an_error(tmp_path: Path) -> None:
    data = load_live(tmp_path / "nothing")
    assert data.snapshot is None and data.live is None
    assert "no paper ledger in" in data.problem


@pytest.mark.parametrize("content", [b"not a database at all" * 50, b""])
def test_a_damaged_ledger_is_a_problem_not_an_error(tmp_path: Path, content: bytes) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "ledger.sqlite").write_bytes(content)
    data = load_live(state)
    assert data.snapshot is None
    assert "unreadable ledger" in data.problem
