"""A study started from a terminal draws the live bar; its log, from a pipe, does not.

The real command in a child process whose stderr is a pseudo-terminal: what a user at a shell
sees, not a stream that only claims to be one.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STUDY = ["optimize.py", "--strategy", "RSIEMAMomentumStrategy", "--from", "2018-01-01",
         "--to", "2018-03-31", "--trials", "6", "--n-jobs", "2", "--seed", "1",
         "--min-trades", "0", "--no-plots"]


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed its end of the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_study_on_a_terminal_redraws_a_progress_bar(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, *STUDY, "--out", str(tmp_path / "tty")],
                            cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=follower)
    os.close(follower)
    terminal = _read_all(leader).decode()
    out, _ = proc.communicate(timeout=300)
    os.close(leader)
    assert proc.returncode == 0, terminal
    frames = [f for f in terminal.split("\r\x1b[2K") if f.startswith("[")]
    assert frames, terminal
    # The last frame is the finished study: a full bar, every trial, a best value.
    last = frames[-1]
    assert last.startswith("[####################] trials 6/6 | best "), last
    assert "trials/s | ETA " in last and "| pruned 0 | failed 0" in last
    assert b"status   finished" in out


def test_the_same_study_into_a_pipe_prints_plain_lines(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, *STUDY, "--out", str(tmp_path / "pipe")], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("trials ")]
    assert lines and lines[-1].startswith("trials 6/6 | best ")
    assert "\r" not in proc.stderr and "\x1b" not in proc.stderr
    assert not any(ln.startswith("[") for ln in proc.stderr.splitlines())
