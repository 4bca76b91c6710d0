"""The strategy's default params as trial 0: moved onto the space, enqueued, compared."""

from __future__ import annotations

import optuna
from optuna.trial import TrialState

from backtrader_engine.optimize.default_trial import (
    DEFAULT_TRIAL_ATTR,
    default_params,
    defaults_vs_best,
    enqueue_defaults,
)
from backtrader_engine.optimize.trials import select_best
from backtrader_engine.strategies import CategoricalParam, FloatParam, IntParam

SPACE = {"period": IntParam(5, 50, step=5), "mult": FloatParam(0.5, 3.0, step=0.25),
         "ratio": FloatParam(0.1, 0.9), "mode": CategoricalParam(("a", "b")),
         "flag": CategoricalParam((True, False)), "lookback": IntParam(1, 100, log=True)}


def test_defaults_in_the_space_are_kept_as_they_are():
    params = {"period": 20, "mult": 1.5, "ratio": 0.33, "mode": "b", "flag": False,
              "lookback": 7, "not_searched": 99}
    enqueued, notes = default_params(SPACE, params)
    assert enqueued == {k: v for k, v in params.items() if k != "not_searched"}
    assert notes == []


def test_off_grid_and_out_of_range_defaults_are_snapped_with_a_note():
    params = {"period": 22, "mult": 1.6, "ratio": 1.5, "mode": "c", "flag": 1, "lookback": 500}
    enqueued, notes = default_params(SPACE, params)
    assert enqueued == {"period": 20, "mult": 1.5, "ratio": 0.9, "lookback": 100}
    assert "period=22 is not on the step-5 grid; enqueued as 20" in notes
    assert "mult=1.6 is not on the step-0.25 grid; enqueued as 1.5" in notes
    assert "ratio=1.5 is outside 0.1..0.9; enqueued as 0.9" in notes
    assert "lookback=500 is outside 1..100; enqueued as 100" in notes
    # A value the choices do not hold (1 is not True here) is left to the sampler.
    assert any(n.startswith("mode='c' is not among the choices") for n in notes)
    assert any(n.startswith("flag=1 is not among the choices") for n in notes)


def test_a_default_that_is_no_number_or_missing_is_left_to_the_sampler():
    enqueued, notes = default_params({"period": SPACE["period"], "ratio": SPACE["ratio"]},
                                     {"period": "fast"})
    assert enqueued == {}
    assert notes == ["period='fast' is not a number; left to the sampler",
                     "ratio has no default; left to the sampler"]


def _study_with_defaults(params):
    study = optuna.create_study(direction="maximize",
                                sampler=optuna.samplers.RandomSampler(seed=1))
    notes = enqueue_defaults(study, SPACE, params)
    return study, notes


def test_enqueued_defaults_are_the_first_trial_and_partial_ones_are_completed():
    study, notes = _study_with_defaults({"period": 22, "mult": 1.5, "ratio": 0.5, "mode": "a",
                                         "flag": True})
    assert len(notes) == 2  # period snapped, lookback has no default
    trial = study.ask()
    values = {name: spec.suggest(trial, name) for name, spec in SPACE.items()}
    assert trial.number == 0 and trial.user_attrs[DEFAULT_TRIAL_ATTR] is True
    assert {k: values[k] for k in ("period", "mult", "ratio", "mode", "flag")} == {
        "period": 20, "mult": 1.5, "ratio": 0.5, "mode": "a", "flag": True}
    assert 1 <= values["lookback"] <= 100  # drawn by the sampler
    assert study.user_attrs["default_params_notes"] == notes


def test_defaults_are_compared_with_the_best():
    study, _ = _study_with_defaults({"period": 20, "mult": 1.5, "ratio": 0.5, "mode": "a",
                                     "flag": True, "lookback": 5})
    scores = iter([1.0, 3.5, 2.0])
    study.optimize(lambda t: [s.suggest(t, n) for n, s in SPACE.items()] and next(scores),
                   n_trials=3)
    trials = study.get_trials()
    doc = defaults_vs_best(trials, select_best(trials), ["a note"])
    assert doc is not None
    assert (doc["trial"], doc["value"], doc["best_trial"], doc["best_value"]) == (0, 1.0, 1, 3.5)
    assert doc["improvement"] == 2.5 and doc["notes"] == ["a note"]
    assert doc["state"] == "COMPLETE" and doc["params"]["period"] == 20


def test_failed_defaults_have_no_improvement_and_a_study_without_them_none():
    study, _ = _study_with_defaults({"period": 20})
    trial = study.ask()
    study.tell(trial, state=TrialState.FAIL)
    doc = defaults_vs_best(study.get_trials(), None)
    assert doc is not None and doc["state"] == "FAIL" and doc["value"] is None
    assert doc["improvement"] is None
    plain = optuna.create_study()
    plain.optimize(lambda t: t.suggest_int("x", 0, 3), n_trials=2)
    assert defaults_vs_best(plain.get_trials(), None) is None
