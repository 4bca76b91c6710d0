"""``describe_fields`` for docs and ``render_config`` for ``config show``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from backtrader_engine.config import (
    AlertConfig,
    AppConfig,
    BybitConfig,
    RiskConfig,
    StrategiesConfig,
    describe_fields,
    load_config,
    render_config,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


@pytest.mark.parametrize("model", [BybitConfig, RiskConfig, AlertConfig, StrategiesConfig,
                                   AppConfig])
def test_every_field_has_a_description(model: type[BaseModel]) -> None:
    rows = describe_fields(model)
    assert rows
    for name, type_label, description in rows:
        assert type_label, name
        assert description.strip(), f"{model.__name__}.{name} has no description"


def test_describe_fields_rows() -> None:
    rows = {name: (type_label, description) for name, type_label, description
            in describe_fields(BybitConfig)}
    assert rows["fees"][0] == "object"
    assert rows["fees.taker"][0] == "number, >= 0, < 0.01"
    assert rows["default_leverage"][0] == "number, >= 1, <= 100"
    assert rows["symbols"][0] == "list[string], at least 1 item"
    assert rows["category"][0] == '"linear"'
    strategy_rows = [name for name, _t, _d in describe_fields(StrategiesConfig)]
    assert "strategies.<name>.timeframe" in strategy_rows


def test_docs_mention_every_field() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for model in (BybitConfig, RiskConfig, AlertConfig, StrategiesConfig):
        for name, _type, _description in describe_fields(model):
            assert f"`{name}`" in text, f"docs/configuration.md lacks {model.__name__}.{name}"


def test_render_config_is_sorted_json_with_defaults_filled_in(tmp_path: Path) -> None:
    rendered = render_config(load_config(tmp_path))  # empty dir: every value is a default
    document = json.loads(rendered)
    assert list(document) == sorted(document)
    assert list(document) == ["alerts", "bybit", "risk", "secrets", "strategies"]
    assert document["bybit"]["fees"] == {"maker": 0.0002, "taker": 0.00055}
    assert document["risk"]["max_signals_per_hour"] == 15
    assert set(document["secrets"].values()) == {"<not set>"}


def test_render_config_reflects_file_values(shipped_configs: Path) -> None:
    document = json.loads(render_config(load_config(shipped_configs)))
    assert document["strategies"]["strategies"]["VolatilityBreakoutStrategy"]["params"] == {
        "lookback": 18, "multiplier": 2.2,
    }
