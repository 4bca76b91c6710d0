"""Manual signals injected into a running session: the QA flow of six signals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import backtrader as bt
import pytest

from backtrader_engine.commands.inject import EXIT_NOT_PLACED, EXIT_REJECTED, exit_code
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.exchanges.bybit.replay import ReplayServer
from backtrader_engine.paper.account import AccountSpec
from backtrader_engine.paper.session import PaperSession, PaperSettings

from .conftest import ledger_rows, wait_for_bars

SYMBOLS = ("ETHUSDT", "BTCUSDT", "SOLUSDT")


def test_the_six_signal_qa_sequence(tmp_path: Path, three_symbol_replay: ReplayServer,
                                    idle_session: Callable[..., PaperSession],
                                    cli: Callable[..., object]) -> None:
    state = tmp_path / "state"
    session = idle_session(state, three_symbol_replay)
    try:
        wait_for_bars(state, 3)
        replies = []
        for side in ("buy", "sell"):
            for symbol in SYMBOLS:
                result = cli("inject", "--state", str(state), "--symbol", symbol,
                             "--side", side)
                assert result.code == 0, result.err  # type: ignore[attr-defined]
                replies.append(result.out)  # type: ignore[attr-defined]
    finally:
        session.stop()
    for reply, (side, symbol) in zip(replies, [(s, y) for s in ("buy", "sell")
                                               for y in SYMBOLS], strict=True):
        assert f"{side} on ManualSignalStrategy:{symbol}: executed" in reply, reply
    orders = ledger_rows(state, "SELECT account, side, status, reason FROM orders WHERE account "
                         "LIKE 'Manual%' ORDER BY account, seq")
    assert len(orders) == 6 and {o[2] for o in orders} == {"Completed"}
    positions = dict(ledger_rows(state, "SELECT account, position FROM account_state"))
    for symbol in SYMBOLS:
        fills = ledger_rows(state, "SELECT side, size FROM fills WHERE account = "
                            f"'ManualSignalStrategy:{symbol}' ORDER BY order_seq")
        assert [f[0] for f in fills] == ["buy", "sell"]
        assert fills[0][1] == pytest.approx(-fills[1][1])  # the sell closed the long
        assert positions[f"ManualSignalStrategy:{symbol}"] == 0
    assert len(ledger_rows(state, "SELECT * FROM injections")) == 6
    outcomes = ledger_rows(state, "SELECT symbol, side, outcome FROM signals ORDER BY ts_ms")
    assert [o[2] for o in outcomes] == ["executed"] * 3  # the buys; exits are not signals


def inject_live(state: Path, replay: ReplayServer, idle_session: Callable[..., PaperSession],
                cli: Callable[..., object], *signals: tuple[str, ...]) -> list[Any]:
    """Run a session on *replay* and, once bars flow, inject each ``(symbol, side, *flags)``
    with the ``inject`` command; the session is stopped after. The command results."""
    session = idle_session(state, replay)
    try:
        wait_for_bars(state, 3)
        return [cli("inject", "--state", str(state), "--symbol", symbol, "--side", side, *flags)
                for symbol, side, *flags in signals]
    finally:
        session.stop()


def test_a_refused_signal_says_why_and_a_restart_replays_injections(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession], cli: Callable[..., object]) -> None:
    state = tmp_path / "state"
    low, ok, bad = inject_live(state, three_symbol_replay, idle_session, cli,
                               ("ETHUSDT", "buy", "--confidence", "0.3"),
                               ("BTCUSDT", "buy", "--qty", "0.01"),
                               ("DOGEUSDT", "buy"))
    assert "rejected (low_confidence)" in low.out  # type: ignore[attr-defined]
    assert low.code == EXIT_REJECTED != 2  # type: ignore[attr-defined]
    assert "executed 0.01 @" in ok.out  # type: ignore[attr-defined]
    assert ok.code == 0  # type: ignore[attr-defined]
    assert bad.code == 2 and "does not trade DOGEUSDT" in bad.err  # type: ignore[attr-defined]
    before = ledger_rows(state, "SELECT * FROM fills ORDER BY account, order_seq")
    resumed = idle_session(state, three_symbol_replay)
    try:
        assert resumed.resumed
        account = next(a for a in resumed.accounts
                       if a.spec.name == "ManualSignalStrategy:BTCUSDT")
        assert account.broker.getposition(account.feed).size == pytest.approx(0.01)
    finally:
        resumed.stop()
    assert ledger_rows(state, "SELECT * FROM fills ORDER BY account, order_seq") == before


@pytest.mark.parametrize(("status", "code"), [
    ("Completed", 0), ("Accepted", 0), ("Partial", 0), ("Rejected", EXIT_REJECTED),
    ("Margin", EXIT_REJECTED), ("NotPlaced", EXIT_NOT_PLACED), ("Expired", EXIT_NOT_PLACED),
    ("Canceled", EXIT_NOT_PLACED)])
def test_the_exit_code_tells_accepted_from_rejected(status: str, code: int) -> None:
    assert exit_code({"status": status}) == code
    assert len({0, 2, EXIT_REJECTED, EXIT_NOT_PLACED}) == 4  # 2 stays "bad input"


def test_a_rejected_signal_exits_with_its_own_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., object]) -> None:
    reply = {"ok": True, "account": "ManualSignalStrategy:ETHUSDT", "signal_id": 7,
             "status": "Rejected", "reason": "breaker:drawdown", "message": "drawdown",
             "side": "buy", "size": 0.0, "price": None, "fee": 0.0}
    # The session is stood in for at the channel: inject goes through operations to it.
    monkeypatch.setattr("backtrader_engine.paper.control.channel.send", lambda *a, **k: reply)
    for flags in ((), ("--json",)):
        result = cli("inject", "--state", str(tmp_path), "--symbol", "ETHUSDT", "--side",
                     "buy", *flags)
        assert result.code == EXIT_REJECTED  # type: ignore[attr-defined]
        assert "breaker:drawdown" in result.out  # type: ignore[attr-defined]


def test_inject_without_a_session_is_one_clear_line(tmp_path: Path,
                                                    cli: Callable[..., object]) -> None:
    result = cli("inject", "--state", str(tmp_path), "--symbol", "ETHUSDT", "--side", "buy")
    assert result.code == 2  # type: ignore[attr-defined]
    assert "no paper session is running" in result.err  # type: ignore[attr-defined]


class StatusRecorder(bt.Strategy):
    """Records what notify_data reports, and whether its feed says it is live."""

    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.live = self.data.islive()

    def notify_data(self, data: bt.AbstractDataBase, status: int, *args: object,
                    **kwargs: object) -> None:
        self.statuses.append(data._getstatusname(status))


def test_the_strategy_hears_the_connection_state(tmp_path: Path,
                                                 three_symbol_replay: ReplayServer) -> None:
    specs = [AccountSpec("rec", StatusRecorder, {}, "BTCUSDT", "1m", "1", (), 3000.0)]
    session = PaperSession(PaperSettings(specs, tmp_path / "s",
                                         base_url=three_symbol_replay.base_url,
                                         costs=CostModel(funding=0.0), manual=False,
                                         control=False)).start()
    try:
        wait_for_bars(tmp_path / "s", 3)
        strategy = session.accounts[0].cerebro.runningstrats[0]
    finally:
        session.stop()
    assert strategy.live is True
    assert strategy.statuses[0] == "LIVE"
    assert strategy.statuses[-1] == "DISCONNECTED"


def test_injected_quantities_meet_the_venues_lot_rules(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession], cli: Callable[..., object]) -> None:
    state = tmp_path / "state"
    small, odd = inject_live(state, three_symbol_replay, idle_session, cli,
                             ("SOLUSDT", "buy", "--qty", "0.04"),  # steps of 0.1
                             ("BTCUSDT", "buy", "--qty", "0.0129"))  # steps of 0.001
    assert "rejected (venue_min_qty)" in small.out, small.out  # type: ignore[attr-defined]
    assert "executed 0.012 @" in odd.out, odd.out  # type: ignore[attr-defined]
    orders = ledger_rows(state, "SELECT account, status, reason, info FROM orders WHERE "
                         "account LIKE 'Manual%' ORDER BY account")
    assert [(o[0], o[1], o[2]) for o in orders] == [
        ("ManualSignalStrategy:BTCUSDT", "Completed", None),
        ("ManualSignalStrategy:SOLUSDT", "Rejected", "venue_min_qty")]
    assert '"requested_size": 0.0129' in orders[0][3]
    rules = ledger_rows(state, "SELECT value FROM meta WHERE key = 'lot_rules'")[0][0]
    assert '"SOLUSDT": {"qty_step": 0.1, "min_qty": 0.1' in rules
