"""What a study maximises: one metric of a backtest, with a penalty for unusable trials.

A trial is *penalised* when it closed fewer than ``min_trades`` trades or when its metric is
undefined (``None``, e.g. a Sharpe ratio over fewer than two days). Its value is then
``PENALTY + trades``: far below any real score, so such a trial is never the best, yet still
ordered by its trade count, so the sampler learns in which direction usable trials lie.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from backtrader_engine.engine.backtest import BacktestRequest, BacktestResult, run_backtest
from backtrader_engine.engine.metrics import MetricValue, daily_returns
from backtrader_engine.errors import UserError
from backtrader_engine.strategies import apply_params

#: ``--metric`` choice -> key in the backtest metrics dict.
METRICS: dict[str, str] = {
    "rmd": "rmd",
    "sharpe": "sharpe",
    "sortino": "sortino",
    "calmar": "calmar",
    "return": "total_return_pct",
    "profit_factor": "profit_factor",
}
DEFAULT_METRIC = "rmd"

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
    """

    value: float
    metrics: dict[str, object]
    penalty: str | None
    daily_returns: list[float]
    result: BacktestResult


def metric_key(metric: str) -> str:
    """The metrics-dict key of a ``--metric`` choice; raises :class:`UserError` if unknown."""
    if metric not in METRICS:
        raise UserError(f"--metric {metric!r}: expected one of {', '.join(METRICS)}")
    return METRICS[metric]


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
             min_trades: int, frame: pd.DataFrame | None = None) -> TrialOutcome:
    """Backtest *request* with *suggested* params (on *frame* if given) and score it.

    Parameters
    ----------
    request : BacktestRequest
        Strategy, data, costs and the fixed params.
    suggested : Mapping
        The params that vary, by name.
    metric : str
        A ``--metric`` choice.
    min_trades : int
        Minimum closed trades of an unpenalised trial.
    frame : DataFrame, optional
        Candles to run on instead of ``request.frame`` (an out-of-sample slice).

    Returns
    -------
    TrialOutcome
    """
    run = replace(request, params=trial_params(request, suggested),
                  frame=request.frame if frame is None else frame)
    result = run_backtest(run)
    value, penalty = score(result.metrics, metric, min_trades)
    returns = daily_returns(result.equity["equity"]).to_numpy(dtype=float)
    # Daily returns are finite unless equity hit zero; keep the stored list JSON-safe anyway.
    returns = np.nan_to_num(returns, nan=0.0, posinf=0.0, neginf=-1.0)
    metrics = {**jsonable_metrics(result.metrics), "orders_rejected": result.orders_rejected}
    return TrialOutcome(value, metrics, penalty, returns.tolist(), result)


def is_penalised(value: float | None) -> bool:
    """Whether a stored study value is a penalty rather than a real score."""
    return value is None or value <= PENALTY / 2
