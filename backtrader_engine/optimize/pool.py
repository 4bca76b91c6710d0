"""Run one study on N worker processes and supervise them from the parent.

The parent starts the workers, polls the storage about once a second for progress, and:

- on Ctrl-C sets a shared stop event; workers finish their running trial and exit, so every
  finished trial is kept. A second Ctrl-C terminates them (their trials are marked FAIL);
- when a worker process dies, marks the trial it was running FAIL (found through the
  ``worker_pid``/``worker_host`` attributes) and starts a replacement while budget remains;
- on ``--timeout`` sets the same stop event.
"""

from __future__ import annotations

import multiprocessing as mp
import socket
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any, Literal

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage
from optuna.trial import TrialState

from backtrader_engine.optimize.progress import (
    ProgressLine,
    StudyProgress,
    snapshot,
    write_progress,
)
from backtrader_engine.optimize.worker import StudyTask, worker_main

POLL_SECONDS = 1.0


@dataclass
class StudyRun:
    """How one run of a study went.

    Attributes
    ----------
    first_number : int
        Trials numbered from here on were started by this run (or by other machines meanwhile).
    stopped : str or None
        ``"interrupted"`` (Ctrl-C), ``"timeout"`` or None when the budget was used up.
    events : list of str
        Worker crashes and other notable events, one line each.
    """

    study: optuna.Study
    first_number: int
    requested: int
    started_at: float
    finished_at: float = 0.0
    stopped: str | None = None
    events: list[str] = field(default_factory=list)
    progress: StudyProgress | None = None

    @property
    def duration(self) -> float:
        return max(0.0, self.finished_at - self.started_at)


def start_method() -> Literal["fork", "spawn"]:
    """``fork`` on Linux, ``spawn`` elsewhere.

    A forked worker starts in milliseconds with every module already imported; a spawned one
    re-imports pandas, backtrader and optuna first (about a second each), which on a short
    study is a visible share of the wall time. Workers never use objects inherited from the
    parent: each opens its own storage and rebuilds its strategy from the spec, so both
    methods run the same code (and the tests cover ``spawn`` too).
    """
    return "fork" if sys.platform.startswith("linux") else "spawn"


class WorkerPool:
    """The worker processes of one study, their shared budget and stop event."""

    def __init__(self, task: StudyTask, n_jobs: int, trials: int, storage: BaseStorage) -> None:
        # Each method named literally: the type checker then knows the context has a Process.
        self.ctx = mp.get_context("fork") if start_method() == "fork" else mp.get_context("spawn")
        self.task = task
        self.n_jobs = max(1, min(n_jobs, trials))
        self.tickets = self.ctx.Value("i", trials)
        self.stop = self.ctx.Event()
        self.storage = storage
        self.host = socket.gethostname()
        self.active: list[Any] = []
        self._next_index = 0

    def spawn(self) -> Any:
        """Start one more worker (its index also offsets its sampler seed)."""
        proc = self.ctx.Process(target=worker_main, name=f"bte-optimize-{self._next_index}",
                                args=(self.task, self._next_index, self.tickets, self.stop),
                                daemon=True)
        self._next_index += 1
        proc.start()
        self.active.append(proc)
        return proc

    def start(self) -> None:
        for _ in range(self.n_jobs):
            self.spawn()

    def wait(self, timeout: float) -> None:
        """Sleep up to *timeout* seconds, waking early when a worker exits."""
        if self.active:
            wait([proc.sentinel for proc in self.active], timeout=timeout)

    def reap(self, study: optuna.Study) -> list[str]:
        """Collect exited workers; fail the trials of those that died and replace them."""
        events: list[str] = []
        for proc in [p for p in self.active if p.exitcode is not None]:
            self.active.remove(proc)
            proc.join()
            if proc.exitcode == 0:
                continue
            failed = self.fail_trials_of(study, proc.pid, f"exit code {proc.exitcode}")
            what = f"during trial {', '.join(map(str, failed))}" if failed else "outside a trial"
            note = ""
            # Only a death inside a trial is replaced: a worker that cannot even start (storage
            # unreachable) would fail again, and its replacement too, forever.
            if failed and not self.stop.is_set() and self.tickets.value > 0:
                self.spawn()
                note = "; started a replacement"
            events.append(f"worker {proc.name} (pid {proc.pid}) died with exit code "
                          f"{proc.exitcode} {what}{'; marked FAIL' if failed else ''}{note}")
        return events

    def fail_trials_of(self, study: optuna.Study, pid: int, reason: str) -> list[int]:
        """Mark FAIL the RUNNING trials the worker *pid* of this host was running."""
        failed = []
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            attrs = trial.user_attrs
            if attrs.get("worker_pid") != pid or attrs.get("worker_host") != self.host:
                continue
            try:
                self.storage.set_trial_user_attr(
                    trial._trial_id, "error", f"worker process {pid} died ({reason})")
                self.storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
            except UpdateFinishedTrialError:
                continue  # it finished just before the process died
            failed.append(trial.number)
        return failed

    def terminate(self) -> None:
        for proc in self.active:
            proc.terminate()
        for proc in self.active:
            proc.join(timeout=10)


