"""The whole configuration: four files, the rules that span them, and the secrets."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from backtrader_engine.config.alerts import AlertConfig
from backtrader_engine.config.base import ConfigModel, Rule, RuleViolation
from backtrader_engine.config.bybit import BybitConfig
from backtrader_engine.config.credentials import Secrets
from backtrader_engine.config.messages import format_problem
from backtrader_engine.config.risk import RiskConfig
from backtrader_engine.config.strategies import StrategiesConfig


def _rule_strategy_symbols_listed(cfg: AppConfig) -> RuleViolation | None:
    """Strategies can only trade symbols the exchange config collects data for."""
    listed = cfg.bybit.symbols
    for name, entry in cfg.strategies.strategies.items():
        for index, symbol in enumerate(entry.symbols):
            if symbol not in listed:
                return RuleViolation(
                    f"strategies.{name}.symbols[{index}]", symbol,
                    f"is not in the Bybit 'symbols' ({', '.join(listed)})",
                    f"add it to 'symbols' in {cfg.bybit.source} or remove it here",
                    section="strategies",
                )
    return None


def _rule_default_leverage_within_risk_cap(cfg: AppConfig) -> RuleViolation | None:
    """Every new position would otherwise breach the risk limit from the start."""
    if cfg.bybit.default_leverage <= cfg.risk.max_leverage:
        return None
    return RuleViolation(
        "default_leverage", cfg.bybit.default_leverage,
        f"exceeds 'max_leverage' ({cfg.risk.max_leverage:g}) in {cfg.risk.source}",
        "lower the default leverage or raise the risk cap",
        section="bybit",
    )


def _rule_critical_drawdown_within_breaker(cfg: AppConfig) -> RuleViolation | None:
    """A critical drawdown alert beyond the breaker would only fire after trading stopped."""
    critical = cfg.alerts.alerts.drawdown_critical_pct
    if critical <= cfg.risk.max_drawdown_pct:
        return None
    return RuleViolation(
        "alerts.drawdown_critical_pct", critical,
        f"exceeds 'max_drawdown_pct' ({cfg.risk.max_drawdown_pct:g}) in {cfg.risk.source}, so "
        "the alert would come after the circuit breaker stopped trading",
        "lower the critical level to at most the drawdown limit",
        section="alerts",
    )


APP_RULES: tuple[Rule, ...] = (
    _rule_strategy_symbols_listed,
    _rule_default_leverage_within_risk_cap,
    _rule_critical_drawdown_within_breaker,
)


class AppConfig(ConfigModel):
    """Everything the engine, alerting and dashboard need, validated together."""

    rules: ClassVar[tuple[Rule, ...]] = APP_RULES

    bybit: BybitConfig = Field(
        default_factory=BybitConfig, description="Exchange settings (bybit_config.json).",
    )
    risk: RiskConfig = Field(
        default_factory=RiskConfig, description="Risk limits (risk_config.json).",
    )
    alerts: AlertConfig = Field(
        default_factory=AlertConfig, description="Alerting and monitoring (alert_config.json).",
    )
    strategies: StrategiesConfig = Field(
        default_factory=StrategiesConfig,
        description="Strategies to run (strategies_config.json).",
    )
    secrets: Secrets = Field(
        default_factory=Secrets,
        description="Credentials from environment variables; never read from files.",
    )

    def violation_message(self, violation: RuleViolation) -> str:
        """Render *violation* against the file of the section it names."""
        if violation.section is None:
            return violation.message(self.source)
        section = getattr(self, violation.section)
        return violation.message(section.source)

    def missing_secrets(self) -> list[str]:
        """Describe credentials that enabled features need but the environment lacks.

        Returns
        -------
        list[str]
            One-line messages, empty when nothing is missing. Paper trading treats them as
            errors (``require_secrets=True``); ``config check`` shows them as warnings.
        """
        telegram = self.alerts.telegram
        if not telegram.enabled:
            return []
        needed = (
            ("telegram.token_env", telegram.token_env, self.secrets.telegram_bot_token),
            ("telegram.chat_id_env", telegram.chat_id_env, self.secrets.telegram_chat_id),
        )
        return [
            format_problem(
                self.alerts.source, "telegram.enabled", True,
                f"needs environment variable {env_name} (named by '{setting}'), which is not set",
                f"export {env_name} or set 'telegram.enabled' to false",
            )
            for setting, env_name, value in needed
            if value is None
        ]
