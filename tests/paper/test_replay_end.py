"""``paper --source replay`` ends by itself when the replay's data is exhausted, with its
summary and exit code 0; ``--keep-running`` keeps the session open until it is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .conftest import assert_summary_ends

ROOT = Path(__file__).resolve().parents[2]
DAY = ROOT / "tests" / "testdata" / "BTCUSDT-1m-2022-09-05.zip"  # 1440 1m candles
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def paper(state: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir",
         str(ROOT / "configs"), "--source", "replay", "--replay-data", str(DAY),
         "--symbols", "BTCUSDT", "--strategy", "RSIEMAMomentumStrategy", "--timeframe", "1m",
         "--warmup-bars", "1200", "--replay-speed", "0", "--state", str(state),
         "--no-metrics", "--status-every", "0", "--no-risk-gate", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)


def test_exhausted_replay_ends_the_session_with_its_summary(tmp_path: Path) -> None:
    proc = paper(tmp_path / "state")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    lines = out.splitlines()
    assert "replay data exhausted: stopping" in lines
    # every candle after the warm-up was traded: the drain on stop loses none
    assert lines[-1].startswith("live bars 240 "), out
    assert_summary_ends(lines)


def test_keep_running_stays_open_after_the_end_until_stopped(tmp_path: Path) -> None:
    proc = paper(tmp_path / "state", "--keep-running")
    assert proc.stdout is not None
    try:
        deadline = time.monotonic() + 120
        seen = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            seen.append(line)
            if line.startswith("replay data exhausted;") or not line:
                break
        assert "--keep-running: still running" in seen[-1], seen
        time.sleep(1.0)
        assert proc.poll() is None, "the session ended although --keep-running was given"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, err
    assert "replay data exhausted: stopping" not in out
    assert out.splitlines()[-1].startswith("live bars 240 "), out
