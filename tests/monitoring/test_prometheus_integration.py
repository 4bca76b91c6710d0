"""A real paper bot on the replay, scraped by Debian's real Prometheus on loopback.

The bot runs as ``python -m backtrader_engine paper --source replay ... --metrics-port 0`` and
prints its metrics URL; Prometheus runs from its binary with a generated config that scrapes
the bot every second and loads the shipped alert rules. The test polls Prometheus' HTTP API
until the key series have values, then checks that every expression of the dashboards and
rules is accepted by this Prometheus and names only series the bot's endpoint declares.
"""

from __future__ import annotations

import os
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .conftest import CONFIGS, MONITORING, ROOT, free_port, scrape
from .processes import Process, api, poll
from .promql import dashboard_expressions, metric_names, rule_expressions, substitute

pytestmark = pytest.mark.integration  # a real Prometheus server (Debian 'prometheus')

#: Series that must have values once Prometheus has scraped the running bot.
KEY_SERIES = {
    'up{job="backtrader-bot"}': lambda v: v == 1,
    "bt_session_up": lambda v: v == 1,
    "bt_portfolio_value": lambda v: v > 0,
    "bt_equity": lambda v: v > 0,
    "bt_drawdown_percent": lambda v: v >= 0,
    "paper_signals_generated_total": lambda v: v >= 0,
    "bt_trades_closed_total": lambda v: v >= 0,
    "bt_market_data_staleness_seconds": lambda v: 0 <= v < 60,
    "bt_process_uptime_seconds": lambda v: v > 0,
    "bt_risk_breaker_open": lambda v: v in (0, 1),
    "bt_websocket_reconnects_total": lambda v: v >= 0,
    "bt_order_fill_latency_seconds_count": lambda v: v >= 0,
    "bt_bot_info": lambda v: v == 1,
}


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[tuple[Process, str]]:
    """The paper bot on the in-process replay; yields it and its metrics URL."""
    proc = Process.start(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir", str(CONFIGS),
         "--source", "replay", "--replay-speed", "7200", "--state", str(tmp_path / "itest"),
         "--metrics-port", "0", "--status-every", "0"],
        cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = proc.wait_for_line("metrics on ", 90)
        yield proc, line.split()[-1]
    finally:
        assert proc.stop() == 0


@pytest.fixture
def prometheus(tmp_path: Path, bot: tuple[Process, str]) -> Iterator[str]:
    """Debian's Prometheus scraping the bot every second; yields its base URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus not installed (Debian package 'prometheus'; .ci/run installs "
                    "it)")
    target = urllib.parse.urlparse(bot[1]).netloc
    shutil.copy(MONITORING / "alert_rules.yml", tmp_path / "alert_rules.yml")
    config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                         "evaluation_interval": "1s"},
              "rule_files": ["alert_rules.yml"],
              "scrape_configs": [{"job_name": "backtrader-bot",
                                  "static_configs": [{"targets": [target]}]}]}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    proc = Process.start([binary, f"--config.file={tmp_path / 'prometheus.yml'}",
                          f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                          f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])
    base = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: scrape(f"{base}/-/ready", timeout=2), 30, "Prometheus to be ready")
        yield base
    finally:
        assert proc.stop() == 0


def _values(base: str, expr: str) -> list[float]:
    reply = api(base, "/api/v1/query", query=expr)
    assert reply["status"] == "success", (expr, reply)
    return [float(r["value"][1]) for r in reply["data"]["result"]]


def declared_series(text: str) -> set[str]:
    """Series names the exposition declares with ``# TYPE`` (sampled or not yet)."""
    suffixes = {"counter": ("_total",), "info": ("_info",), "gauge": ("",),
                "histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count")}
    out = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            base = name.removesuffix("_total") if kind == "counter" else name
            out |= {base + suffix for suffix in suffixes.get(kind, ("",))}
    return out


def test_prometheus_scrapes_the_running_bot(bot: tuple[Process, str], prometheus: str
                                           ) -> None:
    def key_series_ready() -> bool:
        for expr, ok in KEY_SERIES.items():
            values = _values(prometheus, expr)
            if not values or not all(ok(v) for v in values):
                return False
        return True

    def rules_healthy() -> dict[str, str] | None:
        groups = api(prometheus, "/api/v1/rules")["data"]["groups"]
        health = {r["name"]: r["health"] for g in groups for r in g["rules"]}
        return health if set(health.values()) == {"ok"} else None

    poll(key_series_ready, 30, f"values of {sorted(KEY_SERIES)}")
    assert set(_values(prometheus, "count by (strategy) (bt_portfolio_value)")) == {1.0}
    assert len(_values(prometheus, "bt_portfolio_value")) == 7  # 6 strategies + manual
    # The shipped alert rules load and evaluate in a real Prometheus.
    assert set(poll(rules_healthy, 15, "the alert rules to evaluate")) == set(
        rule_expressions())

    # Every dashboard and rule expression runs, and names only series the bot declares.
    declared = declared_series(scrape(bot[1])) | {"up"}
    for expr in dashboard_expressions() + list(rule_expressions().values()):
        reply = api(prometheus, "/api/v1/query", query=substitute(expr))
        assert reply["status"] == "success", (expr, reply)
        assert metric_names(expr) <= declared, (expr, metric_names(expr) - declared)
    assert not _values(prometheus, 'ALERTS{alertname=~"BotDown|MarketDataStale"}')
