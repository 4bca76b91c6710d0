"""A real study started with --sampler cmaes and resumed with another sampler: the default params
are trial 0 once, the summary names each run's sampler and scores the defaults against the best.

RSIEMAMomentumStrategy (one categorical param) on two months of the bundled 1h candles.
"""

from __future__ import annotations

import json

import pytest

from backtrader_engine.strategies import resolve_strategy, space_of, strategy_params

RANGE = ("--from", "2018-01-01", "--to", "2018-02-28")
STRATEGY = "RSIEMAMomentumStrategy"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from tests.conftest import run_cli

    out = tmp_path_factory.mktemp("sampler") / "study"
    common = ("optimize", "--strategy", STRATEGY, *RANGE, "--min-trades", "0", "--seed", "5",
              "--study-name", "s", "--out", str(out), "--no-plots", "--oos-fraction", "0")
    first = run_cli(*common, "--trials", "3", "--sampler", "cmaes")
    assert first.code == 0, first.err
    summary1 = json.loads((out / "optimization_summary.json").read_text())
    second = run_cli(*common, "--trials", "2", "--sampler", "random")
    assert second.code == 0, second.err
    summary2 = json.loads((out / "optimization_summary.json").read_text())
    return first, summary1, second, summary2


def test_default_params_are_trial_0_of_a_new_study(runs):
    _, summary, _, _ = runs
    strategy = resolve_strategy(STRATEGY)
    defaults = strategy_params(strategy)
    expected = {name: defaults[name] for name in space_of(strategy)}
    scored = summary["defaults"]
    assert scored["trial"] == 0 and scored["state"] == "COMPLETE"
    assert scored["params"] == expected
    assert scored["notes"] == []  # every default of this strategy is in its space
    best = summary["best"]
    assert scored["best_trial"] == best["trial"] and scored["best_value"] == best["value"]
    assert scored["improvement"] == pytest.approx(best["value"] - scored["value"])
    assert scored["improvement"] >= 0


def test_the_table_says_how_the_defaults_scored(runs):
    first, summary, _, _ = runs
    line = next(ln for ln in first.out.splitlines() if ln.startswith("defaults "))
    assert f"{summary['defaults']['value']:.6g} vs best {summary['best']['value']:.6g}" in line
    assert "(trial 0, the strategy's own params)" in line


def test_a_resumed_study_does_not_enqueue_the_defaults_again(runs):
    _, _, _, summary = runs
    assert summary["trials"]["total"] == 5 and summary["trials_this_run"] == 2
    assert summary["defaults"]["trial"] == 0


def test_each_run_records_its_own_sampler(runs):
    first, summary1, second, summary2 = runs
    assert summary1["sampler"] == {"name": "cmaes", "seed": 5, "worker_seeds": [5]}
    assert summary2["sampler"] == {"name": "random", "seed": 5, "worker_seeds": [5]}
    assert "sampler cmaes" in first.out and "sampler random" in second.out


def test_cmaes_warns_once_about_the_categorical_param(runs):
    first, _, second, _ = runs
    warnings = [ln for ln in first.err.splitlines() if ln.startswith("warning:")]
    assert warnings == ["warning: --sampler cmaes draws the categorical params use_confirmation "
                        "independently at random (it models numeric params only); use tpe to "
                        "learn them"]
    assert "warning:" not in second.err
