"""The Pareto front of a multi-objective study (``--metric sharpe,max_drawdown_pct``).

A study of several metrics has no single best trial: it has a front of trials none of which is
beaten by another on every metric at once. The front is taken over the eligible trials
(complete, unpenalised: :func:`.trials.eligible`), each metric in its own direction
(:func:`.objectives.direction`). ``--pick N`` chooses N of its points to validate and write:
the front ordered by the first metric (best first), N points evenly spread over it, both ends
included, so with two metrics the picks run from the best of the first metric to the best of
the second. The first pick is the study's ``best`` (``best_params.json``, DSR, ``oos_equity``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from optuna.trial import FrozenTrial

from backtrader_engine.errors import UserError
from backtrader_engine.optimize.objectives import TrialOutcome, direction
from backtrader_engine.optimize.trials import BestTrial, eligible

#: ``validate(params) -> (in-sample, out-of-sample or None, why no out-of-sample or None)``.
Validate = Callable[[dict[str, object]], tuple[TrialOutcome, TrialOutcome | None, str | None]]


def check_pick(pick: int | None) -> None:
    """Refuse a ``--pick`` below 1 (None means every point of the front)."""
    if pick is not None and pick < 1:
        raise UserError(f"--pick {pick}: expected a number of front points of 1 or more, "
                        "or all")


@dataclass
class ParetoPoint:
    """One trial of the front, and its validation backtests when it was picked."""

    number: int
    values: tuple[float, ...]
    params: dict[str, object]
    metrics: dict[str, object]
    daily_returns: list[float]
    picked: bool = False
    in_sample: TrialOutcome | None = None
    out_of_sample: TrialOutcome | None = None
    out_of_sample_problem: str | None = None

    @property
    def reproduced(self) -> bool | None:
        """Whether its in-sample backtest gave exactly the trial's values (None: not run)."""
        if self.in_sample is None:
            return None
        return tuple(self.in_sample.values) == tuple(self.values)

    def best_trial(self) -> BestTrial:
        """This point as the study's :class:`BestTrial` (its value: the first metric's)."""
        return BestTrial(self.number, self.values[0], dict(self.params), dict(self.metrics),
                         list(self.daily_returns))


@dataclass
class ParetoFront:
    """The front of a study, ordered by the first metric (best first), and its picks."""

    metrics: tuple[str, ...]
    points: list[ParetoPoint] = field(default_factory=list)

    @property
    def directions(self) -> list[str]:
        return [direction(name) for name in self.metrics]

    @property
    def picked(self) -> list[ParetoPoint]:
        return [p for p in self.points if p.picked]

    @property
    def best(self) -> BestTrial | None:
        """The first pick as a :class:`BestTrial`, None for an empty front."""
        picked = self.picked
        return picked[0].best_trial() if picked else None

    @property
    def reproduced(self) -> bool | None:
        """Whether every validated pick reproduced its values (None: none was validated)."""
        checks = [p.reproduced for p in self.picked if p.reproduced is not None]
        return all(checks) if checks else None


def _oriented(values: Sequence[float], directions: Sequence[str]) -> tuple[float, ...]:
    """*values* turned so that larger is better in each metric."""
    return tuple(-v if d == "minimize" else v for v, d in zip(values, directions, strict=True))


def dominates(a: Sequence[float], b: Sequence[float], directions: Sequence[str]) -> bool:
    """Whether values *a* are at least as good as *b* in every metric and better in one."""
    left, right = _oriented(a, directions), _oriented(b, directions)
    return all(x >= y for x, y in zip(left, right, strict=True)) and left != right


def non_dominated(trials: Sequence[FrozenTrial], directions: Sequence[str]) -> list[FrozenTrial]:
    """The trials of *trials* no other one dominates (equal values are all kept)."""
    values = [tuple(t.values) for t in trials]
    return [t for t, own in zip(trials, values, strict=True)
            if not any(dominates(other, own, directions) for other in values)]


def pick_indices(size: int, pick: int | None) -> list[int]:
    """*pick* indices evenly spread over ``range(size)``, both ends included (all for None)."""
    if pick is None or pick >= size:
        return list(range(size))
    if pick == 1:
        return [0]
    return sorted({round(i * (size - 1) / (pick - 1)) for i in range(pick)})


def pareto_front(trials: Sequence[FrozenTrial], metrics: tuple[str, ...],
                 pick: int | None) -> ParetoFront:
    """The front of the eligible *trials*, ordered by the first metric, with *pick* chosen."""
    front = ParetoFront(metrics)
    on_front = non_dominated(eligible(trials), front.directions)
    first = front.directions[0]
    on_front.sort(key=lambda t: ((-t.values[0] if first == "maximize" else t.values[0]),
                                 t.number))
    front.points = [ParetoPoint(t.number, tuple(float(v) for v in t.values), dict(t.params),
                                dict(t.user_attrs.get("metrics", {})),
                                list(t.user_attrs.get("daily_returns", [])))
                    for t in on_front]
    for index in pick_indices(len(front.points), pick):
        front.points[index].picked = True
    return front


def validate_picks(front: ParetoFront, validate: Validate) -> None:
    """Backtest each pick in and out of sample (in place); a pick already run is skipped."""
    for point in front.picked:
        if point.in_sample is None:
            point.in_sample, point.out_of_sample, point.out_of_sample_problem = validate(
                {**point.params})


def _sample(outcome: TrialOutcome | None, problem: str | None = None) -> dict[str, object] | None:
    if outcome is None:
        return None if problem is None else {"problem": problem}
    return {"values": list(outcome.values), "penalty_reason": outcome.penalty,
            "metrics": outcome.metrics}


def front_document(front: ParetoFront, fixed: dict[str, object]) -> dict[str, object]:
    """The front as ``pareto.json`` and the summary's ``pareto`` section hold it."""
    return {
        "metrics": list(front.metrics),
        "directions": front.directions,
        "reproduces_picked_trials": front.reproduced,
        "points": [{
            "trial": p.number, "values": dict(zip(front.metrics, p.values, strict=True)),
            "picked": p.picked, "params": {**fixed, **p.params},
            "reproduced": p.reproduced, "in_sample": _sample(p.in_sample),
            "out_of_sample": _sample(p.out_of_sample, p.out_of_sample_problem),
        } for p in front.points],
    }


def front_rows(front: ParetoFront) -> list[dict[str, object]]:
    """One ``pareto.csv`` row per point: trial, picked, each metric, each param."""
    return [{"trial": p.number, "picked": p.picked,
             **dict(zip(front.metrics, p.values, strict=True)),
             **{f"params_{k}": v for k, v in p.params.items()}} for p in front.points]
