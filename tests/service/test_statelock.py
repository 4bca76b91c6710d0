"""The state folder's lock: one holder across processes, dropped by the OS when it dies."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.operations import BotAlreadyRunning
from backtrader_engine.service.session import check_state_free
from backtrader_engine.service.statelock import (
    FILENAME,
    StateFolderInUse,
    StateLock,
    lock_holder,
)

from .conftest import wait_until


def files(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of *folder* with its bytes and modification time."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def holding(child: Callable[..., subprocess.Popen[str]], state: Path,
            stop_file: Path | None = None) -> subprocess.Popen[str]:
    """A child process holding *state*'s lock until it ends."""
    info = {"stop_file": str(stop_file)} if stop_file else {}
    return child("from backtrader_engine.service.statelock import StateLock\n"
                 f"lock = StateLock({str(state)!r}, {info!r}).acquire()")


def test_a_second_process_is_refused_in_one_line_and_changes_nothing(
        tmp_path: Path, child: Callable[..., subprocess.Popen[str]]) -> None:
    state = tmp_path / "state"
    holder = holding(child, state)
    assert json.loads((state / FILENAME).read_text())["pid"] == holder.pid
    found = lock_holder(state)
    assert found is not None and found.pid == holder.pid
    before = files(state)
    with pytest.raises(StateFolderInUse) as info:
        StateLock(state).acquire(wait=0.2)
    message = str(info.value)
    assert message == (f"state folder {state} is in use by paper session PID {holder.pid}; "
                       f"stop it first (Ctrl-C in its terminal, or kill -TERM {holder.pid}) "
                       "or choose another --state")
    assert files(state) == before
    # The bot runner refuses with the same line (its own exit code, 1).
    with pytest.raises(BotAlreadyRunning) as refused:
        check_state_free(state)
    assert str(refused.value) == message and refused.value.pid == holder.pid


def test_the_os_drops_the_lock_of_a_killed_holder(
        tmp_path: Path, child: Callable[..., subprocess.Popen[str]]) -> None:
    state = tmp_path / "state"
    holder = holding(child, state)
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    # Its PID is still written in the file, but nobody holds the lock: free.
    assert json.loads((state / FILENAME).read_text())["pid"] == holder.pid
    wait_until(lambda: lock_holder(state) is None, "the lock to be dropped", 10)
    check_state_free(state)
    with StateLock(state) as lock:
        assert lock.held
        assert json.loads((state / FILENAME).read_text())["pid"] == os.getpid()
    assert (state / FILENAME).read_text() == ""  # a clean release leaves no PID behind


def test_two_locks_conflict_within_one_process_too(tmp_path: Path) -> None:
    with StateLock(tmp_path / "s"):
        with pytest.raises(StateFolderInUse, match=f"PID {os.getpid()}"):
            StateLock(tmp_path / "s").acquire(wait=0)
    StateLock(tmp_path / "s").acquire(wait=0).release()


def test_probing_creates_nothing(tmp_path: Path) -> None:
    assert lock_holder(tmp_path / "none") is None
    assert not (tmp_path / "none").exists()
    (tmp_path / "empty").mkdir()
    assert lock_holder(tmp_path / "empty") is None
    assert list((tmp_path / "empty").iterdir()) == []


def test_files_left_by_a_killed_session_do_not_block(tmp_path: Path) -> None:
    """A lock file and a control.json naming a live PID and an open port, but no holder."""
    state = tmp_path / "state"
    state.mkdir()
    (state / FILENAME).write_text(json.dumps({"pid": os.getpid()}))
    with socket.create_server(("127.0.0.1", 0)) as server:
        (state / "control.json").write_text(json.dumps({
            "host": "127.0.0.1", "port": server.getsockname()[1], "token": "t",
            "pid": os.getpid()}))
        check_state_free(state)
        StateLock(state).acquire(wait=0).release()


def test_a_managed_holder_is_stopped_with_the_runner(
        tmp_path: Path, child: Callable[..., subprocess.Popen[str]]) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "bot.pid").write_text("{}")
    state = tmp_path / "state"
    holder = holding(child, state, stop_file=run / "bot.stop")
    with pytest.raises(StateFolderInUse) as info:
        StateLock(state).acquire(wait=0)
    assert str(info.value) == (f"state folder {state} is in use by paper session PID "
                               f"{holder.pid}; stop it first (bte bot stop --run-dir {run}) "
                               "or choose another --state")


def test_an_unwritable_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError) as info:
        StateLock(tmp_path / "file" / "state").acquire()
    assert "cannot create the folder" in str(info.value) and "\n" not in str(info.value)


def test_a_folder_the_lock_created_and_nothing_used_is_removed(tmp_path: Path) -> None:
    StateLock(tmp_path / "new").acquire().release()
    assert not (tmp_path / "new").exists()
    (tmp_path / "old").mkdir()
    StateLock(tmp_path / "old").acquire().release()
    assert (tmp_path / "old" / FILENAME).read_text() == ""  # an existing folder is kept


def test_a_writer_waiting_while_the_holder_removes_the_folder_gets_a_real_lock(
        tmp_path: Path) -> None:
    state = tmp_path / "new"
    first = StateLock(state).acquire()
    second = StateLock(state)
    waiter = threading.Thread(target=second.acquire, kwargs={"wait": 30})
    waiter.start()
    time.sleep(0.3)  # the waiter has the old file open and retries its lock
    first.release()
    waiter.join(30)
    assert second.held
    assert json.loads((state / FILENAME).read_text())["pid"] == os.getpid()
    with pytest.raises(StateFolderInUse):  # the file on disk is the locked one
        StateLock(state).acquire(wait=0)
    second.release()
