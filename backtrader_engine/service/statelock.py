"""One writer per paper state folder: an OS lock on ``session.lock`` inside the folder.

A paper session takes the lock before it writes anything to its ``--state`` folder (ledger,
``control.json``) and holds it until it ends. A second writer on the same folder is refused
in one line naming the holder's PID, before it has touched anything; readers (``parity``,
``bot status``, the panel, the metrics exporter, Telegram ``/status``) never take it, and
``inject`` talks to the holder over its control channel.

The lock is ``fcntl.flock`` on POSIX and ``msvcrt.locking`` on Windows, not a PID file:
the OS drops it when its holder dies, ``kill -9`` included, so a crash never leaves the
folder locked. The holder writes its PID (and where its stop file is) into the lock file
only so that the refusal can say who holds it; whether the folder is in use is decided by
the lock alone, so a PID left in the file by a killed session means nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backtrader_engine.errors import UserError

FILENAME = "session.lock"

#: Windows locks byte ranges, and a locked range cannot be read by other processes; the
#: lock sits far past the holder's few bytes of JSON so that a refused writer can still
#: read who holds it. (flock locks the whole file and leaves reading alone.)
_WINDOWS_LOCK_OFFSET = 1 << 30

#: How long a writer retries a busy lock: covers a reader probing it (``bot start``'s
#: check) and a holder that has locked the file but not yet written its PID.
DEFAULT_WAIT_S = 1.0


@dataclass(frozen=True)
class Holder:
    """What the process holding a state folder's lock wrote about itself."""

    pid: int | None
    info: Mapping[str, Any] = field(default_factory=dict)

    @property
    def stop_hint(self) -> str:
        """How to stop the holder: the bot runner's command when it is a managed bot."""
        stop_file = self.info.get("stop_file")
        if stop_file:
            run_dir = Path(str(stop_file)).parent
            if (run_dir / "bot.pid").is_file():
                return f"bte bot stop --run-dir {run_dir}"
        if self.pid is None:
            return "stop the session that uses it"
        if sys.platform == "win32":
            return "Ctrl-C in its console"
        return f"Ctrl-C in its terminal, or kill -TERM {self.pid}"


def in_use_message(state_dir: Path, holder: Holder) -> str:
    """The one line that refuses a second writer on *state_dir*."""
    who = f"paper session PID {holder.pid}" if holder.pid is not None else (
        "another paper session")
    return (f"state folder {state_dir} is in use by {who}; stop it first "
            f"({holder.stop_hint}) or choose another --state")


class StateFolderInUse(UserError):
    """A second writer on a state folder: another live process holds its lock."""

    def __init__(self, state_dir: Path, holder: Holder) -> None:
        super().__init__(in_use_message(state_dir, holder))
        self.state_dir = state_dir
        self.holder = holder


class StateLock:
    """The exclusive lock of one state folder, held from :meth:`acquire` to :meth:`release`.

    Parameters
    ----------
    state_dir
        The paper state folder (created by :meth:`acquire` if missing).
    info
        JSON-able facts about the holder written next to its PID (e.g. ``stop_file``).
    """

    def __init__(self, state_dir: Path | str, info: Mapping[str, Any] | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / FILENAME
        self.info = dict(info or {})
        self._fd: int | None = None
        self._created = False

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self, wait: float = DEFAULT_WAIT_S) -> StateLock:
        """Take the lock, retrying for *wait* seconds; then write this process's PID.

        Raises
        ------
        StateFolderInUse
            Another process holds it; nothing in the folder was changed.
        UserError
            The folder or the lock file cannot be created.
        """
        if self._fd is not None:
            return self
        deadline = time.monotonic() + wait
        created = not self.state_dir.exists()
        while True:
            fd = self._open()
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StateFolderInUse(self.state_dir, read_holder(self.path))
                time.sleep(0.05)
            if _same_file(fd, self.path):
                break
            # The holder removed the file as it let go (see release): lock the current one.
            _unlock(fd)
            os.close(fd)
        self._fd = fd
        self._created = created
        record = {"pid": os.getpid(), "started_at": time.time(), **self.info}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (json.dumps(record) + "\n").encode())
        return self

    def _open(self) -> int:
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            # O_CREAT on an existing file changes nothing in it, not even its times.
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"--state {self.state_dir}: cannot create the folder or its "
                            f"{FILENAME} ({exc}); choose a writable --state") from None

    def release(self) -> None:
        """Let the lock go (emptied first: a clean end leaves no PID behind).

        A folder this lock created and nothing else used (a command refused after taking
        it, e.g. on a metrics port in use) is removed again, so the refusal leaves nothing.
        """
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        except OSError:  # the PID left behind is harmless: the lock decides
            pass
        unused = self._created and [p.name for p in self.state_dir.iterdir()] == [FILENAME]
        if unused:
            # Removed while still locked: a writer waiting on this file finds, once it gets
            # the lock, that it is no longer the folder's lock file and starts over.
            with contextlib.suppress(OSError):
                self.path.unlink()
        _unlock(fd)
        os.close(fd)
        if unused:
            with contextlib.suppress(OSError):  # not empty any more: someone else's now
                self.state_dir.rmdir()

    def __enter__(self) -> StateLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_holder(path: Path, wait: float = DEFAULT_WAIT_S) -> Holder:
    """Who wrote *path*; waits up to *wait* s for a holder that has locked but not written."""
    deadline = time.monotonic() + wait
    while True:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("pid"), int):
                return Holder(data["pid"], data)
        except (OSError, ValueError):
            pass
        if time.monotonic() >= deadline:
            return Holder(None)
        time.sleep(0.05)


def lock_holder(state_dir: Path | str) -> Holder | None:
    """The live process holding *state_dir*'s lock, or ``None`` when the folder is free.

    Only probes: creates nothing, and takes the lock for an instant at most (a writer
    starting at that very instant retries, see :data:`DEFAULT_WAIT_S`).
    """
    path = Path(state_dir) / FILENAME
    try:
        fd = os.open(path, os.O_RDONLY if sys.platform != "win32" else os.O_RDWR)
    except OSError:  # no lock file: no session ever ran here (or not with this version)
        return None
    try:
        if _try_lock(fd):
            _unlock(fd)
            return None
    finally:
        os.close(fd)
    return read_holder(path)


def _same_file(fd: int, path: Path) -> bool:
    """Whether *fd* is still the file at *path* (not one removed since it was opened)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:  # closing the file releases it anyway
            pass
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock belongs to the open file description: two StateLocks on one folder conflict
        # even within one process, as two processes do (fcntl record locks would not).
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
