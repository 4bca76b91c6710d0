"""Every named cross-field rule, per file and across files, has a failing case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.config import load_config
from backtrader_engine.config.alerts import ALERT_RULES
from backtrader_engine.config.app import APP_RULES
from backtrader_engine.config.bybit import BYBIT_RULES, TESTNET_REST_URL, TESTNET_WS_PUBLIC_URL
from backtrader_engine.config.risk import RISK_RULES
from backtrader_engine.config.strategies import STRATEGIES_RULES


def _blank_strategy_name(data: dict[str, Any]) -> None:
    strategies = data["strategies"]
    strategies[" "] = strategies.pop("RSIEMAMomentumStrategy")


# (rule, file, changes, fragments the one-line message must contain: field, fix, ...)
RULE_CASES = [
    ("_rule_maker_not_above_taker", "bybit_config.json", {"fees.maker": 0.001},
     ["field 'fees.maker' = 0.001", "must not exceed 'fees.taker'",
      "lower 'fees.maker' or raise 'fees.taker'"]),
    ("_rule_symbols_match_category", "bybit_config.json", {"symbols": ["ETHUSDC"]},
     ["field 'symbols[0]' = \"ETHUSDC\"", "use the USDT perpetual"]),
    ("_rule_testnet_matches_urls", "bybit_config.json", {"testnet": True},
     ["field 'testnet' = true", "'rest_base_url' = \"https://api.bybit.com\"",
      f"set 'rest_base_url' to \"{TESTNET_REST_URL}\" or set 'testnet' to false"]),
    ("_rule_ws_url_matches_category", "bybit_config.json",
     {"ws_public_url": "wss://stream.bybit.com/v5/public/spot"},
     ["field 'ws_public_url'", "does not serve the 'linear' category",
      "use a URL ending in '/v5/public/linear'"]),
    ("_rule_leverage_above_maintenance", "bybit_config.json",
     {"default_leverage": 100, "maintenance_margin_rate": 0.02},
     ["field 'default_leverage' = 100", "'maintenance_margin_rate'",
      "lower 'default_leverage' below 50"]),
    ("_rule_strategy_cap_within_overall_cap", "risk_config.json",
     {"max_signals_per_hour_per_strategy": 20},
     ["field 'max_signals_per_hour_per_strategy' = 20: must not exceed "
      "'max_signals_per_hour' (15); lower it or raise the overall cap"]),
    ("_rule_daily_loss_within_drawdown", "risk_config.json",
     {"daily_loss_limit_pct": 12, "max_drawdown_pct": 10},
     ["field 'daily_loss_limit_pct' = 12", "must not exceed 'max_drawdown_pct' (10)",
      "lower the daily loss limit or raise the drawdown limit"]),
    ("_rule_trade_risk_within_daily_loss", "risk_config.json", {"risk_per_trade_pct": 5},
     ["field 'risk_per_trade_pct' = 5", "must not exceed 'daily_loss_limit_pct' (3)",
      "risk less per trade or raise the daily loss limit"]),
    ("_rule_spacing_allows_strategy_cap", "risk_config.json",
     {"min_seconds_between_signals": 1800.0},
     ["field 'min_seconds_between_signals' = 1800", "fewer than "
      "'max_signals_per_hour_per_strategy' (3) signals in an hour",
      "lower the spacing or the per-strategy cap"]),
    ("_rule_breaker_volatility_above_filter", "risk_config.json",
     {"breaker_volatility_pct": 4.0},
     ["field 'breaker_volatility_pct' = 4", "must be at least 'volatility_filter_pct' (5)",
      "raise the breaker level or lower the filter level"]),
    ("_rule_cooldown_only_in_cooldown_mode", "risk_config.json",
     {"breakers.error_rate.cooldown_seconds": 60},
     ["field 'breakers.error_rate.cooldown_seconds' = 60",
      "applies only to mode 'cooldown', and this breaker's mode is 'halt'",
      "remove it or set the mode to 'cooldown'"]),
    ("_rule_warning_below_critical", "alert_config.json", {"alerts.drawdown_warning_pct": 9},
     ["field 'alerts.drawdown_warning_pct' = 9", "'alerts.drawdown_critical_pct' (8)",
      "lower the warning level or raise the critical level"]),
    ("_rule_ports_distinct", "alert_config.json", {"dashboard.port": 8080},
     ["field 'dashboard.port' = 8080", "'prometheus.port'", "different ports"]),
    ("_rule_telegram_env_names_distinct", "alert_config.json",
     {"telegram.chat_id_env": "TELEGRAM_BOT_TOKEN"},
     ["field 'telegram.chat_id_env' = \"TELEGRAM_BOT_TOKEN\"", "use separate variables"]),
    ("_rule_telegram_levels_when_enabled", "alert_config.json",
     {"telegram.enabled": True, "telegram.alert_levels": []},
     ["field 'telegram.alert_levels' = []", "or disable Telegram"]),
    ("_rule_names_not_blank", "strategies_config.json", _blank_strategy_name,
     ["field 'strategies'", "blank name", "use the strategy class name"]),
    ("_rule_confirm_timeframes_longer", "strategies_config.json",
     {"strategies.RSIEMAMomentumStrategy.confirm_timeframes": ["5m"]},
     ["field 'strategies.RSIEMAMomentumStrategy.confirm_timeframes[0]' = \"5m\"",
      "not longer than the strategy's 'timeframe' (\"15m\")",
      "use a longer timeframe or remove it"]),
    ("_rule_strategy_symbols_listed", "strategies_config.json",
     {"strategies.RSIEMAMomentumStrategy.symbols": ["ETHUSDT", "XRPUSDT"]},
     ["field 'strategies.RSIEMAMomentumStrategy.symbols[1]' = \"XRPUSDT\"",
      "add it to 'symbols' in", "bybit_config.json or remove it here"]),
    ("_rule_default_leverage_within_risk_cap", "bybit_config.json", {"default_leverage": 10},
     ["field 'default_leverage' = 10", "exceeds 'max_leverage' (5)", "risk_config.json",
      "lower the default leverage or raise the risk cap"]),
    ("_rule_critical_drawdown_within_breaker", "alert_config.json",
     {"alerts.drawdown_critical_pct": 12},
     ["field 'alerts.drawdown_critical_pct' = 12", "'max_drawdown_pct' (10)",
      "lower the critical level"]),
]


@pytest.mark.parametrize(
    ("filename", "changes", "fragments"),
    [pytest.param(filename, changes, fragments, id=rule)
     for rule, filename, changes, fragments in RULE_CASES],
)
def test_rule_violation_is_one_line_naming_file_field_and_fix(
    config_dir: Path,
    edit_config: Callable[..., Path],
    load_error: Callable[..., str],
    filename: str,
    changes: Any,
    fragments: list[str],
) -> None:
    edit_config(filename, changes)
    message = load_error()
    assert message.startswith(f"{config_dir / filename}: field '")
    for fragment in fragments:
        assert fragment in message


def test_every_registered_rule_has_a_failing_case() -> None:
    registered = {rule.__name__ for rules in
                  (BYBIT_RULES, RISK_RULES, ALERT_RULES, STRATEGIES_RULES, APP_RULES)
                  for rule in rules}
    covered = {case[0] for case in RULE_CASES}
    assert registered == covered


def test_testnet_flag_with_testnet_rest_but_mainnet_stream_names_the_stream(
    edit_config: Callable[..., Path], load_error: Callable[..., str],
) -> None:
    edit_config("bybit_config.json", {"testnet": True, "rest_base_url": TESTNET_REST_URL})
    message = load_error()
    assert "field 'testnet' = true" in message
    assert f"set 'ws_public_url' to \"{TESTNET_WS_PUBLIC_URL}\"" in message


def test_mainnet_flag_with_testnet_url_is_rejected(
    edit_config: Callable[..., Path], load_error: Callable[..., str],
) -> None:
    edit_config("bybit_config.json", {"rest_base_url": TESTNET_REST_URL})
    message = load_error()
    assert "field 'testnet' = false" in message
    assert "which is a testnet host; set 'testnet' to true" in message


def test_consistent_testnet_settings_load(
    config_dir: Path, edit_config: Callable[..., Path],
) -> None:
    edit_config("bybit_config.json", {"testnet": True, "rest_base_url": TESTNET_REST_URL,
                                      "ws_public_url": TESTNET_WS_PUBLIC_URL})
    assert load_config(config_dir).bybit.testnet is True


def test_wildcard_host_clashes_with_any_host_on_the_same_port(
    edit_config: Callable[..., Path], load_error: Callable[..., str],
) -> None:
    edit_config("alert_config.json", {"dashboard.host": "0.0.0.0", "dashboard.port": 8080})
    assert "field 'dashboard.port' = 8080" in load_error()


@pytest.mark.parametrize("changes", [
    {"dashboard.host": "127.0.0.2", "dashboard.port": 8080},
    {"prometheus.enabled": False, "dashboard.port": 8080},
])
def test_same_port_is_fine_on_other_host_or_with_metrics_disabled(
    config_dir: Path, edit_config: Callable[..., Path], changes: dict[str, Any],
) -> None:
    edit_config("alert_config.json", changes)
    assert load_config(config_dir).alerts.dashboard.port == 8080


def test_negative_maker_fee_rebate_is_accepted(
    config_dir: Path, edit_config: Callable[..., Path],
) -> None:
    edit_config("bybit_config.json", {"fees.maker": -0.00025})
    assert load_config(config_dir).bybit.fees.maker == -0.00025


def test_root_rule_against_defaults_names_the_missing_file(
    config_dir: Path, edit_config: Callable[..., Path], load_error: Callable[..., str],
) -> None:
    (config_dir / "strategies_config.json").unlink()
    edit_config("bybit_config.json", {"symbols": ["ETHUSDT"]})
    message = load_error()
    assert message.startswith(f"{config_dir / 'strategies_config.json'} (built-in defaults): ")
    assert "\"BTCUSDT\": is not in the Bybit 'symbols' (ETHUSDT)" in message


def test_rules_also_apply_when_models_are_built_in_code() -> None:
    from backtrader_engine.config import RiskConfig
    from backtrader_engine.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^risk_config\.json: field 'daily_loss_limit_pct'"):
        RiskConfig(daily_loss_limit_pct=20.0, max_drawdown_pct=10.0)
