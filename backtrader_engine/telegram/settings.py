"""Telegram settings resolved from ``alert_config.json`` and the environment.

The token and the chat ids are secrets: they come only from environment variables (named
by ``telegram.token_env`` and ``telegram.chat_id_env``). The chat id variable may list
several chats, comma-separated: numeric ids (negative for groups) or ``@channelname``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from backtrader_engine.config.alerts import AlertConfig
from backtrader_engine.config.credentials import Secrets
from backtrader_engine.errors import UserError

log = logging.getLogger(__name__)
_CHAT = re.compile(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}")


@dataclass(frozen=True)
class TelegramSettings:
    """Everything the notifier and the command bot need (the token stays a SecretStr)."""

    token: SecretStr
    chat_ids: tuple[int | str, ...]
    allowed_user_ids: frozenset[int]
    api_base_url: str
    alert_levels: frozenset[str]
    commands: bool
    per_chat_per_second: float
    per_chat_per_minute: int
    global_per_second: float
    queue_size: int
    max_retries: int
    request_timeout: float
    shutdown_timeout: float
    poll_seconds: float
    status_poll_seconds: float
    drawdown_warning_pct: float
    drawdown_critical_pct: float


def parse_chat_ids(raw: str, variable: str) -> tuple[int | str, ...]:
    """Chat ids from a comma-separated variable value.

    Raises
    ------
    UserError
        Naming the variable and the first entry that is not a chat id (the value itself is
        not repeated: it is a secret).
    """
    out: list[int | str] = []
    for position, item in enumerate((part.strip() for part in raw.split(",")), start=1):
        if not item:
            continue
        if not _CHAT.fullmatch(item):
            raise UserError(f"environment variable {variable}: entry {position} is not a "
                            "Telegram chat id; expected numbers like 123456789 or "
                            "-1001234567890 (groups), or @channelname, separated by commas")
        out.append(int(item) if item.lstrip("-").isdigit() else item)
    return tuple(dict.fromkeys(out))


def telegram_settings(alerts: AlertConfig, environ: Mapping[str, str] | None = None
                      ) -> TelegramSettings | None:
    """The settings to run Telegram with, or ``None`` when it stays off.

    Off, with one info line saying why, when ``telegram.enabled`` is false, when the token
    variable is unset, or when there is neither a chat to send to nor a user to answer.

    Raises
    ------
    UserError
        When the chat id variable holds something that is not a chat id.
    """
    telegram = alerts.telegram
    if not telegram.enabled:
        log.info("Telegram is off ('telegram.enabled' is false in alert_config.json)")
        return None
    secrets = Secrets.from_env(environ, telegram_token_env=telegram.token_env,
                               telegram_chat_id_env=telegram.chat_id_env)
    if secrets.telegram_bot_token is None:
        log.info("Telegram is off: environment variable %s (the bot token) is not set",
                 telegram.token_env)
        return None
    raw_chats = secrets.telegram_chat_id.get_secret_value() if secrets.telegram_chat_id else ""
    chats = parse_chat_ids(raw_chats, telegram.chat_id_env)
    users = frozenset(telegram.allowed_user_ids)
    if not chats and not (users and telegram.commands_enabled):
        log.info("Telegram is off: environment variable %s (chat ids) is not set and no "
                 "'telegram.allowed_user_ids' may command", telegram.chat_id_env)
        return None
    return TelegramSettings(
        token=secrets.telegram_bot_token, chat_ids=chats, allowed_user_ids=users,
        api_base_url=telegram.api_base_url, alert_levels=frozenset(telegram.alert_levels),
        commands=telegram.commands_enabled,
        per_chat_per_second=telegram.per_chat_per_second,
        per_chat_per_minute=telegram.rate_limit_per_minute,
        global_per_second=telegram.global_per_second, queue_size=telegram.queue_size,
        max_retries=telegram.max_retries, request_timeout=telegram.request_timeout_seconds,
        shutdown_timeout=telegram.shutdown_timeout_seconds,
        poll_seconds=telegram.poll_seconds, status_poll_seconds=telegram.status_poll_seconds,
        drawdown_warning_pct=alerts.alerts.drawdown_warning_pct,
        drawdown_critical_pct=alerts.alerts.drawdown_critical_pct)
