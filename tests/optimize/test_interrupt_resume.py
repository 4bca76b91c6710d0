"""Ctrl-C keeps every finished trial and writes the summary; the same study name continues."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
from optuna.trial import TrialState

from backtrader_engine.optimize.storage import open_storage

ROOT = Path(__file__).resolve().parents[2]
STUDY = "resumable"


def _command(out: Path, trials: int) -> list[str]:
    return [sys.executable, "optimize.py", "--strategy", "RSIEMAMomentumStrategy", "--n-jobs",
            "2", "--trials", str(trials), "--from", "2018-01-01", "--to", "2018-04-30",
            "--min-trades", "5", "--study-name", STUDY, "--out", str(out), "--no-plots"]


def _wait_for_trials(out: Path, proc: subprocess.Popen, count: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if json.loads((out / "progress.json").read_text())["trials_done"] >= count:
                return
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"no {count} finished trials within {limit} s")


def _trials(out: Path) -> list[optuna.trial.FrozenTrial]:
    storage = open_storage(str(out / "study.journal"))
    return optuna.load_study(study_name=STUDY, storage=storage).trials


def test_sigint_keeps_finished_trials_and_the_study_resumes(tmp_path):
    out = tmp_path / "out"
    # A shell or CI runner may start this test with SIGINT ignored, which the child would
    # inherit; restore the default so Python turns it into KeyboardInterrupt.
    proc = subprocess.Popen(_command(out, 200), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        _wait_for_trials(out, proc, 3, limit=120)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert "status   interrupted" in stdout

    summary = json.loads((out / "optimization_summary.json").read_text())
    first = _trials(out)
    assert summary["status"] == "interrupted"
    assert 3 <= len(first) < 200
    # Running trials were allowed to finish: nothing was left RUNNING or failed.
    assert {t.state for t in first} == {TrialState.COMPLETE}
    assert summary["trials"]["complete"] == len(first)
    assert summary["best"] is not None and summary["reproduces_best_trial"] is True

    again = subprocess.run(_command(out, 3), cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    second = _trials(out)
    assert len(second) == len(first) + 3
    assert [(t.number, t.params, t.value) for t in second[:len(first)]] == \
        [(t.number, t.params, t.value) for t in first]
    summary = json.loads((out / "optimization_summary.json").read_text())
    assert summary["trials_this_run"] == 3 and summary["trials"]["total"] == len(first) + 3
