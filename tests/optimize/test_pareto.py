"""``--metric a,b``: multi-objective studies, their Pareto front, ``--pick`` and the front's files.

The study run is RSIEMAMomentum on four months of the bundled 1h candles, 12 trials on one
worker with a fixed seed, metrics Sharpe (maximised) and max drawdown (minimised).
"""

from __future__ import annotations

import json

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from backtrader_engine.optimize.objectives import PENALTY, score_all
from backtrader_engine.optimize.pareto import dominates, non_dominated, pick_indices
from backtrader_engine.optimize.storage import open_storage
from tests.conftest import run_cli

STRATEGY = "RSIEMAMomentumStrategy"
RANGE = ("--from", "2018-01-01", "--to", "2018-04-30")
METRICS = ("sharpe", "max_drawdown_pct")
TRIALS = 12


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("pareto") / "study"
    result = run_cli("optimize", "--strategy", STRATEGY, "--trials", str(TRIALS), *RANGE,
                     "--min-trades", "5", "--seed", "3", "--metric", ",".join(METRICS),
                     "--pick", "all", "--study-name", "mo", "--out", str(out))
    assert result.code == 0, result.err
    summary = json.loads((out / "optimization_summary.json").read_text())
    return out, result, summary


def test_the_study_has_one_direction_per_metric(run):
    out, _, summary = run
    study = optuna.load_study(study_name="mo", storage=open_storage(str(out / "study.journal")))
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    assert summary["direction"] == ["maximize", "minimize"]
    trials = study.get_trials()
    assert len(trials) == TRIALS and all(t.state == TrialState.COMPLETE for t in trials)
    for trial in trials:
        metrics = trial.user_attrs["metrics"]
        assert trial.values == [metrics["sharpe"], metrics["max_drawdown_pct"]]


def test_the_front_is_every_non_dominated_eligible_trial(run):
    out, _, summary = run
    trials = pd.read_csv(out / "trials.csv")
    eligible = trials[trials["state"] == "COMPLETE"]
    if "user_attrs_penalty_reason" in eligible:
        eligible = eligible[eligible["user_attrs_penalty_reason"].isna()]
    values = {int(r.number): (r.values_0, r.values_1) for r in eligible.itertuples()}
    front = summary["pareto"]["points"]
    on_front = {p["trial"] for p in front}
    directions = ["maximize", "minimize"]
    assert len(values) >= 2 and len(on_front) >= 2
    for number, own in values.items():
        beaten = any(dominates(other, own, directions) for other in values.values())
        assert (number in on_front) == (not beaten), number
    firsts = [p["values"]["sharpe"] for p in front]
    assert firsts == sorted(firsts, reverse=True)


def test_each_pick_is_validated_and_written(run):
    out, result, summary = run
    points = summary["pareto"]["points"]
    assert all(p["picked"] for p in points)  # --pick all
    for point in points:
        params = json.loads((out / "pareto" / f"trial-{point['trial']}" /
                             "best_params.json").read_text())
        assert params == {"strategy": STRATEGY, "params": point["params"]}
        assert point["reproduced"] is True
        assert point["in_sample"]["values"] == [point["values"][m] for m in METRICS]
        assert len(point["out_of_sample"]["values"]) == 2
        assert f"{point['trial']:>9}" in result.out
    assert summary["pareto"]["reproduces_picked_trials"] is True
    first = points[0]
    assert summary["best"]["trial"] == first["trial"]
    assert json.loads((out / "best_params.json").read_text())["params"] == first["params"]
    assert json.loads((out / "pareto.json").read_text()) == summary["pareto"]
    table = pd.read_csv(out / "pareto.csv")
    assert list(table["trial"]) == [p["trial"] for p in points]
    assert list(table.columns[:4]) == ["trial", "picked", *METRICS]
    assert "maximise, minimise" in result.out and "front    " in result.out


