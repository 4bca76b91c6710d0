"""The ``parity`` command: a paper session reconciled trade by trade with the backtester."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.ledger import LedgerWriter
from backtrader_engine.paper.session import PaperSession

from ..paper.conftest import LIVE_BARS, wait_for_bars

EXPLAINED = {"fill_model", "fees", "funding", "latency", "data", "risk_gate"}
CONFIGS = str(Path(__file__).resolve().parents[2] / "configs")


def finished_session(paper_session: Callable[..., PaperSession], state: Path,
                     fill_model: str) -> Path:
    session = paper_session(state, fill_model=fill_model)
    wait_for_bars(state, 2 * LIVE_BARS)
    session.stop()
    return state


def sql(state: Path, statement: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    db = sqlite3.connect(state / "ledger.sqlite")
    try:
        rows = db.execute(statement, args).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


def round_trips_in_ledger(state: Path) -> int:
    """Flat-to-flat trips counted straight from the fills: closes, plus one per open position."""
    closes = sql(state, "SELECT COUNT(*) FROM fills WHERE position_after = 0")[0][0]
    still_open = sql(state, "SELECT COUNT(*) FROM account_state WHERE position != 0")[0][0]
    return closes + still_open


def test_bar_fill_model_session_matches_the_backtest_exactly(
        tmp_path: Path, paper_session: Callable[..., PaperSession],
        cli: Callable[..., Any]) -> None:
    state = finished_session(paper_session, tmp_path / "bar", "bar")
    result = cli("parity", "--state", str(state))
    assert result.code == 0, result.out + result.err
    report = json.loads((state / "parity.json").read_text())
    summary = report["summary"]
    assert summary["differences"] == 0
    assert summary["missing"] == summary["extra"] == 0
    assert summary["matched"] == summary["backtest_trades"] == summary["paper_trades"]
    assert summary["paper_trades"] == round_trips_in_ledger(state) > 20
    for account in report["accounts"]:
        assert account["matched"] > 5, account["name"]
        # Funding is re-expressed on the backtest's mark: equal up to float rounding.
        assert account["totals"]["backtest"] == pytest.approx(account["totals"]["paper"],
                                                              rel=1e-9, abs=1e-9)
    # Funding was charged (the replay publishes a rate) and is reproduced by the backtest.
    assert any(a["totals"]["paper"]["funding"] != 0 for a in report["accounts"])
    assert "every round trip matches the backtest exactly" in result.out
    assert "RSIEMAMomentumStrategy:BTCUSDT" in result.out


def test_book_fill_model_differences_are_all_attributed(
        tmp_path: Path, paper_session: Callable[..., PaperSession],
        cli: Callable[..., Any]) -> None:
    state = finished_session(paper_session, tmp_path / "book", "book")
    out = tmp_path / "report"
    result = cli("parity", "--state", str(state), "--out", str(out))
    assert result.code == 0, result.out + result.err
    assert "every difference is explained" in result.out
    assert not (state / "parity.json").exists()
    report = json.loads((out / "parity.json").read_text())
    differences = [d for a in report["accounts"] for d in a["differences"]]
    causes = {d["cause"] for d in differences}
    assert differences and causes <= EXPLAINED, causes
    assert "fill_model" in causes
    entries = [d for d in differences if d["field"] == "entry_price"]
    assert entries and all(d["cause"] == "fill_model" for d in entries)
    # A book fill is the quote a few ticks from the close, never far from the next open.
    assert all(abs(d["relative"]) < 1e-3 for d in entries)

    # The same book fill on a bar recovered over REST is a matter of latency: that book is
    # the one at recovery, not at the bar's close.
    account, bar = sql(state, "SELECT f.account, f.bar_seq FROM fills f JOIN orders o ON "
                              "o.account = f.account AND o.seq = f.order_seq WHERE o.type = "
                              "'Market' AND f.bar_seq = o.bar_seq ORDER BY f.ts_ms LIMIT 1")[0]
    symbol = account.split(":")[1]
    sql(state, "UPDATE bars SET source = 'rest' WHERE symbol = ? AND seq = ?",
        (symbol, bar - 1))
    result = cli("parity", "--state", str(state), "--out", str(out), "--json")
    assert result.code == 0, result.out + result.err
    report = json.loads(result.out)
    assert json.loads((out / "parity.json").read_text()) == report
    latency = [d for a in report["accounts"] for d in a["differences"]
               if d["cause"] == "latency"]
    # Both sub-accounts on that symbol share its stream, so either may have used that book.
    assert account in {d["account"] for d in latency}
    assert all(d["account"].endswith(f":{symbol}") for d in latency)


def test_a_default_replay_session_is_fully_explained(
        tmp_path: Path, cli: Callable[..., Any]) -> None:
    # `bte paper --source replay` as shipped: the default strategies and configs, the default
    # fill model (book) and the risk gate, for a minute of wall time; the replay runs ten
    # times its default speed so that the minute holds some 600 bars and dozens of trades.
    state = tmp_path / "state"
    run = subprocess.run(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir", CONFIGS,
         "--source", "replay", "--replay-speed", "36000", "--duration", "60",
         "--state", str(state), "--log-dir", str(tmp_path / "logs"), "--status-every", "0",
         "--no-metrics"], capture_output=True, text=True, timeout=150,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert run.returncode == 0, run.stderr[-2000:]
    meta = dict(sql(state, "SELECT key, value FROM meta"))
    assert json.loads(meta["fill_model"]) == "book"
    # Entries are judged on the confidence the strategies attach after buy()/sell().
    minimum = json.loads(meta["risk"])["min_confidence"]
    signals = sql(state, "SELECT confidence, outcome, reason FROM signals")
    assert any(reason == "low_confidence" for _, _, reason in signals), signals
    assert all(confidence >= minimum for confidence, outcome, _ in signals
               if outcome == "executed"), signals

    result = cli("parity", "--state", str(state))
    assert result.code == 0, result.out + result.err
    assert "every difference is explained" in result.out
    report = json.loads((state / "parity.json").read_text())
    summary = report["summary"]
    assert summary["paper_trades"] > 10 and summary["unexplained"] == 0
    causes = {d["cause"] for a in report["accounts"] for d in a["differences"]}
    assert "fill_model" in causes and causes <= EXPLAINED, causes


def test_a_tampered_ledger_is_unexplained(
        tmp_path: Path, paper_session: Callable[..., PaperSession],
        cli: Callable[..., Any]) -> None:
    state = finished_session(paper_session, tmp_path / "bar", "bar")
    assert cli("parity", "--state", str(state)).code == 0
    account, order, fill = sql(state, "SELECT account, order_seq, fill_seq FROM fills "
                                      "ORDER BY account, order_seq LIMIT 1 OFFSET 11")[0]

    priced = tmp_path / "priced"
    shutil.copytree(state, priced)
    sql(priced, "UPDATE fills SET price = price * 1.01 WHERE account = ? AND order_seq = ? "
                "AND fill_seq = ?", (account, order, fill))
    result = cli("parity", "--state", str(priced))
    assert result.code == 1, result.out
    report = json.loads((priced / "parity.json").read_text())
    unexplained = [d for a in report["accounts"] for d in a["differences"]
                   if d["cause"] == "unexplained"]
    assert unexplained and all(d["account"] == account for d in unexplained)
    assert any(f"order {order} fill {fill}: price" in d["note"] for d in unexplained)
    assert "unexplained" in result.out

    deleted = tmp_path / "deleted"
    shutil.copytree(state, deleted)
    sql(deleted, "DELETE FROM fills WHERE account = ? AND order_seq = ? AND fill_seq = ?",
        (account, order, fill))
    result = cli("parity", "--state", str(deleted))
    assert result.code == 1, result.out
    summary = json.loads((deleted / "parity.json").read_text())["summary"]
    assert summary["unexplained"] >= 1


def test_a_missing_ledger_is_a_one_line_error(
        tmp_path: Path, cli: Callable[..., Any], one_clear_line: Callable[..., str]) -> None:
    line = one_clear_line(cli("parity", "--state", str(tmp_path / "nowhere")))
    assert "no ledger.sqlite" in line
    assert not (tmp_path / "nowhere").exists()


def test_a_ledger_without_sub_accounts_is_a_one_line_error(
        tmp_path: Path, cli: Callable[..., Any], one_clear_line: Callable[..., str]) -> None:
    LedgerWriter(tmp_path / "empty").close()
    assert "describes no sub-accounts" in one_clear_line(
        cli("parity", "--state", str(tmp_path / "empty")))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "ledger.sqlite").write_text("not a database\n" * 100)
    assert "not a readable paper ledger" in one_clear_line(
        cli("parity", "--state", str(tmp_path / "junk")))
