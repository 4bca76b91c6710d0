"""Secrets come only from the environment and never show up in output, reprs or logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from backtrader_engine.config import (
    Secrets,
    check_config,
    load_config,
    mask_secret,
    render_config,
)

SECRET_VALUES = {
    "BYBIT_API_KEY": "bybit-key-0123456789abcdef",
    "BYBIT_SECRET_KEY": "bybit-secret-fedcba9876543210",
    "TELEGRAM_BOT_TOKEN": "123456789:AAH-telegram-token-value",
    "TELEGRAM_CHAT_ID": "-1001234567890",
    "GRAFANA_PASSWORD": "grafana-password-xyz",
}


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in SECRET_VALUES.items():
        monkeypatch.setenv(name, value)
    return SECRET_VALUES


@pytest.mark.parametrize(("filename", "changes", "field", "env_name"), [
    pytest.param("bybit_config.json", {"api_key": "LEAKED-SECRET-VALUE"}, "api_key",
                 "BYBIT_API_KEY", id="api_key"),
    pytest.param("bybit_config.json", {"fees.apiSecret": "LEAKED-SECRET-VALUE"},
                 "fees.apiSecret", "BYBIT_SECRET_KEY", id="nested-camel-case"),
    pytest.param("alert_config.json", {"telegram.bot_token": "LEAKED-SECRET-VALUE"},
                 "telegram.bot_token", "TELEGRAM_BOT_TOKEN", id="token"),
    pytest.param("alert_config.json", {"telegram.chat_id": "LEAKED-SECRET-VALUE"},
                 "telegram.chat_id", "TELEGRAM_CHAT_ID", id="chat-id"),
    pytest.param("alert_config.json", {"grafana.password": "LEAKED-SECRET-VALUE"},
                 "grafana.password", "GRAFANA_PASSWORD", id="password"),
    pytest.param("strategies_config.json",
                 {"strategies.RSIEMAMomentumStrategy.params.secret": "LEAKED-SECRET-VALUE"},
                 "strategies.RSIEMAMomentumStrategy.params.secret", "BYBIT_SECRET_KEY",
                 id="deep-in-params"),
])
def test_secret_like_key_in_json_is_rejected_without_echoing_it(
    config_dir: Path, edit_config: Callable[..., Path], load_error: Callable[..., str],
    filename: str, changes: dict[str, Any], field: str, env_name: str,
) -> None:
    edit_config(filename, changes)
    message = load_error()
    assert message.startswith(f"{config_dir / filename}: field '{field}': looks like a secret")
    assert f"set the {env_name} environment variable instead" in message
    assert "LEAKED-SECRET-VALUE" not in message


def test_secret_inside_a_list_is_rejected(
    edit_config: Callable[..., Path], load_error: Callable[..., str],
) -> None:
    edit_config("bybit_config.json", {"symbols": [{"token": "LEAKED"}]})
    message = load_error()
    assert "field 'symbols[0].token': looks like a secret" in message
    assert "LEAKED" not in message


@pytest.mark.parametrize("key", ["token_env", "chat_id_env", "TokenMomentumStrategy",
                                 "tokens_seen", "keyword"])
def test_names_that_only_mention_secrets_are_not_rejected(key: str) -> None:
    from backtrader_engine.config.jsonfile import reject_secret_keys

    reject_secret_keys({key: "x"}, "file.json")


def test_secret_pasted_in_place_of_a_variable_name_is_not_echoed(
    edit_config: Callable[..., Path], load_error: Callable[..., str],
) -> None:
    edit_config("alert_config.json", {"telegram.token_env": "123456789:AAH-pasted-token"})
    message = load_error()
    assert "field 'telegram.token_env': is not an environment variable name" in message
    assert "AAH-pasted-token" not in message


def test_secrets_are_read_from_env(config_dir: Path, secret_env: dict[str, str]) -> None:
    secrets = load_config(config_dir).secrets
    assert secrets.bybit_api_key is not None
    assert secrets.bybit_api_key.get_secret_value() == secret_env["BYBIT_API_KEY"]
    assert secrets.telegram_chat_id is not None
    assert secrets.telegram_chat_id.get_secret_value() == secret_env["TELEGRAM_CHAT_ID"]
    assert secrets.grafana_password is not None


def test_blank_env_var_counts_as_unset_and_whitespace_is_stripped() -> None:
    secrets = Secrets.from_env({"BYBIT_API_KEY": "   ", "BYBIT_SECRET_KEY": " abc\n"})
    assert secrets.bybit_api_key is None
    assert secrets.bybit_secret_key is not None
    assert secrets.bybit_secret_key.get_secret_value() == "abc"


def test_telegram_env_names_come_from_alert_config(
    config_dir: Path, edit_config: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
) -> None:
    edit_config("alert_config.json", {"telegram.token_env": "MY_BOT_TOKEN",
                                      "telegram.chat_id_env": "MY_CHAT_ID"})
    monkeypatch.setenv("MY_BOT_TOKEN", "custom-token-1234567890")
    monkeypatch.setenv("MY_CHAT_ID", "42")
    secrets = load_config(config_dir).secrets
    assert secrets.telegram_bot_token is not None
    assert secrets.telegram_bot_token.get_secret_value() == "custom-token-1234567890"


def test_secrets_never_appear_in_render_repr_str_or_logs(
    config_dir: Path, secret_env: dict[str, str], caplog: pytest.LogCaptureFixture,
) -> None:
    (config_dir / "risk_config.json").unlink()  # forces a logged note during loading
    caplog.set_level(logging.DEBUG)
    config = load_config(config_dir)
    logging.getLogger("tests.config").info("loaded %s / %r", config, config.secrets)
    rendered = render_config(config)
    outputs = {"render": rendered, "repr": repr(config), "str": str(config),
               "secrets repr": repr(config.secrets), "logs": caplog.text}
    assert "not found; using built-in defaults" in caplog.text
    for label, text in outputs.items():
        for name, value in secret_env.items():
            assert value not in text, f"{name} leaked into {label}"
    assert '"bybit_api_key": "bybi…cdef"' in rendered
    assert '"telegram_chat_id": "-100…7890"' in rendered


def test_render_shows_unset_secrets(config_dir: Path) -> None:
    rendered = render_config(load_config(config_dir))
    assert '"grafana_password": "<not set>"' in rendered


@pytest.mark.parametrize(("value", "expected"), [
    (None, "<not set>"),
    ("", "<not set>"),
    (SecretStr(""), "<not set>"),
    ("short", "****"),
    ("elevenchars", "****"),
    ("twelve-chars", "twel…hars"),
    ("abcdefghijklmnopqrstuvwxyz", "abcd…wxyz"),
    (SecretStr("abcdefghijklmnopqrstuvwxyz"), "abcd…wxyz"),
])
def test_mask_secret(value: str | SecretStr | None, expected: str) -> None:
    assert mask_secret(value) == expected


def test_require_secrets_with_telegram_enabled_but_env_missing_fails(
    config_dir: Path, edit_config: Callable[..., Path], load_error: Callable[..., str],
) -> None:
    edit_config("alert_config.json", {"telegram.enabled": True})
    message = load_error(require_secrets=True)
    assert message.startswith(f"{config_dir / 'alert_config.json'}: field 'telegram.enabled' "
                              "= true: needs environment variable TELEGRAM_BOT_TOKEN")
    assert "export TELEGRAM_BOT_TOKEN or set 'telegram.enabled' to false" in message


def test_require_secrets_names_the_chat_id_when_only_the_token_is_set(
    edit_config: Callable[..., Path], load_error: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    edit_config("alert_config.json", {"telegram.enabled": True})
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAH-telegram-token-value")
    assert "needs environment variable TELEGRAM_CHAT_ID" in load_error(require_secrets=True)


def test_telegram_secrets_missing_is_only_a_warning_without_require_secrets(
    config_dir: Path, edit_config: Callable[..., Path],
) -> None:
    edit_config("alert_config.json", {"telegram.enabled": True})
    assert load_config(config_dir).alerts.telegram.enabled is True
    warnings = [line for line in check_config(config_dir) if line.startswith("warning ")]
    assert len(warnings) == 2
    assert "TELEGRAM_BOT_TOKEN" in warnings[0]
    assert "TELEGRAM_CHAT_ID" in warnings[1]


def test_require_secrets_passes_when_env_is_set(
    config_dir: Path, edit_config: Callable[..., Path], secret_env: dict[str, str],
) -> None:
    edit_config("alert_config.json", {"telegram.enabled": True})
    lines = check_config(config_dir, require_secrets=True)
    assert not [line for line in lines if line.startswith("warning ")]
