"""``replay`` says on stderr what it loaded when it starts, when its data is exhausted, and
why it stopped with the bars it served; stdout keeps only the REST and stream lines."""

from __future__ import annotations

import signal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAY = ROOT / "tests" / "testdata" / "BTCUSDT-1m-2022-09-05.zip"  # 1440 1m candles


def test_replay_logs_what_it_loaded_and_why_it_stopped(replay_child) -> None:
    proc, rest = replay_child("--data", str(DAY), "--symbol", "BTCUSDT", "--port", "0",
                              "--speed", "0", "--start", "2022-09-05T23:00")
    assert proc.stderr is not None and proc.stdout is not None
    lines = [proc.stderr.readline().rstrip("\n") for _ in range(3)]
    assert lines[0] == ("replay serving BTCUSDT 1m: 1440 bars, 2022-09-05 00:00 .. "
                        "2022-09-05 23:59; the clock starts at 2022-09-05 23:00")
    assert lines[1] == f"replay listening on {rest}"
    # no client holds the clock: the last hour of candles plays at once
    assert lines[2] == ("replay data exhausted at 2022-09-06 00:00: BTCUSDT 60 bars served; "
                        "REST keeps answering at that time")
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 130
    rest_of_err = proc.stderr.read().splitlines()
    assert rest_of_err == ["replay stopping (SIGINT received): BTCUSDT 60 bars served, clock "
                           "at 2022-09-06 00:00, 0 REST requests"]
    assert proc.stdout.read().splitlines() == [f"stream  {rest.replace('http', 'ws')}"
                                               "/v5/public/linear", "Ctrl-C to stop"]


def test_in_process_replay_logs_its_stop_with_the_paper_session(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys
    proc = subprocess.run(
        [sys.executable, "-m", "backtrader_engine", "paper", "--config-dir",
         str(ROOT / "configs"), "--source", "replay", "--replay-data", str(DAY),
         "--symbols", "BTCUSDT", "--strategy", "RSIEMAMomentumStrategy", "--timeframe", "1m",
         "--warmup-bars", "1380", "--replay-speed", "0", "--state", str(tmp_path / "state"),
         "--no-metrics", "--status-every", "0", "--no-risk-gate"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.returncode == 0, proc.stderr
    assert ("replay serving BTCUSDT 1m: 1440 bars, 2022-09-05 00:00 .. 2022-09-05 23:59; "
            "the clock starts at 2022-09-05 23:00") in proc.stderr
    assert ("replay stopping (paper session ended): BTCUSDT 60 bars served"
            in proc.stderr), proc.stderr
