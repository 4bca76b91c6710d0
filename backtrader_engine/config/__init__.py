"""Typed configuration: four JSON files under ``configs/`` plus secrets from the environment.

``load_config()`` reads ``bybit_config.json``, ``risk_config.json``, ``alert_config.json`` and
``strategies_config.json``, validates each field, then each file's named cross-field rules, then
the rules spanning files, and returns a frozen :class:`AppConfig`. Every problem is raised as a
one-line :class:`~backtrader_engine.errors.ConfigError` naming the file, field, value and fix.
"""

from backtrader_engine.config.alerts import (
    AlertConfig,
    AlertThresholds,
    DashboardConfig,
    PrometheusConfig,
    TelegramConfig,
)
from backtrader_engine.config.app import AppConfig
from backtrader_engine.config.base import ConfigModel, RuleViolation
from backtrader_engine.config.bybit import BYBIT_INTERVALS, BybitConfig, FeesConfig
from backtrader_engine.config.credentials import SECRET_ENV_VARS, Secrets, mask_secret
from backtrader_engine.config.describe import describe_fields
from backtrader_engine.config.loader import (
    CONFIG_FILES,
    DEFAULT_CONFIG_DIR,
    LoadReport,
    load_config,
    load_config_report,
    load_section,
)
from backtrader_engine.config.report_text import check_config, render_config
from backtrader_engine.config.risk import RiskConfig
from backtrader_engine.config.strategies import TIMEFRAME_SECONDS, StrategiesConfig, StrategyEntry

__all__ = [
    "BYBIT_INTERVALS",
    "CONFIG_FILES",
    "DEFAULT_CONFIG_DIR",
    "SECRET_ENV_VARS",
    "TIMEFRAME_SECONDS",
    "AlertConfig",
    "AlertThresholds",
    "AppConfig",
    "BybitConfig",
    "ConfigModel",
    "DashboardConfig",
    "FeesConfig",
    "LoadReport",
    "PrometheusConfig",
    "RiskConfig",
    "RuleViolation",
    "Secrets",
    "StrategiesConfig",
    "StrategyEntry",
    "TelegramConfig",
    "check_config",
    "describe_fields",
    "load_config",
    "load_config_report",
    "load_section",
    "mask_secret",
    "render_config",
]
