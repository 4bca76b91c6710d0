"""Operator commands on a running session: pause and resume entries, force exits, stop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.replay import ReplayServer
from backtrader_engine.operations import (
    force_exit,
    inject_signal,
    live_status,
    pause_entries,
    read_snapshot,
    resume_entries,
    stop_session,
)
from backtrader_engine.paper.control import channel as control
from backtrader_engine.paper.session import PaperSession

from ..paper.conftest import ledger_rows, wait_for_bars


def inject(state: Path, symbol: str, side: str, qty: float | None = None) -> dict:
    return inject_signal(state, symbol, side, qty)


def test_a_refused_injection_is_one_line_naming_the_sessions_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[dict] = []

    def refuse(state_dir: Path, request: dict) -> dict:
        sent.append(request)
        return {"ok": False, "error": "this session does not trade DOGEUSDT"}

    monkeypatch.setattr(control, "send", refuse)
    with pytest.raises(UserError, match="^the paper session refused the signal: this session "
                                        "does not trade DOGEUSDT$"):
        inject_signal(tmp_path, "dogeusdt", "buy", 0.5, 0.8)
    assert sent == [{"op": "inject", "symbol": "DOGEUSDT", "side": "buy", "qty": 0.5,
                     "confidence": 0.8}]


def test_pause_resume_force_exit_and_stop(tmp_path: Path, three_symbol_replay: ReplayServer,
                                          idle_session: Callable[..., PaperSession]) -> None:
    state = tmp_path / "state"
    session = idle_session(state, three_symbol_replay)
    try:
        wait_for_bars(state, 3)
        assert inject(state, "ETHUSDT", "buy", 0.1)["status"] == "Completed"
        assert pause_entries(state)["entries_paused"] is True
        assert live_status(state)["entries_paused"] is True
        paused = inject(state, "BTCUSDT", "buy", 0.01)
        assert (paused["status"], paused["reason"]) == ("Rejected", "entries_paused")
        # An exit still goes through while entries are paused.
        assert inject(state, "ETHUSDT", "sell", 0.05)["status"] == "Completed"
        assert resume_entries(state)["entries_paused"] is False
        assert inject(state, "BTCUSDT", "buy", 0.01)["status"] == "Completed"
        closed = force_exit(state, "ethusdt")
        assert closed["accounts"] == ["Idle:ETHUSDT", "ManualSignalStrategy:ETHUSDT"]
        with pytest.raises(UserError, match="does not trade DOGEUSDT"):
            force_exit(state, "DOGEUSDT")
        assert stop_session(state)["stopping"] is True
        assert session.wait(10)
    finally:
        summary = session.stop()
    accounts = summary["accounts"]
    assert accounts["ManualSignalStrategy:ETHUSDT"]["position"] == 0
    assert accounts["ManualSignalStrategy:BTCUSDT"]["position"] == pytest.approx(0.01)
    snap = read_snapshot(state)
    assert snap.signals_rejected == {"entries_paused": 1}
    kinds = [e["kind"] for e in reversed(snap.events)]
    assert [k for k in kinds if k in ("entries", "force_exit", "stop")] == [
        "entries", "entries", "force_exit", "force_exit", "stop"]
    assert [r[0] for r in ledger_rows(state, "SELECT op FROM controls ORDER BY control_id")] == [
        "pause_entries", "resume_entries", "force_exit"]
    orders = ledger_rows(state, "SELECT * FROM orders ORDER BY account, seq")
    fills = ledger_rows(state, "SELECT * FROM fills ORDER BY account, order_seq, fill_seq")

    # A restart replays the commands at the same bars: every output is re-derived unchanged.
    resumed = idle_session(state, three_symbol_replay)
    try:
        assert resumed.resumed and resumed.entries_paused is False
    finally:
        summary = resumed.stop()
    assert summary["ledger_divergences"] == 0
    assert ledger_rows(state, "SELECT * FROM orders ORDER BY account, seq")[:len(orders)] == orders
    assert ledger_rows(state, "SELECT * FROM fills ORDER BY account, order_seq, fill_seq")[
        :len(fills)] == fills


def test_pause_without_a_risk_gate_is_refused_by_the_broker(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession]) -> None:
    state = tmp_path / "state"
    session = idle_session(state, three_symbol_replay, risk=None)
    try:
        wait_for_bars(state, 3)
        pause_entries(state)
        refused = inject(state, "SOLUSDT", "buy", 1.0)
    finally:
        session.stop()
    assert (refused["status"], refused["reason"]) == ("Rejected", "entries_paused")


def test_commands_without_a_session_say_so(tmp_path: Path) -> None:
    for command in (pause_entries, resume_entries, stop_session):
        with pytest.raises(UserError, match="no paper session is running"):
            command(tmp_path)
    with pytest.raises(UserError, match="no paper session is running"):
        force_exit(tmp_path, None)


def test_reload_risk_refuses_an_invalid_file_in_one_line(tmp_path: Path) -> None:
    from backtrader_engine.operations import reload_risk

    bad = tmp_path / "risk_config.json"
    bad.write_text('{"max_open_positions": 0}')
    with pytest.raises(UserError) as refused:
        reload_risk(tmp_path, bad)
    message = str(refused.value)
    assert "max_open_positions" in message and message.endswith("; the running limits are kept")
    assert "\n" not in message
    with pytest.raises(UserError, match="not found.*the running limits are kept$"):
        reload_risk(tmp_path, tmp_path / "missing.json")
    bad.write_text("{}")  # valid: then no session answers
    with pytest.raises(UserError, match="no paper session is running"):
        reload_risk(tmp_path, bad)
