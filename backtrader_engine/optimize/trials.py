"""Reading a finished study: the trials table, the best eligible trial, per-trial returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from backtrader_engine.data.frame import datetime_index
from backtrader_engine.optimize.objectives import is_penalised

# User attributes kept out of the trials table: the returns are a long list per trial and
# the metrics dict is spread into one column per metric instead.
_BULKY_ATTRS = ("daily_returns", "metrics")


@dataclass(frozen=True)
class BestTrial:
    """The best trial that was not penalised."""

    number: int
    value: float
    params: dict[str, object]
    metrics: dict[str, object]
    daily_returns: list[float]


def single_value(trial: FrozenTrial) -> float | None:
    """The value of a single-objective trial; None without one or for several metrics."""
    values = trial.values
    return values[0] if values is not None and len(values) == 1 else None


def eligible(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """Complete trials with a real (unpenalised) score: the ones a best can be chosen from.

    A trial of several metrics is unpenalised when it has no ``penalty_reason`` (pruned ones
    are not complete and never eligible).
    """
    return [t for t in trials
            if t.state == TrialState.COMPLETE and "penalty_reason" not in t.user_attrs
            and t.values is not None
            and (len(t.values) > 1 or not is_penalised(t.values[0]))]


def select_best(trials: Sequence[FrozenTrial]) -> BestTrial | None:
    """The highest-valued eligible trial (lowest number on ties), or None if there is none."""
    candidates = eligible(trials)
    if not candidates:
        return None
    best = max(candidates, key=lambda t: (t.value, -t.number))
    assert best.value is not None  # eligible() leaves out trials without a value
    return BestTrial(best.number, float(best.value), dict(best.params),
                     dict(best.user_attrs.get("metrics", {})),
                     list(best.user_attrs.get("daily_returns", [])))


def count_states(trials: Sequence[FrozenTrial]) -> dict[str, int]:
    """``{"complete": .., "pruned": .., "failed": .., "running": .., "penalised": ..}``."""
    counts = {"complete": 0, "pruned": 0, "failed": 0, "running": 0, "penalised": 0}
    names = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned",
             TrialState.FAIL: "failed", TrialState.RUNNING: "running"}
    for trial in trials:
        if trial.state in names:
            counts[names[trial.state]] += 1
    counts["penalised"] = counts["complete"] - len(eligible(trials))
    return counts


def trials_frame(trials: Sequence[FrozenTrial]) -> pd.DataFrame:
    """One row per trial in the shape of ``study.trials_dataframe()``.

    Columns: ``number, state, value, datetime_start, datetime_complete, duration_s``, one
    ``params_<name>`` per searched parameter, one ``user_attrs_<metric>`` per backtest metric,
    then ``user_attrs_penalty``, ``user_attrs_error``, ``user_attrs_worker_pid`` and
    ``user_attrs_worker_host`` where present.
    """
    rows = []
    for t in trials:
        duration = (t.datetime_complete - t.datetime_start).total_seconds() if (
            t.datetime_complete and t.datetime_start) else None
        row: dict[str, object] = {"number": t.number, "state": t.state.name,
                                  "value": single_value(t),
                                  "datetime_start": t.datetime_start,
                                  "datetime_complete": t.datetime_complete,
                                  "duration_s": duration}
        if t.values is not None and len(t.values) > 1:
            row.update({f"values_{i}": v for i, v in enumerate(t.values)})
        row.update({f"params_{k}": v for k, v in t.params.items()})
        row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.get("metrics", {}).items()})
        row.update({f"user_attrs_{k}": v for k, v in t.user_attrs.items()
                    if k not in _BULKY_ATTRS})
        rows.append(row)
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=["number", "state", "value"])
    return frame.sort_values("number").reset_index(drop=True)


def returns_matrix(trials: Sequence[FrozenTrial], index: pd.DatetimeIndex) -> pd.DataFrame:
    """Daily returns of the eligible trials as a T-days × N-trials frame on *index*.

    Every trial of a study backtests the same bars, so their daily returns share one grid; a
    trial whose list does not match *index* (it cannot happen for trials of one study run on
    one data range) is left out rather than misaligned.
    """
    columns = {}
    for t in eligible(trials):
        values = t.user_attrs.get("daily_returns")
        if values is not None and len(values) == len(index):
            columns[t.number] = np.asarray(values, dtype=float)
    return pd.DataFrame(columns, index=index)


def daily_grid(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """The dates of the daily returns a backtest of *frame* produces (see ``daily_returns``)."""
    days = datetime_index(frame["close"].resample("1D").last().dropna())
    return days[1:]
