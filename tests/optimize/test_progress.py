"""Progress snapshots, progress.json and the terminal line (in place on a TTY, else plain)."""

from __future__ import annotations

import io
import json

from optuna.distributions import IntDistribution
from optuna.trial import TrialState, create_trial

from backtrader_engine.optimize import PENALTY, StudyProgress
from backtrader_engine.optimize.progress import (
    ProgressLine,
    format_progress,
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
    assert progress.best_value == 9.0 and progress.trials_total == 10
    assert progress.study_name == "s"


def test_rate_and_eta():
    progress = StudyProgress(4, 10, 1.5, 2, 0, started_at=100.0, updated_at=108.0)
    assert progress.rate == 0.5 and progress.eta_seconds == 12.0
    text = format_progress(progress, "wf 1/2")
    assert text == ("wf 1/2 trials 4/10 | best 1.5 | 0.50 trials/s | ETA 00:12 | running 2 | "
                    "failed 0")
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
