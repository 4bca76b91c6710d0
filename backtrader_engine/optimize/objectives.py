"""What a study maximises: one metric of a backtest, with a penalty for unusable trials.

A trial is *penalised* when it closed fewer than ``min_trades`` trades or when its metric is
undefined (``None``, e.g. a Sharpe ratio over fewer than two days). Its value is then
``PENALTY + trades``: far below any real score, so such a trial is never the best, yet still
ordered by its trade count, so the sampler learns in which direction usable trials lie.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from backtrader_engine.engine.backtest import BacktestRequest, BacktestResult, run_backtest
from backtrader_engine.engine.metrics import MetricValue, daily_returns
from backtrader_engine.errors import UserError
from backtrader_engine.optimize.choices import METRICS, MINIMISED
from backtrader_engine.strategies import apply_params

#: Base value of a penalised trial; real scores of the supported metrics stay far above it.
PENALTY = -1e6


@dataclass(frozen=True)
class TrialOutcome:
    """The score of one parameter set and everything a trial records about it.

    Attributes
    ----------
    value : float
        What the study maximises (the metric, or ``PENALTY + trades`` when penalised).
    metrics : dict
        The full, JSON-safe metric set of the backtest, plus ``orders_rejected`` (orders
        refused or expired unfilled, every reason; a trial column in ``trials.csv``).
    penalty : str or None
        Why the trial was penalised, or None.
    daily_returns : list of float
        Day-over-day equity returns on the UTC daily grid of the backtested bars.
    result : BacktestResult
        The backtest itself (equity curve and trades), not stored in the study.
    values : tuple of float
        The value of each metric of a ``--metric`` list, in its order and direction; a
        single metric's is ``(value,)``.
    """

    value: float
    metrics: dict[str, object]
    penalty: str | None
    daily_returns: list[float]
    result: BacktestResult
    #: One value per ``--metric`` name (``(value,)`` for a single metric).
    values: tuple[float, ...] = ()


def metric_key(metric: str) -> str:
    """The metrics-dict key of a ``--metric`` choice; raises :class:`UserError` if unknown."""
    if metric not in METRICS:
        raise UserError(f"--metric {metric!r}: expected one of {', '.join(METRICS)}")
    return METRICS[metric]


def metric_names(metric: str) -> tuple[str, ...]:
    """The names of a ``--metric`` value (one name or a comma list), each checked.

    Raises
    ------
    UserError
        For an unknown or repeated name, an empty item, or a minimised metric on its own.
    """
    names = tuple(name.strip() for name in metric.split(","))
    known = [*METRICS, *MINIMISED]
    for name in names:
        if name not in known:
            raise UserError(f"--metric {metric!r}: {name!r} is not a metric; expected one or "
                            f"a comma list of {', '.join(known)}")
    if len(set(names)) != len(names):
        raise UserError(f"--metric {metric!r}: names a metric twice; list each once")
    if len(names) == 1 and names[0] in MINIMISED:
        raise UserError(f"--metric {metric!r}: minimised on its own it favours trading nothing; "
                        f"list it next to a metric to maximise, e.g. sharpe,{names[0]}")
    return names


def direction(name: str) -> str:
    """``"maximize"`` or ``"minimize"``: how a study optimises metric *name*."""
    return "minimize" if name in MINIMISED else "maximize"


def score_all(metrics: Mapping[str, MetricValue], names: tuple[str, ...],
              min_trades: int) -> tuple[tuple[float, ...], str | None]:
    """The study values of a metrics dict for several metrics, and the penalty reason.

    A penalised trial gets the penalty in each metric's direction (``PENALTY + trades`` where
    maximised, ``-PENALTY - trades`` where minimised): dominated by every real score, and
    still ordered by its trade count.
    """
    trades = int(metrics.get("trades") or 0)
    reason = (f"{trades} closed trades < --min-trades {min_trades}"
              if trades < min_trades else None)
    raws: list[float] = []
    for name in names:
        raw = metrics.get(METRICS.get(name) or MINIMISED[name])
        if reason is None and (raw is None or not math.isfinite(float(raw))):
            reason = f"{name} is undefined for this run"
        raws.append(float(raw) if raw is not None else math.nan)
    if reason is not None:
        penalty = PENALTY + trades
        return tuple(-penalty if direction(n) == "minimize" else penalty for n in names), reason
    return tuple(raws), None


def jsonable_metrics(metrics: Mapping[str, object]) -> dict[str, object]:
    """*metrics* with numpy scalars as Python numbers and non-finite floats as None."""
    clean: dict[str, object] = {}
    for key, value in metrics.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        elif not (value is None or isinstance(value, bool | int | float | str)):
            value = str(value)
        clean[key] = value
    return clean


def score(metrics: Mapping[str, MetricValue], metric: str,
          min_trades: int) -> tuple[float, str | None]:
    """The study value of a metrics dict and the penalty reason (None when not penalised).

    Parameters
    ----------
    metrics : Mapping
        A backtest's metrics (``BacktestResult.metrics``).
    metric : str
        A ``--metric`` choice (see :data:`METRICS`).
    min_trades : int
        Fewer closed trades than this penalise the trial.

    Returns
    -------
    tuple of (float, str or None)
        The value to maximise and why it was penalised.
    """
    trades = int(metrics.get("trades") or 0)
    if trades < min_trades:
        return PENALTY + trades, f"{trades} closed trades < --min-trades {min_trades}"
    raw = metrics.get(metric_key(metric))
    if raw is None or not math.isfinite(float(raw)):
        return PENALTY + trades, f"{metric} is undefined for this run"
    return float(raw), None


def trial_params(request: BacktestRequest, suggested: Mapping[str, object]) -> dict[str, object]:
    """The complete param set of a trial: the request's params updated with *suggested*.

    Values go through the same coercion as ``--param`` and ``--params-file`` so that a
    best-params backtest passes the strategy exactly the values the trial used.
    """
    return apply_params(request.strategy, {**request.params, **suggested})


def evaluate(request: BacktestRequest, suggested: Mapping[str, object], metric: str,
             min_trades: int, frame: pd.DataFrame | None = None,
             analyzers: Sequence[tuple[type, dict[str, object]]] = ()) -> TrialOutcome:
    """Backtest *request* with *suggested* params (on *frame* if given) and score it.

    Parameters
    ----------
    request : BacktestRequest
        Strategy, data, costs and the fixed params.
    suggested : Mapping
        The params that vary, by name.
    metric : str
        A ``--metric`` choice, or a comma list of them (then ``values`` holds each).
    min_trades : int
        Minimum closed trades of an unpenalised trial.
    frame : DataFrame, optional
        Candles to run on instead of ``request.frame`` (an out-of-sample slice).
    analyzers : sequence of (class, kwargs)
        Extra analyzers of the run (the pruning checkpoints of a trial).

    Returns
    -------
    TrialOutcome
    """
    run = replace(request, params=trial_params(request, suggested),
                  frame=request.frame if frame is None else frame)
    result = run_backtest(run, analyzers=analyzers)
    if "," in metric:
        values, penalty = score_all(result.metrics, metric_names(metric), min_trades)
        value = values[0]
    else:
        value, penalty = score(result.metrics, metric, min_trades)
        values = (value,)
    returns = daily_returns(result.equity["equity"]).to_numpy(dtype=float)
    # Daily returns are finite unless equity hit zero; keep the stored list JSON-safe anyway.
    returns = np.nan_to_num(returns, nan=0.0, posinf=0.0, neginf=-1.0)
    metrics = {**jsonable_metrics(result.metrics), "orders_rejected": result.orders_rejected}
    return TrialOutcome(value, metrics, penalty, returns.tolist(), result, values)


def is_penalised(value: float | None) -> bool:
    """Whether a stored study value is a penalty rather than a real score."""
    return value is None or value <= PENALTY / 2
