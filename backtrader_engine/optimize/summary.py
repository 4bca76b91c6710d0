"""The optimisation summary: one JSON-ready document and the table printed at the end."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from backtrader_engine.engine.job import instrument_label
from backtrader_engine.engine.report import package_versions, sha256_file
from backtrader_engine.optimize.objectives import PENALTY, TrialOutcome
from backtrader_engine.optimize.runner import OptimizationResult
from backtrader_engine.optimize.storage import mask_storage
from backtrader_engine.strategies import space_to_dict

_STUDY_PACKAGES = ("optuna", "SQLAlchemy", "psycopg")

# (metric key, label, format) of the in-sample / out-of-sample comparison in the table.
_COMPARE_ROWS = [
    ("total_return_pct", "Total return %", "{:+.2f}"),
    ("cagr_pct", "CAGR %", "{:+.2f}"),
    ("max_drawdown_pct", "Max drawdown %", "{:.2f}"),
    ("sharpe", "Sharpe", "{:.3f}"),
    ("sortino", "Sortino", "{:.3f}"),
    ("calmar", "Calmar", "{:.3f}"),
    ("rmd", "Return / max DD", "{:.3f}"),
    ("profit_factor", "Profit factor", "{:.3f}"),
    ("win_rate_pct", "Win rate %", "{:.1f}"),
    ("trades", "Closed trades", "{}"),
    ("orders_rejected", "Orders rejected", "{}"),
]


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
        "direction": "maximize",
        "started_at": datetime.fromtimestamp(result.started_at, UTC).isoformat(),
        "duration_s": result.finished_at - result.started_at,
        "study_duration_s": run.duration,
        "n_jobs": job.n_jobs,
        "seed": job.seed,
        "trials_requested": job.trials,
        "trials_this_run": run.progress.trials_done if run.progress else 0,
        "trials": {**result.counts, "total": len(result.trials)},
        "min_trades": job.min_trades,
        "penalty_base": PENALTY,
        "best": None if result.best is None else {
            "trial": result.best.number, "value": result.best.value,
            "params": result.best.params},
        "best_params": best_params(result),
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
        "dsr": result.dsr,
        "pbo": result.pbo,
        "importances": result.importances,
        "cash": request.cash,
        "costs": request.costs.describe(),
        "events": list(run.events),
        "files": {name: str(path) for name, path in files.items()},
        "command": list(job.command) if job.command is not None else None,
        "versions": versions(),
    }


def _fmt(value: object, fmt: str = "{:.4g}") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return fmt.format(value)


def _wrap_params(params: Mapping[str, object], indent: int, width: int = 100) -> list[str]:
    lines, current = [], ""
    for item in (f"{k}={v!r}" if isinstance(v, str) else f"{k}={v:g}" if isinstance(v, float)
                 else f"{k}={v}" for k, v in params.items()):
        if current and len(current) + 1 + len(item) > width - indent:
            lines.append(current)
            current = item
        else:
            current = f"{current} {item}".strip()
    return [*lines, current] if current else ["(none)"]


def _comparison(result: OptimizationResult) -> list[str]:
    ins = result.in_sample.metrics if result.in_sample else {}
    oos = result.out_of_sample.metrics if result.out_of_sample else None
    lines = [f"  {'':<22}{'in-sample':>14}{'out-of-sample' if oos is not None else '':>16}"]
    for key, label, fmt in _COMPARE_ROWS:
        right = f"{_fmt(oos.get(key), fmt):>16}" if oos is not None else ""
        lines.append(f"  {label:<22}{_fmt(ins.get(key), fmt):>14}{right}")
    return lines


def _statistics(result: OptimizationResult) -> list[str]:
    dsr, pbo, wf = result.dsr, result.pbo, result.walk_forward
    lines = []
    if dsr:
        sharpe, luck = _fmt(dsr["sharpe"], "{:.4f}"), _fmt(dsr["expected_max_sharpe"], "{:.4f}")
        lines.append(f"DSR  {_fmt(dsr['dsr'], '{:.3f}'):>8}   deflated Sharpe: daily Sharpe "
                     f"{sharpe} vs {luck} expected from luck over {dsr['n_trials']} trials")
    else:
        lines.append("DSR       n/a   (no eligible best trial or too few daily returns)")
    if pbo:
        lines.append(f"PBO  {_fmt(pbo['pbo'], '{:.3f}'):>8}   backtest overfitting: "
                     f"{pbo['n_splits']} splits, {pbo['n_combinations']} combinations, "
                     f"{pbo['n_trials']} trials")
    else:
        lines.append("PBO       n/a   (needs at least 2 eligible trials)")
    if wf is None:
        lines.append("WFE       n/a   (no --walk-forward)")
        return lines
    stitched = wf.stitched_metrics
    if wf.efficiency is None:
        head = (f"WFE       n/a   walk-forward efficiency over {len(wf.windows)} windows: "
                f"{_why_no_efficiency(wf)}")
    else:
        head = (f"WFE  {_fmt(wf.efficiency, '{:.3f}'):>8}   walk-forward efficiency over "
                f"{len(wf.windows)} windows")
    lines.append(f"{head}; stitched test return "
                 f"{_fmt(stitched.get('total_return_pct'), '{:+.2f}')}%, max DD "
                 f"{_fmt(stitched.get('max_drawdown_pct'), '{:.2f}')}%")
    for number, w in enumerate(wf.windows, start=1):
        span = f"{w.window.test_start:%Y-%m-%d} -> {w.window.test_end:%Y-%m-%d}"
        lines.append(f"  wf{number:<3}test {span}  annualised return train "
                     f"{_fmt(w.train_return_ann, '{:+.1f}')}% / test "
                     f"{_fmt(w.test_return_ann, '{:+.1f}')}%"
                     f"{_window_note(w)}")
    return lines


def _window_note(w) -> str:
    if w.best is None:
        return "  (no eligible trial: not traded)"
    return f"  (test not run: {w.problem})" if w.problem else ""


def format_table(result: OptimizationResult, files: Mapping[str, Path]) -> str:
    """The summary table printed at the end of a run."""
    plan, run, counts = result.plan, result.run, result.counts
    request = plan.request
    done = run.progress.trials_done if run.progress else 0
    rate = done / run.duration if run.duration > 0 else 0.0
    # The instrument as the backtest summary names it: from the data's own facts first.
    instrument, _ = instrument_label(plan.data_path, plan.job.backtest.symbol)
    header = (f"{request.strategy.__name__}  {instrument} {request.timeframe}  study "
              f"{plan.study_name}  metric {plan.job.metric} (maximise)")
    lines = [header, "-" * len(header),
             f"status   {status(result)}; this run {done} trials in {run.duration:.1f} s "
             f"({rate:.2f}/s, {plan.job.n_jobs} workers)",
             f"trials   {counts['complete']} complete ({counts['penalised']} penalised), "
             f"{counts['pruned']} pruned, {counts['failed']} failed, {len(result.trials)} in the "
             "study"]
    if result.best is None:
        lines.append(f"best     none: no complete trial reached --min-trades "
                     f"{plan.job.min_trades} with a defined {plan.job.metric}")
    else:
        check = {True: "reproduced exactly", False: "NOT reproduced", None: ""}[result.reproduced]
        lines.append(f"best     {result.best.value:.6g} (trial {result.best.number}, {check})")
        params = _wrap_params(best_params(result) or {}, 9)
        lines += [f"params   {params[0]}", *(f"         {p}" for p in params[1:])]
        lines += _comparison(result)
    lines += _statistics(result)
    lines.append("files")
    lines += [f"  {name:<12}{path}" for name, path in files.items()]
    storage = "" if plan.job.storage is None else f" --storage {mask_storage(plan.storage)}"
    lines.append(f"continue with: --study-name {plan.study_name}{storage}"
                 f"{'' if plan.job.out is None else f' --out {plan.out_dir}'}")
    return "\n".join(line.rstrip() for line in lines)


def _why_no_efficiency(wf) -> str:
    """Why the walk-forward efficiency could not be computed, for the WFE line."""
    pairs = [(w.train_return_ann, w.test_return_ann) for w in wf.windows
             if w.best is not None]
    if not pairs:
        return "no window had an eligible trial, so none traded"
    if any(r is None or not math.isfinite(r) for pair in pairs for r in pair):
        return "a window's annualised return is undefined (a wiped-out account)"
    return ("the windows' mean annualised train return is not positive, so a test/train "
            "ratio would say nothing")
