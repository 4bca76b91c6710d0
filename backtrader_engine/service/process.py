"""Operating-system side of the runner: start the bot detached, ask it to stop, kill it.

Stopping gracefully differs by platform:

* **POSIX**: ``SIGTERM``. The ``paper`` command handles it like ``Ctrl-C``: the stream is
  drained, every strategy stops, the ledger records a ``stop`` event and the summary is
  printed.
* **Windows**: ``Process.terminate()`` is ``TerminateProcess``, a hard kill that runs no
  handler at all, and ``CTRL_BREAK_EVENT`` only reaches processes attached to the *caller's*
  console, which a detached bot stopped later from another console is not. So the manager
  writes a stop file whose path the bot was given (``paper --stop-file``) and the bot's main
  loop, which wakes every 0.2 s anyway, stops as it would on ``SIGTERM`` when the file appears.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import psutil

from backtrader_engine.service.errors import BotError
from backtrader_engine.service.pidfile import PidRecord, process_state

StopMethod = Literal["signal", "file"]

#: A bot console log above this size is moved to ``bot.log.1`` at the next start.
CONSOLE_LOG_ROTATE_BYTES = 10_000_000
#: How often :func:`wait_exit` looks for a zombie between waits.
_EXIT_POLL_S = 0.1


def default_stop_method() -> StopMethod:
    """``file`` on Windows (see the module docstring), ``signal`` (SIGTERM) elsewhere."""
    return "file" if sys.platform == "win32" else "signal"


def spawn_detached(command: Sequence[str], *, cwd: Path, log_file: Path,
                   env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start *command* in its own session / process group, detached from the terminal.

    stdin is ``/dev/null``; stdout and stderr are appended to *log_file* (rotated once to
    ``<name>.1`` when it grew beyond :data:`CONSOLE_LOG_ROTATE_BYTES`). Closing the terminal
    or pressing Ctrl-C in it after the start no longer reaches the bot.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    if log_file.exists() and log_file.stat().st_size > CONSOLE_LOG_ROTATE_BYTES:
        os.replace(log_file, log_file.with_name(log_file.name + ".1"))
    creationflags, new_session = 0, False  # Popen's defaults
    if sys.platform == "win32":
        creationflags = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.DETACHED_PROCESS
    else:
        new_session = True
    with open(log_file, "ab") as out:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"=== {stamp} starting: {' '.join(command)}\n".encode())
        out.flush()
        return subprocess.Popen(list(command), cwd=cwd, env=dict(env),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                close_fds=True, creationflags=creationflags,
                                start_new_session=new_session)


def live_process(record: PidRecord) -> psutil.Process | None:
    """The recorded bot process if it still runs (same PID *and* create time), else ``None``."""
    if process_state(record) != "running":
        return None
    try:
        return psutil.Process(record.pid)
    except psutil.NoSuchProcess:
        return None


def request_stop(process: psutil.Process, record: PidRecord, method: StopMethod) -> None:
    """Ask the bot to stop gracefully: SIGTERM, or the stop file it polls."""
    if method == "file":
        stop_file = Path(record.stop_file)
        tmp = stop_file.with_name(stop_file.name + ".tmp")
        tmp.write_text(f"stop requested by pid {os.getpid()} at {time.time():.3f}\n")
        os.replace(tmp, stop_file)
    else:
        # psutil re-checks the create time before signalling, so a PID reused since the
        # check is never signalled.
        try:
            process.send_signal(signal.SIGTERM)
        except psutil.AccessDenied:
            raise BotError(f"not allowed to signal the bot (PID {record.pid}); it belongs to "
                           "another user: stop it as that user") from None


def wait_exit(process: psutil.Process, timeout: float) -> tuple[bool, int | None]:
    """Wait up to *timeout* s for *process* to end: ``(ended, exit code if known)``.

    The exit code is known only when the caller is the bot's parent (e.g. a library caller
    that also started it); a bot started by an earlier command has been re-parented. A bot
    whose parent is another live process (the panel or a script that started it) stays a
    zombie until that parent reaps it: it has ended all the same, so a zombie counts as
    ended (``psutil``'s own wait would wait for the reaping).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return True, process.wait(min(_EXIT_POLL_S, max(0.0, deadline - time.monotonic())))
        except psutil.TimeoutExpired:
            pass
        except psutil.NoSuchProcess:
            return True, None
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                if process.ppid() != os.getpid():
                    # Another process's child: it has ended, but only its parent can reap it.
                    return True, None
                # Our own child. Its main thread shows as a zombie as soon as it returns,
                # while the process's other threads may still be finishing: only then can it
                # be reaped, which gives its exit code, so the waiting goes on until then.
                try:
                    return True, process.wait(0)
                except psutil.TimeoutExpired:
                    pass
        except psutil.NoSuchProcess:
            return True, None
        if time.monotonic() >= deadline:
            return False, None


def kill_tree(process: psutil.Process) -> None:
    """Kill *process* and any children it started (SIGKILL; TerminateProcess on Windows)."""
    try:
        children = process.children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for proc in [*children, process]:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
        except psutil.AccessDenied:
            raise BotError(f"not allowed to kill PID {proc.pid}; it belongs to another user: "
                           "stop it as that user") from None
