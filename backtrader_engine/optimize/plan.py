"""An optimisation described the way users describe it, checked and resolved before any trial.

:func:`prepare_optimization` turns an :class:`OptimizeJob` (strategy spec, data, flags) into an
:class:`OptimizationPlan`: the resolved strategy and search space, the in-sample and
out-of-sample candles, the walk-forward windows, the study name, output folder and storage.
Everything a user can get wrong fails here, with one line, before a worker starts.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from backtrader_engine.data.frame import datetime_index
from backtrader_engine.engine.backtest import BacktestRequest, check_enough_bars
from backtrader_engine.engine.bars_needed import NotEnoughBars
from backtrader_engine.engine.job import BacktestJob, bars_source, prepare_backtest
from backtrader_engine.engine.outdir import check_output_dir
from backtrader_engine.engine.portfolio import common_range
from backtrader_engine.engine.portfolio_job import prepare_portfolio
from backtrader_engine.errors import StrategyError, UserError
from backtrader_engine.optimize.choices import (
    DEFAULT_METRIC,
    DEFAULT_PICK,
    DEFAULT_PRUNER,
    DEFAULT_SAMPLER,
)
from backtrader_engine.optimize.objectives import metric_names
from backtrader_engine.optimize.pareto import check_pick
from backtrader_engine.optimize.pruning import check_pruner
from backtrader_engine.optimize.samplers import check_sampler
from backtrader_engine.optimize.storage import check_storage, default_storage
from backtrader_engine.optimize.walkforward import (
    Window,
    split_in_out_of_sample,
    walk_forward_windows,
)
from backtrader_engine.optimize.worker import StudyTask
from backtrader_engine.strategies import ParamSpec, load_space_file, space_of

DEFAULT_OUT_ROOT = Path("runs/optimize")


@dataclass
class OptimizeJob:
    """User-level inputs of one optimisation.

    ``backtest`` carries the strategy spec, data, date range, costs and the fixed params
    (``--param``, not searched); the other fields are the study's own options.
    """

    backtest: BacktestJob
    n_jobs: int = 1
    trials: int = 200
    timeout: float | None = None
    metric: str = DEFAULT_METRIC
    storage: str | None = None
    study_name: str | None = None
    seed: int | None = None
    sampler: str = DEFAULT_SAMPLER
    min_trades: int = 10
    oos_fraction: float = 0.3
    walk_forward: int = 0
    out: Path | None = None
    space_file: Path | None = None
    plots: bool = True
    command: Sequence[str] | None = None
    pruner: str = DEFAULT_PRUNER
    #: Pareto-front points of a multi-metric study to validate and write (None: all of them).
    pick: int | None = DEFAULT_PICK

    @property
    def metrics(self) -> tuple[str, ...]:
        """The ``--metric`` names (one, or several for a multi-objective study)."""
        return metric_names(self.metric)


@dataclass
class OptimizationPlan:
    """A checked optimisation, ready to run."""

    job: OptimizeJob
    request: BacktestRequest
    data_path: Path
    space: dict[str, ParamSpec]
    in_sample: pd.DataFrame
    out_of_sample: pd.DataFrame | None
    windows: list[Window] = field(default_factory=list)
    study_name: str = ""
    out_dir: Path = DEFAULT_OUT_ROOT
    storage: str = ""

    @property
    def fixed_params(self) -> dict[str, object]:
        """The ``--param`` values after coercion to each parameter's type."""
        return {name: self.request.params[name] for name in self.job.backtest.params}

    def task(self, frame: pd.DataFrame, study_name: str) -> StudyTask:
        """What the workers of a study on *frame* run."""
        request = self.request
        portfolio = request.portfolio
        return StudyTask(
            strategy_spec=self.job.backtest.strategy, frame=frame, timeframe=request.timeframe,
            symbol=request.symbol, confirm_timeframes=tuple(request.confirm_timeframes),
            cash=request.cash, costs=request.costs, params=dict(request.params),
            space=dict(self.space), metric=self.job.metric, min_trades=self.job.min_trades,
            storage=self.storage, study_name=study_name, seed=self.job.seed,
            pruner=self.job.pruner,
            # A portfolio's symbols travel with the task; the run cuts them to *frame*'s range.
            legs=tuple(portfolio.legs) if portfolio is not None else (),
            accounts=portfolio.accounts if portfolio is not None else "shared",
            sampler=self.job.sampler, n_jobs=self.job.n_jobs)

    def fingerprint(self, frame: pd.DataFrame) -> dict[str, object]:
        """The settings that make the values of a study on *frame* comparable."""
        request = self.request
        return {
            "strategy": request.strategy.__name__,
            "metric": self.job.metric,
            "min_trades": self.job.min_trades,
            "symbol": request.symbol,
            "timeframe": request.timeframe,
            "confirm_timeframes": list(request.confirm_timeframes),
            "data_start": frame.index[0].isoformat(),
            "data_end": frame.index[-1].isoformat(),
            "bars": len(frame),
            "cash": request.cash,
            "costs": request.costs.describe(),
            "fixed_params": self.fixed_params,
            # A portfolio's account model changes every value; single-symbol studies lack it.
            **({"accounts": request.portfolio.accounts} if request.portfolio is not None
               else {}),
        }


