"""Progress snapshots, progress.json and the terminal line (in place on a TTY, else plain)."""

from __future__ import annotations

import io
import json

from optuna.distributions import IntDistribution
from optuna.trial import TrialState, create_trial

from backtrader_engine.optimize import PENALTY, StudyProgress
from backtrader_engine.optimize.choices import PROGRESS_EVERY
from backtrader_engine.optimize.progress import (
    ProgressLine,
    format_progress,
    progress_bar,
    snapshot,
    write_progress,
)


def _trial(number: int, state: TrialState, value: float | None = None, penalised: bool = False):
    trial = create_trial(params={"x": number}, distributions={"x": IntDistribution(0, 99)},
                         value=value, state=state,
                         user_attrs={"penalty_reason": "few"} if penalised else {})
    trial.number = number
    return trial


def test_snapshot_counts_this_runs_trials_and_the_studys_best():
    trials = [_trial(0, TrialState.COMPLETE, 9.0),  # an earlier run's trial: best, not done
              _trial(1, TrialState.COMPLETE, 2.0), _trial(2, TrialState.FAIL),
              _trial(3, TrialState.COMPLETE, PENALTY + 1, penalised=True),
              _trial(4, TrialState.RUNNING), _trial(5, TrialState.PRUNED)]
    progress = snapshot(trials, first_number=1, total=10, started_at=100.0, study_name="s")
    assert (progress.trials_done, progress.failed, progress.running) == (4, 1, 1)
    assert progress.pruned == 1
    assert progress.best_value == 9.0 and progress.trials_total == 10
    assert progress.study_name == "s"


def test_rate_and_eta():
    progress = StudyProgress(4, 10, 1.5, 2, 0, started_at=100.0, updated_at=108.0)
    assert progress.rate == 0.5 and progress.eta_seconds == 12.0
    text = format_progress(progress, "wf 1/2")
    assert text == ("wf 1/2 trials 4/10 | best 1.5 | 0.50 trials/s | ETA 00:12 | running 2 | "
                    "pruned 0 | failed 0")
    empty = StudyProgress(0, 10, None, 0, 0, started_at=100.0, updated_at=100.5)
    assert empty.rate is None and "best n/a" in format_progress(empty)
    assert "ETA --:--" in format_progress(empty)


def test_progress_json_is_written_whole(tmp_path):
    path = tmp_path / "progress.json"
    write_progress(StudyProgress(3, 8, 0.7, 1, 0, started_at=10.0, updated_at=16.0), path)
    data = json.loads(path.read_text())
    assert data["trials_done"] == 3 and data["trials_total"] == 8 and data["best_value"] == 0.7
    assert data["running"] == 1 and data["failed"] == 0 and data["started_at"] == 10.0
    assert data["trials_per_second"] == 0.5 and data["eta_seconds"] == 10.0
    assert [p.name for p in tmp_path.iterdir()] == ["progress.json"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_line_redraws_in_place():
    stream = _Terminal()
    line = ProgressLine(stream)
    line.update("trials 1/4")
    line.update("trials 2/4")
    line.message("worker died")
    line.close("trials 4/4")
    text = stream.getvalue()
    assert text.count("\r\x1b[2K") == 4
    assert "\n" not in text.split("worker died")[0]  # no new line per update
    assert text.endswith("trials 4/4\n")


def test_plain_output_prints_periodic_lines():
    stream = io.StringIO()
    line = ProgressLine(stream, every=3600)
    line.update("trials 1/4")
    line.update("trials 2/4")  # within the period: not printed
    line.close("trials 4/4")
    assert stream.getvalue() == "trials 1/4\ntrials 4/4\n"
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _progress(done: int, pruned: int = 0, failed: int = 0) -> StudyProgress:
    return StudyProgress(done, 40, 1.25, 2, failed, started_at=0.0, study_name="s",
                         updated_at=float(done), pruned=pruned)


def test_bar_fills_with_the_trials_done():
    assert progress_bar(0, 40) == "[" + "." * 20 + "]"
    assert progress_bar(12, 40) == "[" + "#" * 6 + "." * 14 + "]"
    assert progress_bar(40, 40) == "[" + "#" * 20 + "]"
    assert progress_bar(45, 40) == "[" + "#" * 20 + "]"  # more done than asked (resumed runs)


def test_pruned_trials_are_counted_and_shown():
    text = format_progress(_progress(12, pruned=3, failed=1))
    assert "trials 12/40" in text and "pruned 3" in text and "failed 1" in text


def test_terminal_shows_a_bar_redrawn_in_place():
    stream = _Terminal()
    line = ProgressLine(stream, clock=_Clock())
    for done in (1, 2, 12):
        line.show(_progress(done, pruned=1))
    line.show(_progress(40), final=True)
    text = stream.getvalue()
    frames = text.split("\r\x1b[2K")[1:]
    assert len(frames) == 4 and text.count("\n") == 1 and text.endswith("\n")
    assert frames[2].startswith("[######..............] trials 12/40 | best 1.25")
    assert "pruned 1" in frames[2]
    assert frames[3].startswith("[####################] trials 40/40")


def test_plain_output_prints_a_line_every_period_not_every_poll():
    stream, clock = io.StringIO(), _Clock()
    line = ProgressLine(stream, every=5.0, clock=clock)
    for second in range(12):  # one poll a second, as the supervisor polls
        clock.now = 1000.0 + second
        line.show(_progress(second + 1))
    line.show(_progress(40), final=True)
    lines = stream.getvalue().splitlines()
    # Seconds 0, 5 and 10, then the final state: a heartbeat, neither a flood nor silence.
    assert [ln.split(" |")[0] for ln in lines] == ["trials 1/40", "trials 6/40", "trials 11/40",
                                                   "trials 40/40"]
    assert not any(ln.startswith("[") for ln in lines)  # no bar in a log file
    assert "\r" not in stream.getvalue() and "\x1b" not in stream.getvalue()


def test_plain_output_default_period_and_no_repeated_final_line():
    assert ProgressLine(io.StringIO()).every == PROGRESS_EVERY == 5.0
    stream = io.StringIO()
    line = ProgressLine(stream, clock=_Clock())
    line.show(_progress(40))
    line.show(_progress(40), final=True)
    assert stream.getvalue().count("trials 40/40") == 1


def test_plain_output_keeps_a_heartbeat_while_nothing_changes():
    stream, clock = io.StringIO(), _Clock()
    line = ProgressLine(stream, every=5.0, clock=clock)
    for second in range(11):  # a long first trial: the same snapshot every poll
        clock.now = 1000.0 + second
        line.show(_progress(0))
    assert stream.getvalue().count("trials 0/40") == 3  # seconds 0, 5 and 10
