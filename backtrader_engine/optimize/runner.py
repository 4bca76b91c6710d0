"""Run a prepared optimisation: the study, the best params in and out of sample, statistics.

The in-sample study runs on worker processes (:mod:`.pool`); everything after it runs in this
process: the best eligible trial's params are backtested once on the in-sample candles (which
must reproduce the trial's value exactly) and once on the held-out candles, the optional
walk-forward windows are optimised one after the other, and DSR, PBO and parameter importances
are computed from the stored trials.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial

from backtrader_engine.engine.bars_needed import NotEnoughBars
from backtrader_engine.engine.outdir import make_output_dir
from backtrader_engine.errors import UserError
from backtrader_engine.optimize.default_trial import enqueue_defaults
from backtrader_engine.optimize.lookahead_check import StudyLookahead, check_best_params
from backtrader_engine.optimize.objectives import TrialOutcome, direction, evaluate
from backtrader_engine.optimize.pareto import ParetoFront, pareto_front, validate_picks
from backtrader_engine.optimize.plan import OptimizationPlan
from backtrader_engine.optimize.pool import StudyRun, run_study
from backtrader_engine.optimize.progress import ProgressLine
from backtrader_engine.optimize.statistics import (
    backtest_overfitting,
    deflated_sharpe,
    param_importances,
)
from backtrader_engine.optimize.storage import create_or_load_study, open_storage
from backtrader_engine.optimize.trials import BestTrial, count_states, daily_grid, select_best
from backtrader_engine.optimize.walkforward_runner import WalkForwardResult, run_walk_forward
from backtrader_engine.strategies import space_to_dict
from backtrader_engine.strategies.failure import StrategyRunError, error_line

PROGRESS_FILE = "progress.json"


@dataclass
class OptimizationResult:
    """Everything the summary, the files and the table are made from."""

    plan: OptimizationPlan
    run: StudyRun
    trials: list[FrozenTrial]
    counts: dict[str, int]
    best: BestTrial | None
    in_sample: TrialOutcome | None = None
    out_of_sample: TrialOutcome | None = None
    #: Why the best params have no out-of-sample backtest (too few held-out bars for them,
    #: or the strategy raised there), else None.
    out_of_sample_problem: str | None = None
    walk_forward: WalkForwardResult | None = None
    #: The look-ahead check of the best params (None without a best trial).
    lookahead: StudyLookahead | None = None
    dsr: dict[str, object] | None = None
    pbo: dict[str, object] | None = None
    importances: dict[str, float] = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0
    #: The front of a study of several metrics (None for one metric).
    pareto: ParetoFront | None = None

    @property
    def reproduced(self) -> bool | None:
        """Whether the in-sample backtest of the best params gave the best trial's value
        (of a front: whether each pick gave its trial's values)."""
        if self.pareto is not None:
            return self.pareto.reproduced
        if self.best is None or self.in_sample is None:
            return None
        return self.in_sample.value == self.best.value

    @property
    def interrupted(self) -> bool:
        return self.run.stopped == "interrupted" or (
            self.walk_forward is not None and self.walk_forward.stopped == "interrupted")


def optimise(plan: OptimizationPlan, storage: BaseStorage, frame: pd.DataFrame,
             study_name: str, line: ProgressLine, label: str = "") -> StudyRun:
    """Create or continue *study_name* on *frame* and run ``--trials`` more trials of it.

    Raises
    ------
    UserError
        When the study exists with other settings, or no worker could run a single trial.
    """
    job = plan.job
    study = create_or_load_study(storage, plan.storage, study_name, plan.fingerprint(frame),
                                 [direction(name) for name in job.metrics])
    if not study.get_trials(deepcopy=False):
        # A new study starts from the strategy's own params; a resumed one already has them.
        for note in enqueue_defaults(study, plan.space, plan.request.params):
            line.message(f"note: default params: {note}")
    if "space" not in study.user_attrs:
        # For whoever browses the storage (optuna-dashboard): what the study searches.
        study.set_user_attr("space", space_to_dict(plan.space))
    run = run_study(plan.task(frame, study_name), study, storage, n_jobs=job.n_jobs,
                    trials=job.trials, timeout=job.timeout,
                    progress_path=plan.out_dir / PROGRESS_FILE, line=line, label=label)
    if run.stopped is None and run.events and run.progress and not run.progress.trials_done:
        raise UserError(f"study '{study_name}': no trial finished; {run.events[-1]}")
    return run


def validate(plan: OptimizationPlan, params: dict[str, object]
             ) -> tuple[TrialOutcome, TrialOutcome | None, str | None]:
    """Backtest *params* on the in-sample and the held-out candles.

    Returns
    -------
    tuple
        The in-sample outcome, the out-of-sample one (None without a held-out part or when it
        could not run) and why it could not run (too few bars, the strategy raised), or None.
    """
    job = plan.job
    in_sample = evaluate(plan.request, params, job.metric, job.min_trades, frame=plan.in_sample)
    if plan.out_of_sample is None:
        return in_sample, None, None
    try:
        return in_sample, evaluate(plan.request, params, job.metric, job.min_trades,
                                   frame=plan.out_of_sample), None
    except NotEnoughBars as exc:
        return in_sample, None, str(exc.reworded("the out-of-sample part has"))
    except StrategyRunError as exc:
        return in_sample, None, error_line(exc)


def run_optimization(plan: OptimizationPlan, line: ProgressLine | None = None
                     ) -> OptimizationResult:
    """Run *plan* end to end (without writing files).

    Parameters
    ----------
    plan : OptimizationPlan
        From :func:`~.plan.prepare_optimization`.
    line : ProgressLine, optional
        Where progress is shown (default: stderr).

    Returns
    -------
    OptimizationResult
        Also after Ctrl-C: then ``interrupted`` is true, the walk-forward is skipped and the
        result covers the trials that finished.
    """
    line = line or ProgressLine()
    started = time.time()
    make_output_dir(plan.out_dir, "--out" if plan.job.out else "the default study folder")
    storage = open_storage(plan.storage)
    run = optimise(plan, storage, plan.in_sample, plan.study_name, line)
    trials = run.study.get_trials(deepcopy=False)
    job = plan.job
    front = pareto_front(trials, job.metrics, job.pick) if len(job.metrics) > 1 else None
    best = front.best if front is not None else select_best(trials)
    result = OptimizationResult(plan, run, trials, count_states(trials), best,
                                started_at=started, pareto=front)
    if best is not None:
        result.in_sample, result.out_of_sample, result.out_of_sample_problem = validate(
            plan, best.params)
        if front is not None:
            first = front.picked[0]
            first.in_sample, first.out_of_sample, first.out_of_sample_problem = (
                result.in_sample, result.out_of_sample, result.out_of_sample_problem)
            validate_picks(front, lambda params: validate(plan, params))
        result.dsr = deflated_sharpe(trials, best)
        if run.stopped != "interrupted":  # after Ctrl-C the summary comes without delay
            result.lookahead = check_best_params(plan.request, best.params)
    result.pbo = backtest_overfitting(trials, daily_grid(plan.in_sample))
    result.importances = param_importances(run.study)
    if plan.windows and run.stopped != "interrupted":
        result.walk_forward = run_walk_forward(
            plan, lambda frame, name, label: optimise(plan, storage, frame, name, line, label))
    result.finished_at = time.time()
    return result
