"""Bad inputs to the servers and the shell scripts, run as real processes.

``panel`` replaces itself with Streamlit and ``study-exporter`` serves until stopped, so
accepted input would start a server: each run has a generous timeout after which the
process is killed and the case fails. A refused input ends at once with exit code 2 and one
``error:`` line.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "executables"
#: Only a guard against a server that started; no case is expected to come near it.
GUARD_S = 120


def _bte(*argv: str) -> list[str]:
    return [sys.executable, "-m", "backtrader_engine", *argv]


CASES = [
    ("panel-refresh-inf", _bte("panel", "--refresh", "inf"), "--refresh inf"),
    ("panel-config-file", _bte("panel", "--config-dir", "{file}"),
     "is a file, not a folder"),
    ("panel-port-in-use", _bte("panel", "--port", "{busy_port}"),
     "cannot serve on 127.0.0.1:{busy_port}"),
    ("exporter-binary", _bte("study-exporter", "--port", "0", "--storage", "{binary}"),
     "is not an Optuna journal file"),
    ("exporter-empty", _bte("study-exporter", "--port", "0", "--storage", "{empty}"),
     "the file is empty"),
    ("start-bot-unknown", [str(SCRIPTS / "start_bot.sh"), "--run-dir", "{out}", "--bogus"],
     "unknown paper argument(s) --bogus"),
    ("start-bot-state-file", [str(SCRIPTS / "start_bot.sh"), "--run-dir", "{out}",
                              "--source", "replay", "--state", "{file}"],
     "--state {file}: a file, not a folder"),
    ("start-bot-timeout-inf", [str(SCRIPTS / "start_bot.sh"), "--run-dir", "{out}",
                               "--start-timeout", "inf"], "--start-timeout inf"),
    ("start-bot-run-dir-file", [str(SCRIPTS / "start_bot.sh"), "--run-dir", "{file}",
                                "--source", "replay"], "cannot create it"),
    ("stop-bot-timeout", [str(SCRIPTS / "stop_bot.sh"), "--timeout", "-1"], "--timeout -1"),
    ("status-lines-word", [str(SCRIPTS / "check_bot_status.sh"), "--lines", "x"],
     "--lines: invalid int value"),
    ("status-run-dir-file", [str(SCRIPTS / "check_bot_status.sh"), "--run-dir", "{file}"],
     "cannot read the PID file"),
    ("pid-manager-action", [sys.executable, str(SCRIPTS / "bot_pid_manager.py"), "jump"],
     "'jump' is not an action"),
    ("pid-manager-no-action", [sys.executable, str(SCRIPTS / "bot_pid_manager.py")],
     "required: ACTION"),
]


@pytest.mark.parametrize(("command", "fragment"),
                         [pytest.param(c, f, id=i) for i, c, f in CASES])
def test_refused_before_anything_starts(command: list[str], fragment: str,
                                        tmp_path: Path) -> None:
    fixtures = tmp_path / "fx"
    fixtures.mkdir()
    (fixtures / "obj.json").write_text('{"a": 1}\n')
    (fixtures / "binary.bin").write_bytes(bytes(range(256))[::-1] * 16)
    (fixtures / "empty.txt").write_bytes(b"")
    values = {"file": str(fixtures / "obj.json"), "binary": str(fixtures / "binary.bin"),
              "empty": str(fixtures / "empty.txt"), "out": str(tmp_path / "out")}
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        values["busy_port"] = str(busy.getsockname()[1])

        def expand(text: str) -> str:
            for key, value in values.items():
                text = text.replace("{" + key + "}", value)
            return text

        try:
            result = subprocess.run([expand(a) for a in command], cwd=REPO, env=env,
                                    capture_output=True, text=True, timeout=GUARD_S,
                                    stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"still running after {GUARD_S} s (the input was accepted): "
                        f"{exc.stdout!r}")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert expand(fragment) in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()
