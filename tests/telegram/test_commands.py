"""Every command against a running session, through the fake Bot API; who may command."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.config import RiskConfig
from backtrader_engine.exchanges.bybit.replay import ReplayServer
from backtrader_engine.paper.control import channel as control
from backtrader_engine.paper.session import PaperSession
from backtrader_engine.telegram.commands import COMMANDS, is_allowed

from ..paper.conftest import wait_for_bars
from .conftest import TOKEN, FakeBotApi, ask


def inject(state: Path, symbol: str, side: str, qty: float | None = None) -> dict:
    return control.send(state, {"op": "inject", "symbol": symbol, "side": side, "qty": qty})


def test_every_command_against_a_running_session(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession],
        command_bot: Callable[..., tuple[Any, FakeBotApi]]) -> None:
    state = tmp_path / "state"
    log_file = tmp_path / "logs" / "paper.jsonl"
    log_file.parent.mkdir()
    log_file.write_text("\n".join(json.dumps(
        {"ts": f"2022-09-05T05:00:{i:02d}+00:00", "level": "INFO", "logger": "paper",
         "message": f"line {i}"}) for i in range(30)) + "\nnot json <b>\n")
    session = idle_session(state, three_symbol_replay)
    bot, api = command_bot(state, log_file=log_file)
    try:
        wait_for_bars(state, 3)
        assert inject(state, "BTCUSDT", "buy", 0.01)["status"] == "Completed"

        help_text = ask(api, "/help")
        assert all(f"/{name} —" in help_text for name, _ in COMMANDS)
        assert [c["command"] for c in api.commands] == [name for name, _ in COMMANDS]

        status = ask(api, "/status")
        assert status.startswith("<b>Status</b>: running")
        assert re.search(r"live bars \d+", status) and "new entries: allowed" in status
        assert "ManualSignalStrategy:BTCUSDT: " in status and "0.01 @ " in status

        balance = ask(api, "/balance")
        assert "<b>total</b>: " in balance and "started with 18,000.00 USDT" in balance
        positions = ask(api, "/positions")
        assert re.search(r"BTCUSDT long 0\.01 @ [\d,.]+ \(ManualSignalStrategy\)", positions)
        trades = ask(api, "/trades 5")
        assert trades.startswith("<b>Last 1 fills</b>") and "buy 0.01 @" in trades
        assert ask(api, "/trades abc") == "usage: /trades [n], n from 1 to 100"
        assert "PnL: " in ask(api, "/profit")
        assert "ManualSignalStrategy: " in ask(api, "/performance")
        strategies = ask(api, "/strategies")
        assert "Idle ETHUSDT 1m: defaults" in strategies
        assert "ManualSignalStrategy BTCUSDT 1m (manual signals)" in strategies

        assert "New entries paused" in ask(api, "/stopentry")
        assert "new entries: PAUSED" in ask(api, "/status")
        assert "Trading resumed: new entries allowed again" in ask(api, "/start_trading")
        assert ask(api, "/forceexit") == ("usage: /forceexit SYMBOL or /forceexit all (/fx for "
                                          "short)")
        assert "does not trade DOGEUSDT" in ask(api, "/forceexit dogeusdt")
        exited = ask(api, "/forceexit btcusdt")
        assert "Force exit: BTCUSDT" in exited and "ManualSignalStrategy:BTCUSDT" in exited
        assert "Force exit: all symbols" in ask(api, "/forceexit all")
        assert "none" in ask(api, "/positions")

        logs_text = ask(api, "/logs 3")
        assert logs_text.startswith("<b>paper.jsonl, last 3 lines</b>\n<pre>")
        assert "2022-09-05T05:00:29+00:00 INFO paper: line 29" in logs_text
        assert "not json &lt;b&gt;" in logs_text
        assert ask(api, "/nosuch") == "unknown command; /help lists them"

        assert "Trading paused" in ask(api, "/stop")
        assert not session.wait(1)  # a pause: the process keeps running
        assert bot.stats()["commands"] == 20 and bot.stats()["unauthorised"] == 0
    finally:
        session.stop()


def test_start_trading_clears_a_halted_breaker(
        tmp_path: Path, three_symbol_replay: ReplayServer,
        idle_session: Callable[..., PaperSession],
        command_bot: Callable[..., tuple[Any, FakeBotApi]]) -> None:
    # Every live book's spread is above this limit: the spread breaker halts on the first bar.
    risk = RiskConfig.model_validate({"max_spread_pct": 1e-9,
                                      "breakers": {"spread": {"mode": "halt"}}})
    state = tmp_path / "state"
    session = idle_session(state, three_symbol_replay, risk=risk)
    bot, api = command_bot(state)
    try:
        wait_for_bars(state, 3)
        api.wait_for(lambda: "spread (" in ask(api, "/status"), 30, "the spread breaker")
        status = ask(api, "/status")
        assert "mode halt; entries resume when an operator runs /start_trading" in status
        refused = inject(state, "BTCUSDT", "buy", 0.01)
        assert (refused["status"], refused["reason"]) == ("Rejected", "breaker:spread")
        reply = ask(api, "/start_trading")
        assert "Trading resumed: new entries allowed again; halted breakers cleared: spread" \
            in reply
    finally:
        session.stop()


def test_commands_without_a_session_say_so(
        tmp_path: Path, command_bot: Callable[..., tuple[Any, FakeBotApi]]) -> None:
    bot, api = command_bot(tmp_path / "nothing")
    assert "no paper ledger in" in ask(api, "/status")
    assert "no paper session is running" in ask(api, "/stopentry")
    assert ask(api, "/logs") == "this bot writes no log file"


def test_strangers_get_no_answer_and_are_counted(
        tmp_path: Path, command_bot: Callable[..., tuple[Any, FakeBotApi]],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="backtrader_engine.telegram")
    bot, api = command_bot(tmp_path / "s", chats=(111,), users=(7,))
    api.push_message(999, 999, "/forceexit all secret-words")  # unknown chat and user
    api.push_message(111, 8, "/stop")  # an allowed chat, but not an allowed user
    assert ask(api, "/help", chat=111, user=7).startswith("<b>Commands</b>")
    assert ask(api, "/help", chat=7, user=7).startswith("<b>Commands</b>")  # private chat
    assert api.sent(999) == [] and len(api.sent(111)) == 1
    assert bot.stats()["unauthorised"] == 2
    assert "ignored /forceexit from user 999 in chat 999" in caplog.text
    assert "secret-words" not in caplog.text


@pytest.mark.parametrize(("chat", "user", "chats", "users", "allowed"), [
    (111, 5, {111}, set(), True),
    (222, 5, {111}, set(), False),
    (111, 7, {111}, {7}, True),
    (111, 8, {111}, {7}, False),
    (7, 7, {111}, {7}, True),  # the allowed user's private chat
    (8, 7, {111}, {7}, False),
    (None, 7, {111}, {7}, False),
])
def test_is_allowed(chat: int | None, user: int, chats: set[int], users: set[int],
                    allowed: bool) -> None:
    assert is_allowed(chat, user, chats, users) is allowed


def test_a_refused_token_turns_commands_off_without_leaking_it(
        tmp_path: Path, fake_telegram: Callable[..., FakeBotApi],
        caplog: pytest.LogCaptureFixture) -> None:
    from backtrader_engine.telegram.commands import CommandBot

    caplog.set_level(logging.DEBUG)
    api = fake_telegram(token="1:another")
    bot = CommandBot(TOKEN, tmp_path, chat_ids=(111,), api_base_url=api.base_url,
                     poll_timeout=1.0, request_timeout=3.0).start()
    try:
        api.wait_for(lambda: "refused the token" in caplog.text, 30, "the refusal")
        assert not bot.running
    finally:
        bot.stop()
    assert TOKEN not in caplog.text and TOKEN.split(":")[1] not in caplog.text


def test_telegram_down_at_start_is_retried(tmp_path: Path,
                                           fake_telegram: Callable[..., FakeBotApi]) -> None:
    from backtrader_engine.telegram.commands import CommandBot

    api = fake_telegram()
    api.set_mode("fail", count=2)
    bot = CommandBot(TOKEN, tmp_path, chat_ids=(111,), api_base_url=api.base_url,
                     poll_timeout=1.0, request_timeout=3.0).start()
    try:
        api.wait_for(lambda: bot.running, 30, "the command bot to poll")
        assert ask(api, "/help").startswith("<b>Commands</b>")
    finally:
        bot.stop()
    assert [c.method for c in api.requests()][:3] == ["getme", "getme", "getme"]
