"""The operator commands beyond the figures, through the fake Bot API: pause and resume,
forced entries, limits, locks, health, version, config, and realised PnL per period."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.config import RiskConfig, load_config
from backtrader_engine.exchanges.bybit.replay import ReplayServer
from backtrader_engine.operations import key_figures, live_status, operator_pause
from backtrader_engine.operations.status_text import _figure_lines
from backtrader_engine.paper.control import channel as control
from backtrader_engine.paper.session import PaperSession

from ..paper.conftest import live_bars_logged, wait_for_bars
from .conftest import FakeBotApi, LedgerScript, ask

DAY = 86_400_000


def inject(state: Path, symbol: str, side: str, qty: float | None = None) -> dict:
    return control.send(state, {"op": "inject", "symbol": symbol, "side": side, "qty": qty})


def test_stop_pauses_trading_and_start_resumes_it(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession],
        command_bot: Callable[..., tuple[Any, FakeBotApi]]) -> None:
    state = tmp_path / "state"
    session = idle_session(state, three_symbol_replay)
    bot, api = command_bot(state)
    try:
        wait_for_bars(state, 3)
        assert inject(state, "BTCUSDT", "buy", 0.01)["status"] == "Completed"
        assert inject(state, "ETHUSDT", "buy", 0.1)["status"] == "Completed"

        stopped = ask(api, "/stop")
        assert stopped.startswith("<b>Trading paused: no strategy orders; open positions "
                                  "stay")
        assert "trading_paused: true" in stopped
        assert not session.wait(1)  # the process keeps running
        live = live_status(state)
        assert live is not None
        assert (live["pause"], live["trading_paused"], live["entries_paused"]) == (
            "trading", True, True)
        assert "trading: PAUSED, no strategy orders (/start resumes)" in ask(api, "/status")
        assert "trading paused by the operator (/stop): lifts with /start" in ask(api, "/locks")

        # Entries and the strategy's own exits are refused alike, and say why.
        entry = inject(state, "SOLUSDT", "buy", 1.0)
        assert (entry["status"], entry["reason"]) == ("Rejected", "trading_paused")
        exit_order = inject(state, "BTCUSDT", "sell", 0.01)
        assert (exit_order["status"], exit_order["reason"]) == ("Rejected", "trading_paused")
        refused = ask(api, "/forcelong solusdt confirm")
        assert "rejected (trading_paused: trading paused by the operator)" in refused
        assert "orders rejected: 3 (trading_paused 3)" in ask(api, "/status")
        # The operator's force exit still closes a position while trading is paused.
        assert "Force exit: ETHUSDT" in ask(api, "/fx ethusdt")
        positions = ask(api, "/positions")
        assert "BTCUSDT long 0.01" in positions and "ETHUSDT" not in positions

        # bte bot status reads the pause from the ledger, as it does while the bot is down.
        assert operator_pause(state) == "trading"
        figures = key_figures(state)
        assert figures["pause"] == "trading"
        assert _figure_lines(figures)[0] == (
            "operator pause  trading paused (/stop: no strategy orders; /start resumes)")

        started = ask(api, "/start")
        assert started.startswith("<b>Trading resumed: new entries allowed again</b>")
        assert api.sent(111)[-1].params["reply_markup"]  # /start brings the keyboard
        assert live_status(state)["pause"] == "none"
        assert inject(state, "BTCUSDT", "sell", 0.01)["status"] == "Completed"
        assert operator_pause(state) == "none"

        # /stopentry while trading is paused keeps the stronger pause.
        ask(api, "/stop")
        assert "trading_paused: true" in ask(api, "/stopentry")
        ask(api, "/stop")
    finally:
        session.stop()

    # The pause is a logged input: a restart of the session comes back paused.
    resumed = idle_session(state, three_symbol_replay)
    try:
        assert resumed.resumed and resumed.pause == "trading"
        wait_for_bars(state, 1)
        again = inject(state, "SOLUSDT", "buy", 1.0)
        assert (again["status"], again["reason"]) == ("Rejected", "trading_paused")
    finally:
        summary = resumed.stop()
    assert summary["ledger_divergences"] == 0


def test_forced_entries_ask_first_then_go_through_the_risk_gate(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession],
        command_bot: Callable[..., tuple[Any, FakeBotApi]]) -> None:
    state = tmp_path / "state"
    session = idle_session(state, three_symbol_replay)
    bot, api = command_bot(state)
    try:
        wait_for_bars(state, 3)
        prompt = ask(api, "/forcelong btcusdt")
        assert prompt.startswith("<b>Force long BTCUSDT?</b>")
        assert "<code>/forcelong BTCUSDT confirm</code>" in prompt
        assert live_status(state) is not None and "none" in ask(api, "/positions")

        filled = ask(api, "/forcelong BTCUSDT confirm")
        assert filled.startswith("<b>Force long</b> on ManualSignalStrategy:BTCUSDT: "
                                 "accepted by the risk gate and filled")
        assert re.search(r"buy [\d.]+ @ [\d,.]+, fee [\d,.]+ USDT", filled)
        assert ask(api, "/forceshort") == ("usage: /forceshort SYMBOL, then /forceshort "
                                           "SYMBOL confirm")
        assert ask(api, "/forceshort ETHUSDT yes") == ("usage: /forceshort SYMBOL, then "
                                                       "/forceshort SYMBOL confirm")
        assert "does not trade DOGEUSDT" in ask(api, "/forceshort dogeusdt confirm")

        ask(api, "/stopentry")
        refused = ask(api, "/forceshort ETHUSDT confirm")
        assert refused.startswith("<b>Force short</b> on ManualSignalStrategy:ETHUSDT: "
                                  "rejected (entries_paused: entries paused by the operator)")
        assert "new entries are paused by the operator" in refused
    finally:
        session.stop()


def test_count_locks_health_version_and_config(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession],
        command_bot: Callable[..., tuple[Any, FakeBotApi]],
        alert_configs: Callable[..., Path]) -> None:
    configs = alert_configs()
    config = load_config(configs)
    state = tmp_path / "state"
    # The spread breaker halts on the first bar (every book's spread is above this).
    risk = RiskConfig.model_validate({"max_spread_pct": 1e-9,
                                      "breakers": {"spread": {"mode": "halt"}}})
    session = idle_session(state, three_symbol_replay, risk=risk)
    bot, api = command_bot(state, config=config)
    try:
        wait_for_bars(state, 3)
        api.wait_for(lambda: "breaker spread (halt)" in ask(api, "/locks"), 30,
                     "the spread breaker")
        locks = ask(api, "/locks")
        assert re.search(r"breaker spread \(halt\): spread [\d.e-]+% &gt; 1e-09%; entries "
                         r"resume when an operator runs /start_trading", locks)

        # The file's limits, read again into the running gate: a sane spread limit, one
        # signal per strategy and hour, seven positions.
        risk_file = configs / "risk_config.json"
        data = json.loads(risk_file.read_text())
        data.update(max_open_positions=7, max_signals_per_hour_per_strategy=1,
                    min_seconds_between_signals=7200)
        risk_file.write_text(json.dumps(data))
        reloaded = ask(api, "/reload_config")
        assert reloaded.startswith(f"<b>Risk limits reloaded</b> from {risk_file}")
        for name in ("max_open_positions", "max_spread_pct", "min_seconds_between_signals"):
            assert name in reloaded
        assert live_status(state)["risk"]["max_open_positions"] == 7
        ask(api, "/start_trading")  # clears the halt; the new spread limit keeps it closed
        # A bar of every symbol after the resume: an order priced on a bar older than the
        # resume would still meet the open breaker.
        wait_for_bars(state, live_bars_logged(state) + 3)
        assert inject(state, "BTCUSDT", "buy", 0.01)["status"] == "Completed"

        count = ask(api, "/count")
        assert "ManualSignalStrategy: 1 open of 3 sub-accounts (one position each)" in count
        assert "Idle: 0 open of 3 sub-accounts" in count
        assert "<b>total</b>: 1 of 7 allowed (max_open_positions, across strategies); 6 free" \
            in count
        locks = ask(api, "/locks")
        assert "breaker" not in locks
        assert re.search(r"signal_spacing:Manual:BTCUSDT: last signal \d+ s ago, 7200 s apart; "
                         r"lifts 2022-\d\d-\d\d \d\d:\d\d(:\d\d)? UTC", locks)
        assert re.search(r"strategy_hourly_cap:Manual:BTCUSDT: 1 signals in the last hour "
                         r"\(cap 1\); lifts 2022-", locks)

        # An invalid file is refused in one line, and the running limits are kept.
        data["max_open_positions"] = 0
        risk_file.write_text(json.dumps(data))
        invalid = ask(api, "/reload_config")
        assert "max_open_positions" in invalid and invalid.endswith(
            "; the running limits are kept")
        assert "\n" not in invalid
        # The session checks what it is handed too: one line, nothing changed.
        direct = control.send(state, {"op": "reload_risk", "risk": {"max_open_positions": 0}})
        assert not direct["ok"] and "max_open_positions" in direct["error"]
        assert "\n" not in direct["error"]
        assert live_status(state)["risk"]["max_open_positions"] == 7

        health = ask(api, "/health")
        assert health.startswith("<b>Health</b>: running")
        for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
            assert re.search(rf"{symbol} 1: last bar closed 2022-\d\d-\d\d \d\d:\d\d:\d\d UTC, "
                             r"logged \d\d:\d\d:\d\d ago", health)
        assert re.search(r"market data: LIVE, last message [\d.]+ s ago; reconnects 0",
                         health)
        assert re.search(r"process uptime: (\d+d )?\d\d:\d\d:\d\d", health)
        assert re.search(r"last ledger write: \d\d:\d\d:\d\d ago", health)

        version = ask(api, "/version")
        assert "backtrader-engine: 0.1.0" in version
        assert re.search(r"python: 3\.\d+\.\d+", version)
        assert re.search(r"backtrader: 1\.9\.[\d.]+", version)
        assert re.search(r"optuna: \d+\.\d+", version)

        before = len(api.sent(111))
        api.push_message(111, 111, "/show_config")
        api.wait_for(lambda: len(api.sent(111)) >= before + 2, 30, "the config")
        parts = api.texts(111)[before:]
        assert parts[0].startswith(f"<b>Effective config</b> ({configs}) (1/")
        whole = "".join(parts)
        assert '"max_open_positions": 7' in whole  # the running limits, after the reload
        assert '"secrets": {' in whole and '"strategies": {' in whole
        assert all(len(p) <= 4096 for p in parts)
    finally:
        session.stop()


def test_show_and_reload_config_need_the_sessions_config(
        tmp_path: Path, command_bot: Callable[..., tuple[Any, FakeBotApi]]) -> None:
    bot, api = command_bot(tmp_path / "nothing")
    assert "started without a configuration" in ask(api, "/show_config")
    assert "started without a configuration" in ask(api, "/reload_config")
    assert "no paper session is running" in ask(api, "/stop")
    assert ask(api, "/locks") == ("<b>Locks</b>\nthe bot does not answer: locks are known "
                                  "only while it runs")


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_daily_weekly_monthly_sum_the_closed_round_trips(
        state_dir: Path, ledger_script: Callable[..., LedgerScript],
        command_bot: Callable[..., tuple[Any, FakeBotApi]]) -> None:
    script = ledger_script(state_dir, accounts=("RSI:BTCUSDT", "EMA:ETHUSDT"))
    # Monday 2022-09-05 .. Wednesday 2022-09-07; the newest bar closes on the Wednesday.
    btc, eth = "RSI:BTCUSDT", "EMA:ETHUSDT"
    script.fill(btc, 1, 1.0, 100.0, ts=_ms("2022-08-30T10:00"), fee=0.5)  # a trip in August
    script.fill(btc, 2, -1.0, 110.0, ts=_ms("2022-08-31T10:00"), pnl=10.0, fee=0.5)
    script.fill(btc, 3, 1.0, 100.0, ts=_ms("2022-09-05T01:00"), fee=0.25)
    script.fill(btc, 4, -1.0, 104.0, ts=_ms("2022-09-05T02:00"), pnl=4.0, fee=0.25)
    script.funding(eth, 0.5, _ms("2022-09-06T08:00"))  # before the ETH entry: no trip's
    script.fill(eth, 1, -2.0, 50.0, ts=_ms("2022-09-06T09:00"), fee=0.1)
    script.funding(eth, 0.3, _ms("2022-09-06T16:00"))  # paid by the open short
    script.fill(eth, 2, 2.0, 52.0, ts=_ms("2022-09-07T09:00"), pnl=-4.0, fee=0.1)
    script.fill(btc, 5, 1.0, 100.0, ts=_ms("2022-09-07T10:00"), fee=0.1)  # still open
    script.bar("BTCUSDT", _ms("2022-09-07T12:00") - 1)
    bot, api = command_bot(state_dir)

    daily = ask(api, "/daily 3").split("\n")
    assert daily == [
        "<b>Daily realised PnL</b> (UTC, closed round trips, fees and funding included)",
        "day 2022-09-07: -4.50 USDT (1 trade, 0 won)",
        "day 2022-09-06: +0.00 USDT (0 trades)",
        "day 2022-09-05: +3.50 USDT (1 trade, 1 won)",
        "<b>total</b>: -1.00 USDT (2 trades)"]
    weekly = ask(api, "/weekly 2").split("\n")
    assert weekly[1:] == ["week from 2022-09-05: -1.00 USDT (2 trades, 1 won)",
                          "week from 2022-08-29: +9.00 USDT (1 trade, 1 won)",
                          "<b>total</b>: +8.00 USDT (3 trades)"]
    monthly = ask(api, "/monthly").split("\n")
    assert len(monthly) == 1 + 6 + 1
    assert monthly[1:3] == ["month 2022-09: -1.00 USDT (2 trades, 1 won)",
                            "month 2022-08: +9.00 USDT (1 trade, 1 won)"]
    assert monthly[3] == "month 2022-07: +0.00 USDT (0 trades)"
    assert len(ask(api, "/daily").split("\n")) == 1 + 7 + 1
    assert ask(api, "/daily 0") == "usage: /daily [n], n from 1 to 90"
    assert ask(api, "/weekly x") == "usage: /weekly [n], n from 1 to 52"


@pytest.mark.parametrize("command", ["/help", "/start"])
def test_help_and_start_send_the_reply_keyboard(
        tmp_path: Path, command: str,
        command_bot: Callable[..., tuple[Any, FakeBotApi]]) -> None:
    bot, api = command_bot(tmp_path / "nothing")
    ask(api, command)
    keyboard = json.loads(api.sent(111)[-1].params["reply_markup"])
    rows = [[button["text"] if isinstance(button, dict) else button for button in row]
            for row in keyboard["keyboard"]]
    assert rows[0] == ["/status", "/profit", "/balance"] and ["/stop", "/start", "/help"] \
        in rows
    assert keyboard["resize_keyboard"] is True
