"""The config viewer: every field with its description, and no secret ever shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backtrader_engine.config import describe_fields
from backtrader_engine.config.bybit import BybitConfig
from backtrader_engine.dashboard.model import config_view, mask_value

from .conftest import CONFIGS

SECRET = "sk-live-0123456789abcdefghij"


def test_env_fields_show_the_variable_and_whether_it_is_set() -> None:
    env = {"TELEGRAM_BOT_TOKEN": SECRET}
    assert mask_value("telegram.token_env", "TELEGRAM_BOT_TOKEN", env) == \
        "TELEGRAM_BOT_TOKEN (set)"
    assert mask_value("telegram.chat_id_env", "TELEGRAM_CHAT_ID", env) == \
        "TELEGRAM_CHAT_ID (not set)"


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("api_key", SECRET, "****"), ("db.password", "hunter2", "****"),
    ("webhook_token", SECRET, "****"), ("client_secret", SECRET, "****"),
    ("storage", "postgresql://bot:hunter2@db:5432/optuna", "postgresql://bot:****@db:5432/optuna"),
    ("symbols", ["BTCUSDT"], '["BTCUSDT"]'), ("testnet", False, "false"),
    ("rest_base_url", "https://api.bybit.com", "https://api.bybit.com"),
])
def test_values_are_masked_by_name_and_url_passwords_hidden(name: str, value: object,
                                                            shown: str) -> None:
    assert mask_value(name, value, {}) == shown


def test_the_effective_config_with_descriptions_and_no_secret_values(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BYBIT_API_KEY", "BYBIT_SECRET_KEY", "TELEGRAM_BOT_TOKEN", "GRAFANA_PASSWORD",
                 "DASHBOARD_PASSWORD"):
        monkeypatch.setenv(name, SECRET)
    view = config_view(CONFIGS)
    assert view.problem is None and any(line.startswith("ok ") for line in view.lines)
    fields = view.fields.set_index("field")
    described = {n: d for n, _, d in describe_fields(BybitConfig)}
    assert fields.loc["fees.taker", "description"] == described["fees.taker"]
    assert fields.loc["fees.taker", "file"] == "bybit_config.json"
    assert fields.loc["telegram.token_env", "value"] == "TELEGRAM_BOT_TOKEN (set)"
    assert fields.loc["strategies.RSIEMAMomentumStrategy.timeframe", "value"]
    secrets = view.secrets.set_index("secret")
    assert secrets.loc["bybit_api_key", "state"] == "set"
    assert secrets.loc["telegram_chat_id", "state"] == "not set"
    assert secrets.loc["dashboard_password", "state"] == "set"
    for frame in (view.fields, view.secrets):
        assert not frame.apply(lambda col: col.astype(str).str.contains(SECRET)).any().any()


def test_a_broken_config_is_a_problem_with_the_fix(tmp_path: Path) -> None:
    (tmp_path / "risk_config.json").write_text(json.dumps({"max_leverage": 0}))
    view = config_view(tmp_path)
    assert view.problem is not None and "max_leverage" in view.problem
    assert view.fields.empty and view.secrets.empty
    missing = config_view(tmp_path / "nope")
    assert missing.problem is not None and "nope" in missing.problem
