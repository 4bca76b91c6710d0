"""Without network, ``paper`` and ``download`` say what failed on every retry, then end with
one line that points at the offline way, and exit code 2 (no traceback, no long silence)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, connections are refused
RETRY = re.compile(r"^warning: server time failed: ConnectionError \(.*\); "
                   r"attempt (\d) of 3, next try in \d+\.\d s$")


def run(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BTE_RETRIES": "2", "BTE_RETRY_DELAY": "0.1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "backtrader_engine", *argv],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


def check_failure(result: subprocess.CompletedProcess[str], hint: str) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    retries = [m.group(1) for line in lines if (m := RETRY.match(line))]
    assert retries == ["1", "2"], result.stderr
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert "attempt 3 of 3" in errors[0] and hint in errors[0], errors[0]
    return errors[0]


def test_paper_without_network_retries_then_suggests_replay(tmp_path: Path) -> None:
    result = run(tmp_path, "paper", "--config-dir", str(ROOT / "configs"), "--source", CLOSED,
                 "--state", str(tmp_path / "state"), "--no-metrics", "--status-every", "0")
    check_failure(result, "--source replay")
    # A first start that never got going leaves nothing a later run would resume or refuse.
    assert not (tmp_path / "state").exists()
    assert "paper session stopped" not in result.stderr


def test_download_without_network_retries_then_says_how_to_work_offline(
        tmp_path: Path) -> None:
    result = run(tmp_path, "download", "--symbols", "BTCUSDT", "--timeframes", "1h",
                 "--base-url", CLOSED, "--store", str(tmp_path / "data"))
    line = check_failure(result, "--base-url")
    assert "bte replay" in line
    assert result.stdout == ""


def test_stream_without_network_gives_up_before_the_first_connection(tmp_path: Path) -> None:
    result = run(tmp_path, "stream", "--symbols", "BTCUSDT", "--base-url", CLOSED,
                 "--seconds", "60")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert [re.search(r"attempt (\d) of 3, next try in \d+\.\d s$", line).group(1)  # type: ignore[union-attr]
            for line in lines[:-1]] == ["1", "2"], result.stderr
    assert lines[-1].startswith("error: cannot connect to the stream ws://127.0.0.1:9/")
    assert "attempt 3 of 3" in lines[-1] and "--source replay" in lines[-1]


def test_a_resumed_session_without_network_ends_in_one_line_and_keeps_its_ledger(
        tmp_path: Path) -> None:
    state = tmp_path / "state"
    common = ("paper", "--config-dir", str(ROOT / "configs"), "--strategy",
              "examples/sma_cross.py:SmaCross", "--symbols", "BTCUSDT", "--timeframe", "1h",
              "--state", str(state), "--no-metrics", "--status-every", "0")
    first = subprocess.run([sys.executable, "-m", "backtrader_engine", *common, "--source",
                            "replay", "--max-bars", "5"], capture_output=True, text=True,
                           cwd=ROOT, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    ledger = state / "ledger.sqlite"
    before = hashlib.sha256(ledger.read_bytes()).hexdigest()
    # The same session, resumed against a venue that does not answer: it does not sit on a
    # stream that cannot connect, and what it had is left exactly as it was.
    result = run(ROOT, *common, "--source", CLOSED)
    line = check_failure(result, "--source replay")
    assert f"the session in {state} is kept and resumes when started again" in line
    assert hashlib.sha256(ledger.read_bytes()).hexdigest() == before
