"""System health verdicts: process, market data staleness, endpoints, disk space."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from backtrader_engine.dashboard.model import disk_space, health_checks, no_data_seconds
from backtrader_engine.dashboard.model.health import (
    DiskSpace,
    disk_check,
    market_data_check,
    process_check,
)
from backtrader_engine.operations import BotStatus, EndpointCheck, read_snapshot

from .conftest import CONFIGS


def test_process_verdicts() -> None:
    running = BotStatus("running", "bot running", "/run", pid=7, uptime_s=90, cpu_percent=12.0,
                        rss_bytes=200 * 1024 * 1024, ready=True)
    check = process_check(running)
    assert (check.verdict, check.value) == ("ok", "PID 7")
    assert check.detail == "up 1m 30s, 12% CPU, 200.0 MB"
    assert process_check(BotStatus("stopped", "no bot", "/run")).verdict == "off"
    stale = process_check(BotStatus("stale", "PID gone", "/run"))
    assert (stale.verdict, stale.detail) == ("warn", "PID gone")


def test_market_data_is_stale_when_the_last_bar_is_old(ledger: Path) -> None:
    snap = read_snapshot(ledger)
    newest = max(s["logged_at"] for s in snap.streams.values())
    live = {"stream": {"state": "LIVE", "reconnects": 1, "malformed": 0}}
    fresh = market_data_check(live, snap, newest + 5, stale_after_s=120)
    assert (fresh.verdict, fresh.value) == ("ok", "LIVE")
    assert "last bar 5s ago; 1 reconnects" in fresh.detail
    stale = market_data_check(live, snap, newest + 600, stale_after_s=120)
    assert (stale.verdict, stale.value) == ("warn", "LIVE, stale")
    delayed = market_data_check({"stream": {"state": "DELAYED"}}, snap, newest, 120)
    assert delayed.verdict == "warn"
    down = market_data_check(None, snap, newest + 600, 120)
    assert down.verdict == "off" and "the bot is not running; last bar 10m 00s ago" in down.detail
    assert "no bar stored yet" in market_data_check(None, None, 0.0, 120).detail


def test_endpoints_and_disk_in_one_list(tmp_path: Path) -> None:
    status = BotStatus("stopped", "no bot", "/run", endpoints=[
        EndpointCheck("metrics", "http://127.0.0.1:8080/metrics", False, "refused"),
        EndpointCheck("prometheus", "http://127.0.0.1:9090/-/ready", True, "HTTP 200"),
        EndpointCheck("grafana", "http://127.0.0.1:3000/api/health", False, "timed out")])
    checks = health_checks(status, None, None, disk_space(tmp_path), tmp_path, now=0.0,
                           stale_after_s=120)
    assert [c.key for c in checks] == ["bot", "market_data", "metrics", "prometheus",
                                       "grafana", "disk"]
    verdicts = {c.key: c.verdict for c in checks}
    assert verdicts["metrics"] == "down" and verdicts["prometheus"] == "ok"
    assert checks[2].detail == "http://127.0.0.1:8080/metrics: refused"


def test_disk_space_of_a_folder_not_made_yet(tmp_path: Path) -> None:
    disk = disk_space(tmp_path / "not" / "yet")
    usage = shutil.disk_usage(tmp_path)
    assert disk is not None and disk.path == tmp_path and disk.total == usage.total


@pytest.mark.parametrize(("total", "free", "verdict"), [
    (100 << 30, 50 << 30, "ok"), (100 << 30, 5 << 30, "warn"), (4 << 30, 1 << 29, "warn")])
def test_low_disk_space_is_a_warning(total: int, free: int, verdict: str) -> None:
    assert disk_check(DiskSpace(Path("/x"), total, free), Path("/x")).verdict == verdict
    assert disk_check(None, Path("/x")).verdict == "warn"


def test_staleness_threshold_from_the_alert_config(tmp_path: Path) -> None:
    assert no_data_seconds(CONFIGS) == 120.0
    (tmp_path / "alert_config.json").write_text('{"alerts": {"no_data_seconds": 30}}')
    assert no_data_seconds(tmp_path) == 30.0
    (tmp_path / "alert_config.json").write_text('{"alerts": {"no_data_seconds": -1}}')
    assert no_data_seconds(tmp_path) == 120.0  # broken: the default (the config page says why)
