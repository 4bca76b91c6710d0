"""A paper session against the replay server: trading, the ledger, and resuming."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from backtrader_engine.paper.session import PaperSession

from .conftest import LIVE_BARS, live_bars_logged, wait_for_bars

FILL_COLUMNS = ["account", "order_seq", "fill_seq", "bar_seq", "ts_ms", "symbol", "side",
                "size", "price", "fee", "liquidity", "pnl", "position_after", "liquidation"]


def table(state: Path, sql: str) -> pd.DataFrame:
    db = sqlite3.connect(state / "ledger.sqlite")
    try:
        return pd.read_sql_query(sql, db)
    finally:
        db.close()


def fills(state: Path) -> pd.DataFrame:
    return table(state, "SELECT * FROM fills ORDER BY account, order_seq, fill_seq")[
        FILL_COLUMNS]


def run_to_end(session: PaperSession, state: Path) -> dict:
    wait_for_bars(state, 2 * LIVE_BARS)
    return session.stop()


def test_a_session_trades_and_its_ledger_reconciles(
        tmp_path: Path, paper_session: Callable[..., PaperSession]) -> None:
    state = tmp_path / "state"
    summary = run_to_end(paper_session(state), state)
    assert summary["ledger_divergences"] == 0
    assert live_bars_logged(state) == 2 * LIVE_BARS
    ledger_fills = fills(state)
    assert len(ledger_fills) > 20
    accounts = table(state, "SELECT * FROM account_state").set_index("account")
    funding = table(state, "SELECT account, SUM(payment) AS paid FROM funding GROUP BY "
                           "account").set_index("account")["paid"]
    for name, row in summary["accounts"].items():
        mine = ledger_fills[ledger_fills["account"] == name]
        assert row["error"] is None
        # Positions are the sum of fills; cash is the start plus realised PnL, less fees
        # and funding, plus the open position's mark-to-market.
        assert mine["size"].sum() == pytest.approx(row["position"], abs=1e-9)
        assert accounts.loc[name, "position"] == pytest.approx(row["position"], abs=1e-9)
        realised = mine["pnl"].sum() - mine["fee"].sum() - funding.get(name, 0.0)
        unrealised = row["value"] - (row["initial_cash"] + realised)
        if row["position"] == 0:
            assert unrealised == pytest.approx(0.0, abs=1e-6)
        assert accounts.loc[name, "value"] == pytest.approx(row["value"])
    orders = table(state, "SELECT * FROM orders")
    assert set(orders["status"]) <= {"Completed", "Canceled", "Rejected", "Accepted",
                                     "Submitted", "Margin", "Expired"}
    assert (orders[orders["status"] == "Rejected"]["reason"] == "warmup").all()


def test_stopping_and_restarting_gives_the_uninterrupted_ledger(
        tmp_path: Path, paper_session: Callable[..., PaperSession],
        replay_server: Callable[..., object], source_candles: dict[str, pd.DataFrame]) -> None:
    whole = tmp_path / "whole"
    run_to_end(paper_session(whole), whole)
    # The same replay serves every run of the interrupted session: its clock holds while
    # the session is down, as the exchange's would not, so the market it sees is the same.
    start = int(source_candles["BTCUSDT"].index[300].value // 1_000_000)
    server = replay_server(stream={"speed": 0, "hold_when_idle": True, "start_ms": start})
    server.start_clock()  # type: ignore[attr-defined]
    parts = tmp_path / "parts"
    for stop_after in (150, 700, 1300):
        session = paper_session(parts, server=server)
        wait_for_bars(parts, stop_after)
        summary = session.stop()
        assert summary["ledger_divergences"] == 0
    session = paper_session(parts, server=server)
    assert session.resumed and session.caught_up >= 1300
    run_to_end(session, parts)
    pd.testing.assert_frame_equal(fills(parts), fills(whole))
    columns = "account, seq, bar_seq, side, type, size, price, status, reason"
    pd.testing.assert_frame_equal(
        table(parts, f"SELECT {columns} FROM orders ORDER BY account, seq"),
        table(whole, f"SELECT {columns} FROM orders ORDER BY account, seq"))
    assert table(parts, "SELECT * FROM account_state ORDER BY account").equals(
        table(whole, "SELECT * FROM account_state ORDER BY account"))


def test_a_running_session_keeps_its_start_up_objects_out_of_collections(
        tmp_path: Path, paper_session: Callable[..., PaperSession]) -> None:
    import gc

    assert gc.get_freeze_count() == 0
    session = paper_session(tmp_path / "state", strategies=("RSIEMAMomentumStrategy",))
    try:
        # Every cerebro's line buffers are frozen, so full collections skip them.
        assert gc.get_freeze_count() > 100_000
        wait_for_bars(tmp_path / "state", 5)
    finally:
        session.stop()
    assert gc.get_freeze_count() == 0  # and collectable again once it has stopped


def test_a_session_without_contract_rules_says_so_and_trades_any_quantity(
        tmp_path: Path, paper_session: Callable[..., PaperSession],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import json

    from pybit.unified_trading import HTTP

    def unavailable(self: object, **_: object) -> dict:
        raise ConnectionError("instruments-info is down")

    monkeypatch.setattr(HTTP, "get_instruments_info", unavailable)
    state = tmp_path / "state"
    with caplog.at_level("WARNING"):
        session = paper_session(state, strategies=("RSIEMAMomentumStrategy",))
    try:
        wait_for_bars(state, 3)
        assert all(a.broker.p.lot_rules is None for a in session.accounts)
        assert all(a.broker.p.funding_interval_ms == 8 * 3_600_000 for a in session.accounts)
    finally:
        session.stop()
    assert "contract rules unknown (instruments-info is down)" in caplog.text
    db = sqlite3.connect(state / "ledger.sqlite")
    try:
        rules = db.execute("SELECT value FROM meta WHERE key = 'lot_rules'").fetchone()[0]
    finally:
        db.close()
    assert json.loads(rules) == {"BTCUSDT": None, "ETHUSDT": None}
