"""Telegram, Prometheus, dashboard and alert thresholds: ``configs/alert_config.json``."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from backtrader_engine.config.base import ConfigModel, Rule, RuleViolation
from backtrader_engine.config.fieldtypes import EnvVarName, Host, Port, check_unique

AlertLevel = Literal["info", "warning", "critical"]

#: Hosts that bind every interface and so collide with any other host on the same port.
_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", ""})


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
        description="Name of the environment variable holding the chat id to send to.",
    )
    alert_levels: Annotated[list[AlertLevel], AfterValidator(check_unique)] = Field(
        default_factory=lambda: ["warning", "critical"],
        description="Alert levels forwarded to Telegram: any of 'info', 'warning', "
                    "'critical'.",
    )
    rate_limit_per_minute: int = Field(
        20, ge=1, le=60,
        description="Most messages sent per minute; Telegram throttles bots at about 20 per "
                    "minute in a group.",
    )
    commands_enabled: bool = Field(
        True,
        description="Accept bot commands, only from the configured chat.",
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
