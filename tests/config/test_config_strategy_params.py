"""``StrategiesConfig.validate_params``: the hook the strategy registry uses to check params."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from backtrader_engine.config import StrategiesConfig, load_section
from backtrader_engine.errors import ConfigError, StrategyError

KNOWN_PARAMS: dict[str, dict[str, object]] = {
    "VolatilityBreakoutStrategy": {"lookback": 20, "multiplier": 2.0, "printlog": False},
    "RSIEMAMomentumStrategy": {"rsi_period": 14, "ema_period": 20, "mode": "long"},
    "BollingerReversionStrategy": {"bb_period": 20, "bb_dev": 2.0},
    "EMABreakoutConservativeStrategy": {"short_ema": 10, "long_ema": 30},
    "ContrarianVolumeSpikeStrategy": {"volume_multiplier": 1.5, "stop": None},
    "TrendFollowingADXEMAStrategy": {"adx_period": 14, "ema_period": 50},
}


def resolver(name: str) -> Mapping[str, object]:
    if name not in KNOWN_PARAMS:
        raise StrategyError(f"unknown strategy '{name}'")
    return KNOWN_PARAMS[name]


def _with_params(name: str, params: dict[str, object]) -> StrategiesConfig:
    data = StrategiesConfig().model_dump()
    data["strategies"][name]["params"] = params
    return StrategiesConfig.model_validate(data, context={"source": "strategies_config.json"})


def test_shipped_params_pass(shipped_configs: Path) -> None:
    shipped = load_section(shipped_configs / "strategies_config.json", StrategiesConfig)
    shipped.validate_params(resolver)


def test_unknown_param_gets_did_you_mean() -> None:
    config = _with_params("RSIEMAMomentumStrategy", {"rsi_perod": 10})
    with pytest.raises(ConfigError) as caught:
        config.validate_params(resolver)
    message = str(caught.value)
    assert message.startswith("strategies_config.json: field "
                              "'strategies.RSIEMAMomentumStrategy.params.rsi_perod' = 10: ")
    assert "is not a parameter of RSIEMAMomentumStrategy (did you mean 'rsi_period'" in message
    assert "known parameters: ema_period, mode, rsi_period" in message


@pytest.mark.parametrize(("name", "params", "expected"), [
    ("RSIEMAMomentumStrategy", {"rsi_period": "14"}, "must be a number; the default is 14"),
    ("RSIEMAMomentumStrategy", {"rsi_period": True}, "must be a number"),
    ("RSIEMAMomentumStrategy", {"mode": 3}, "must be a string; the default is 'long'"),
    ("VolatilityBreakoutStrategy", {"printlog": 1}, "must be true/false"),
])
def test_param_of_the_wrong_kind_is_rejected(
    name: str, params: dict[str, object], expected: str,
) -> None:
    with pytest.raises(ConfigError, match=expected):
        _with_params(name, params).validate_params(resolver)


@pytest.mark.parametrize("params", [
    {"multiplier": 3},  # int where the default is a float: both are numbers
    {"lookback": 12.5},
])
def test_numbers_are_interchangeable(params: dict[str, object]) -> None:
    _with_params("VolatilityBreakoutStrategy", params).validate_params(resolver)


def test_param_with_none_default_accepts_anything() -> None:
    _with_params("ContrarianVolumeSpikeStrategy", {"stop": "atr"}).validate_params(resolver)


@pytest.mark.parametrize("error", [StrategyError("unknown strategy 'Nope'"), KeyError("Nope")])
def test_unresolvable_strategy_is_a_config_error(error: Exception) -> None:
    config = StrategiesConfig.model_validate(
        {"strategies": {"Nope": {"symbols": ["ETHUSDT"], "timeframe": "1h"}}},
        context={"source": "my.json"},
    )

    def failing(name: str) -> Mapping[str, object]:
        raise error

    with pytest.raises(ConfigError) as caught:
        config.validate_params(failing)
    message = str(caught.value)
    assert message.startswith("my.json: field 'strategies.Nope': cannot be resolved: ")
    assert "Nope" in message
    assert "fix the strategy name or remove the entry" in message


def test_enabled_lists_only_enabled_strategies() -> None:
    data = StrategiesConfig().model_dump()
    data["strategies"]["RSIEMAMomentumStrategy"]["enabled"] = False
    config = StrategiesConfig.model_validate(data)
    assert "RSIEMAMomentumStrategy" not in config.enabled()
    assert len(config.enabled()) == 5
