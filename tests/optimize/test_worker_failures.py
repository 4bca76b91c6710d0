"""A worker process that dies mid-trial, and a trial that raises, do not stop the study."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRIALS = 8


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_crash_and_error_fail_one_trial_each(cli, tmp_path, monkeypatch, method):
    # Linux workers fork; macOS and Windows spawn them. Both must behave the same.
    monkeypatch.setattr("backtrader_engine.optimize.pool.start_method", lambda: method)
    crash, boom = tmp_path / "crash.marker", tmp_path / "raise.marker"
    crash.touch()
    boom.touch()
    out = tmp_path / "out"
    result = cli("optimize", "--strategy", f"{FIXTURES / 'faulty_strategy.py'}:FaultySmaCross",
                 "--n-jobs", "2", "--trials", str(TRIALS), "--from", "2018-01-01",
                 "--to", "2018-02-28", "--min-trades", "1", "--no-plots", "--out", str(out),
                 "--param", f"crash_marker={crash}", "--param", f"raise_marker={boom}")
    assert result.code == 0, result.err
    assert not crash.exists() and not boom.exists()  # both markers were claimed
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == TRIALS  # the crashed trial counts against the budget
    failed = trials[trials["state"] == "FAIL"]
    assert len(failed) == 2
    assert (trials["state"] == "COMPLETE").sum() == TRIALS - 2
    errors = sorted(failed["user_attrs_error"])
    # The strategy's own error, in the short form: what, when, and its file and line.
    assert errors[0].startswith("FaultySmaCross raised ValueError: raise marker found while "
                                "building (")
    assert errors[0].endswith("faulty_strategy.py:39)")
    assert errors[1].startswith("worker process ") and "died (exit code 3)" in errors[1]
    summary = json.loads((out / "optimization_summary.json").read_text())
    assert summary["trials"]["failed"] == 2 and summary["status"] == "finished"
    assert any("died with exit code 3" in event for event in summary["events"])
    assert "died with exit code 3" in result.err
    assert summary["best"] is not None and summary["reproduces_best_trial"] is True
