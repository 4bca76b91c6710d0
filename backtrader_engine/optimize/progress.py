"""Progress of a running study: a snapshot type, ``progress.json`` and a terminal line.

The parent process polls the study's storage about once a second, builds a
:class:`StudyProgress`, writes it atomically to ``DIR/progress.json`` (for a metrics exporter or
any other reader) and shows it: on a terminal as a bar redrawn in place every poll, on a file or
a pipe as a plain line every ``--progress-every`` seconds (default 5), so a log gets a steady
heartbeat without a line per poll.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TextIO

from optuna.trial import FrozenTrial, TrialState

from backtrader_engine.optimize.choices import PROGRESS_EVERY
from backtrader_engine.optimize.objectives import is_penalised

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
#: Characters of the terminal progress bar.
BAR_WIDTH = 20


@dataclass(frozen=True)
class StudyProgress:
    """One poll of a study.

    Attributes
    ----------
    trials_done : int
        Trials of this run that finished (complete, pruned or failed).
    trials_total : int
        Trials this run was asked for (``--trials``).
    best_value : float or None
        Best unpenalised value in the whole study so far.
    running : int
        Trials running now.
    failed : int
        Failed trials of this run.
    pruned : int
        Pruned trials of this run (``--pruner``).
    started_at : float
        When this run started (Unix time).
    study_name : str
        The study polled.
    updated_at : float
        When this snapshot was taken (Unix time).
    pruned : int
        Pruned trials of this run.
    """

    trials_done: int
    trials_total: int
    best_value: float | None
    running: int
    failed: int
    started_at: float
    study_name: str = ""
    updated_at: float = 0.0
    pruned: int = 0

    @property
    def elapsed(self) -> float:
        return max(0.0, self.updated_at - self.started_at)

    @property
    def rate(self) -> float | None:
        """Finished trials per second of this run, None before the first one."""
        return self.trials_done / self.elapsed if self.trials_done and self.elapsed > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rate
        if rate is None:
            return None
        return max(0, self.trials_total - self.trials_done) / rate


def snapshot(trials: Sequence[FrozenTrial], first_number: int, total: int, started_at: float,
             study_name: str = "") -> StudyProgress:
    """Summarise *trials*; those numbered from *first_number* on belong to this run."""
    done = failed = running = pruned = 0
    best: float | None = None
    for trial in trials:
        if trial.state == TrialState.RUNNING:
            running += 1
        elif trial.number >= first_number and trial.state in FINISHED:
            done += 1
            failed += trial.state == TrialState.FAIL
            pruned += trial.state == TrialState.PRUNED
        # A study of several metrics has no single best value to show.
        value = trial.values[0] if trial.values is not None and len(trial.values) == 1 else None
        if (trial.state == TrialState.COMPLETE and "penalty_reason" not in trial.user_attrs
                and value is not None and not is_penalised(value)
                and (best is None or value > best)):
            best = value
    return StudyProgress(done, total, best, running, failed, started_at, study_name, time.time(),
                         pruned)


def write_progress(progress: StudyProgress, path: Path) -> None:
    """Write *progress* to *path* atomically: a reader never sees a half-written file."""
    data = asdict(progress)
    data["trials_per_second"] = progress.rate
    data["eta_seconds"] = progress.eta_seconds
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data) + "\n")
    os.replace(tmp, path)


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes = f"{rest // 60:02d}:{rest % 60:02d}"
    return f"{hours}:{minutes}" if hours else minutes


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#####...............]``: *done* of *total* as *width* characters."""
    filled = width if total <= 0 else min(width, done * width // total)
    return f"[{'#' * filled}{'.' * (width - filled)}]"


def format_progress(progress: StudyProgress, label: str = "", *, bar: bool = False) -> str:
    """``trials 12/20 | best 1.234 | 0.57 trials/s | ETA 00:14 | running 2 | pruned 0 |
    failed 0``, after a :func:`progress_bar` when *bar*."""
    best = "n/a" if progress.best_value is None else f"{progress.best_value:.6g}"
    rate = "-" if progress.rate is None else f"{progress.rate:.2f}"
    prefix = f"{label} " if label else ""
    if bar:
        prefix += progress_bar(progress.trials_done, progress.trials_total) + " "
    return (f"{prefix}trials {progress.trials_done}/{progress.trials_total} | best {best} | "
            f"{rate} trials/s | ETA {_duration(progress.eta_seconds)} | "
            f"running {progress.running} | pruned {progress.pruned} | failed {progress.failed}")


class ProgressLine:
    """Renders progress on *stream*: redrawn in place on a terminal, else every *every* s.

    Parameters
    ----------
    stream : TextIO, optional
        Where to write (default stderr); a terminal if its ``isatty()`` says so.
    every : float
        Seconds between two plain lines on a non-terminal stream.
    clock : callable, optional
        Monotonic seconds (default :func:`time.monotonic`; tests pass a fake one).
    """

    def __init__(self, stream: TextIO | None = None, every: float = PROGRESS_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self.clock = clock
        self._last_plain: float | None = None  # monotonic() of the last plain line
        self._last_text = ""
        self._drawn = False

    def update(self, text: str, *, force: bool = False) -> None:
        """Show *text* (a plain line at most every ``every`` seconds unless *force*)."""
        if self.tty:
            self.stream.write("\r\x1b[2K" + text)
            self.stream.flush()
            self._drawn = True
            return
        now = self.clock()
        # The first line always shows: monotonic() counts from boot, so a machine up for
        # less than *every* seconds would otherwise hide it.
        due = self._last_plain is None or now - self._last_plain >= self.every
        # A due line prints even when nothing changed (a heartbeat while a long trial runs);
        # a forced one only when it says something new (the final line often repeats the
        # last poll's).
        if due or (force and text != self._last_text):
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last_plain, self._last_text = now, text

    def show(self, progress: StudyProgress, label: str = "", *, final: bool = False) -> None:
        """Show *progress*: with a bar on a terminal; *final* leaves it on screen."""
        text = format_progress(progress, label, bar=self.tty)
        if final:
            self.close(text)
        else:
            self.update(text)

    def message(self, text: str) -> None:
        """Print a line of its own without garbling the progress line."""
        if self.tty and self._drawn:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        self.stream.flush()
        self._drawn = False

    def close(self, text: str | None = None) -> None:
        """Leave the final state on screen and end the line."""
        if text is not None:
            self.update(text, force=True)
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
