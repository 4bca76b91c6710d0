"""The files of an optimisation run, all in its output folder.

``optimization_summary.json`` (see :mod:`.summary`), ``trials.csv`` (one row per trial),
``best_params.json`` (``{"strategy": ..., "params": {...}}``, read by ``backtest
--params-file``), and the plots ``history.png``, ``importances.png``, ``heatmap.png`` or
``slice.png`` and ``oos_equity.png``. A study of several metrics writes its front instead of
the history, heatmap and slice plots (:mod:`.pareto_outputs`); its ``best_params.json`` is the
first pick's.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from backtrader_engine.optimize import plots
from backtrader_engine.optimize.pareto_outputs import write_front
from backtrader_engine.optimize.runner import PROGRESS_FILE, OptimizationResult
from backtrader_engine.optimize.summary import best_params, build_summary
from backtrader_engine.optimize.trials import trials_frame

SUMMARY_FILE = "optimization_summary.json"
TRIALS_FILE = "trials.csv"
BEST_PARAMS_FILE = "best_params.json"


def _clean(value: object) -> object:
    """JSON-safe copy: non-finite floats become null, timestamps ISO strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def write_json(path: Path, document: object) -> Path:
    """Write *document* as indented JSON, atomically (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(_clean(document), indent=2, default=str) + "\n")
    os.replace(tmp, path)
    return path


def best_params_document(result: OptimizationResult) -> dict[str, object] | None:
    """``{"strategy": "<Name>", "params": {...}}`` of the best trial, or None without one."""
    params = best_params(result)
    if params is None:
        return None
    return {"strategy": result.plan.request.strategy.__name__, "params": params}


def _plot(problems: list[str], name: str, draw: Callable[[], Path]) -> Path | None:
    # A plot is a view of results already saved elsewhere: one that cannot be drawn must not
    # cost the summary of a long study, so it is reported and skipped.
    try:
        return draw()
    except Exception as exc:
        problems.append(f"{name} plot skipped: {type(exc).__name__}: {exc}")
        return None


def write_plots(result: OptimizationResult, trials: pd.DataFrame, out: Path
                ) -> tuple[dict[str, Path], list[str]]:
    """Draw the four plots into *out*; returns the written paths and any skipped plot."""
    metric = result.plan.job.metric
    problems: list[str] = []
    drawn: dict[str, Path | None] = {}
    single = result.pareto is None
    if single:  # a front has no single value to draw a history, heatmap or slice of
        drawn["history"] = _plot(problems, "history", lambda: plots.plot_history(
            trials, out / "history.png", metric))
    drawn["importances"] = _plot(problems, "importances", lambda: plots.plot_importances(
        result.importances, out / "importances.png"))
    if single:
        chosen = (plots.choose_heatmap_params(trials, result.importances)
                  if not trials.empty else ())
        if len(chosen) == 2:
            drawn["heatmap"] = _plot(problems, "heatmap", lambda: plots.plot_param_heatmap(
                trials, chosen[0], chosen[1], out / "heatmap.png", metric))
        else:
            param = chosen[0] if chosen else next(iter(result.plan.space))
            drawn["slice"] = _plot(problems, "slice", lambda: plots.plot_slice(
                trials, param, out / "slice.png", metric))
    wf = result.walk_forward
    drawn["oos_equity"] = _plot(problems, "oos_equity", lambda: plots.plot_oos_equity(
        result.in_sample.result.equity["equity"] if result.in_sample else None,
        result.out_of_sample.result.equity["equity"] if result.out_of_sample else None,
        wf.equity if wf is not None else None, out / "oos_equity.png"))
    return {k: v for k, v in drawn.items() if v is not None}, problems


def write_outputs(result: OptimizationResult) -> tuple[dict[str, Path], list[str]]:
    """Write every file of *result* into its output folder.

    Returns
    -------
    tuple
        ``{name: path}`` of the files written (the summary last) and the problems met (plots
        that could not be drawn), one line each.
    """
    out = result.plan.out_dir
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    frame = trials_frame(result.trials)
    frame.to_csv(out / TRIALS_FILE, index=False)
    files["trials"] = out / TRIALS_FILE
    document = best_params_document(result)
    if document is not None:
        files["best"] = write_json(out / BEST_PARAMS_FILE, document)
    problems: list[str] = []
    if result.pareto is not None:
        front_files, problems = write_front(
            result.pareto, result.trials, result.plan.fixed_params,
            result.plan.request.strategy.__name__, out, write_json, result.plan.job.plots)
        files.update(front_files)
    if result.plan.job.plots:
        drawn, plot_problems = write_plots(result, frame, out)
        files.update(drawn)
        problems += plot_problems
    if (out / PROGRESS_FILE).is_file():
        files["progress"] = out / PROGRESS_FILE
    files["summary"] = out / SUMMARY_FILE
    summary = build_summary(result, files)
    summary["problems"] = problems
    write_json(files["summary"], summary)
    return files, problems
