"""Start, stop and restart the paper bot as a detached, PID-managed process.

These are the library functions behind ``bot start|stop|force-stop|restart`` (the CLI, the
``executables/`` scripts, the Streamlit panel and the Telegram bot all call them). Every
function takes the run folder (:mod:`.paths`; default ``./run``) that holds the PID file,
its lock and the bot's logs; one run folder manages one bot. The ``paper`` arguments a bot
runs with are checked by the caller's :data:`~.bot_command.PaperCheck`: the service knows
nothing of ``paper``'s options.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import psutil

import backtrader_engine
from backtrader_engine.errors import UserError
from backtrader_engine.service.bot_command import PaperCheck, PaperCommand
from backtrader_engine.service.errors import BotAlreadyRunning, BotError, LockBusy
from backtrader_engine.service.logtail import tail_lines
from backtrader_engine.service.paths import RunPaths
from backtrader_engine.service.pidfile import (
    PidLock,
    PidRecord,
    process_state,
    read_pid_file,
    remove_pid_file,
    write_pid_file,
)
from backtrader_engine.service.process import (
    StopMethod,
    default_stop_method,
    kill_tree,
    live_process,
    request_stop,
    spawn_detached,
    wait_exit,
)
from backtrader_engine.service.session import check_state_free, session_pid

StopOutcome = Literal["stopped", "killed", "not running", "stale"]


@dataclass(frozen=True)
class BotProcess:
    """A bot that ``start_bot`` launched.

    Attributes
    ----------
    record
        What was written to the PID file.
    ready
        ``True`` once the session finished its start-up (warm-up, catch-up) and opened its
        control channel; ``False`` if it was still starting when the wait ended.
    recovered
        A note when a stale PID file (dead or reused PID) was replaced, else ``None``.
    """

    record: PidRecord
    ready: bool
    recovered: str | None = None

    @property
    def pid(self) -> int:
        return self.record.pid

    def to_dict(self) -> dict[str, Any]:
        return {"pid": self.pid, "ready": self.ready, "recovered": self.recovered,
                **{k: v for k, v in self.record.to_dict().items() if k != "pid"}}


@dataclass(frozen=True)
class StopResult:
    """What ``stop_bot`` / ``force_stop`` did.

    Attributes
    ----------
    pid
        The bot's PID (``None`` when there was no PID file).
    outcome
        ``stopped`` (graceful), ``killed`` (force-stop had to kill it), ``not running``
        (no PID file) or ``stale`` (the PID file named a dead or reused PID; removed).
    exit_code
        The bot's exit code when known (only to the process that started it).
    seconds
        Time from the stop request to the process's end.
    message
        One human-readable line.
    """

    pid: int | None
    outcome: StopOutcome
    exit_code: int | None
    seconds: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def start_bot(args: Sequence[str] = (), *, check: PaperCheck,
              run_dir: Path | str | None = None, cwd: Path | str | None = None,
              ready_timeout: float = 20.0, lock_timeout: float = 5.0,
              env: Mapping[str, str] | None = None) -> BotProcess:
    """Start ``python -m backtrader_engine paper ARGS`` detached and PID-managed.

    Parameters
    ----------
    args
        Passed through to ``paper`` (e.g. ``["--source", "replay", "--state", "DIR"]``; a
        leading ``"--"`` is dropped). Without them ``paper`` runs on its defaults:
        ``strategies_config.json``'s enabled strategies on Bybit, ledger in state/paper.
    check
        Checks *args* with ``paper``'s rules and builds the command line, before anything
        is created (``backtrader_engine.commands.bot_paper_args.paper_command``).
    run_dir
        The run folder (default ``./run``), created if missing.
    cwd
        Working directory of the bot (default: the current one).
    ready_timeout
        Seconds to wait for the session to finish starting; a bot still starting then is
        returned with ``ready=False``.
    lock_timeout
        Seconds to wait for another start/stop on the same run folder.
    env
        Environment of the bot (default: this process's).

    Raises
    ------
    UserError
        Arguments ``paper`` would refuse (exit code 2).
    BotAlreadyRunning
        A live bot owns the run folder, or a live session uses the state folder.
    BotError
        The bot exited during start-up (the message holds its exit code and last log lines).
    """
    paths = RunPaths.of(run_dir)
    workdir = Path(cwd if cwd is not None else os.getcwd()).resolve()
    command = check(args, paths, workdir)
    try:
        paths.run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"run folder {paths.run_dir}: cannot create it ({exc}); pass a "
                        "writable --run-dir") from None
    with _locked(paths, lock_timeout):
        recovered = _clear_stale_pid_file(paths)
        check_state_free(command.state_dir)
        return _launch(command, paths, workdir, ready_timeout, env, recovered)


def stop_bot(*, run_dir: Path | str | None = None, timeout: float = 30.0,
             method: StopMethod | None = None, lock_timeout: float = 5.0) -> StopResult:
    """Stop the bot gracefully: SIGTERM (a stop file on Windows), then wait *timeout* s.

    The bot drains its stream, stops every strategy, records a ``stop`` event in its ledger
    and prints its summary. Stopping when no bot runs is not an error (``not running``).

    Raises
    ------
    BotError
        The bot did not end within *timeout* (it keeps running; see :func:`force_stop`).
    """
    return _stop(RunPaths.of(run_dir), timeout, method, force=False, lock_timeout=lock_timeout)


def force_stop(*, run_dir: Path | str | None = None, timeout: float = 10.0,
               method: StopMethod | None = None, lock_timeout: float = 5.0) -> StopResult:
    """Like :func:`stop_bot`, but kill the bot (SIGKILL) if it has not ended after *timeout* s.

    A killed bot loses nothing committed: the paper ledger is crash-safe and the next start
    on the same ``--state`` re-derives any output the kill interrupted.
    """
    return _stop(RunPaths.of(run_dir), timeout, method, force=True, lock_timeout=lock_timeout)


def restart_bot(args: Sequence[str] | None = None, *, check: PaperCheck,
                run_dir: Path | str | None = None, timeout: float = 30.0,
                ready_timeout: float = 20.0, env: Mapping[str, str] | None = None
                ) -> BotProcess:
    """Stop the bot gracefully (if it runs) and start it again.

    Parameters
    ----------
    args
        New ``paper`` arguments; ``None`` reuses the running bot's arguments and working
        directory (or starts with the defaults when no PID file is left). They are checked
        before the running bot is stopped.
    check
        As for :func:`start_bot`.
    """
    paths = RunPaths.of(run_dir)
    record = read_pid_file(paths.pid_file)
    cwd = Path(record.cwd) if record is not None and args is None else Path(os.getcwd())
    if args is None:
        args = record.args if record is not None else []
    check(args, paths, cwd)  # a typo must not cost the running bot
    stop_bot(run_dir=paths.run_dir, timeout=timeout)
    return start_bot(args, check=check, run_dir=paths.run_dir, cwd=cwd,
                     ready_timeout=ready_timeout, env=env)


@contextlib.contextmanager
def _locked(paths: RunPaths, timeout: float) -> Iterator[None]:
    try:
        lock = PidLock(paths.lock_file, timeout).acquire()
    except LockBusy:
        # Most often a concurrent start that has already launched its bot: name it.
        record = read_pid_file(paths.pid_file)
        if record is not None and process_state(record) == "running":
            raise BotAlreadyRunning(_running_message(record), record.pid) from None
        raise
    try:
        yield
    finally:
        lock.release()


def _running_message(record: PidRecord) -> str:
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.started_at))
    return (f"the bot is already running (PID {record.pid}, started {since}, state "
            f"{record.state_dir}); stop it with 'bot stop' or use another --run-dir")


def _clear_stale_pid_file(paths: RunPaths) -> str | None:
    record = read_pid_file(paths.pid_file)
    if record is None:
        return None
    state = process_state(record)
    if state == "running":
        raise BotAlreadyRunning(_running_message(record), record.pid)
    remove_pid_file(paths.pid_file)
    why = "no longer runs" if state == "gone" else "now belongs to another process"
    return f"removed a stale PID file: PID {record.pid} {why}"


def _child_env(env: Mapping[str, str] | None) -> dict[str, str]:
    child = dict(os.environ if env is None else env)
    # Unbuffered, so the console log shows what happened right up to a crash; and the
    # package importable even when it is run from a checkout that was never installed.
    child["PYTHONUNBUFFERED"] = "1"
    root = str(Path(backtrader_engine.__file__).resolve().parents[1])
    child["PYTHONPATH"] = os.pathsep.join(p for p in (root, child.get("PYTHONPATH")) if p)
    return child


def _launch(command: PaperCommand, paths: RunPaths, cwd: Path, ready_timeout: float,
            env: Mapping[str, str] | None, recovered: str | None) -> BotProcess:
    command.stop_file.unlink(missing_ok=True)  # a leftover request would stop it at once
    proc = spawn_detached(command.command, cwd=cwd, log_file=paths.console_log,
                          env=_child_env(env))
    try:
        create_time = psutil.Process(proc.pid).create_time()
    except psutil.NoSuchProcess:  # already gone: _wait_ready reports why
        create_time = time.time()
    record = PidRecord(pid=proc.pid, create_time=create_time, command=command.command,
                       args=command.args, cwd=str(cwd), started_at=time.time(),
                       state_dir=str(command.state_dir),
                       config_dir=str(command.config_dir), log_file=str(paths.console_log),
                       stop_file=str(command.stop_file))
    write_pid_file(paths.pid_file, record)
    ready = _wait_ready(proc, record, paths, ready_timeout)
    return BotProcess(record, ready, recovered)


def _wait_ready(proc: subprocess.Popen[bytes], record: PidRecord, paths: RunPaths,
                timeout: float) -> bool:
    """Poll until the session's control channel is up (ready) or the process has ended."""
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            remove_pid_file(paths.pid_file, record)
            tail = "\n  ".join(tail_lines(paths.console_log, 10, since_marker="=== "))
            raise BotError(f"the bot exited with code {code} during start-up; last lines of "
                           f"{paths.console_log}:\n  {tail}")
        if session_pid(Path(record.state_dir)) == proc.pid:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def _stop(paths: RunPaths, timeout: float, method: StopMethod | None, *, force: bool,
          lock_timeout: float) -> StopResult:
    not_running = StopResult(None, "not running", None, 0.0,
                             f"no bot running (no PID file {paths.pid_file})")
    if not paths.run_dir.is_dir():  # nothing was ever started here
        return not_running
    with PidLock(paths.lock_file, lock_timeout):
        record = read_pid_file(paths.pid_file)
        if record is None:
            return not_running
        process = live_process(record)
        if process is None:
            remove_pid_file(paths.pid_file, record)
            return StopResult(record.pid, "stale", None, 0.0,
                              f"the bot (PID {record.pid}) was not running; removed its stale "
                              "PID file")
        started = time.monotonic()
        request_stop(process, record, method or default_stop_method())
        ended, code = wait_exit(process, timeout)
        outcome: StopOutcome = "stopped"
        if not ended:
            if not force:
                raise BotError(f"the bot (PID {record.pid}) did not stop within {timeout:g} s; "
                               "wait longer (--timeout) or use 'bot force-stop'")
            kill_tree(process)
            ended, code = wait_exit(process, 10.0)
            if not ended:
                raise BotError(f"the bot (PID {record.pid}) survived SIGKILL; check it with "
                               "'ps' (is it stuck in the kernel, e.g. on a dead disk?)")
            outcome = "killed"
        seconds = time.monotonic() - started
        remove_pid_file(paths.pid_file, record)
        Path(record.stop_file).unlink(missing_ok=True)
        how = ("stopped gracefully" if outcome == "stopped" else
               f"killed after not stopping within {timeout:g} s")
        code_text = f", exit code {code}" if code is not None else ""
        return StopResult(record.pid, outcome, code, seconds,
                          f"bot (PID {record.pid}) {how} in {seconds:.1f} s{code_text}")
