"""``executables/``: the shell scripts end to end, and the PowerShell scripts' content."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from backtrader_engine.operations import key_figures

from .conftest import ROOT, ledger_rows, paper_args, wait_until

EXECUTABLES = ROOT / "executables"
SCRIPTS = {"start_bot": "start", "stop_bot": "stop", "check_bot_status": "status"}


def script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXECUTABLES / f"{name}.sh"), *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_start_check_stop_scripts(tmp_path: Path) -> None:
    state = tmp_path / "state"
    try:
        started = script("start_bot", "--start-timeout", "90", *paper_args(state), cwd=tmp_path)
        assert started.returncode == 0, started.stderr
        pid = int(re.search(r"bot started \(PID (\d+)\)", started.stdout).group(1))  # type: ignore[union-attr]
        assert (tmp_path / "run" / "bot.pid").exists()  # the default run folder, ./run

        wait_until(lambda: key_figures(state)["signals_executed"] > 0
               and "live bars" in (tmp_path / "run" / "logs" / "bot.log").read_text(),
               "an executed signal and a status line")
        status = script("check_bot_status", cwd=tmp_path)
        assert status.returncode == 0, status.stderr
        assert f"bot running (PID {pid})" in status.stdout
        assert "equity" in status.stdout and "signals executed" in status.stdout
        assert "live bars" in status.stdout  # in the last log lines

        again = script("start_bot", *paper_args(state), cwd=tmp_path)
        assert again.returncode == 1
        assert f"already running (PID {pid}," in again.stderr

        bad = script("start_bot", "--replay-speed", "fast", cwd=tmp_path)
        assert bad.returncode == 2 and "invalid float value: 'fast'" in bad.stderr

        stopped = script("stop_bot", cwd=tmp_path)
        assert stopped.returncode == 0, stopped.stderr
        assert f"bot (PID {pid}) stopped gracefully" in stopped.stdout
    finally:
        if (tmp_path / "run" / "bot.pid").exists():
            script("stop_bot", "--timeout", "5", cwd=tmp_path)
    events = [kind for (kind,) in ledger_rows(state, "SELECT kind FROM events ORDER BY id")]
    assert events[0] == "start" and events[-1] == "stop"
    assert ledger_rows(state, "SELECT COUNT(*) FROM orders")[0][0] > 0
    after = script("check_bot_status", "--http-timeout", "0.2", cwd=tmp_path)
    assert after.returncode == 1 and "no bot running" in after.stdout


@pytest.mark.parametrize(("name", "action"), SCRIPTS.items())
def test_shell_scripts_are_thin_wrappers(name: str, action: str) -> None:
    path = EXECUTABLES / f"{name}.sh"
    assert os.access(path, os.X_OK)
    lines = path.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash" and "set -euo pipefail" in lines
    code = [line for line in lines[1:] if line.strip() and not line.startswith("#")]
    assert code[-1] == f'exec "$python" "$root/executables/bot_pid_manager.py" {action} "$@"'


@pytest.mark.parametrize(("name", "action"), SCRIPTS.items())
def test_powershell_scripts_only_call_the_pid_manager(name: str, action: str) -> None:
    lines = [line.strip() for line in (EXECUTABLES / f"{name}.ps1").read_text().splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    # Find the interpreter (the venv's, else python), call the manager, pass the exit code.
    assert code == [
        "$root = Split-Path -Parent $PSScriptRoot",
        '$python = Join-Path $root ".venv\\Scripts\\python.exe"',
        'if (-not (Test-Path $python)) { $python = "python" }',
        f'& $python (Join-Path $root "executables\\bot_pid_manager.py") {action} @args',
        "exit $LASTEXITCODE",
    ]
