"""Metric definitions: the seed names, Prometheus conventions, and no secret in a label."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from backtrader_engine.monitoring import definitions as d
from backtrader_engine.monitoring.collector import ErrorLogCounter, SessionCollector

from .conftest import parse_exposition

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ACCOUNT = {"portfolio", "asset_class", "strategy", "symbol"}


def test_the_seed_systems_metrics_keep_their_names_and_labels() -> None:
    by_series = {name: m for m in d.BOT_METRICS for name in m.series_names}
    for name in ("bt_portfolio_value", "bt_drawdown_percent", "bt_win_rate",
                 "paper_signals_generated_total", "paper_signals_executed_total"):
        assert set(by_series[name].labels) == ACCOUNT
    assert set(by_series["bt_trades_closed_total"].labels) == ACCOUNT | {"result"}
    assert set(by_series["paper_signals_rejected_total"].labels) == ACCOUNT | {"reason"}
    assert set(by_series["paper_orders_rejected_total"].labels) == ACCOUNT | {"reason"}
    assert by_series["paper_orders_rejected_total"].kind == "counter"
    assert by_series["bt_order_fill_latency_seconds_bucket"].kind == "histogram"


def test_names_follow_prometheus_conventions() -> None:
    metrics = d.BOT_METRICS + d.STUDY_METRICS
    names = [m.name for m in metrics]
    assert len(names) == len(set(names))
    assert len(d.series_names(metrics)) == sum(len(m.series_names) for m in metrics)
    for m in metrics:
        assert NAME.match(m.name) and m.name.startswith(("bt_", "paper_", "optuna_")), m.name
        assert not m.name.endswith("_total"), "prometheus_client appends _total to counters"
        assert m.help and m.help.endswith("."), m.name
        assert all(LABEL.match(label) and not label.startswith("__") for label in m.labels)
        assert len(m.labels) == len(set(m.labels))
        assert bool(m.buckets) == (m.kind == "histogram")
    for m in d.BOT_METRICS:
        assert m.labels[:2] == ("portfolio", "asset_class"), m.name


def test_labels_carry_only_fixed_vocabularies_and_names() -> None:
    used = {label for m in d.BOT_METRICS + d.STUDY_METRICS for label in m.labels}
    assert used == {"portfolio", "asset_class", "strategy", "symbol", "result", "reason",
                    "interval", "breaker", "version", "fill_model", "source", "study",
                    "state", "direction"}


@pytest.mark.parametrize(("state_dir", "configured", "expected"), [
    ("state/paper", None, "paper"),
    ("/srv/bots/run1/", None, "run1"),
    ("state/paper", "desk-a", "desk-a"),
])
def test_portfolio_label(state_dir: str, configured: str | None, expected: str) -> None:
    assert d.portfolio_name(state_dir, configured) == expected


def test_portfolio_label_of_the_current_folder(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert d.portfolio_name(".") == tmp_path.name


def test_no_secret_reaches_a_label_or_value(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        make_snapshot: Callable[..., Any]) -> None:
    secrets = {"BYBIT_API_KEY": "key-5f2b9c", "BYBIT_SECRET_KEY": "secret-77aa01",
               "TELEGRAM_BOT_TOKEN": "123:tok-e1e1", "TELEGRAM_CHAT_ID": "chat-4242",
               "GRAFANA_PASSWORD": "pw-9d9d9d"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    live = {"stream": {"reconnects": 1, "malformed": 0, "last_message_age_s": 1.0},
            "breakers": {"spread": {"open": False}}, "entries_paused": True}
    collector = SessionCollector(tmp_path / "paper", read_snapshot=lambda _: make_snapshot(),
                                 live_status=lambda _: live, errors=ErrorLogCounter())
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    text = generate_latest(registry).decode()
    assert parse_exposition(text)  # something was exported
    for value in secrets.values():
        assert value not in text


def test_every_metric_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "monitoring.md").read_text()
    for m in d.BOT_METRICS + d.STUDY_METRICS:
        assert f"`{m.series_names[0]}`" in docs, m.name
        for label in m.labels:
            assert label in docs, (m.name, label)


def test_zero_series_reasons_are_the_codes_the_brokers_count() -> None:
    from backtrader_engine.engine import rejections
    from backtrader_engine.engine.lot_rules import BELOW_MIN_NOTIONAL, BELOW_MIN_QTY
    from backtrader_engine.risk.reasons import ENTRIES_PAUSED, TRADING_PAUSED

    assert d.ORDER_REJECTION_REASONS == (
        rejections.MARGIN, rejections.EXPIRED, rejections.REJECTED, BELOW_MIN_QTY,
        BELOW_MIN_NOTIONAL, "warmup", ENTRIES_PAUSED, TRADING_PAUSED)
    for reason in d.ORDER_REJECTION_REASONS:  # each has its own words in the one definition
        assert rejections.reason_label(reason) != reason.replace("_", " "), reason