class StudySupervisor:
    """Drives a :class:`WorkerPool` until its budget is used, reporting progress."""

    def __init__(self, pool: WorkerPool, run: StudyRun, *, timeout: float | None,
                 progress_path: Path | None, line: ProgressLine, label: str = "") -> None:
        self.pool = pool
        self.run = run
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.progress_path = progress_path
        self.line = line
        self.label = label

    def poll(self) -> StudyProgress:
        study = self.run.study
        progress = snapshot(study.get_trials(deepcopy=False), self.run.first_number,
                            self.run.requested, self.run.started_at, study.study_name)
        if self.progress_path is not None:
            write_progress(progress, self.progress_path)
        self.line.show(progress, self.label)
        self.run.progress = progress
        return progress

    def note(self, text: str) -> None:
        self.run.events.append(text)
        self.line.message(text)

    def supervise(self) -> None:
        """Poll until every worker has exited."""
        while self.pool.active:
            self.pool.wait(POLL_SECONDS)
            for event in self.pool.reap(self.run.study):
                self.note(event)
            self.poll()
            if (self.deadline is not None and time.monotonic() > self.deadline
                    and not self.pool.stop.is_set()):
                self.pool.stop.set()
                self.run.stopped = "timeout"
                self.note("timeout: no new trials; waiting for the running ones")

    def interrupted(self) -> None:
        """First Ctrl-C: let running trials finish; a second one abandons them."""
        self.run.stopped = "interrupted"
        self.pool.stop.set()
        self.note("interrupted: waiting for the running trials to finish "
                  "(Ctrl-C again to abandon them)")
        try:
            self.supervise()
        except KeyboardInterrupt:
            self.pool.terminate()
            for event in self.pool.reap(self.run.study):
                self.note(event)


def run_study(task: StudyTask, study: optuna.Study, storage: BaseStorage, *, n_jobs: int,
              trials: int, timeout: float | None = None, progress_path: Path | None = None,
              line: ProgressLine | None = None, label: str = "") -> StudyRun:
    """Run *trials* more trials of *study* on *n_jobs* worker processes.

    Parameters
    ----------
    task : StudyTask
        What every worker runs (its ``study_name`` must be *study*'s).
    study : optuna.Study
        The study, already created in *storage* by this process.
    storage : BaseStorage
        The opened storage, used to fail the trials of dead workers.
    n_jobs : int
        Worker processes (at most *trials* are started).
    trials : int
        Trials to add in this run, across all workers.
    timeout : float, optional
        Seconds after which no new trial is started.
    progress_path : Path, optional
        Where to write ``progress.json`` on every poll.
    line : ProgressLine, optional
        Terminal renderer (default: stderr).
    label : str
        Prefix of the progress line (e.g. the walk-forward window).

    Returns
    -------
    StudyRun
        Also when interrupted: ``stopped`` says so and every finished trial is in the study.
    """
    line = line or ProgressLine()
    existing = study.get_trials(deepcopy=False)
    # Trials enqueued before the run (the default params) are run, and counted, by this run.
    waiting = [t.number for t in existing if t.state == TrialState.WAITING]
    run = StudyRun(study, min(waiting, default=len(existing)), trials, time.time())
    pool = WorkerPool(task, n_jobs, trials, storage)
    supervisor = StudySupervisor(pool, run, timeout=timeout, progress_path=progress_path,
                                 line=line, label=label)
    try:
        pool.start()
        supervisor.supervise()
    except KeyboardInterrupt:
        supervisor.interrupted()
    finally:
        pool.terminate()
    run.finished_at = time.time()
    line.show(supervisor.poll(), label, final=True)
    return run
