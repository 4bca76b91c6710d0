"""Prometheus config and alert rules (promtool), and every PromQL expression we ship."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.config import load_config
from backtrader_engine.monitoring import definitions as d
from backtrader_engine.monitoring import start_exporter

from .conftest import CONFIGS, MONITORING, scrape
from .promql import dashboard_expressions, metric_names, rule_expressions, rules_file

#: Series Prometheus itself adds for every target.
SCRAPE_SERIES = {"up"}


@pytest.mark.integration
def test_promtool_check_config(promtool: Callable[..., Any]) -> None:
    # promtool resolves rule_files next to the config, so this checks the rules too.
    result = promtool("check", "config", str(MONITORING / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout + result.stderr


@pytest.mark.integration
def test_promtool_check_rules(promtool: Callable[..., Any]) -> None:
    result = promtool("check", "rules", str(MONITORING / "alert_rules.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rule_expressions())} rules found" in result.stdout


@pytest.mark.integration
def test_promtool_test_rules(promtool: Callable[..., Any]) -> None:
    result = promtool("test", "rules", str(MONITORING / "alert_rules_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@pytest.mark.integration
def test_promtool_rejects_a_broken_expression(promtool: Callable[..., Any],
                                              tmp_path: Path) -> None:
    # The parse check below is only worth something if promtool fails on bad PromQL.
    path = tmp_path / "bad.yml"
    path.write_text(rules_file(["sum(bt_equity"]))
    assert promtool("check", "rules", str(path)).returncode != 0


@pytest.mark.integration
def test_every_dashboard_and_rule_expression_parses(promtool: Callable[..., Any],
                                                    tmp_path: Path) -> None:
    expressions = dashboard_expressions() + list(rule_expressions().values())
    assert len(expressions) > 25
    path = tmp_path / "expressions.yml"
    path.write_text(rules_file(expressions))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(expressions)} rules found" in result.stdout


def test_expressions_name_only_metrics_the_exporters_define() -> None:
    defined = d.series_names(d.BOT_METRICS + d.STUDY_METRICS) | SCRAPE_SERIES
    used: set[str] = set()
    for expr in dashboard_expressions() + list(rule_expressions().values()):
        names = metric_names(expr)
        assert names, expr
        assert names <= defined, f"{expr}: {names - defined} not exported"
        used |= names
    # The seed metrics are all on a dashboard.
    for name in ("bt_portfolio_value", "bt_trades_closed_total", "paper_signals_executed_total",
                 "paper_signals_rejected_total", "bt_order_fill_latency_seconds_bucket"):
        assert name in used


def test_metric_name_extraction() -> None:
    assert metric_names('histogram_quantile(0.5, sum by (le) (rate(x_bucket{a=~"$p"}[5m])))'
                        ) == {"x_bucket"}
    assert metric_names('sum(a_total{result="win"}) / sum(b_total) > 5') == {"a_total",
                                                                              "b_total"}
    assert metric_names("up{job=\"bot\"} == 0") == {"up"}


def _threshold(expr: str) -> float:
    match = re.search(r"(?:>=|>)\s*([0-9.]+)\s*$", expr)
    assert match, expr
    return float(match.group(1))


def test_rule_thresholds_match_alert_config() -> None:
    alerts = load_config(CONFIGS).alerts.alerts
    rules = rule_expressions()
    assert _threshold(rules["DrawdownWarning"]) == alerts.drawdown_warning_pct
    assert _threshold(rules["DrawdownCritical"]) == alerts.drawdown_critical_pct
    assert _threshold(rules["MarketDataStale"]) == alerts.no_data_seconds
    assert _threshold(rules["HighErrorRate"]) == alerts.error_rate_per_minute
    assert "[1m]" in rules["HighErrorRate"]
    for alert in ("BotDown", "DrawdownWarning", "MarketDataStale", "HighErrorRate",
                  "RiskBreakerOpen"):
        assert alert in rules


def test_ci_installs_promtool() -> None:
    script = (MONITORING.parent / ".ci" / "run").read_text()
    packages = re.search(r"APT_PACKAGES=\(([^)]*)\)", script)
    assert packages and "prometheus" in packages.group(1).split()


@pytest.mark.parametrize("job", ["backtrader-bot", "optuna-studies"])
def test_prometheus_scrapes_both_exporters(job: str) -> None:
    import yaml

    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text())
    jobs = {c["job_name"]: c for c in config["scrape_configs"]}
    target = jobs[job]["static_configs"][0]["targets"][0]
    prometheus = load_config(CONFIGS).alerts.prometheus
    expected = prometheus.port if job == "backtrader-bot" else 9101
    assert target == f"host.docker.internal:{expected}"
    assert config["rule_files"] == ["alert_rules.yml"]


@pytest.mark.integration
def test_the_exposition_passes_promtool_lint(promtool: Callable[..., Any], tmp_path: Path,
                                             make_snapshot: Callable[..., Any]) -> None:
    live = {"stream": {"reconnects": 0, "malformed": 0, "last_message_age_s": 0.2},
            "breakers": {"drawdown": {"open": False, "trips": 0}}, "entries_paused": False}
    with start_exporter(tmp_path, port=0, read_snapshot=lambda _: make_snapshot(
            fill_latencies_s=[0.01]), live_status=lambda _: live) as server:
        text = scrape(server.url)
    result = subprocess.run(["promtool", "check", "metrics"], input=text,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
