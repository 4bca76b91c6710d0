"""Loading the shipped configuration, the missing-file policy and ``check_config`` lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.config import (
    CONFIG_FILES,
    AlertConfig,
    AppConfig,
    BybitConfig,
    ConfigModel,
    RiskConfig,
    StrategiesConfig,
    check_config,
    describe_fields,
    load_config,
    load_section,
)
from backtrader_engine.errors import ConfigError

BUILT_INS = {
    "VolatilityBreakoutStrategy": {"lookback": 18, "multiplier": 2.2},
    "RSIEMAMomentumStrategy": {"rsi_period": 14, "ema_period": 20},
    "BollingerReversionStrategy": {"bb_period": 20, "bb_dev": 2.0},
    "EMABreakoutConservativeStrategy": {"short_ema": 10, "long_ema": 30},
    "ContrarianVolumeSpikeStrategy": {"volume_multiplier": 1.5},
    "TrendFollowingADXEMAStrategy": {"adx_period": 14, "ema_period": 50},
}


def test_shipped_configs_load_with_documented_defaults(shipped_configs: Path) -> None:
    config = load_config(shipped_configs)
    assert config.bybit.symbols == ["ETHUSDT", "BTCUSDT", "SOLUSDT"]
    assert config.bybit.fees.taker == 0.00055
    assert config.bybit.fees.maker == 0.0002
    assert config.bybit.kline_intervals == ["1", "5", "15", "60", "240"]
    assert config.risk.min_confidence == 0.60
    assert config.risk.max_signals_per_hour == 15
    assert config.risk.max_signals_per_hour_per_strategy == 3
    assert config.risk.initial_cash == 10000
    assert config.alerts.telegram.enabled is False
    assert config.alerts.prometheus.port == 8080
    assert config.alerts.dashboard.port == 8501
    assert config.alerts.alerts.no_data_seconds == 120
    assert {name: entry.params for name, entry in config.strategies.strategies.items()} == \
        BUILT_INS


def test_shipped_configs_equal_built_in_defaults(shipped_configs: Path) -> None:
    assert load_config(shipped_configs).model_dump() == AppConfig().model_dump()


@pytest.mark.parametrize("spec", CONFIG_FILES, ids=lambda spec: spec.filename)
def test_shipped_files_are_fully_populated(spec: object, shipped_configs: Path) -> None:
    """Every field appears in the shipped file, so users see each setting they can change."""
    filename, model = spec.filename, spec.model  # type: ignore[attr-defined]
    data = json.loads((shipped_configs / filename).read_text(encoding="utf-8"))
    for dotted, _type, _description in describe_fields(model):
        node: object = data
        for part in dotted.split("."):
            if part == "<name>":
                assert isinstance(node, dict)
                node = next(iter(node.values()))
                continue
            assert isinstance(node, dict) and part in node, f"{filename} lacks '{dotted}'"
            node = node[part]


@pytest.mark.parametrize(("model", "filename"), [
    (BybitConfig, "bybit_config.json"),
    (RiskConfig, "risk_config.json"),
    (AlertConfig, "alert_config.json"),
    (StrategiesConfig, "strategies_config.json"),
])
def test_per_file_loader(model: type[ConfigModel], filename: str,
                         shipped_configs: Path) -> None:
    loaded = load_section(shipped_configs / filename, model)
    assert type(loaded) is model
    assert loaded.source == str(shipped_configs / filename)
    assert [spec.filename for spec in CONFIG_FILES if spec.model is model] == [filename]


def test_per_file_loader_accepts_str_path(shipped_configs: Path) -> None:
    loaded = load_section(str(shipped_configs / "risk_config.json"), RiskConfig)
    assert loaded.max_open_positions == 3


def test_missing_single_file_uses_defaults_with_a_note(
    config_dir: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    (config_dir / "risk_config.json").unlink()
    with caplog.at_level(logging.WARNING, logger="backtrader_engine.config"):
        config = load_config(config_dir)
    assert config.risk == RiskConfig()
    assert f"note {config_dir / 'risk_config.json'} not found; using built-in defaults" in \
        caplog.text


def test_empty_directory_runs_on_defaults(tmp_path: Path) -> None:
    lines = check_config(tmp_path)
    assert sum(line.startswith("note ") for line in lines) == 4
    assert load_config(tmp_path).model_dump() == AppConfig().model_dump()


def test_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration directory not found; run from the "
                                          "project root"):
        load_config(tmp_path / "confgs")


def test_file_given_as_directory_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "configs"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        check_config(path)


def test_check_config_lines_for_a_good_directory(config_dir: Path) -> None:
    assert check_config(config_dir) == [
        f"ok {config_dir / 'bybit_config.json'}",
        f"ok {config_dir / 'risk_config.json'}",
        f"ok {config_dir / 'alert_config.json'}",
        f"ok {config_dir / 'strategies_config.json'}",
        "ok cross-file rules",
    ]


def test_check_config_warns_about_misspelt_file(config_dir: Path) -> None:
    (config_dir / "risk_config.json").rename(config_dir / "risk_confg.json")
    lines = check_config(config_dir)
    assert f"note {config_dir / 'risk_config.json'} not found; using built-in defaults" in lines
    stray = [line for line in lines if "risk_confg.json" in line]
    assert stray and stray[0].startswith("warning ")
    assert "did you mean 'risk_config.json'" in stray[0]


def test_check_config_warns_when_no_strategy_is_enabled(
    config_dir: Path, edit_config: Callable[..., Path],
) -> None:
    def disable_all(data: dict[str, dict[str, dict[str, object]]]) -> None:
        for entry in data["strategies"].values():
            entry["enabled"] = False

    edit_config("strategies_config.json", disable_all)
    assert any("no strategy is enabled" in line for line in check_config(config_dir))


def test_check_config_raises_on_first_hard_error(
    config_dir: Path, edit_config: Callable[..., Path],
) -> None:
    edit_config("risk_config.json", {"max_signals_per_hour_per_strategy": 20})
    with pytest.raises(ConfigError, match="max_signals_per_hour_per_strategy"):
        check_config(config_dir)


def test_config_is_immutable(shipped_configs: Path) -> None:
    config = load_config(shipped_configs)
    with pytest.raises(ValueError, match="frozen"):
        config.risk.max_leverage = 50  # type: ignore[misc]
