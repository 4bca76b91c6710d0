"""Factories for command tests: a fresh working folder and the ``replay`` command as a child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder, as in a fresh clone: no runs/, no data/, no configs/."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def replay_child(fresh_cwd: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[str], str]]]:
    """``replay_child(*args)`` → (process, REST base URL) of ``replay`` run in *fresh_cwd*.

    Stopped with Ctrl-C (SIGINT) at the end, as a user stops it.
    """
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                           os.environ.get("PYTHONPATH")]))}
        proc = subprocess.Popen([sys.executable, "-m", "backtrader_engine", "replay", *args],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=fresh_cwd)
        started.append(proc)
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("REST"), (first, proc.stderr.read() if proc.poll() else "")
        return proc, first.split()[-1]

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
