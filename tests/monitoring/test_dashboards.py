"""The Grafana dashboards: committed JSON equals the generator's, and the required panels."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from backtrader_engine.config import load_config
from backtrader_engine.monitoring.dashboards import (
    DATASOURCE_UID,
    Thresholds,
    build_dashboards,
    render,
)

from .conftest import CONFIGS, MONITORING

DASHBOARDS = MONITORING / "grafana" / "dashboards"


@pytest.fixture(scope="module")
def boards() -> dict[str, dict[str, Any]]:
    return build_dashboards(Thresholds.from_config(load_config(CONFIGS)))


def test_committed_dashboards_match_the_generator_byte_for_byte(
        boards: dict[str, dict[str, Any]]) -> None:
    for name, board in boards.items():
        assert (DASHBOARDS / name).read_text(encoding="utf-8") == render(board), (
            f"regenerate with: python -m backtrader_engine grafana --out {DASHBOARDS}")
    assert sorted(p.name for p in DASHBOARDS.glob("*.json")) == sorted(boards)


def test_grafana_check_command(tmp_path: Path, cli: Callable[..., Any],
                               one_clear_line: Callable[[Any], str]) -> None:
    out = tmp_path / "dash"
    assert cli("grafana", "--out", str(out), "--config-dir", str(CONFIGS)).code == 0
    assert cli("grafana", "--out", str(out), "--config-dir", str(CONFIGS),
               "--check").code == 0
    (out / "trading_dashboard.json").write_text("{}")
    line = one_clear_line(cli("grafana", "--out", str(out), "--config-dir", str(CONFIGS),
                              "--check"))
    assert "trading_dashboard.json differ" in line and "regenerate with 'grafana --out" in line


def test_the_former_name_dashboards_still_checks_with_a_note(
        tmp_path: Path, cli: Callable[..., Any]) -> None:
    out = tmp_path / "dash"
    assert cli("grafana", "--out", str(out), "--config-dir", str(CONFIGS)).code == 0
    result = cli("dashboards", "--out", str(out), "--config-dir", str(CONFIGS), "--check")
    assert result.code == 0 and f"{out}: dashboards up to date" in result.out
    assert result.err == "note: 'bte dashboards' is now 'bte grafana'\n"
    (out / "trading_dashboard.json").write_text("{}")
    stale = cli("dashboards", "--out", str(out), "--config-dir", str(CONFIGS), "--check")
    assert stale.code == 2 and "trading_dashboard.json differ" in stale.err


def _colors(panel: dict[str, Any]) -> list[str]:
    return [s["color"] for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_trading_dashboard_has_six_traffic_light_stats(
        boards: dict[str, dict[str, Any]]) -> None:
    board = boards["trading_dashboard.json"]
    assert board["title"] == "Trading Dashboard"
    panels = board["panels"]
    assert [p["title"] for p in panels] == [
        "Portfolio value", "Drawdown", "Win rate", "Trades", "Signals executed",
        "Signals rejected (1h)"]
    for panel in panels:
        assert panel["type"] == "stat"
        assert sorted(_colors(panel)) == ["green", "red", "yellow"], panel["title"]
        assert panel["datasource"]["uid"] == DATASOURCE_UID
    drawdown = panels[1]["fieldConfig"]["defaults"]["thresholds"]["steps"]
    alerts = load_config(CONFIGS).alerts.alerts
    assert [s["value"] for s in drawdown[1:]] == [alerts.drawdown_warning_pct,
                                                  alerts.drawdown_critical_pct]


def test_advanced_dashboard_has_variables_and_panels(
        boards: dict[str, dict[str, Any]]) -> None:
    board = boards["advanced_trading_dashboard.json"]
    assert board["title"] == "Advanced BackTrader Trading Dashboard"
    variables = board["templating"]["list"]
    assert [v["name"] for v in variables] == ["portfolio", "strategy", "symbol"]
    assert all(v["includeAll"] and v["multi"] for v in variables)
    titles = [p["title"] for p in board["panels"]]
    for wanted in ("Equity curve", "Portfolio value", "Drawdown", "Win rate", "Total trades",
                   "Wins and losses", "Trades over time", "Signal outcomes",
                   "Order-to-fill latency"):
        assert wanted in titles
    pie = next(p for p in board["panels"] if p["title"] == "Wins and losses")
    assert pie["type"] == "piechart"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    # Every per sub-account query honours the three variables.
    for panel in board["panels"]:
        for target in panel["targets"]:
            if "bt_portfolio_value" in target["expr"]:
                assert '$strategy' in target["expr"] and '$symbol' in target["expr"]


def test_panels_do_not_overlap(boards: dict[str, dict[str, Any]]) -> None:
    for board in boards.values():
        cells: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            g = panel["gridPos"]
            assert g["x"] + g["w"] <= 24
            area = {(x, y) for x in range(g["x"], g["x"] + g["w"])
                    for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & area, panel["title"]
            cells |= area


def test_thresholds_follow_the_config(tmp_path: Path) -> None:
    custom = build_dashboards(Thresholds(initial_cash=2000.0, drawdown_warning_pct=3.0,
                                         drawdown_critical_pct=6.0))
    value = custom["trading_dashboard.json"]["panels"][0]
    assert [s["value"] for s in value["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [
        None, 1940.0, 2000.0]
    assert json.loads(render(custom["trading_dashboard.json"])) == custom[
        "trading_dashboard.json"]
