"""The service that wires watcher, notifier and command bot: levels, life cycle, stats."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backtrader_engine.config import load_config
from backtrader_engine.telegram.service import TelegramService, telegram_for_session

from .conftest import TOKEN, FakeBotApi, LedgerScript

BTC = "RSI:BTCUSDT"


def test_only_the_configured_levels_are_sent(
        state_dir: Path, fake_telegram: Callable[..., FakeBotApi],
        alert_configs: Callable[..., Path], ledger_script: Callable[..., LedgerScript]) -> None:
    api = fake_telegram()
    configs = alert_configs(enabled=True, api_base_url=api.base_url, alert_levels=["critical"],
                            commands_enabled=False, poll_seconds=0.02)
    service = telegram_for_session(load_config(configs), state_dir,
                                   {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": "111"})
    assert isinstance(service, TelegramService) and service.commands is None
    script = ledger_script(state_dir)
    service.start()
    script.event("start", "new session")
    script.signal(BTC, 0, "rejected", reason="low_confidence")
    script.event("account_error", "RuntimeError: boom", BTC)
    api.wait_for(lambda: len(api.sent(111)) == 1, 30, "the critical alert")
    script.event("stop", "0 live bars this run")
    stats = service.stop()
    [text] = api.texts(111)
    assert text.startswith("<b>[CRITICAL] Account stopped by an error</b>")
    assert stats["filtered"] == 3  # started, rejected, stopped
    assert stats["notifier"]["sent_events"] == 1 and stats["notifier"]["dropped"] == 0
    assert stats["watcher"]["emitted"] == 4


def test_a_service_never_started_stops_quietly(
        state_dir: Path, alert_configs: Callable[..., Path]) -> None:
    configs = alert_configs(enabled=True, allowed_user_ids=[7])
    service = telegram_for_session(load_config(configs), state_dir,
                                   {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert service is not None and service.notifier is None and service.commands is not None
    assert service.stop() == {"filtered": 0, "commands": {
        "commands": 0, "unauthorised": 0, "poll_errors": 0, "reply_errors": 0,
        "running": False}}