def check_study_options(job: OptimizeJob) -> None:
    """Refuse option values no study can run with (one line each)."""
    metrics = metric_names(job.metric)
    check_pruner(job.pruner, metrics)
    if job.pruner != "none" and job.backtest.symbols:
        # The checkpoints read one broker's equity bar by bar; a portfolio has one per account.
        raise UserError(f"--pruner {job.pruner}: a portfolio study (--symbols) cannot be "
                        "pruned; use --pruner none or one symbol")
    check_pick(job.pick)
    check_sampler(job.sampler, metrics)
    if len(metrics) > 1 and job.walk_forward:
        raise UserError(f"--walk-forward {job.walk_forward}: a window trades one winner, and a "
                        f"study of several metrics ({job.metric}) has a front of them; use one "
                        "--metric or --walk-forward 0")
    rules = [
        ("--n-jobs", job.n_jobs, job.n_jobs >= 1, "must be at least 1"),
        ("--trials", job.trials, job.trials >= 1, "must be at least 1"),
        ("--min-trades", job.min_trades, job.min_trades >= 0, "must be 0 or more"),
        ("--walk-forward", job.walk_forward, job.walk_forward >= 0,
         "must be 0 (off) or a number of windows"),
        ("--timeout", job.timeout, job.timeout is None or job.timeout > 0,
         "must be a positive number of seconds"),
    ]
    for flag, value, ok, expected in rules:
        if not ok:
            raise UserError(f"{flag} {value}: {expected}")
    name = job.study_name
    if name is not None and (not name.strip() or any(c in name for c in "/\\")):
        raise UserError(f"--study-name {name!r}: must be non-empty and contain no / or \\ "
                        "(it names the output folder)")


def resolve_space(strategy: type, space_file: Path | None,
                  fixed: Sequence[str]) -> dict[str, ParamSpec]:
    """The searched space: ``--space`` or the class's ``search_space``, minus fixed params."""
    if space_file is not None:
        space = load_space_file(space_file, strategy)
    else:
        space = space_of(strategy)
        if not space:
            raise StrategyError(
                f"{strategy.__name__} declares no search_space; add one to the class or pass "
                "--space space.json, e.g. {\"period\": {\"type\": \"int\", \"low\": 5, "
                "\"high\": 50}}")
    searched = {name: spec for name, spec in space.items() if name not in fixed}
    if not searched:
        raise StrategyError(f"every parameter of the search space is fixed by --param "
                            f"({', '.join(space)}); nothing is left to optimise")
    return searched


def default_study_name(strategy: type) -> str:
    """``<Strategy>-<YYYYmmdd-HHMMSS>``: a new study per run unless --study-name is given."""
    return f"{strategy.__name__}-{time.strftime('%Y%m%d-%H%M%S')}"


def check_parts_long_enough(job: OptimizeJob, request: BacktestRequest, data_path: Path,
                            in_sample: pd.DataFrame, out_of_sample: pd.DataFrame | None) -> None:
    """Refuse a study whose fixed params already need more bars than a part of the data.

    Trials whose sampled params need more fail one by one with the same message; this catches
    the case where none could run, before a worker starts.
    """
    whole = bars_source(job.backtest, data_path)
    parts = [(in_sample, f"the in-sample part (before the last --oos-fraction "
                         f"{job.oos_fraction:g}) has" if out_of_sample is not None else whole)]
    if out_of_sample is not None:
        parts.append((out_of_sample, f"the out-of-sample part (--oos-fraction "
                                     f"{job.oos_fraction:g}) has"))
    for frame, where in parts:
        try:
            check_enough_bars(replace(request, frame=frame))
        except NotEnoughBars as exc:
            raise exc.reworded(where) from None


def _prepare_request(backtest: BacktestJob, fees: tuple[float, float]) -> tuple[
        BacktestRequest, Path]:
    """One symbol's request, or with ``--symbols`` the portfolio's over the time range every
    symbol has data for (so the out-of-sample split cuts all symbols at the same time)."""
    if not backtest.symbols:
        return prepare_backtest(backtest, fees)
    portfolio, _sources, where = prepare_portfolio(backtest, fees)
    portfolio = replace(portfolio, legs=common_range(portfolio.legs))
    return portfolio.as_request(), where


def prepare_optimization(job: OptimizeJob, fees: tuple[float, float]) -> OptimizationPlan:
    """Check *job* and resolve everything a study needs.

    Parameters
    ----------
    job : OptimizeJob
        The user's inputs.
    fees : tuple of float
        Configured (taker, maker) fees, used where no fee flag is given.

    Returns
    -------
    OptimizationPlan

    Raises
    ------
    UserError
        For a bad option, strategy, param, space, data file or split (one line each).
    """
    check_study_options(job)
    request, data_path = _prepare_request(job.backtest, fees)
    space = resolve_space(request.strategy, job.space_file, list(job.backtest.params))
    in_sample, out_of_sample = split_in_out_of_sample(request.frame, job.oos_fraction)
    windows = (walk_forward_windows(datetime_index(request.frame), job.walk_forward)
               if job.walk_forward else [])
    study_name = job.study_name or default_study_name(request.strategy)
    out_dir = Path(job.out) if job.out else DEFAULT_OUT_ROOT / study_name
    check_output_dir(out_dir, "--out" if job.out else "the default study folder")
    check_parts_long_enough(job, request, data_path, in_sample, out_of_sample)
    storage = job.storage or default_storage(out_dir)
    check_storage(storage)
    return OptimizationPlan(job, request, data_path, space, in_sample, out_of_sample, windows,
                            study_name, out_dir, storage)
