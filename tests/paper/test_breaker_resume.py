"""A breaker in mode ``halt`` in a paper session: open until an operator resumes, then re-armed;
the resume is a logged input, so a restart clears the breaker at the same bar again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backtrader_engine.config import RiskConfig
from backtrader_engine.exchanges.bybit.replay import ReplayServer
from backtrader_engine.operations import live_status, read_snapshot, resume_entries
from backtrader_engine.paper.control import channel as control
from backtrader_engine.paper.session import PaperSession

from .conftest import live_bars_logged, wait_for_bars

#: Every live book has a spread above this, so the spread breaker trips on the first bar.
HALTING_SPREAD = RiskConfig.model_validate({"max_spread_pct": 1e-9,
                                            "breakers": {"spread": {"mode": "halt"}}})


def spread_state(state: Path) -> dict[str, Any]:
    status = live_status(state)
    assert status is not None
    return status["breakers"]["spread"]


def wait_until(check: Callable[[], bool], limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_a_halted_breaker_stays_open_until_the_operator_resumes(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession], cli: Callable[..., Any]) -> None:
    state = tmp_path / "state"
    session = idle_session(state, three_symbol_replay, risk=HALTING_SPREAD)
    try:
        wait_for_bars(state, 3)
        wait_until(lambda: spread_state(state)["open"])
        refused = control.send(state, {"op": "inject", "symbol": "ETHUSDT", "side": "buy",
                                       "qty": 0.1})
        assert (refused["status"], refused["reason"]) == ("Rejected", "breaker:spread")
        assert "circuit breaker spread open (halt): entries resume when an operator runs " \
               "/start_trading or bte bot resume-entries" in refused["message"]
        # Many bars later, with the spread still above the limit: still the one trip, open.
        seen = live_bars_logged(state)
        wait_for_bars(state, seen + 9)
        held = spread_state(state)
        assert (held["open"], held["mode"], held["trips"], held["closes_at"]) == (
            True, "halt", 1, None)
        assert held["halted_seconds"] >= 60.0 * 2  # market time: at least a few 1m bars
        assert held["resumes"].startswith("entries resume when an operator runs")

        # The operator resumes from the command line (Telegram and the panel make the same
        # call).
        result = cli("bot", "resume-entries", "--state", str(state), "--run-dir",
                     str(tmp_path / "run"))
        assert result.code == 0, result.err
        assert result.out.strip() == (f"new entries allowed again in the session on {state}; "
                                      "halted breakers cleared: spread")
        # Re-armed at the next bar, where the spread trips it again: a second trip.
        wait_until(lambda: spread_state(state)["trips"] == 2)
        # Halted again: the library call behind the CLI, Telegram and the panel clears it.
        reply = resume_entries(state)
        assert reply["entries_paused"] is False and reply["breakers_resumed"] == ["spread"]
    finally:
        summary = session.stop()
    assert summary["breakers"]["spread"]["trips"] >= 2
    details = [e["detail"] for e in read_snapshot(state).events if e["kind"] == "entries"]
    assert "resumed; halted breakers cleared: spread" in details

    # A restart replays the logged resume at the same bar: the same trips, no divergence.
    resumed = idle_session(state, three_symbol_replay, risk=HALTING_SPREAD)
    try:
        breaker = resumed.gate.breakers["spread"]
        assert breaker.resumes >= 1 and breaker.trips >= 2
    finally:
        again = resumed.stop()
    assert again["ledger_divergences"] == 0
