"""Walk-forward optimisation: a study per rolling train window, its winner run on the test span.

Window *i* (1-based) is the sub-study ``<study>-wf<i>`` in the same storage, with the same
workers and ``--trials``. The best eligible trial's params are backtested on the train span
(for its annualised return) and on the test span right after it. The test spans' equity curves
are chained into one out-of-sample curve; the walk-forward efficiency compares their annualised
returns with the train spans'. A window whose study found no eligible trial does not trade: its
test span is a flat segment of the stitched curve and it is left out of the efficiency.

Walk-forward runs over all the bars, the held-out part included: it validates the procedure
(optimise, then trade what was found), not the one parameter set the main study picked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from backtrader_engine.engine.bars_needed import NotEnoughBars
from backtrader_engine.engine.metrics import daily_returns, drawdown_series, sharpe_ratio
from backtrader_engine.optimize.objectives import evaluate
from backtrader_engine.optimize.plan import OptimizationPlan
from backtrader_engine.optimize.pool import StudyRun
from backtrader_engine.optimize.trials import BestTrial, select_best
from backtrader_engine.optimize.walkforward import (
    Window,
    annualised_return_pct,
    stitch_equity,
    walk_forward_efficiency,
)
from backtrader_engine.strategies.failure import StrategyRunError, error_line

#: ``optimise(frame, study_name, label) -> StudyRun``: runs one study on *frame*.
Optimiser = Callable[[pd.DataFrame, str, str], StudyRun]


@dataclass
class WindowResult:
    """One walk-forward window: its study and the winner's train and test results."""

    window: Window
    study_name: str
    trials_done: int
    best: BestTrial | None = None
    train_metrics: dict[str, object] | None = None
    test_metrics: dict[str, object] | None = None
    train_return_ann: float | None = None
    test_return_ann: float | None = None
    #: Why the winner has no test result (too few test bars for its params, or the strategy
    #: raised on them); its test span then counts as flat, like a window without a winner.
    problem: str | None = None


@dataclass
class WalkForwardResult:
    """All windows, the stitched out-of-sample equity and the walk-forward efficiency."""

    windows: list[WindowResult] = field(default_factory=list)
    equity: pd.Series | None = None
    efficiency: float | None = None
    stitched_metrics: dict[str, float | None] = field(default_factory=dict)
    stopped: str | None = None


def window_study_name(study_name: str, number: int) -> str:
    """``<study>-wf<number>`` (1-based)."""
    return f"{study_name}-wf{number}"


def stitched_metrics(equity: pd.Series, initial_cash: float) -> dict[str, float | None]:
    """Return, max drawdown and Sharpe of the stitched curve, defined as in the report."""
    if equity.empty:
        return {}
    total = (float(equity.iloc[-1]) / initial_cash - 1.0) * 100.0
    return {"total_return_pct": total,
            "annualised_return_pct": annualised_return_pct(equity, initial_cash),
            "max_drawdown_pct": float(drawdown_series(equity, initial_cash).max()),
            "sharpe": sharpe_ratio(daily_returns(equity))}


def _evaluate_window(plan: OptimizationPlan, window: Window, name: str, run: StudyRun,
                     frame: pd.DataFrame) -> tuple[WindowResult, pd.Series]:
    job, cash = plan.job, plan.request.cash
    train = frame.loc[window.train_start:window.train_end]
    test = frame.loc[window.test_start:window.test_end]
    done = run.progress.trials_done if run.progress else 0
    result = WindowResult(window, name, done, select_best(run.study.get_trials(deepcopy=False)))
    if result.best is None:
        # No usable params: the procedure would not trade this span.
        return result, pd.Series(cash, index=test.index, dtype=float, name="equity")
    fitted = evaluate(plan.request, result.best.params, job.metric, job.min_trades, frame=train)
    result.train_metrics = fitted.metrics
    result.train_return_ann = annualised_return_pct(fitted.result.equity["equity"], cash)
    try:
        tested = evaluate(plan.request, result.best.params, job.metric, job.min_trades,
                          frame=test)
    except NotEnoughBars as exc:
        result.problem = str(exc.reworded("the test span has"))
    except StrategyRunError as exc:
        result.problem = error_line(exc)
    if result.problem is not None:
        return result, pd.Series(cash, index=test.index, dtype=float, name="equity")
    result.test_metrics = tested.metrics
    result.test_return_ann = annualised_return_pct(tested.result.equity["equity"], cash)
    return result, tested.result.equity["equity"]


def run_walk_forward(plan: OptimizationPlan, optimise: Optimiser) -> WalkForwardResult:
    """Optimise every window of ``plan.windows`` in turn and evaluate its winner.

    Parameters
    ----------
    plan : OptimizationPlan
        The optimisation; its windows span all of ``plan.request.frame``.
    optimise : callable
        Runs one (sub-)study on a frame, see :data:`Optimiser`.

    Returns
    -------
    WalkForwardResult
        After Ctrl-C, ``stopped`` is ``"interrupted"`` and only the windows started so far
        are included (the interrupted one with the trials it finished).
    """
    frame = plan.request.frame
    out = WalkForwardResult()
    segments = []
    total = len(plan.windows)
    for number, window in enumerate(plan.windows, start=1):
        name = window_study_name(plan.study_name, number)
        train = frame.loc[window.train_start:window.train_end]
        run = optimise(train, name, f"wf {number}/{total}")
        result, segment = _evaluate_window(plan, window, name, run, frame)
        out.windows.append(result)
        segments.append(segment)
        if run.stopped == "interrupted":
            out.stopped = "interrupted"
            break
    cash = plan.request.cash
    out.equity = stitch_equity(segments, cash)
    pairs = [(w.train_return_ann, w.test_return_ann) for w in out.windows
             if w.train_return_ann is not None and w.test_return_ann is not None]
    out.efficiency = walk_forward_efficiency([p[0] for p in pairs], [p[1] for p in pairs])
    out.stitched_metrics = stitched_metrics(out.equity, cash)
    return out
