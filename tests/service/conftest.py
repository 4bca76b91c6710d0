"""Factories for the runner tests: paper arguments for a replayed bot, PID records, helpers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from backtrader_engine.operations import RunPaths, force_stop
from backtrader_engine.service.pidfile import PidRecord, write_pid_file

from ..paper.conftest import ledger_rows

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"

#: The in-process replay of the bundled 1h candles at ten bars a second: enough bars for
#: orders within seconds, and far more than a test needs before it stops the bot.
REPLAY_SPEED = "36000"


def paper_args(state: Path, *extra: str) -> list[str]:
    """``paper`` arguments for a bot on the bundled candles, ledger in *state*."""
    return ["--config-dir", str(CONFIGS), "--source", "replay", "--replay-speed", REPLAY_SPEED,
            "--state", str(state), "--status-every", "1", *extra]


@pytest.fixture
def run_dir(tmp_path: Path) -> Iterator[Path]:
    """A run folder; whatever bot is still running in it at the end is killed."""
    folder = tmp_path / "run"
    yield folder
    if (folder / "bot.pid").exists():
        force_stop(run_dir=folder, timeout=5)




def live_bars(state: Path) -> int:
    try:
        return ledger_rows(state, "SELECT COUNT(*) FROM bars WHERE source != 'warmup'")[0][0]
    except sqlite3.Error:  # not created yet
        return 0


def wait_until(condition: Callable[[], object], what: str, limit_s: float = 90.0) -> None:
    """Poll *condition* until true; fail naming *what* after *limit_s*."""
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def make_record(pid: int, create_time: float, tmp: Path) -> PidRecord:
    """A PID record for *pid* with the run files under *tmp*."""
    return PidRecord(pid=pid, create_time=create_time, command=["python", "x.py"], args=[],
                     cwd=str(tmp), started_at=time.time(), state_dir=str(tmp / "state"),
                     config_dir=str(CONFIGS), log_file=str(tmp / "run" / "logs" / "bot.log"),
                     stop_file=str(tmp / "run" / "bot.stop"))


@pytest.fixture
def record_for(tmp_path: Path) -> Callable[..., PidRecord]:
    """``record_for(pid, create_time=None)``: write a PID file for *pid* into tmp/run."""
    def write(pid: int, create_time: float | None = None) -> PidRecord:
        if create_time is None:
            create_time = psutil.Process(pid).create_time()
        record = make_record(pid, create_time, tmp_path)
        paths = RunPaths.of(tmp_path / "run")
        paths.run_dir.mkdir(parents=True, exist_ok=True)
        write_pid_file(paths.pid_file, record)
        return record
    return write




def dead_pid() -> int:
    """The PID of a process that has ended and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(30)
    return proc.pid
