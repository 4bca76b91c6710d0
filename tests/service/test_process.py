"""Waiting for a bot to end: the exit code of a process this one started."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from backtrader_engine.service.process import wait_exit

# The main thread leaves (pthread_exit) while another thread is still working: the process
# shows as a zombie before it has ended, and it only ends (exit code 3) a moment later.
_LEADER_LEAVES_FIRST = textwrap.dedent("""
    import ctypes, os, threading, time
    def finish():
        time.sleep(1.0)
        os._exit(3)
    threading.Thread(target=finish).start()
    print("ready", flush=True)
    ctypes.CDLL(None).pthread_exit(None)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pthread_exit via libc")
def test_a_child_whose_main_thread_left_first_is_waited_for_until_it_ends() -> None:
    proc = subprocess.Popen([sys.executable, "-c", _LEADER_LEAVES_FIRST],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        process = psutil.Process(proc.pid)
        deadline = time.monotonic() + 5
        while process.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert process.status() == psutil.STATUS_ZOMBIE  # ...while its thread still runs
        assert wait_exit(process, 10.0) == (True, 3)
    finally:
        proc.kill()
        proc.wait()


def test_a_child_that_ends_gives_its_exit_code_and_one_that_runs_on_does_not_end() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        process = psutil.Process(proc.pid)
        assert wait_exit(process, 0.3) == (False, None)
        proc.terminate()
        assert wait_exit(process, 10.0) == (True, -15)
    finally:
        proc.kill()
        proc.wait()
