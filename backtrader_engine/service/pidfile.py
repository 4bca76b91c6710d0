"""The JSON PID file of a managed bot, its liveness checks and the run folder's lock.

The file is written atomically (a temporary file in the same folder, then ``os.replace``),
so a reader sees the old record or the new one, never a torn one. A PID alone does not
identify a process: once the bot has died the system may hand its PID to an unrelated
process. The record therefore also holds the process's *create time*; a live process with
that PID but another create time is a reused PID, and the file is stale.

:class:`PidLock` is an exclusive OS lock (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on
Windows) on ``bot.pid.lock`` next to the PID file. ``start``, ``stop`` and ``restart`` hold it
while they check and change the PID file, so two concurrent starts cannot both see "no bot"
and both launch one. The OS drops the lock when its holder dies, so a crashed manager never
leaves the run folder locked.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

import psutil

from backtrader_engine.errors import UserError
from backtrader_engine.service.errors import LockBusy

FORMAT_VERSION = 1

#: Create times of one process read twice agree to the clock tick; a reused PID belongs to a
#: process started after the old one died, so anything beyond this is another process.
CREATE_TIME_TOLERANCE_S = 0.05

ProcessState = Literal["running", "gone", "reused"]


@dataclass(frozen=True)
class PidRecord:
    """What the PID file says about the managed bot.

    Attributes
    ----------
    pid, create_time
        The bot process and its start time as the OS reports it (``psutil``), which
        together identify it even after its PID is reused.
    command
        The full command line it was started with.
    args
        The arguments passed through to ``paper`` (``restart`` reuses them).
    cwd
        Working directory the bot was started in (relative paths in *args* refer to it).
    started_at
        Wall-clock start time (Unix seconds).
    state_dir, config_dir, log_file, stop_file
        The bot's ledger folder, config folder, console log and stop-request file
        (absolute paths).
    """

    pid: int
    create_time: float
    command: list[str]
    args: list[str]
    cwd: str
    started_at: float
    state_dir: str
    config_dir: str
    log_file: str
    stop_file: str
    version: int = field(default=FORMAT_VERSION)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object, source: Path) -> PidRecord:
        """Build a record from parsed JSON, or raise :class:`UserError` naming *source*."""
        if not isinstance(data, dict):
            raise _corrupt(source, "not a JSON object")
        missing = [f.name for f in fields(cls) if f.name not in data and f.name != "version"]
        if missing:
            raise _corrupt(source, f"missing {', '.join(missing)}")
        try:
            record = cls(pid=int(data["pid"]), create_time=float(data["create_time"]),
                         command=_strings(data["command"]), args=_strings(data["args"]),
                         started_at=float(data["started_at"]),
                         **{name: str(data[name]) for name in _PATH_FIELDS},
                         version=int(data.get("version", FORMAT_VERSION)))
        except (TypeError, ValueError) as exc:
            raise _corrupt(source, f"bad value ({exc})") from None
        if record.pid <= 0:
            raise _corrupt(source, f"pid {record.pid} is not a process id")
        return record


_PATH_FIELDS = ("cwd", "state_dir", "config_dir", "log_file", "stop_file")


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list of strings, got {value!r}")
    return [str(item) for item in value]


def _corrupt(path: Path, what: str) -> UserError:
    return UserError(f"{path}: not a valid PID file ({what}); if no bot runs, delete it, "
                     "otherwise stop the bot by its PID (see 'ps') and delete it")


def write_pid_file(path: Path, record: PidRecord) -> None:
    """Write *record* to *path* atomically (temporary file, fsync, ``os.replace``)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(record.to_dict(), handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_pid_file(path: Path) -> PidRecord | None:
    """The record in *path*; ``None`` when there is no PID file.

    Raises
    ------
    UserError
        When the file cannot be read or is not a PID file (the message names the fix).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the PID file ({exc}); fix its permissions, or "
                        "delete it if no bot runs") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _corrupt(path, f"invalid JSON: {exc}") from None
    return PidRecord.from_dict(data, path)


def remove_pid_file(path: Path, record: PidRecord | None = None) -> None:
    """Delete *path*; with *record*, only if it still holds that record's process."""
    if record is not None:
        try:
            current = read_pid_file(path)
        except UserError:
            return
        if current is None or (current.pid, current.create_time) != (record.pid,
                                                                      record.create_time):
            return
    path.unlink(missing_ok=True)


def process_state(record: PidRecord) -> ProcessState:
    """Whether the recorded process still runs: ``running``, ``gone`` or ``reused``.

    A zombie (exited, not yet reaped by its parent) counts as gone; when the caller is its
    parent it is reaped here.
    """
    try:
        process = psutil.Process(record.pid)
        create_time = process.create_time()
        if process.status() == psutil.STATUS_ZOMBIE:
            _reap(record.pid)
            return "gone"
    except psutil.NoSuchProcess:
        return "gone"
    if abs(create_time - record.create_time) > CREATE_TIME_TOLERANCE_S:
        return "reused"
    return "running"


def _reap(pid: int) -> None:
    if sys.platform == "win32":
        return
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: its own parent reaps it
        pass


class PidLock:
    """Exclusive lock on *path* (created if missing), as a context manager.

    Parameters
    ----------
    path
        The lock file, e.g. ``run/bot.pid.lock``.
    timeout
        Seconds to wait for another holder to finish before giving up with
        :class:`~backtrader_engine.service.errors.LockBusy`; 0 tries once.
    """

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None

    def acquire(self) -> PidLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserError(f"{self.path}: cannot open the lock file ({exc}); check that the "
                            "run folder exists and is writable") from None
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                _lock(fd)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise LockBusy(f"another bot command holds {self.path}; wait for it to "
                                   "finish and try again") from None
                time.sleep(0.05)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            _unlock(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> PidLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        # flock locks belong to the open file description, so two PidLock objects conflict
        # even inside one process (fcntl/lockf record locks would not).
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
