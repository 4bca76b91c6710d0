"""One worker process of a study: load the study, run trials until the budget is used up.

Workers are forked on Linux and spawned elsewhere (:func:`.pool.start_method`); the task is
written so that both work: everything a worker receives is picklable, and the strategy travels
as its spec string and is resolved again in the worker (a class from a user's file cannot be
unpickled before its file has been imported). The candles travel once per worker, with the
task, never per trial.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna
import pandas as pd
from optuna.trial import TrialState

from backtrader_engine.engine.backtest import BacktestRequest
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.portfolio import PortfolioLeg, PortfolioRequest
from backtrader_engine.optimize.choices import DEFAULT_SAMPLER
from backtrader_engine.optimize.objectives import evaluate
from backtrader_engine.optimize.pruning import checkpoint_analyzers, make_pruner
from backtrader_engine.optimize.samplers import build_sampler
from backtrader_engine.optimize.storage import open_storage
from backtrader_engine.strategies import ParamSpec, resolve_strategy
from backtrader_engine.strategies.failure import error_line

#: Exit code of a worker that failed outside a trial (storage unreachable, bad task).
WORKER_SETUP_FAILED = 70


@dataclass(frozen=True)
class StudyTask:
    """Everything a worker needs to run trials of one study (picklable under ``spawn``).

    Attributes
    ----------
    strategy_spec : str
        The ``--strategy`` value: a built-in name or ``file.py:ClassName`` (workers start in
        the parent's working directory, so a relative path resolves to the same file).
    frame : DataFrame
        The candles every trial backtests (already sliced and validated).
    params : Mapping
        The complete fixed param set (defaults plus ``--param`` overrides).
    space : Mapping
        Searched parameter name -> :class:`ParamSpec`.
    storage : str
        Database URL or journal file path (:func:`open_storage`).
    seed : int or None
        Base sampler seed; worker *i* uses ``seed + i``.
    pruner : str
        A ``--pruner`` choice (:mod:`.pruning`); ``none`` runs every trial to the end.
    sampler : str
        ``--sampler`` name (:mod:`.samplers`).
    n_jobs : int
        Workers of the study (TPE spreads them out with a constant liar when above 1).
    """

    strategy_spec: str
    frame: pd.DataFrame
    timeframe: str
    symbol: str
    confirm_timeframes: tuple[str, ...]
    cash: float
    costs: CostModel
    params: Mapping[str, object]
    space: Mapping[str, ParamSpec]
    metric: str
    min_trades: int
    storage: str
    study_name: str
    seed: int | None = None
    pruner: str = "none"
    #: A portfolio's symbols (``--symbols``), each cut to ``frame``'s time range by the run;
    #: empty for one symbol.
    legs: tuple[PortfolioLeg, ...] = ()
    accounts: str = "shared"
    sampler: str = DEFAULT_SAMPLER
    n_jobs: int = 1

    def request(self, strategy: type | None = None) -> BacktestRequest:
        """The backtest request of this task (resolving the strategy spec unless given)."""
        strategy = strategy or resolve_strategy(self.strategy_spec)
        portfolio = (PortfolioRequest(strategy, self.legs, self.timeframe, dict(self.params),
                                      self.confirm_timeframes, self.cash, self.costs,
                                      self.accounts) if self.legs else None)
        return BacktestRequest(
            strategy=strategy,
            frame=self.frame,
            timeframe=self.timeframe,
            params=dict(self.params),
            symbol=self.symbol,
            confirm_timeframes=self.confirm_timeframes,
            cash=self.cash,
            costs=self.costs,
            portfolio=portfolio,
        )


def take_ticket(tickets: Any) -> bool:
    """Take one trial from the shared budget; False when it is used up.

    Taking the ticket before asking for a trial is what keeps the total exact: two workers that
    finish at the same moment cannot both start the last trial.
    """
    with tickets.get_lock():
        if tickets.value <= 0:
            return False
        tickets.value -= 1
        return True


class TrialRunner:
    """Suggests params, backtests them and records the outcome on an Optuna trial."""

    def __init__(self, task: StudyTask) -> None:
        self.task = task
        self.request = task.request()
        self.identity = {"worker_pid": os.getpid(), "worker_host": socket.gethostname()}

    def run(self, study: optuna.Study) -> None:
        """Run one trial of *study*; an exception in the backtest marks it FAIL, nothing more."""
        trial = study.ask()
        # Recorded first so the parent can find and fail this trial if the process dies in it.
        for key, value in self.identity.items():
            trial.set_user_attr(key, value)
        try:
            suggested = {name: spec.suggest(trial, name) for name, spec in self.task.space.items()}
            checkpoints = checkpoint_analyzers(trial, self.request, self.task.pruner,
                                               self.task.metric, self.task.min_trades)
            outcome = evaluate(self.request, suggested, self.task.metric, self.task.min_trades,
                               analyzers=checkpoints)
        except optuna.TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
            return
        except Exception as exc:
            trial.set_user_attr("error", error_line(exc)[:500])
            study.tell(trial, state=TrialState.FAIL)
            return
        # Each storage call is a round trip (a database transaction, a locked journal append),
        # so the metric set travels as one attribute rather than one per metric.
        trial.set_user_attr("metrics", outcome.metrics)
        trial.set_user_attr("daily_returns", outcome.daily_returns)
        if outcome.penalty:
            trial.set_user_attr("penalty_reason", outcome.penalty)
        study.tell(trial, list(outcome.values) if len(outcome.values) > 1 else outcome.value)


def worker_main(task: StudyTask, index: int, tickets: Any, stop: Any) -> None:
    """Process entry point: run trials of ``task.study_name`` until *tickets* or *stop* say so.

    Parameters
    ----------
    task : StudyTask
        What to run.
    index : int
        Worker number, added to the sampler seed so workers explore different points.
    tickets : multiprocessing.Value
        Shared count of trials still to start.
    stop : multiprocessing.Event
        Set by the parent (Ctrl-C, timeout): finish the running trial, then exit.
    """
    # Ctrl-C reaches the whole process group; only the parent decides how workers stop, so a
    # running trial is finished and kept rather than failed half-way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        seed = None if task.seed is None else task.seed + index
        study = optuna.load_study(study_name=task.study_name, storage=open_storage(task.storage),
                                  sampler=build_sampler(task.sampler, seed, task.n_jobs))
        study.pruner = make_pruner(task.pruner)
        runner = TrialRunner(task)
    except Exception as exc:
        print(f"error: worker {index}: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(WORKER_SETUP_FAILED)
    while not stop.is_set() and take_ticket(tickets):
        runner.run(study)
