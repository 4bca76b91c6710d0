"""``--pruner``: checkpoint reports during a trial's backtest, pruned trials and their exclusion.

The study runs are RSIEMAMomentum on four months of the bundled 1h candles, on one worker with
a fixed seed (reproducible), with a few trials each.
"""

from __future__ import annotations

import json
from dataclasses import replace

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from backtrader_engine.data import default_dataset, load_ohlcv
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.optimize.objectives import evaluate
from backtrader_engine.optimize.pruning import (
    CHECKPOINTS,
    Checkpoints,
    checkpoint_analyzers,
    checkpoint_bars,
    make_pruner,
)
from backtrader_engine.optimize.storage import open_storage
from backtrader_engine.strategies import resolve_strategy
from tests.conftest import run_cli

STRATEGY = "RSIEMAMomentumStrategy"
RANGE = ("--from", "2018-01-01", "--to", "2018-04-30")


@pytest.fixture(scope="module")
def request_() -> BacktestRequest:
    frame = load_ohlcv(default_dataset()).loc["2018-01-01":"2018-03-31"]
    return BacktestRequest(strategy=resolve_strategy(STRATEGY), frame=frame, timeframe="1h")


def _checkpoints(request: BacktestRequest, seen: list) -> list:
    return [(Checkpoints, {"request": request, "every": checkpoint_bars(len(request.frame)),
                           "report": lambda step, metrics, bars: seen.append(
                               (step, metrics, bars))})]


def test_checkpoint_metrics_are_those_of_the_bars_run_so_far(request_):
    seen: list = []
    run_backtest(request_, analyzers=_checkpoints(request_, seen))
    every = checkpoint_bars(len(request_.frame))
    assert [(step, bars) for step, _, bars in seen] == [
        (k, k * every) for k in range(1, CHECKPOINTS)]
    for step, metrics, bars in (seen[1], seen[6]):
        cut = run_backtest(replace(request_, frame=request_.frame.iloc[:bars]))
        assert metrics == cut.metrics, step
        assert metrics["trades"] > 0


def test_checkpoints_leave_the_backtest_unchanged(request_):
    seen: list = []
    watched = run_backtest(request_, analyzers=_checkpoints(request_, seen))
    plain = run_backtest(request_)
    assert seen and watched.metrics == plain.metrics
    pd.testing.assert_frame_equal(watched.equity, plain.equity)


def test_pruner_none_adds_no_checkpoint(request_):
    study = optuna.create_study(direction="maximize")
    trial = study.ask()
    assert checkpoint_analyzers(trial, request_, "none", "rmd", 5) == []
    assert len(checkpoint_analyzers(trial, request_, "median", "rmd", 5)) == 1


def test_a_pruned_report_stops_the_backtest(request_):
    class AlwaysPrune(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            return True

    study = optuna.create_study(direction="maximize", pruner=AlwaysPrune())
    trial = study.ask()
    analyzers = checkpoint_analyzers(trial, request_, "median", "rmd", 5)
    with pytest.raises(optuna.TrialPruned, match="checkpoint 1 of"):
        evaluate(request_, {}, "rmd", 5, analyzers=analyzers)
    assert list(study.trials[0].intermediate_values) == [1]


def test_pruner_choices_map_to_optuna_pruners():
    assert isinstance(make_pruner("median"), optuna.pruners.MedianPruner)
    assert isinstance(make_pruner("hyperband"), optuna.pruners.HyperbandPruner)
    assert isinstance(make_pruner("none"), optuna.pruners.NopPruner)


def _study(out):
    storage = open_storage(str(out / "study.journal"))
    return optuna.load_study(study_name="p", storage=storage)


@pytest.fixture(scope="module")
def median_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pruned") / "study"
    result = run_cli("optimize", "--strategy", STRATEGY, "--trials", "14", *RANGE,
                        "--min-trades", "5", "--seed", "3", "--pruner", "median",
                        "--study-name", "p", "--out", str(out), "--no-plots")
    assert result.code == 0, result.err
    return out, result


def test_median_pruner_prunes_trials_that_report_at_checkpoints(median_run):
    out, result = median_run
    trials = _study(out).get_trials()
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert pruned and complete and len(pruned) + len(complete) == 14
    for trial in pruned:
        assert trial.intermediate_values
        assert max(trial.intermediate_values) < CHECKPOINTS
        assert "metrics" not in trial.user_attrs
    # The median pruner waits for 5 finished trials and 3 checkpoints.
    assert all(t.number >= 5 for t in pruned)
    assert all(min(t.intermediate_values) == 1 for t in complete)
    summary = json.loads((out / "optimization_summary.json").read_text())
    assert summary["pruner"] == "median"
    assert summary["trials"]["pruned"] == len(pruned)
    assert f"{len(pruned)} pruned" in result.out
    assert f"pruned {len(pruned)}" in result.err  # the progress line
    progress = json.loads((out / "progress.json").read_text())
    assert progress["pruned"] == len(pruned)


def test_the_best_is_a_complete_trial_and_reproduces(median_run):
    out, result = median_run
    summary = json.loads((out / "optimization_summary.json").read_text())
    states = {t.number: t.state for t in _study(out).get_trials()}
    assert states[summary["best"]["trial"]] == TrialState.COMPLETE
    assert summary["reproduces_best_trial"] is True
    assert "reproduced exactly" in result.out


def test_pruned_trials_are_left_out_of_dsr_and_pbo(median_run):
    out, _ = median_run
    summary = json.loads((out / "optimization_summary.json").read_text())
    complete = summary["trials"]["complete"] - summary["trials"]["penalised"]
    assert summary["trials"]["pruned"] > 0
    assert summary["dsr"]["n_trials"] == complete
    assert summary["pbo"]["n_trials"] == complete


def test_hyperband_runs_across_two_workers(tmp_path, cli):
    out = tmp_path / "hb"
    result = cli("optimize", "--strategy", STRATEGY, "--trials", "8", "--n-jobs", "2", *RANGE,
                 "--min-trades", "5", "--seed", "1", "--pruner", "hyperband",
                 "--study-name", "p", "--out", str(out), "--no-plots")
    assert result.code == 0, result.err
    trials = _study(out).get_trials()
    assert len(trials) == 8
    assert len({t.user_attrs["worker_pid"] for t in trials}) == 2
    assert all(t.intermediate_values for t in trials)
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)


def test_pruner_none_reports_nothing(tmp_path, cli):
    out = tmp_path / "none"
    result = cli("optimize", "--strategy", STRATEGY, "--trials", "4", *RANGE,
                 "--min-trades", "5", "--seed", "3", "--study-name", "p", "--out", str(out),
                 "--no-plots")
    assert result.code == 0, result.err
    trials = _study(out).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert not any(t.intermediate_values for t in trials)
    assert json.loads((out / "optimization_summary.json").read_text())["pruner"] == "none"
    assert not (out / "pareto.json").exists()


def test_unknown_pruner_is_refused(tmp_path, cli, one_clear_line):
    line = one_clear_line(cli("optimize", "--strategy", STRATEGY, "--pruner", "medain",
                              "--out", str(tmp_path / "x")))
    assert line.startswith("error: --pruner 'medain' is not a pruner; expected one of none, "
                           "median, hyperband")
    assert not (tmp_path / "x").exists()
