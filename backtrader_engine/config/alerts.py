"""Telegram, Prometheus, dashboard and alert thresholds: ``configs/alert_config.json``."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from backtrader_engine.config.base import ConfigModel, Rule, RuleViolation
from backtrader_engine.config.fieldtypes import EnvVarName, Host, Port, check_unique

AlertLevel = Literal["info", "warning", "critical"]
ALERT_LEVELS: tuple[AlertLevel, ...] = ("info", "warning", "critical")

#: Hosts that bind every interface and so collide with any other host on the same port.
_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def check_bot_api_url(value: str) -> str:
    """Validate the Bot API server URL: https, or http on a loopback address only.

    Raises
    ------
    ValueError
        For another scheme, a missing host, or plain http to a remote host (the bot token
        is part of every request path and would cross the network unencrypted).
    """
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError("is not a Bot API URL; write it like 'https://api.telegram.org' or "
                         "'http://127.0.0.1:8081' for a local server")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ValueError("uses http:// to a remote host, which would send the bot token "
                         "unencrypted; use https:// or a loopback address")
    if parts.path.rstrip("/").endswith("/bot"):
        raise ValueError("ends with '/bot'; give the server only, e.g. "
                         "'https://api.telegram.org' ('/bot<token>' is appended)")
    return value.rstrip("/")


#: Bot API server base URL (``/bot<token>/<method>`` is appended).
BotApiUrl = Annotated[str, AfterValidator(check_bot_api_url)]


class TelegramConfig(ConfigModel):
    """Telegram bot for alerts and commands; the credentials come from environment variables."""

    enabled: bool = Field(
        False,
        description="Send alerts to Telegram. Needs the variables named by 'token_env' and "
                    "'chat_id_env' to be set.",
    )
    token_env: EnvVarName = Field(
        "TELEGRAM_BOT_TOKEN",
        description="Name of the environment variable holding the bot token (the token "
                    "itself never goes in this file).",
    )
    chat_id_env: EnvVarName = Field(
        "TELEGRAM_CHAT_ID",
        description="Name of the environment variable holding the chat ids to send to and "
                    "accept commands from (comma-separated).",
    )
    alert_levels: Annotated[list[AlertLevel], AfterValidator(check_unique)] = Field(
        default_factory=lambda: list(ALERT_LEVELS),
        description="Alert levels forwarded to Telegram: any of 'info' (started/stopped, "
                    "executed signals, closed positions, funding, daily summary), 'warning' "
                    "(rejected signals, drawdown warning, market data interrupted), "
                    "'critical' (errors, circuit breakers, critical drawdown).",
    )
    rate_limit_per_minute: int = Field(
        20, ge=1, le=60,
        description="Most messages sent per minute to one chat; Telegram throttles bots at "
                    "about 20 per minute in a group.",
    )
    commands_enabled: bool = Field(
        True,
        description="Accept bot commands, only from the configured chats and users.",
    )
    allowed_user_ids: Annotated[list[int], AfterValidator(check_unique)] = Field(
        default_factory=list,
        description="Telegram user ids allowed to send commands. Empty: anyone in a chat "
                    "listed in the chat id variable may command; otherwise only these users "
                    "(in a listed chat or in a private chat with the bot).",
    )
    api_base_url: BotApiUrl = Field(
        "https://api.telegram.org",
        description="Bot API server; '/bot<token>/<method>' is appended. A local "
                    "telegram-bot-api server may use http:// on a loopback address.",
    )
    per_chat_per_second: float = Field(
        1.0, gt=0, le=30,
        description="Most messages per second to one chat (Telegram allows about one).",
    )
    global_per_second: float = Field(
        30.0, gt=0, le=30,
        description="Most messages per second over all chats (Telegram allows about 30).",
    )
    queue_size: int = Field(
        1000, ge=1, le=1_000_000,
        description="Alerts waiting per chat; beyond this new alerts are dropped and counted.",
    )
    max_retries: int = Field(
        5, ge=0, le=100,
        description="Retries of a failed send (exponential backoff, Telegram's retry_after "
                    "honoured) before its alerts count as dropped.",
    )
    request_timeout_seconds: float = Field(
        10.0, gt=0, le=300,
        description="Timeout of one Bot API request.",
    )
    shutdown_timeout_seconds: float = Field(
        5.0, gt=0, le=300,
        description="Longest wait at shutdown for the last alerts ('bot stopped') to go out.",
    )
    poll_seconds: float = Field(
        0.25, gt=0, le=60,
        description="How often the ledger is read for new alerts.",
    )
    status_poll_seconds: float = Field(
        30.0, ge=0, le=3600,
        description="How often the running session's live status is asked for circuit "
                    "breakers (the session's own thread answers it, tens of milliseconds); "
                    "0 watches only the ledger (rejections by an open breaker).",
    )


class PrometheusConfig(ConfigModel):
    """Prometheus metrics endpoint."""

    enabled: bool = Field(True, description="Serve metrics for Prometheus to scrape.")
    host: Host = Field(
        "127.0.0.1",
        description="Interface the metrics server binds to; 0.0.0.0 exposes it on all.",
    )
    port: Port = Field(8080, description="TCP port of the metrics server.")


class DashboardConfig(ConfigModel):
    """Streamlit dashboard."""

    host: Host = Field(
        "127.0.0.1",
        description="Interface the dashboard binds to; 0.0.0.0 exposes it on all.",
    )
    port: Port = Field(8501, description="TCP port of the dashboard.")


class AlertThresholds(ConfigModel):
    """When monitoring raises alerts."""

    drawdown_warning_pct: float = Field(
        5.0, gt=0, le=100,
        description="Warning alert when equity is this percent below its peak.",
    )
    drawdown_critical_pct: float = Field(
        8.0, gt=0, le=100,
        description="Critical alert when equity is this percent below its peak; above the "
                    "warning level and at most the risk config's 'max_drawdown_pct'.",
    )
    no_data_seconds: float = Field(
        120, gt=0,
        description="Critical alert when no market data has arrived for this many seconds.",
    )
    error_rate_per_minute: float = Field(
        5, gt=0,
        description="Warning alert when more errors than this are logged per minute.",
    )


def _rule_warning_below_critical(cfg: AlertConfig) -> RuleViolation | None:
    """Alerts escalate: the warning must fire before the critical alert."""
    thresholds = cfg.alerts
    if thresholds.drawdown_warning_pct < thresholds.drawdown_critical_pct:
        return None
    return RuleViolation(
        "alerts.drawdown_warning_pct", thresholds.drawdown_warning_pct,
        f"must be below 'alerts.drawdown_critical_pct' ({thresholds.drawdown_critical_pct:g})",
        "lower the warning level or raise the critical level",
    )


def _hosts_overlap(first: str, second: str) -> bool:
    """Two bind hosts clash if equal or if either binds every interface."""
    return first == second or first in _WILDCARD_HOSTS or second in _WILDCARD_HOSTS


def _rule_ports_distinct(cfg: AlertConfig) -> RuleViolation | None:
    """Two servers on one host and port: the second fails to start."""
    metrics, dashboard = cfg.prometheus, cfg.dashboard
    if not metrics.enabled or metrics.port != dashboard.port:
        return None
    if not _hosts_overlap(metrics.host, dashboard.host):
        return None
    return RuleViolation(
        "dashboard.port", dashboard.port,
        f"is also used by 'prometheus.port' on host '{metrics.host}'",
        "give the dashboard and the metrics server different ports",
    )


def _rule_telegram_env_names_distinct(cfg: AlertConfig) -> RuleViolation | None:
    """The token and the chat id cannot live in the same variable."""
    telegram = cfg.telegram
    if telegram.token_env != telegram.chat_id_env:
        return None
    return RuleViolation(
        "telegram.chat_id_env", telegram.chat_id_env,
        "is the same variable as 'telegram.token_env'",
        "use separate variables, e.g. TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID",
    )


def _rule_telegram_levels_when_enabled(cfg: AlertConfig) -> RuleViolation | None:
    """An enabled bot with no levels would never send anything, which looks like an outage."""
    telegram = cfg.telegram
    if not telegram.enabled or telegram.alert_levels:
        return None
    return RuleViolation(
        "telegram.alert_levels", telegram.alert_levels,
        "is empty while 'telegram.enabled' is true, so nothing would be sent",
        "list at least one of \"info\", \"warning\", \"critical\" or disable Telegram",
    )


ALERT_RULES: tuple[Rule, ...] = (
    _rule_warning_below_critical,
    _rule_ports_distinct,
    _rule_telegram_env_names_distinct,
    _rule_telegram_levels_when_enabled,
)


class AlertConfig(ConfigModel):
    """Notification channels, metrics and monitoring thresholds."""

    rules: ClassVar[tuple[Rule, ...]] = ALERT_RULES
    default_filename: ClassVar[str] = "alert_config.json"

    telegram: TelegramConfig = Field(
        default_factory=TelegramConfig, description="Telegram bot for alerts and commands.",
    )
    prometheus: PrometheusConfig = Field(
        default_factory=PrometheusConfig, description="Prometheus metrics endpoint.",
    )
    dashboard: DashboardConfig = Field(
        default_factory=DashboardConfig, description="Streamlit dashboard.",
    )
    alerts: AlertThresholds = Field(
        default_factory=AlertThresholds, description="Thresholds that raise alerts.",
    )
