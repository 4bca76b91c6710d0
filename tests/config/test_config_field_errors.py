"""Field-level and file-level problems become one-line messages with file, field and fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.config import BybitConfig, RiskConfig, StrategiesConfig, load_section
from backtrader_engine.config.messages import field_path, format_value
from backtrader_engine.errors import ConfigError, UserError


@pytest.mark.parametrize(("filename", "changes", "fragments"), [
    pytest.param("risk_config.json", {"max_signal_per_hour": 20},
                 ["field 'max_signal_per_hour' = 20: unknown key",
                  "did you mean 'max_signals_per_hour'", "rename or remove it"], id="top-level"),
    pytest.param("bybit_config.json", {"fees.takr": 0.001},
                 ["field 'fees.takr' = 0.001: unknown key (did you mean 'taker'"],
                 id="nested"),
    pytest.param("strategies_config.json", {"strategies.RSIEMAMomentumStrategy.enabeld": True},
                 ["field 'strategies.RSIEMAMomentumStrategy.enabeld' = true",
                  "did you mean 'enabled'"], id="inside-mapping"),
    pytest.param("alert_config.json", {"telegram.zzz": 1},
                 ["field 'telegram.zzz' = 1: unknown key", "valid keys here: enabled, "],
                 id="no-close-match"),
])
def test_unknown_key_suggests_nearest_valid_key(
    config_dir: Path, edit_config: Callable[..., Path], load_error: Callable[..., str],
    filename: str, changes: dict[str, Any], fragments: list[str],
) -> None:
    edit_config(filename, changes)
    message = load_error()
    assert message.startswith(f"{config_dir / filename}: ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(("filename", "changes", "fragments"), [
    pytest.param("bybit_config.json", {"fees.taker": 0.02},
                 ["field 'fees.taker' = 0.02: must be less than 0.01"], id="upper-bound"),
    pytest.param("bybit_config.json", {"fees.maker": -0.01},
                 ["field 'fees.maker' = -0.01: must be greater than or equal to -0.001"],
                 id="rebate-bound"),
    pytest.param("bybit_config.json", {"default_leverage": 150},
                 ["field 'default_leverage' = 150: must be less than or equal to 100"],
                 id="leverage"),
    pytest.param("bybit_config.json", {"symbols": ["ETHUSDT", "eth/usdt"]},
                 ["field 'symbols[1]' = \"eth/usdt\"", "write it as 'ETHUSDT'"], id="symbol"),
    pytest.param("bybit_config.json", {"symbols": ["ETHUSDT", "ETHUSDT"]},
                 ["field 'symbols' = [\"ETHUSDT\", \"ETHUSDT\"]", "remove the duplicate"],
                 id="duplicate-symbol"),
    pytest.param("bybit_config.json", {"category": "inverse"},
                 ["field 'category' = \"inverse\": must be 'linear'"], id="category"),
    pytest.param("bybit_config.json", {"kline_intervals": ["1", "2"]},
                 ["field 'kline_intervals[1]' = \"2\": must be '1', '3'"], id="interval"),
    pytest.param("bybit_config.json", {"rest_base_url": "api.bybit.com"},
                 ["field 'rest_base_url'", "is not a https:// URL"], id="url"),
    pytest.param("bybit_config.json", {"testnet": "false"},
                 ["field 'testnet' = \"false\": must be a valid boolean"], id="quoted-bool"),
    pytest.param("risk_config.json", {"max_open_positions": "3"},
                 ["field 'max_open_positions' = \"3\": must be a valid integer"],
                 id="quoted-number"),
    pytest.param("risk_config.json", {"min_confidence": 3, "max_leverage": 0},
                 ["field 'min_confidence' = 3: must be less than or equal to 1",
                  "(+1 more problem in this file)"], id="several"),
    pytest.param("risk_config.json", {"breakers.drawdown.mode": "pause"},
                 ["field 'breakers.drawdown.mode' = \"pause\": must be 'cooldown', 'daily' "
                  "or 'halt'"], id="breaker-mode"),
    pytest.param("risk_config.json", {"breakers.spread.cooldown_seconds": -5},
                 ["field 'breakers.spread.cooldown_seconds' = -5: must be greater than or "
                  "equal to 0"], id="breaker-cooldown"),
    pytest.param("risk_config.json", {"breakers.latency": {"cooldown_seconds": 60}},
                 ["field 'breakers.latency.mode': required key is missing; add it"],
                 id="breaker-without-mode"),
    pytest.param("alert_config.json", {"telegram.token_env": "123456:ABC-token"},
                 ["field 'telegram.token_env'", "is not an environment variable name"],
                 id="env-name"),
    pytest.param("alert_config.json", {"telegram.alert_levels": ["debug"]},
                 ["field 'telegram.alert_levels[0]' = \"debug\": must be 'info', 'warning' or "
                  "'critical'"], id="alert-level"),
    pytest.param("alert_config.json", {"prometheus": 8080},
                 ["field 'prometheus' = 8080: must be a JSON object"], id="object-expected"),
    pytest.param("strategies_config.json", {"strategies.RSIEMAMomentumStrategy.timeframe": "10m"},
                 ["field 'strategies.RSIEMAMomentumStrategy.timeframe' = \"10m\"",
                  "'15m', '30m', '1h'"], id="timeframe"),
    pytest.param("strategies_config.json",
                 {"strategies.RSIEMAMomentumStrategy.params.rsi_period": [14]},
                 ["field 'strategies.RSIEMAMomentumStrategy.params.rsi_period' = [14]",
                  "use a number, true/false or a string"], id="param-value"),
    pytest.param("strategies_config.json", {"strategies.NewStrategy": {"timeframe": "1h"}},
                 ["field 'strategies.NewStrategy.symbols': required key is missing; add it"],
                 id="missing"),
])
def test_field_problem_is_one_line_with_value_and_expectation(
    config_dir: Path, edit_config: Callable[..., Path], load_error: Callable[..., str],
    filename: str, changes: dict[str, Any], fragments: list[str],
) -> None:
    edit_config(filename, changes)
    message = load_error()
    assert message.startswith(f"{config_dir / filename}: field '")
    for fragment in fragments:
        assert fragment in message


def test_invalid_json_reports_line_and_column(
    config_dir: Path, write_raw: Callable[[str, str], Path], load_error: Callable[..., str],
) -> None:
    write_raw("risk_config.json", '{\n  "min_confidence": 0.6,\n  "max_open_positions": 3,\n}\n')
    message = load_error()
    assert message.startswith(f"{config_dir / 'risk_config.json'}: invalid JSON at line 4, "
                              "column 1: ")
    assert "trailing commas" in message


@pytest.mark.parametrize(("text", "kind"), [("[1, 2]", "list"), ('"x"', "string"),
                                            ("null", "null"), ("3", "number")])
def test_wrong_top_level_type_is_explained(
    write_raw: Callable[[str, str], Path], load_error: Callable[..., str], text: str, kind: str,
) -> None:
    write_raw("alert_config.json", text)
    assert f"alert_config.json: top level is a JSON {kind}, but must be an object" in load_error()


def test_duplicate_key_is_rejected(
    write_raw: Callable[[str, str], Path], load_error: Callable[..., str],
) -> None:
    write_raw("risk_config.json", '{"initial_cash": 1000, "initial_cash": 2000}')
    assert "key 'initial_cash' appears twice in the same object; keep only one" in load_error()


def test_nan_is_rejected(
    write_raw: Callable[[str, str], Path], load_error: Callable[..., str],
) -> None:
    write_raw("risk_config.json", '{"initial_cash": NaN}')
    assert "contains NaN, which is not valid JSON" in load_error()


def test_non_utf8_file_is_rejected(config_dir: Path, load_error: Callable[..., str]) -> None:
    (config_dir / "risk_config.json").write_bytes(b'{"initial_cash": "\xff"}')
    assert "risk_config.json: is not UTF-8 text" in load_error()


def test_strategies_written_without_wrapper_get_a_layout_hint(
    config_dir: Path, write_raw: Callable[[str, str], Path],
) -> None:
    path = write_raw("strategies_config.json",
                     '{"RSIEMAMomentumStrategy": {"symbols": ["ETHUSDT"], "timeframe": "15m"}}')
    with pytest.raises(ConfigError) as caught:
        load_section(path, StrategiesConfig)
    message = str(caught.value)
    assert message.startswith(f"{path}: strategy 'RSIEMAMomentumStrategy' is at the top level")
    assert "nest every strategy under \"strategies\"" in message


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "bybit_config.json"
    with pytest.raises(ConfigError, match=r"bybit_config\.json: not found; check the path"):
        load_section(missing, BybitConfig)


def test_explicit_directory_instead_of_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a file"):
        load_section(tmp_path, RiskConfig)


def test_config_error_is_a_user_error() -> None:
    with pytest.raises(UserError):
        BybitConfig.model_validate({"fees": {"maker": 0.005}})


@pytest.mark.parametrize(("loc", "expected"), [
    (("fees", "taker"), "fees.taker"),
    (("symbols", 2), "symbols[2]"),
    (("strategies", "X", "symbols", 0), "strategies.X.symbols[0]"),
])
def test_field_path(loc: tuple[str | int, ...], expected: str) -> None:
    assert field_path(loc) == expected


def test_format_value_is_json_and_shortened() -> None:
    assert format_value(True) == "true"
    assert format_value("ETHUSDT") == '"ETHUSDT"'
    long_value = format_value(list(range(100)))
    assert len(long_value) == 60
    assert long_value.endswith("…")
