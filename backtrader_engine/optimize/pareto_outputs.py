"""The files of a study of several metrics: the front as JSON and CSV, one params file per pick,
and ``pareto.png``.

``pareto.json`` (the summary's ``pareto`` section), ``pareto.csv`` (one row per front point),
``pareto/trial-<n>/best_params.json`` per picked point (the format ``backtest --params-file``
reads) and ``pareto.png``: every eligible trial on the first two metrics, the front drawn as a
line and the picks ringed and numbered. The plot is drawn in a forked child while the other
files are written (:func:`~backtrader_engine.engine.forked.alongside`), as the backtest report
draws its plots.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
from optuna.trial import FrozenTrial

from backtrader_engine.engine.forked import alongside
from backtrader_engine.optimize.pareto import ParetoFront, front_document, front_rows
from backtrader_engine.optimize.trials import eligible

PARETO_JSON = "pareto.json"
PARETO_CSV = "pareto.csv"
PARETO_PLOT = "pareto.png"
PARETO_DIR = "pareto"
BEST_PARAMS_FILE = "best_params.json"

#: ``(trial, first metric, second metric)`` of each eligible trial.
Point = tuple[int, float, float]


def plot_front(trials: Sequence[Point], front: Sequence[Point], picked: Sequence[Point],
               labels: tuple[str, str], path: Path) -> Path:
    """Draw the eligible *trials*, the *front* and its *picked* points on two metrics."""
    from backtrader_engine.optimize.plots import _message_figure, _save, plt

    if not trials:
        return _message_figure(path, "Pareto front", "no eligible trial: nothing to draw")
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.scatter([p[1] for p in trials], [p[2] for p in trials], s=14, color="0.7",
               label="eligible trials")
    ordered = sorted(front, key=lambda p: (p[1], p[2]))
    ax.plot([p[1] for p in ordered], [p[2] for p in ordered], "o-", color="tab:blue",
            markersize=5, label="Pareto front")
    ax.scatter([p[1] for p in picked], [p[2] for p in picked], s=110, facecolors="none",
               edgecolors="tab:red", linewidths=1.6, label="picked")
    for number, x, y in picked:
        ax.annotate(f"#{number}", (x, y), textcoords="offset points", xytext=(6, 6),
                    fontsize=8, color="tab:red")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(f"Pareto front: {labels[0]} vs {labels[1]}")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def _points(trials: Sequence[FrozenTrial]) -> list[Point]:
    return [(t.number, float(t.values[0]), float(t.values[1])) for t in trials]


def _write_files(front: ParetoFront, fixed: dict[str, object], strategy: str, out: Path,
                 write_json: Callable[[Path, object], Path]) -> dict[str, Path]:
    files = {"pareto": write_json(out / PARETO_JSON, front_document(front, fixed))}
    rows = front_rows(front)
    table = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["trial", "picked",
                                                                  *front.metrics])
    table.to_csv(out / PARETO_CSV, index=False)
    files["pareto_csv"] = out / PARETO_CSV
    for point in front.picked:
        folder = out / PARETO_DIR / f"trial-{point.number}"
        folder.mkdir(parents=True, exist_ok=True)
        files[f"trial-{point.number}"] = write_json(
            folder / BEST_PARAMS_FILE, {"strategy": strategy, "params": {**fixed, **point.params}})
    return files


def write_front(front: ParetoFront, trials: Sequence[FrozenTrial], fixed: dict[str, object],
                strategy: str, out: Path, write_json: Callable[[Path, object], Path],
                plot: bool) -> tuple[dict[str, Path], list[str]]:
    """Write the front's files into *out*; returns ``{name: path}`` and any plot problem."""
    if not plot:
        return _write_files(front, fixed, strategy, out, write_json), []
    everything = _points(eligible(trials))
    on_front = {p.number for p in front.points}
    picked = {p.number for p in front.picked}
    files: dict[str, Path] = {}
    try:
        with alongside(plot_front, everything, [p for p in everything if p[0] in on_front],
                       [p for p in everything if p[0] in picked],
                       (front.metrics[0], front.metrics[1]), out / PARETO_PLOT,
                       name="drawing pareto.png"):
            files = _write_files(front, fixed, strategy, out, write_json)
    except Exception as exc:
        if not files:
            raise  # the files themselves could not be written
        # A plot is a view of files already written: one that cannot be drawn is reported
        # and skipped, as the other plots are.
        return files, [f"pareto plot skipped: {type(exc).__name__}: {exc}"]
    return {**files, "pareto_plot": out / PARETO_PLOT}, []
