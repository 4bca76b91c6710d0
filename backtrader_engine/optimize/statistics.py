"""How much of a study's best result is selection luck: DSR, PBO and parameter importances.

Both overfitting statistics look at the trials the best could have been chosen from: complete,
unpenalised trials (:func:`trials.eligible`). Penalised trials are excluded because the
selection rule never picks them, and their flat, trade-less returns say nothing about
overfitting.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from backtrader_engine.optimize.overfitting import (
    deflated_sharpe_ratio,
    probability_of_backtest_overfitting,
)
from backtrader_engine.optimize.trials import BestTrial, eligible, returns_matrix


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def per_period_sharpe(returns: Sequence[float]) -> float | None:
    """Mean over sample standard deviation of *returns*, not annualised (None if undefined)."""
    values = np.asarray(returns, dtype=float)
    if len(values) < 2:
        return None
    std = float(values.std(ddof=1))
    return float(values.mean()) / std if std > 0 else None


def deflated_sharpe(trials: Sequence[FrozenTrial], best: BestTrial) -> dict[str, object] | None:
    """The Deflated Sharpe Ratio of *best* among the eligible *trials* (None if undefined).

    Returns
    -------
    dict or None
        ``dsr`` (probability), per-period and annualised ``sharpe``, ``expected_max_sharpe``
        (per period), ``n_trials`` and ``n_obs`` (days).
    """
    candidates = eligible(trials)
    sharpes = [per_period_sharpe(t.user_attrs.get("daily_returns", [])) for t in candidates]
    result = deflated_sharpe_ratio(
        np.asarray(best.daily_returns, dtype=float), max(1, len(candidates)),
        np.asarray([s for s in sharpes if s is not None], dtype=float))
    if result is None:
        return None
    return {"dsr": _finite(result.dsr), "sharpe": _finite(result.sharpe),
            "sharpe_annualised": _finite(result.sharpe_annualised),
            "expected_max_sharpe": _finite(result.expected_max_sharpe),
            "n_trials": result.n_trials, "n_obs": result.n_obs}


def backtest_overfitting(trials: Sequence[FrozenTrial], grid: pd.DatetimeIndex,
                         n_splits: int = 16) -> dict[str, object] | None:
    """PBO by CSCV over the eligible trials' daily returns on *grid* (None if too few)."""
    matrix = returns_matrix(trials, grid)
    if matrix.shape[1] < 2:
        return None
    result = probability_of_backtest_overfitting(matrix, n_splits=n_splits)
    if result is None:
        return None
    return {"pbo": _finite(result.pbo), "n_splits": result.n_splits,
            "n_combinations": result.n_combinations, "n_trials": int(matrix.shape[1]),
            "performance_degradation": _finite(result.performance_degradation),
            "prob_oos_loss": _finite(result.prob_oos_loss)}


def param_importances(study: optuna.Study) -> dict[str, float]:
    """Optuna's parameter importances over complete trials; ``{}`` when they are undefined.

    They need at least two complete trials and a parameter that varies; a study with fewer
    (an interrupted run, a one-value space) gets an empty mapping rather than an error.
    """
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 2 or not any(t.params for t in complete):
        return {}
    try:
        with warnings.catch_warnings():
            # With a handful of trials PED-ANOVA warns that every parameter ties; the equal
            # importances it returns are the right answer and need no warning.
            warnings.simplefilter("ignore", UserWarning)
            # Of a study of several metrics: the importances for its first metric.
            target = (lambda t: t.values[0]) if len(study.directions) > 1 else None
            importances = optuna.importance.get_param_importances(study, target=target)
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}
    return {name: float(value) for name, value in importances.items()
            if math.isfinite(value)}
