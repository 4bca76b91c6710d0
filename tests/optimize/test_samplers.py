"""--sampler: each sampler builds with its seed and searches int, float and categorical params."""

from __future__ import annotations

import optuna
import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.optimize.choices import SAMPLERS
from backtrader_engine.optimize.samplers import (
    build_sampler,
    categorical_note,
    check_sampler,
    describe_sampler,
)
from backtrader_engine.strategies import CategoricalParam, FloatParam, IntParam

SPACE = {"period": IntParam(5, 50, step=5), "mult": FloatParam(0.5, 3.0, step=0.25),
         "scale": FloatParam(0.01, 1.0, log=True), "mode": CategoricalParam(("a", "b", "c")),
         "flag": CategoricalParam((True, False))}
KINDS = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler,
         "cmaes": optuna.samplers.CmaEsSampler, "qmc": optuna.samplers.QMCSampler,
         "nsga2": optuna.samplers.NSGAIISampler}


def _objective(trial: optuna.Trial) -> float:
    values = {name: spec.suggest(trial, name) for name, spec in SPACE.items()}
    return (-abs(values["period"] - 20) - abs(values["mult"] - 1.5)  # type: ignore[operator]
            + (values["mode"] == "b") + values["scale"])  # type: ignore[operator]


def test_every_sampler_name_is_built():
    assert set(SAMPLERS) == set(KINDS)
    for name, kind in KINDS.items():
        assert isinstance(build_sampler(name, 1), kind), name


def test_parallel_tpe_uses_a_constant_liar_and_serial_does_not():
    parallel, serial = build_sampler("tpe", 1, n_jobs=2), build_sampler("tpe", 1, n_jobs=1)
    assert parallel._constant_liar is True and parallel._multivariate is True
    assert serial._constant_liar is False and serial._multivariate is False
    assert describe_sampler("tpe", 7, 3) == {"name": "tpe", "seed": 7, "worker_seeds": [7, 8, 9],
                                             "constant_liar": True, "multivariate": True}
    assert describe_sampler("random", None, 2) == {"name": "random", "seed": None,
                                                   "worker_seeds": None}


@pytest.mark.parametrize("name", list(KINDS))
def test_each_sampler_searches_int_float_and_categorical_params(name):
    study = optuna.create_study(direction="maximize", sampler=build_sampler(name, 3))
    study.optimize(_objective, n_trials=14)
    trials = study.get_trials()
    assert len(trials) == 14 and {t.state for t in trials} == {optuna.trial.TrialState.COMPLETE}
    for trial in trials:
        p = trial.params
        assert p["period"] in range(5, 51, 5)
        assert 0.5 <= p["mult"] <= 3.0 and (p["mult"] - 0.5) / 0.25 == round((p["mult"] - 0.5)
                                                                             / 0.25)
        assert 0.01 <= p["scale"] <= 1.0
        assert p["mode"] in ("a", "b", "c") and p["flag"] in (True, False)
    # More than one point was tried for every param (no sampler is stuck on one value).
    for param in SPACE:
        assert len({repr(t.params[param]) for t in trials}) > 1, (name, param)


@pytest.mark.parametrize("name", list(KINDS))
def test_the_same_seed_gives_the_same_first_trials(name):
    def first_params(seed: int) -> list[dict]:
        study = optuna.create_study(direction="maximize", sampler=build_sampler(name, seed))
        study.optimize(_objective, n_trials=4)
        return [t.params for t in study.trials]

    assert first_params(11) == first_params(11)
    assert first_params(11) != first_params(12)


def test_numeric_only_samplers_warn_about_categoricals_once():
    note = categorical_note("cmaes", SPACE)
    assert note is not None and "mode, flag" in note and "independently" in note
    assert categorical_note("qmc", SPACE) is not None
    assert categorical_note("tpe", SPACE) is None
    assert categorical_note("cmaes", {"period": SPACE["period"]}) is None


def test_unknown_sampler_is_refused():
    with pytest.raises(UserError, match="--sampler 'grid': expected one of tpe, random"):
        check_sampler("grid")
