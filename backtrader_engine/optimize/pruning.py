"""Pruning: stopping a trial whose backtest is doing badly before its last bar.

A trial with a pruner reports its score at :data:`CHECKPOINTS` - 1 evenly spaced bars of its
backtest (step *k* after *k*/:data:`CHECKPOINTS` of the bars) and is stopped when the study's
pruner says so; it then ends ``PRUNED`` and is never a best trial nor part of DSR or PBO.

The checkpoint is an analyzer added to the trial's backtest only when a pruner is chosen, so an
unpruned study runs exactly the loop it always did. Between checkpoints it costs one length
comparison a bar; at a checkpoint the metric is computed with the backtest's own metric code
on the broker's per-bar record so far, the trades closed so far and the open ones marked at the
bar's close. ``--min-trades`` scales with the share of the bars run, so a trial is compared
with its peers by the pace of its trading, not by trades it has not had the bars to make.

Pruners read the other trials' reports from the study's storage, so they work the same with
one worker or many, on one machine or several.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import backtrader as bt
import optuna

from backtrader_engine.data import parse_timeframe
from backtrader_engine.engine.backtest import BacktestRequest, equity_frame
from backtrader_engine.engine.metrics import MetricValue, compute_metrics
from backtrader_engine.errors import UserError
from backtrader_engine.optimize.choices import PRUNERS
from backtrader_engine.optimize.objectives import score

#: A trial's backtest is cut into this many parts; it reports after each but the last.
CHECKPOINTS = 10
#: Trials of a study that run to the end before the median pruner prunes any.
MEDIAN_STARTUP_TRIALS = 5
#: Checkpoints before the median pruner looks at a trial (the first 30% of its bars).
MEDIAN_WARMUP_STEPS = 3

#: ``report(step, metrics, bars_done)``: called at each checkpoint, raises to stop the run.
Report = Callable[[int, dict[str, MetricValue], int], None]


def check_pruner(pruner: str, metrics: tuple[str, ...]) -> None:
    """Refuse an unknown ``--pruner`` or one combined with a multi-objective ``--metric``."""
    if pruner not in PRUNERS:
        raise UserError(f"--pruner {pruner!r}: expected one of {', '.join(PRUNERS)}")
    if pruner != "none" and len(metrics) > 1:
        raise UserError(f"--pruner {pruner}: a study of several metrics ({','.join(metrics)}) "
                        "cannot be pruned (Optuna prunes single-objective studies only); use "
                        "--pruner none or one --metric")


def make_pruner(pruner: str) -> optuna.pruners.BasePruner:
    """The Optuna pruner of a ``--pruner`` choice (``NopPruner`` for ``none``)."""
    if pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=MEDIAN_STARTUP_TRIALS,
                                           n_warmup_steps=MEDIAN_WARMUP_STEPS)
    if pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=CHECKPOINTS,
                                              reduction_factor=3)
    return optuna.pruners.NopPruner()


def checkpoint_bars(bars: int) -> int:
    """Bars between two checkpoints of a backtest of *bars* bars (at least 1)."""
    return max(1, bars // CHECKPOINTS)


def partial_metrics(broker: Any, request: BacktestRequest) -> dict[str, MetricValue]:
    """The report metrics of the bars the broker has recorded so far.

    The same computation as a finished backtest's (:func:`~.engine.metrics.compute_metrics`)
    on the equity recorded so far; open positions are marked at the current close, as at the
    end of a run. Reads the broker, changes nothing in it.
    """
    bars = len(broker.bar_record)
    equity = equity_frame(broker, request.cash, request.frame["close"].iloc[:bars])
    return compute_metrics(equity, broker.trades_frame(), initial_cash=request.cash,
                           bar=parse_timeframe(request.timeframe), fees_paid=broker.fees_paid,
                           funding_paid=broker.funding_paid,
                           liquidations=len(broker.liquidations))


class Checkpoints(bt.Analyzer):
    """Calls ``report`` every ``every`` recorded bars, until the last part of the run.

    Params: ``request`` (the trial's :class:`BacktestRequest`), ``report`` (a :data:`Report`)
    and ``every`` (bars between checkpoints).
    """

    params = (("request", None), ("report", None), ("every", 1))

    def start(self) -> None:
        self._step = 1
        self._next_at = self.p.every
        self._last_at = self.p.every * (CHECKPOINTS - 1)

    def next(self) -> None:
        record = self.strategy.broker.bar_record
        if len(record) < self._next_at or self._next_at > self._last_at:
            return
        bars = len(record)
        self.p.report(self._step, partial_metrics(self.strategy.broker, self.p.request), bars)
        self._step += 1
        self._next_at += self.p.every


def trial_reporter(trial: optuna.Trial, metric: str, min_trades: int, bars: int) -> Report:
    """A :data:`Report` that scores the metrics so far on *trial* and stops a pruned run.

    The score is the study's own (:func:`~.objectives.score`) with ``--min-trades`` scaled to
    the share of the *bars* run so far.

    Raises
    ------
    optuna.TrialPruned
        From the report, when the study's pruner prunes *trial* at that step.
    """
    def report(step: int, metrics: dict[str, MetricValue], done: int) -> None:
        value, _ = score(metrics, metric, math.floor(min_trades * done / bars))
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned at checkpoint {step} of {CHECKPOINTS}")
    return report


def checkpoint_analyzers(trial: optuna.Trial, request: BacktestRequest, pruner: str,
                         metric: str, min_trades: int) -> list[tuple[type, dict[str, object]]]:
    """The analyzers a trial's backtest runs with: none unless a pruner is chosen."""
    if pruner == "none":
        return []
    bars = len(request.frame)
    return [(Checkpoints, {"request": request, "every": checkpoint_bars(bars),
                           "report": trial_reporter(trial, metric, min_trades, bars)})]