def test_the_plots_of_a_front(run):
    out, *_ = run
    for name in ("pareto.png", "importances.png", "oos_equity.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    for name in ("history.png", "heatmap.png", "slice.png"):
        assert not (out / name).exists(), name


def test_resuming_with_other_metrics_is_refused(run, cli, one_clear_line):
    out, *_ = run
    line = one_clear_line(cli("optimize", "--strategy", STRATEGY, "--trials", "1", *RANGE,
                              "--min-trades", "5", "--metric", "sharpe", "--study-name", "mo",
                              "--out", str(out)))
    assert line == (f"error: study 'mo' in {out / 'study.journal'} was run with --metric "
                    "sharpe,max_drawdown_pct, this run has --metric sharpe; use another "
                    "--study-name or the study's --metric")
    line = one_clear_line(cli("optimize", "--strategy", STRATEGY, "--trials", "1", *RANGE,
                              "--min-trades", "5", "--metric", "return,max_drawdown_pct",
                              "--study-name", "mo", "--out", str(out)))
    assert "was run with metric=\"sharpe,max_drawdown_pct\"" in line


def test_pick_spreads_over_the_front_both_ends_included():
    assert pick_indices(7, 3) == [0, 3, 6]
    assert pick_indices(7, 2) == [0, 6]
    assert pick_indices(7, 1) == [0]
    assert pick_indices(2, 3) == [0, 1]
    assert pick_indices(5, None) == [0, 1, 2, 3, 4]


def test_pick_one_validates_only_the_best_of_the_first_metric(tmp_path, cli):
    out = tmp_path / "one"
    result = cli("optimize", "--strategy", STRATEGY, "--trials", "6", *RANGE,
                 "--min-trades", "5", "--seed", "3", "--metric", "return,max_drawdown_pct",
                 "--pick", "1", "--study-name", "one", "--out", str(out), "--no-plots")
    assert result.code == 0, result.err
    points = json.loads((out / "pareto.json").read_text())["points"]
    assert [p["picked"] for p in points] == [True] + [False] * (len(points) - 1)
    assert points[0]["values"]["return"] == max(p["values"]["return"] for p in points)
    assert all(p["in_sample"] is None for p in points[1:])
    written = sorted(d.name for d in (out / "pareto").iterdir())
    assert written == [f"trial-{points[0]['trial']}"]
    assert not (out / "pareto.png").exists()


def test_non_dominated_keeps_ties_and_drops_beaten_points():
    study = optuna.create_study(directions=["maximize", "minimize"])
    for values in ([1.0, 5.0], [2.0, 5.0], [2.0, 5.0], [0.5, 1.0], [0.4, 2.0]):
        study.add_trial(optuna.trial.create_trial(values=values))
    front = non_dominated(study.trials, ["maximize", "minimize"])
    assert sorted(t.number for t in front) == [1, 2, 3]


def test_penalised_values_are_dominated_in_each_direction():
    values, reason = score_all({"trades": 2, "sharpe": 3.0, "max_drawdown_pct": 1.0},
                               METRICS, min_trades=5)
    assert reason == "2 closed trades < --min-trades 5"
    assert values == (PENALTY + 2, -PENALTY - 2)
    values, reason = score_all({"trades": 9, "sharpe": None, "max_drawdown_pct": 1.0},
                               METRICS, min_trades=5)
    assert reason == "sharpe is undefined for this run"


@pytest.mark.parametrize(("metric", "expected"), [
    ("sharpe,banana", "error: --metric 'sharpe,banana': 'banana' is not a metric; expected one "
                      "or a comma list of rmd, sharpe, sortino, calmar, return, profit_factor, "
                      "max_drawdown_pct"),
    ("sharpe,sharpe", "error: --metric 'sharpe,sharpe': names a metric twice; list each once"),
    ("max_drawdown_pct", "error: --metric 'max_drawdown_pct': minimised on its own it favours "
                         "trading nothing; list it next to a metric to maximise, e.g. "
                         "sharpe,max_drawdown_pct"),
    ("sharpe,", "error: --metric 'sharpe,': '' is not a metric;"),
])
def test_bad_metric_lists_are_refused(metric, expected, cli, one_clear_line, tmp_path):
    line = one_clear_line(cli("optimize", "--strategy", STRATEGY, "--metric", metric,
                              "--out", str(tmp_path / "x")))
    assert line.startswith(expected)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("extra", "expected"), [
    (["--pruner", "median"], "error: --pruner median: a study of several metrics "
                             "(sharpe,max_drawdown_pct) cannot be pruned"),
    (["--walk-forward", "2"], "error: --walk-forward 2: a window trades one winner"),
    (["--pick", "0"], "error: --pick 0: expected a number of front points of 1 or more, or all"),
    (["--sampler", "cmaes"], "error: --sampler cmaes: a study of several metrics "
                             "(sharpe,max_drawdown_pct) needs a multi-objective sampler"),
])
def test_options_a_front_cannot_take_are_refused(extra, expected, cli, one_clear_line,
                                                 tmp_path):
    line = one_clear_line(cli("optimize", "--strategy", STRATEGY, "--metric",
                              "sharpe,max_drawdown_pct", *extra, "--out", str(tmp_path / "x")))
    assert line.startswith(expected)
    assert not (tmp_path / "x").exists()


def test_nsga2_runs_a_multi_objective_study_of_our_trials(tmp_path):
    from backtrader_engine.engine.job import BacktestJob
    from backtrader_engine.optimize import OptimizeJob, prepare_optimization
    from backtrader_engine.optimize.pareto import pareto_front
    from backtrader_engine.optimize.worker import TrialRunner

    job = OptimizeJob(BacktestJob(strategy=STRATEGY, start="2018-01-01", end="2018-03-31"),
                      metric=",".join(METRICS), min_trades=5, out=tmp_path / "nsga")
    plan = prepare_optimization(job, fees=(0.00055, 0.0002))
    study = optuna.create_study(directions=["maximize", "minimize"],
                                sampler=optuna.samplers.NSGAIISampler(seed=1, population_size=4))
    runner = TrialRunner(plan.task(plan.in_sample, "nsga"))
    for _ in range(6):  # more than one generation
        runner.run(study)
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
    for trial in trials:
        metrics = trial.user_attrs["metrics"]
        if "penalty_reason" not in trial.user_attrs:
            assert trial.values == [metrics["sharpe"], metrics["max_drawdown_pct"]]
    front = pareto_front(trials, METRICS, None)
    assert front.points and all(p.picked for p in front.points)


def test_a_front_without_eligible_trials_is_empty_not_an_error(tmp_path, cli):
    out = tmp_path / "empty"
    result = cli("optimize", "--strategy", STRATEGY, "--trials", "3", *RANGE,
                 "--min-trades", "100000", "--seed", "3", "--metric", ",".join(METRICS),
                 "--study-name", "empty", "--out", str(out))
    assert result.code == 0, result.err
    assert "front    empty: no complete trial reached --min-trades" in result.out
    assert "no trial of study 'empty' reached --min-trades 100000" in result.err
    front = json.loads((out / "pareto.json").read_text())
    assert front["points"] == [] and front["reproduces_picked_trials"] is None
    assert not (out / "best_params.json").exists() and not (out / "pareto").exists()
    assert (out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
