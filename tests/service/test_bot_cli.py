"""``bot`` sub-commands without a running bot: status, stop, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT


def test_status_when_nothing_runs(tmp_path: Path, cli: Callable[..., object]) -> None:
    run = tmp_path / "run"
    result = cli("bot", "status", "--run-dir", str(run), "--http-timeout", "0.2")
    assert result.code == 1  # type: ignore[attr-defined]
    assert result.out.startswith(f"no bot running (no PID file in {run}); start it "  # type: ignore[attr-defined]
                                 "with 'bot start'")
    assert result.err == ""  # type: ignore[attr-defined]
    result = cli("bot", "status", "--run-dir", str(run), "--json", "--http-timeout", "0.2")
    assert result.code == 1  # type: ignore[attr-defined]
    data = json.loads(result.out)  # type: ignore[attr-defined]
    assert data["state"] == "stopped" and data["pid"] is None and data["figures"] is None


def test_stop_when_nothing_runs_is_fine(tmp_path: Path, cli: Callable[..., object]) -> None:
    for action in ("stop", "force-stop"):
        result = cli("bot", action, "--run-dir", str(tmp_path / "run"))
        assert result.code == 0  # type: ignore[attr-defined]
        assert "no bot running" in result.out  # type: ignore[attr-defined]


def test_resume_entries_without_a_session_is_one_clear_line(
        tmp_path: Path, cli: Callable[..., object],
        one_clear_line: Callable[[object], str]) -> None:
    line = one_clear_line(cli("bot", "resume-entries", "--run-dir", str(tmp_path / "run"),
                              "--state", str(tmp_path / "state")))
    assert "no paper session is running" in line and str(tmp_path / "state") in line


@pytest.mark.parametrize("action", ["status", "stop", "start", "restart"])
def test_corrupt_pid_file(tmp_path: Path, action: str, cli: Callable[..., object],
                          one_clear_line: Callable[[object], str]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "bot.pid").write_text('{"pid": 12')
    line = one_clear_line(cli("bot", action, "--run-dir", str(run)))
    assert str(run / "bot.pid") in line and "not a valid PID file" in line


@pytest.mark.parametrize(("argv", "message"), [
    (["bot", "status", "--bogus"], "unrecognized arguments: --bogus"),
    (["bot", "stop", "--timeout", "soon"], "invalid float value: 'soon'"),
    (["bot", "frobnicate"], "'frobnicate' is not an action"),
    (["bot", "start", "--no-such-option"], "unknown paper argument(s) --no-such-option"),
    (["bot", "start", "--", "--replay-speed", "fast"], "invalid float value: 'fast'"),
    (["bot", "restart", "--", "--fill-model", "magic"], "'magic' is not a fill model"),
])
def test_bad_input_is_a_clear_error(tmp_path: Path, argv: list[str], message: str,
                                    cli: Callable[..., object]) -> None:
    result = cli(*argv, "--run-dir", str(tmp_path / "run")) if argv[1] != "frobnicate" \
        else cli(*argv)
    assert result.code == 2  # type: ignore[attr-defined]
    assert message in result.err and "Traceback" not in result.err  # type: ignore
    assert not (tmp_path / "run" / "bot.pid").exists()


def test_pid_manager_script_from_another_folder(tmp_path: Path) -> None:
    script = ROOT / "executables" / "bot_pid_manager.py"
    result = subprocess.run([sys.executable, str(script), "status", "--run-dir",
                             str(tmp_path / "run"), "--http-timeout", "0.2"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "no bot running" in result.stdout
    bad = subprocess.run([sys.executable, str(script), "status", "--bogus"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr == ("error: unrecognized arguments: --bogus "
                          "(see bot_pid_manager.py status --help)\n")
