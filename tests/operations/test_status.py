"""``bot status``: the service's process status plus the session's key figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from backtrader_engine.operations import bot_status
from backtrader_engine.service.paths import RunPaths
from backtrader_engine.service.pidfile import PidRecord, write_pid_file


def _gone_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid


def test_no_bot_means_no_figures_and_no_reason_for_their_absence(tmp_path: Path) -> None:
    status = bot_status(run_dir=tmp_path / "run", endpoints=[])
    assert status.state == "stopped" and status.figures is None
    assert status.figures_error is None


def test_a_stale_bot_without_a_ledger_says_why_its_figures_are_missing(tmp_path: Path) -> None:
    paths = RunPaths.of(tmp_path / "run")
    paths.run_dir.mkdir(parents=True)
    write_pid_file(paths.pid_file, PidRecord(
        pid=_gone_pid(), create_time=1.0, command=["python", "x.py"], args=[],
        cwd=str(tmp_path), started_at=1.0, state_dir=str(tmp_path / "state"),
        config_dir=str(tmp_path), log_file=str(paths.console_log), stop_file=str(tmp_path / "s")))
    status = bot_status(run_dir=paths.run_dir, endpoints=[])
    assert status.state == "stale" and status.state_dir == str(tmp_path / "state")
    assert status.figures is None and status.figures_error
    # ``status --json`` keeps its key order: the process, the figures, then the log.
    assert list(status.to_dict()) == [
        "state", "message", "run_dir", "pid", "started_at", "uptime_s", "cpu_percent",
        "rss_bytes", "command", "state_dir", "ready", "endpoints", "figures", "figures_error",
        "log_file", "log_tail"]
