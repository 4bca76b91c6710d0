"""The bot process's status as the service sees it: no ledger, no paper session needed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from backtrader_engine.service.process_status import process_status
from backtrader_engine.service.session import CONTROL_FILE, session_pid

from .conftest import dead_pid


def test_no_pid_file_is_stopped_with_nothing_about_a_process(tmp_path: Path) -> None:
    status = process_status(run_dir=tmp_path / "run", endpoints=[])
    assert status.state == "stopped" and "no PID file" in status.message
    assert (status.pid, status.state_dir, status.ready, status.log_tail) == (None, None, False, [])


def test_a_dead_pid_is_stale(tmp_path: Path, record_for: Callable[..., object]) -> None:
    gone = dead_pid()
    record_for(gone, 1.0)
    status = process_status(run_dir=tmp_path / "run", endpoints=[])
    assert status.state == "stale" and f"PID {gone}, which no longer runs" in status.message
    assert status.pid == gone and status.state_dir == str(tmp_path / "state")


def test_a_live_process_is_ready_once_its_control_file_names_it(
        tmp_path: Path, record_for: Callable[..., object]) -> None:
    record_for(os.getpid())
    state = tmp_path / "state"
    status = process_status(run_dir=tmp_path / "run", endpoints=[], cpu_interval=0)
    assert status.state == "running" and status.pid == os.getpid() and not status.ready
    assert status.rss_bytes is not None and status.rss_bytes > 0
    state.mkdir()
    (state / CONTROL_FILE).write_text(json.dumps({"pid": os.getpid()}))
    assert session_pid(state) == os.getpid()
    assert process_status(run_dir=tmp_path / "run", endpoints=[], cpu_interval=0).ready
    # A control file left behind by another process does not make this one ready.
    (state / CONTROL_FILE).write_text(json.dumps({"pid": dead_pid()}))
    assert not process_status(run_dir=tmp_path / "run", endpoints=[], cpu_interval=0).ready


def test_session_pid_of_a_missing_or_broken_control_file_is_none(tmp_path: Path) -> None:
    assert session_pid(tmp_path) is None
    (tmp_path / CONTROL_FILE).write_text("{not json")
    assert session_pid(tmp_path) is None
