"""The strategy's own params as trial 0 of a new study, and how they scored against the best.

A study that starts from the defaults answers the first question a user has ("is the best any
better than what I have?") and gives the sampler one known-reasonable point. Only the searched
params are enqueued, each moved onto the search space: a value outside the range is clamped,
one between two steps snapped to the nearest, and one the space cannot hold (a categorical
value not among the choices) left to the sampler. Each such change is reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import optuna
from optuna.trial import FrozenTrial

from backtrader_engine.optimize.trials import BestTrial
from backtrader_engine.strategies import CategoricalParam, FloatParam, IntParam, ParamSpec

#: User attribute that marks the enqueued default-params trial.
DEFAULT_TRIAL_ATTR = "default_params"
#: Study user attribute holding the notes about the enqueued values.
DEFAULT_NOTES_ATTR = "default_params_notes"


def _on_grid(value: float, low: float, high: float, step: float | None) -> float:
    clamped = min(max(value, low), high)
    if step is None:
        return clamped
    steps = round((clamped - low) / step)
    # Rounded to shed float noise (0.1 * 3 = 0.30000000000000004), which Optuna would see as
    # off the grid.
    return min(round(low + steps * step, 12), high)


def _fit(name: str, spec: ParamSpec, value: Any) -> tuple[object | None, str | None]:
    """*value* moved onto *spec* (None to leave it to the sampler) and a note if it changed."""
    if isinstance(spec, CategoricalParam):
        for choice in spec.choices:
            if type(choice) is type(value) and choice == value:
                return choice, None
        return None, (f"{name}={value!r} is not among the choices "
                      f"{list(spec.choices)}; left to the sampler")
    if not isinstance(spec, IntParam | FloatParam):
        return None, f"{name}: a {spec.kind} param cannot be enqueued; left to the sampler"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None, f"{name}={value!r} is not a number; left to the sampler"
    fitted: float = _on_grid(float(value), spec.low, spec.high,
                             None if spec.log else spec.step)
    result: object = int(round(fitted)) if isinstance(spec, IntParam) else fitted
    if result == value:
        return result, None
    where = (f"outside {spec.low}..{spec.high}" if not spec.low <= value <= spec.high
             else f"not on the step-{spec.step} grid")
    return result, f"{name}={value!r} is {where}; enqueued as {result!r}"


def default_params(space: Mapping[str, ParamSpec], params: Mapping[str, object]
                   ) -> tuple[dict[str, object], list[str]]:
    """The searched params' defaults, moved onto *space*, and a note per change.

    Parameters
    ----------
    space : Mapping
        Searched parameter name -> spec.
    params : Mapping
        The strategy's defaults with the ``--param`` overrides.

    Returns
    -------
    (dict, list of str)
        The params to enqueue (possibly fewer than *space*) and the notes.
    """
    enqueued: dict[str, object] = {}
    notes: list[str] = []
    for name, spec in space.items():
        if name not in params:
            notes.append(f"{name} has no default; left to the sampler")
            continue
        value, note = _fit(name, spec, params[name])
        if value is not None:
            enqueued[name] = value
        if note is not None:
            notes.append(note)
    return enqueued, notes


def enqueue_defaults(study: optuna.Study, space: Mapping[str, ParamSpec],
                     params: Mapping[str, object]) -> list[str]:
    """Enqueue the default params as the next trial of *study* (call on a new study only).

    Returns
    -------
    list of str
        The notes about values that were moved or left out (also stored on the study).
    """
    enqueued, notes = default_params(space, params)
    if enqueued:
        study.enqueue_trial(enqueued, user_attrs={DEFAULT_TRIAL_ATTR: True})
    else:
        notes.append("no default fits the search space; no default trial")
    study.set_user_attr(DEFAULT_NOTES_ATTR, notes)
    return notes


def default_trial(trials: Sequence[FrozenTrial]) -> FrozenTrial | None:
    """The study's default-params trial, if it has one."""
    for trial in trials:
        if trial.user_attrs.get(DEFAULT_TRIAL_ATTR):
            return trial
    return None


def defaults_vs_best(trials: Sequence[FrozenTrial], best: BestTrial | None,
                     notes: Sequence[str] = ()) -> dict[str, object] | None:
    """How the default params scored, next to the best trial (None without a default trial).

    ``improvement`` is the best value minus the defaults' value, when both are real scores.
    In a study of several metrics ``value`` is the first metric's and ``values`` all of them;
    there is no single improvement there (the front has no one best), so it stays None.
    """
    trial = default_trial(trials)
    if trial is None:
        return None
    penalty = trial.user_attrs.get("penalty_reason")
    values = trial.values if trial.state.name == "COMPLETE" else None
    value = values[0] if values else None
    scored = value is not None and penalty is None and len(values or ()) == 1
    return {
        "trial": trial.number, "state": trial.state.name, "params": dict(trial.params),
        "value": value, "values": list(values) if values else None,
        "penalty_reason": penalty, "error": trial.user_attrs.get("error"),
        "best_trial": None if best is None else best.number,
        "best_value": None if best is None else best.value,
        "improvement": (best.value - value) if (scored and best is not None
                                                 and value is not None) else None,
        "notes": list(notes),
    }
