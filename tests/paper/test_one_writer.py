"""One writer per state folder: a second ``paper`` on the folder of a running session.

Two real processes: the first session runs; the second is refused in one line naming the
first one's PID and changes nothing in the folder; the first keeps answering ``inject``;
readers work beside it; once the first is killed, the folder is free and resumes intact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from backtrader_engine.operations.snapshot import read_snapshot
from backtrader_engine.service.statelock import lock_holder

from .conftest import ledger_rows

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = str(ROOT / "configs")
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def paper_command(state: Path, logs: Path, *extra: str) -> list[str]:
    """``paper`` on the in-process replay of the bundled candles."""
    return [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir", CONFIGS,
            "--source", "replay", "--state", str(state), "--log-dir", str(logs),
            "--status-every", "0", *extra]


def snapshot(*folders: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under *folders*: its bytes and modification time."""
    return {str(p): (p.read_bytes(), p.stat().st_mtime_ns)
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def settled(*folders: Path, limit_s: float = 60.0) -> dict[str, tuple[bytes, int]]:
    """The snapshot once nothing under *folders* has changed for a second."""
    deadline = time.monotonic() + limit_s
    last = snapshot(*folders)
    while True:
        time.sleep(1.0)
        now = snapshot(*folders)
        if now == last:
            return now
        assert time.monotonic() < deadline, "the session kept writing"
        last = now


def wait_for(condition: Callable[[], object], what: str, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_second_writer_is_refused_and_the_first_session_is_untouched(
        tmp_path: Path, cli: Callable[..., object]) -> None:
    state, logs = tmp_path / "state", tmp_path / "logs"
    # At replay speed 1 the next hourly bar is an hour away: once started, the first
    # session writes nothing more, so any change in its folder would be the second one's.
    first = subprocess.Popen(paper_command(state, logs, "--replay-speed", "1", "--no-metrics"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=ENV)
    try:
        wait_for(lambda: (state / "control.json").exists() or first.poll() is not None,
                 "the first session to start")
        assert first.poll() is None, first.communicate()
        before = settled(state, logs)

        # The second writer: one line naming the running PID, exit 2, and nothing printed,
        # bound (it asks for a metrics port), logged or written before it.
        second = subprocess.run(paper_command(state, logs, "--metrics", "--metrics-port", "0"),
                                capture_output=True, text=True, env=ENV, timeout=300)
        assert second.returncode == 2, second.stderr
        assert second.stdout == ""
        assert second.stderr == (
            f"error: state folder {state} is in use by paper session PID {first.pid}; stop "
            f"it first (Ctrl-C in its terminal, or kill -TERM {first.pid}) or choose another "
            "--state\n")
        assert snapshot(state, logs) == before  # ledger, control.json, lock file, logs

        # The first session is still healthy and commanded through its control channel.
        assert first.poll() is None
        injected = cli("inject", "--state", str(state), "--symbol", "BTCUSDT", "--side", "buy")
        assert injected.code in (0, 3, 4), injected.err  # type: ignore[attr-defined]
        assert injected.out.startswith(  # type: ignore[attr-defined]
            "signal 1 buy on ManualSignalStrategy:BTCUSDT")

        # Readers work beside the writer.
        parity = cli("parity", "--state", str(state), "--out", str(tmp_path / "parity"))
        assert parity.code == 0, parity.err  # type: ignore[attr-defined]
        assert len(read_snapshot(state).accounts) == 7
        holder = lock_holder(state)
        assert holder is not None and holder.pid == first.pid

        # Killed: the OS drops the lock, and the next session resumes the ledger intact.
        accounts = ledger_rows(state, "SELECT * FROM accounts ORDER BY account")
        bars = ledger_rows(state, "SELECT * FROM bars ORDER BY symbol, interval, seq")
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=30)
    assert lock_holder(state) is None
    again = subprocess.run(paper_command(state, logs, "--replay-speed", "0", "--max-bars", "3",
                                         "--no-metrics"),
                           capture_output=True, text=True, env=ENV, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"state {state} (resumed," in again.stdout
    assert ledger_rows(state, "SELECT * FROM accounts ORDER BY account") == accounts
    assert ledger_rows(state, "SELECT * FROM bars ORDER BY symbol, interval, seq")[
        :len(bars)] == bars
    assert len(ledger_rows(state, "SELECT * FROM injections")) == 1
    assert (state / "session.lock").read_text() == ""  # a clean end leaves no PID behind
