"""The optimisation summary as one JSON-ready document (the table printed at the end is
:mod:`.summary_text`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from backtrader_engine.engine.report import package_versions, sha256_file
from backtrader_engine.optimize.default_trial import DEFAULT_NOTES_ATTR, defaults_vs_best
from backtrader_engine.optimize.objectives import PENALTY, TrialOutcome
from backtrader_engine.optimize.pareto import front_document
from backtrader_engine.optimize.runner import OptimizationResult
from backtrader_engine.optimize.samplers import describe_sampler
from backtrader_engine.optimize.storage import mask_storage
from backtrader_engine.strategies import space_to_dict

_STUDY_PACKAGES = ("optuna", "SQLAlchemy", "psycopg")

def versions() -> dict[str, str]:
    """Package versions of the run, the study packages included."""
    return package_versions(_STUDY_PACKAGES)


def status(result: OptimizationResult) -> str:
    """``finished``, ``interrupted`` or ``timeout``."""
    if result.interrupted:
        return "interrupted"
    return result.run.stopped or "finished"


def _span(frame: pd.DataFrame | None) -> dict[str, object] | None:
    if frame is None:
        return None
    return {"start": frame.index[0].isoformat(), "end": frame.index[-1].isoformat(),
            "bars": len(frame)}


def _sample(frame: pd.DataFrame | None, outcome: TrialOutcome | None) -> dict[str, object] | None:
    if frame is None:
        return None
    part = _span(frame) or {}
    if outcome is not None:
        part.update({"value": outcome.value, "penalty_reason": outcome.penalty,
                     "metrics": outcome.metrics})
    return part


def _with_problem(part: dict[str, object] | None, problem: str | None
                  ) -> dict[str, object] | None:
    """*part* with why it has no backtest (``problem``), when there is one."""
    if part is None or problem is None:
        return part
    return {**part, "problem": problem}


def best_params(result: OptimizationResult) -> dict[str, object] | None:
    """The params to trade: fixed ``--param`` values plus the best trial's searched values."""
    if result.best is None:
        return None
    return {**result.plan.fixed_params, **result.best.params}


def defaults_scored(result: OptimizationResult) -> dict[str, object] | None:
    """The default-params trial next to the best (:func:`.default_trial.defaults_vs_best`)."""
    notes = result.run.study.user_attrs.get(DEFAULT_NOTES_ATTR, [])
    return defaults_vs_best(result.trials, result.best, notes)


def _walk_forward(result: OptimizationResult) -> dict[str, object] | None:
    wf = result.walk_forward
    if wf is None:
        return None
    windows = []
    for w in wf.windows:
        windows.append({
            "study_name": w.study_name, "trials_this_run": w.trials_done,
            "train": {"start": w.window.train_start.isoformat(),
                      "end": w.window.train_end.isoformat()},
            "test": {"start": w.window.test_start.isoformat(),
                     "end": w.window.test_end.isoformat()},
            "best_value": None if w.best is None else w.best.value,
            "best_params": None if w.best is None else w.best.params,
            "train_return_ann_pct": w.train_return_ann, "test_return_ann_pct": w.test_return_ann,
            "train_metrics": w.train_metrics, "test_metrics": w.test_metrics,
            "problem": w.problem,
        })
    return {"windows": windows, "efficiency": wf.efficiency, "stitched": wf.stitched_metrics,
            "stopped": wf.stopped}


def build_summary(result: OptimizationResult, files: Mapping[str, Path]) -> dict[str, object]:
    """Everything ``optimization_summary.json`` holds (see ``docs/optimization.md``)."""
    plan, run, job = result.plan, result.run, result.plan.job
    request = plan.request
    data_file = plan.data_path
    return {
        "strategy": request.strategy.__name__,
        "strategy_spec": job.backtest.strategy,
        "study_name": plan.study_name,
        "storage": mask_storage(plan.storage),
        "status": status(result),
        "metric": job.metric,
        "direction": "maximize" if result.pareto is None else result.pareto.directions,
        "pruner": job.pruner,
        "started_at": datetime.fromtimestamp(result.started_at, UTC).isoformat(),
        "duration_s": result.finished_at - result.started_at,
        "study_duration_s": run.duration,
        "n_jobs": job.n_jobs,
        "seed": job.seed,
        "sampler": describe_sampler(job.sampler, job.seed, job.n_jobs),
        "trials_requested": job.trials,
        "trials_this_run": run.progress.trials_done if run.progress else 0,
        "trials": {**result.counts, "total": len(result.trials)},
        "min_trades": job.min_trades,
        "penalty_base": PENALTY,
        "best": None if result.best is None else {
            "trial": result.best.number, "value": result.best.value,
            "params": result.best.params},
        "best_params": best_params(result),
        "defaults": defaults_scored(result),
        "fixed_params": plan.fixed_params,
        "space": space_to_dict(plan.space),
        "data": {"file": str(data_file),
                 "sha256": sha256_file(data_file) if data_file.is_file() else None,
                 "symbol": request.symbol, "timeframe": request.timeframe,
                 **(_span(request.frame) or {})},
        "oos_fraction": job.oos_fraction,
        "in_sample": _sample(plan.in_sample, result.in_sample),
        "reproduces_best_trial": result.reproduced,
        "out_of_sample": _with_problem(_sample(plan.out_of_sample, result.out_of_sample),
                                       result.out_of_sample_problem),
        "walk_forward": _walk_forward(result),
        **({} if result.pareto is None else {
            "pareto": front_document(result.pareto, plan.fixed_params)}),
        "dsr": result.dsr,
        "lookahead": None if result.lookahead is None else result.lookahead.as_dict(),
        "pbo": result.pbo,
        "importances": result.importances,
        "cash": request.cash,
        "costs": request.costs.describe(),
        "events": list(run.events),
        "files": {name: str(path) for name, path in files.items()},
        "command": list(job.command) if job.command is not None else None,
        "versions": versions(),
    }
