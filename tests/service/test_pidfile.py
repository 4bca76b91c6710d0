"""PID file: atomic writes, corrupt files, stale and reused PIDs, the exclusive lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.operations import LockBusy, PidLock, read_pid_file
from backtrader_engine.service.pidfile import (
    process_state,
    remove_pid_file,
    write_pid_file,
)

from .conftest import dead_pid, make_record


def test_round_trip(tmp_path: Path) -> None:
    record = make_record(os.getpid(), psutil.Process().create_time(), tmp_path)
    path = tmp_path / "bot.pid"
    write_pid_file(path, record)
    assert read_pid_file(path) == record
    assert json.loads(path.read_text())["pid"] == os.getpid()
    assert read_pid_file(tmp_path / "none.pid") is None


def test_readers_never_see_a_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.pid"
    write_pid_file(path, make_record(1, 1.0, tmp_path))
    done = threading.Event()
    seen: list[object] = []

    def rewrite() -> None:
        for i in range(300):
            write_pid_file(path, make_record(i + 2, float(i), tmp_path))
        done.set()

    writer = threading.Thread(target=rewrite)
    writer.start()
    while not done.is_set():
        record = read_pid_file(path)  # raises on a torn or empty file
        seen.append(record)
    writer.join()
    assert None not in seen
    assert read_pid_file(path).pid == 301  # type: ignore[union-attr]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.pid"]  # no temporary files


def test_a_failed_write_keeps_the_old_file(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bot.pid"
    old = make_record(11, 1.0, tmp_path)
    write_pid_file(path, old)

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_pid_file(path, make_record(12, 2.0, tmp_path))
    assert read_pid_file(path) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.pid"]


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "invalid JSON"),
    ("[1, 2]", "not a JSON object"),
    ('{"pid": 5}', "missing create_time"),
    (json.dumps({"pid": "five", "create_time": 1, "command": [], "args": [], "cwd": "/",
                 "started_at": 1, "state_dir": "s", "config_dir": "c", "log_file": "l",
                 "stop_file": "f"}), "bad value"),
    (json.dumps({"pid": 5, "create_time": 1, "command": "python x", "args": [], "cwd": "/",
                 "started_at": 1, "state_dir": "s", "config_dir": "c", "log_file": "l",
                 "stop_file": "f"}), "expected a list"),
    (json.dumps({"pid": -3, "create_time": 1, "command": [], "args": [], "cwd": "/",
                 "started_at": 1, "state_dir": "s", "config_dir": "c", "log_file": "l",
                 "stop_file": "f"}), "not a process id"),
])
def test_corrupt_pid_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bot.pid"
    path.write_text(content)
    with pytest.raises(UserError, match=message) as info:
        read_pid_file(path)
    assert str(path) in str(info.value) and "delete it" in str(info.value)


def test_unreadable_pid_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bot.pid"
    path.mkdir()  # unreadable as a file, whatever the user's privileges
    with pytest.raises(UserError, match="cannot read the PID file") as info:
        read_pid_file(path)
    assert str(path) in str(info.value)


def test_process_states(tmp_path: Path) -> None:
    me = psutil.Process()
    assert process_state(make_record(me.pid, me.create_time(), tmp_path)) == "running"
    assert process_state(make_record(dead_pid(), time.time(), tmp_path)) == "gone"
    # A live process whose create time differs is another process that got the PID.
    assert process_state(make_record(me.pid, me.create_time() - 3600, tmp_path)) == "reused"


def test_a_zombie_counts_as_gone_and_is_reaped(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    record = make_record(proc.pid, psutil.Process(proc.pid).create_time(), tmp_path)
    # Not waited for: once it exits it stays a zombie until its parent (us) reaps it.
    deadline = time.monotonic() + 30
    while psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert process_state(record) == "gone"
    assert not psutil.pid_exists(proc.pid) or psutil.Process(proc.pid).create_time() != \
        record.create_time


def test_remove_only_the_recorded_process(tmp_path: Path) -> None:
    path = tmp_path / "bot.pid"
    first, second = make_record(21, 1.0, tmp_path), make_record(22, 2.0, tmp_path)
    write_pid_file(path, second)
    remove_pid_file(path, first)  # a newer bot owns the file now
    assert read_pid_file(path) == second
    remove_pid_file(path, second)
    assert not path.exists()


def test_lock_is_exclusive(tmp_path: Path) -> None:
    path = tmp_path / "bot.pid.lock"
    with PidLock(path, timeout=0):
        with pytest.raises(LockBusy, match=str(path)):
            PidLock(path, timeout=0.2).acquire()
    with PidLock(path, timeout=0):  # released
        pass


HOLD = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from backtrader_engine.operations import PidLock
lock = PidLock(Path({path!r}), timeout=0).acquire()
print("locked", flush=True)
time.sleep(600)
"""


def test_lock_held_by_another_process_and_dropped_when_it_dies(tmp_path: Path) -> None:
    path = tmp_path / "bot.pid.lock"
    root = str(Path(__file__).resolve().parents[2])
    holder = subprocess.Popen([sys.executable, "-c", HOLD.format(root=root, path=str(path))],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockBusy):
            PidLock(path, timeout=0.2).acquire()
    finally:
        holder.kill()
        holder.wait(10)
    with PidLock(path, timeout=5):  # the OS released the dead holder's lock
        pass
