"""``executables/``: the shell scripts end to end, and the PowerShell scripts' content."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backtrader_engine.operations import key_figures

from .conftest import CONFIGS, REPLAY_SPEED, ROOT, ledger_rows, paper_args, wait_until

EXECUTABLES = ROOT / "executables"
SCRIPTS = {"start_bot": "start", "stop_bot": "stop", "check_bot_status": "status"}


def script(name: str, *args: str, cwd: Path, root: Path = ROOT,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(root / "executables" / f"{name}.sh"), *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300, env=env)


def test_start_check_stop_scripts(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run = ["--run-dir", str(tmp_path / "run")]
    try:
        started = script("start_bot", *run, "--start-timeout", "90", *paper_args(state),
                         cwd=tmp_path)
        assert started.returncode == 0, started.stderr
        pid = int(re.search(r"bot started \(PID (\d+)\)", started.stdout).group(1))  # type: ignore[union-attr]
        assert (tmp_path / "run" / "bot.pid").exists()

        wait_until(lambda: key_figures(state)["signals_executed"] > 0
               and "live bars" in (tmp_path / "run" / "logs" / "bot.log").read_text(),
               "an executed signal and a status line")
        status = script("check_bot_status", *run, cwd=tmp_path)
        assert status.returncode == 0, status.stderr
        assert f"bot running (PID {pid})" in status.stdout
        assert "equity" in status.stdout and "signals executed" in status.stdout
        assert "live bars" in status.stdout  # in the last log lines

        again = script("start_bot", *run, *paper_args(state), cwd=tmp_path)
        assert again.returncode == 1
        assert f"already running (PID {pid}," in again.stderr

        bad = script("start_bot", *run, "--replay-speed", "fast", cwd=tmp_path)
        assert bad.returncode == 2 and "invalid float value: 'fast'" in bad.stderr

        stopped = script("stop_bot", *run, cwd=tmp_path)
        assert stopped.returncode == 0, stopped.stderr
        assert f"bot (PID {pid}) stopped gracefully" in stopped.stdout
    finally:
        if (tmp_path / "run" / "bot.pid").exists():
            script("stop_bot", *run, "--timeout", "5", cwd=tmp_path)
    events = [kind for (kind,) in ledger_rows(state, "SELECT kind FROM events ORDER BY id")]
    assert events[0] == "start" and events[-1] == "stop"
    assert ledger_rows(state, "SELECT COUNT(*) FROM orders")[0][0] > 0
    after = script("check_bot_status", *run, "--http-timeout", "0.2", cwd=tmp_path)
    assert after.returncode == 1 and "no bot running" in after.stdout


def checkout_copy(tmp_path: Path, *, venv: bool = True) -> Path:
    """A checkout elsewhere: the scripts copied, the package and configs linked, and (with
    *venv*) a ``.venv/bin/python`` that runs this interpreter."""
    repo = tmp_path / "repo"
    (repo / "executables").mkdir(parents=True)
    for path in EXECUTABLES.iterdir():
        if path.suffix in (".sh", ".py", ".ps1"):
            shutil.copy2(path, repo / "executables" / path.name)
    (repo / "backtrader_engine").symlink_to(ROOT / "backtrader_engine")
    (repo / "configs").symlink_to(CONFIGS)
    if venv:
        python = repo / ".venv" / "bin" / "python"
        python.parent.mkdir(parents=True)
        python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
        python.chmod(0o755)
    return repo


def test_scripts_work_from_any_folder_against_the_repository_root(tmp_path: Path) -> None:
    # As cron or systemd start them: another working folder, no --run-dir, relative paths.
    repo = checkout_copy(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    args = ["--source", "replay", "--replay-speed", REPLAY_SPEED, "--state", "state/demo",
            "--status-every", "1"]
    try:
        started = script("start_bot", "--start-timeout", "90", *args, cwd=elsewhere, root=repo)
        assert started.returncode == 0, started.stderr
        assert (repo / "run" / "bot.pid").exists()  # run/ of the repository, not of the cwd
        wait_until(lambda: (repo / "state" / "demo").is_dir()
                   and key_figures(repo / "state" / "demo")["signals_executed"] > 0,
                   "an executed signal in the repository's state/demo")
        status = script("check_bot_status", cwd=elsewhere, root=repo)
        assert status.returncode == 0 and "bot running" in status.stdout, status.stderr
        stopped = script("stop_bot", cwd=elsewhere, root=repo)
        assert stopped.returncode == 0 and "stopped gracefully" in stopped.stdout, stopped.stderr
    finally:
        if (repo / "run" / "bot.pid").exists():
            script("stop_bot", "--timeout", "5", cwd=elsewhere, root=repo)
    assert not (elsewhere / "run").exists() and not (elsewhere / "state").exists()
    after = script("check_bot_status", cwd=elsewhere, root=repo)
    assert after.returncode == 1 and "no bot running" in after.stdout


@pytest.mark.parametrize("name", SCRIPTS)
def test_without_any_python_the_scripts_say_so_and_exit_127(tmp_path: Path, name: str) -> None:
    repo = checkout_copy(tmp_path, venv=False)
    tools = tmp_path / "bin"  # a PATH with the coreutils the scripts use and no Python
    tools.mkdir()
    for tool in ("bash", "env", "dirname", "basename"):
        (tools / tool).symlink_to(shutil.which(tool))  # type: ignore[arg-type]
    done = script(name, cwd=tmp_path, root=repo, env={"PATH": str(tools)})
    assert done.returncode == 127
    assert done.stderr == (f"{name}.sh: no Python found: create {repo}/.venv (see README.md) "
                           "or put python3 on PATH\n")


@pytest.mark.parametrize(("name", "action"), SCRIPTS.items())
def test_shell_scripts_are_thin_wrappers(name: str, action: str) -> None:
    path = EXECUTABLES / f"{name}.sh"
    assert os.access(path, os.X_OK)
    lines = path.read_text().splitlines()
    assert lines[0] == "#!/usr/bin/env bash" and "set -euo pipefail" in lines
    code = [line for line in lines[1:] if line.strip() and not line.startswith("#")]
    assert code[-2:] == ['. "$(dirname "${BASH_SOURCE[0]}")/common.sh"',
                         f'exec "$python" executables/bot_pid_manager.py {action} "$@"']


def test_shell_common_part_enters_the_repository_root() -> None:
    code = (EXECUTABLES / "common.sh").read_text()
    assert 'cd "$root"' in code and "exit 127" in code


@pytest.mark.parametrize(("name", "action"), SCRIPTS.items())
def test_powershell_scripts_stop_on_errors_and_call_the_pid_manager(name: str,
                                                                    action: str) -> None:
    lines = [line.strip() for line in (EXECUTABLES / f"{name}.ps1").read_text().splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    assert code == ["$ErrorActionPreference = 'Stop'",
                    '. (Join-Path $PSScriptRoot "common.ps1")',
                    f"Invoke-PidManager {action} $args"]


def test_powershell_common_part_fails_loudly_and_finds_a_real_python() -> None:
    code = (EXECUTABLES / "common.ps1").read_text()
    lines = [line.strip() for line in code.splitlines()]
    assert lines.index("$ErrorActionPreference = 'Stop'") < lines.index(
        "Set-Location -LiteralPath $root")
    # Each candidate is checked with Get-Command; the py launcher comes before python, and a
    # python under WindowsApps (the Store alias) is never used.
    venv, launcher, python = (code.index(".venv\\Scripts\\python.exe"),
                              code.index("Get-Command py "), code.index("Get-Command python "))
    assert venv < launcher < python
    assert '@("py", "-3")' in code and "-notlike \"*\\WindowsApps\\*\"" in code
    # No Python: one line on stderr and exit 127, never a stale $LASTEXITCODE.
    assert "exit 127" in code and code.count("exit $LASTEXITCODE") == 1
    assert code.index("& $exe @lead") < code.index("exit $LASTEXITCODE")
