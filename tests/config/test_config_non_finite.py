"""Numbers a float cannot hold (1e400) and JSON's missing NaN/Infinity are refused by name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backtrader_engine.config.strict_json import NonFiniteNumberError, loads_finite


def _replace_value(path: Path, key: str, literal: str) -> None:
    """Write *literal* verbatim as the value of the first *key* in the file."""
    text = path.read_text(encoding="utf-8")
    text, count = re.subn(rf'("{key}"\s*:\s*)[^,}}\n]+', rf"\g<1>{literal}", text, count=1)
    assert count == 1, key
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("literal", "expected"), [
    ("1e400", "field 'initial_cash' = 1e400: is beyond the range of a number"),
    ("-1e400", "field 'initial_cash' = -1e400: is beyond the range of a number"),
    ("1" + "0" * 400, "is beyond the range of a number"),
    ("NaN", "field 'initial_cash' contains NaN, which is not valid JSON"),
    ("Infinity", "field 'initial_cash' contains Infinity, which is not valid JSON"),
    ("-Infinity", "field 'initial_cash' contains -Infinity, which is not valid JSON"),
])
@pytest.mark.parametrize("action", ["show", "check"])
def test_config_commands_refuse_a_non_finite_number(cli, one_clear_line, config_dir, literal,
                                                    expected, action):
    _replace_value(config_dir / "risk_config.json", "initial_cash", literal)
    line = one_clear_line(cli("config", action, "--config-dir", str(config_dir)))
    assert line.startswith(f"error: {config_dir / 'risk_config.json'}: ")
    assert expected in line


def test_a_nested_field_is_named_with_its_path(cli, one_clear_line, config_dir):
    _replace_value(config_dir / "bybit_config.json", "taker", "1e999")
    line = one_clear_line(cli("config", "show", "--config-dir", str(config_dir)))
    assert "field 'fees.taker' = 1e999" in line


def test_config_show_prints_valid_json_numbers_only(cli, config_dir):
    result = cli("config", "show", "--config-dir", str(config_dir))
    assert result.code == 0
    assert "Infinity" not in result.out and "NaN" not in result.out


def test_loads_finite_names_list_items_and_keeps_ordinary_numbers():
    assert loads_finite('{"a": [1, 2.5, -3e2]}') == {"a": [1, 2.5, -300.0]}
    with pytest.raises(NonFiniteNumberError, match=r"field 'a\[2\]' = 1e309"):
        loads_finite('{"a": [1, 2, 1e309]}')
    with pytest.raises(json.JSONDecodeError):
        loads_finite('{"a": }')
