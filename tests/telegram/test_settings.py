"""Telegram settings: from alert_config.json and the environment, off with one info line."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.config import load_config
from backtrader_engine.errors import ConfigError, UserError
from backtrader_engine.telegram.settings import parse_chat_ids, telegram_settings

from .conftest import TOKEN


def settings(configs: Path, env: dict[str, str]):  # noqa: ANN201 (a test helper)
    return telegram_settings(load_config(configs).alerts, env)


def test_off_unless_enabled(alert_configs: Callable[..., Path],
                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="backtrader_engine.telegram")
    configs = alert_configs(enabled=False)
    assert settings(configs, {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": "1"}) is None
    assert [r.getMessage() for r in caplog.records
            if r.name.startswith("backtrader_engine.telegram")] == [
        "Telegram is off ('telegram.enabled' is false in alert_config.json)"]


def test_without_a_token_it_is_off_with_one_info_line(alert_configs: Callable[..., Path],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="backtrader_engine.telegram")
    configs = alert_configs(enabled=True, token_env="MY_BOT_TOKEN")
    assert settings(configs, {"TELEGRAM_CHAT_ID": "1"}) is None
    [record] = [r for r in caplog.records if r.name.startswith("backtrader_engine.telegram")]
    assert record.levelname == "INFO"
    assert record.getMessage() == ("Telegram is off: environment variable MY_BOT_TOKEN (the "
                                   "bot token) is not set")


def test_enabled_with_token_and_chats(alert_configs: Callable[..., Path]) -> None:
    configs = alert_configs(enabled=True, allowed_user_ids=[7, 8],
                            api_base_url="http://127.0.0.1:8081/")
    got = settings(configs, {"TELEGRAM_BOT_TOKEN": f" {TOKEN}\n",
                             "TELEGRAM_CHAT_ID": "111, -1001234567890,@alerts_channel,111"})
    assert got is not None
    assert got.token.get_secret_value() == TOKEN
    assert TOKEN not in repr(got)
    assert got.chat_ids == (111, -1001234567890, "@alerts_channel")
    assert got.allowed_user_ids == {7, 8}
    assert got.api_base_url == "http://127.0.0.1:8081"
    assert got.alert_levels == {"info", "warning", "critical"}  # the shipped config
    assert (got.drawdown_warning_pct, got.drawdown_critical_pct) == (5.0, 8.0)


def test_commands_only_for_allowed_users_without_a_chat(alert_configs: Callable[..., Path]
                                                        ) -> None:
    configs = alert_configs(enabled=True, allowed_user_ids=[7])
    got = settings(configs, {"TELEGRAM_BOT_TOKEN": TOKEN})
    assert got is not None and got.chat_ids == () and got.commands


def test_no_chat_and_no_user_is_off(alert_configs: Callable[..., Path],
                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="backtrader_engine.telegram")
    assert settings(alert_configs(enabled=True), {"TELEGRAM_BOT_TOKEN": TOKEN}) is None
    assert "TELEGRAM_CHAT_ID (chat ids) is not set" in caplog.text


def test_a_bad_chat_id_names_the_variable_but_not_the_value() -> None:
    with pytest.raises(UserError) as error:
        parse_chat_ids("111,secret-ish value", "TELEGRAM_CHAT_ID")
    message = str(error.value)
    assert message.startswith("environment variable TELEGRAM_CHAT_ID: entry 2 is not a "
                              "Telegram chat id")
    assert "secret-ish" not in message


def test_a_bad_chat_id_stops_the_paper_command_with_one_line(
        alert_configs: Callable[..., Path], tmp_path: Path, cli: Callable[..., object],
        one_clear_line: Callable[..., str], monkeypatch: pytest.MonkeyPatch) -> None:
    configs = alert_configs(enabled=True)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "not a chat")
    result = cli("paper", "--config-dir", str(configs), "--source", "replay", "--state",
                 str(tmp_path / "s"), "--strategy", "RSIEMAMomentumStrategy", "--timeframe",
                 "1h", "--log-dir", str(tmp_path / "logs"), "--max-bars", "1",
                 "--duration", "20")
    line = one_clear_line(result)
    assert "TELEGRAM_CHAT_ID: entry 1 is not a Telegram chat id" in line


@pytest.mark.parametrize(("fields", "message"), [
    ({"api_base_url": "http://bots.example.com"}, "would send the bot token unencrypted"),
    ({"api_base_url": "https://api.telegram.org/bot"}, "ends with '/bot'"),
    ({"api_base_url": "ftp://x"}, "is not a Bot API URL"),
    ({"allowed_user_ids": [5, 5]}, "lists '5' more than once"),
    ({"per_chat_per_second": 0}, "telegram.per_chat_per_second"),
    ({"queue_size": 0}, "telegram.queue_size"),
])
def test_bad_telegram_fields_name_the_field_and_the_fix(
        fields: dict[str, object], message: str, alert_configs: Callable[..., Path]) -> None:
    configs = alert_configs(**fields)
    with pytest.raises(ConfigError) as error:
        load_config(configs)
    assert message in str(error.value)
    assert "alert_config.json" in str(error.value)
