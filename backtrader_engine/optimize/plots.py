"""Study plots drawn with matplotlib's Agg backend.

The trial plots take the frame of :meth:`optuna.study.Study.trials_dataframe`: columns
``number``, ``value``, ``state`` (``COMPLETE``, ``FAIL``, ``PRUNED``, ``RUNNING``), one
``params_<name>`` column per parameter and ``user_attrs_<name>`` columns. A trial counts as
penalised (its value is a sentinel, not a real score) when its ``user_attrs_penalised`` column is
true or its ``user_attrs_penalty_reason`` is a non-empty string. Parameter arguments may be given
with or without the ``params_`` prefix. Every function writes a PNG, also when there is nothing
to draw (the figure then says why), so a report never has a missing file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: no display is needed or wanted for report files

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from backtrader_engine.engine.decimate import decimate  # noqa: E402

PENALISED_FLAG = "user_attrs_penalised"
PENALTY_REASON = "user_attrs_penalty_reason"
_HEATMAP_MIN_TRIALS = 200  # beyond this a scatter hides points under each other; bin instead
_HEATMAP_BINS = 20


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _message_figure(path: Path, title: str, message: str) -> Path:
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes)
    ax.set_axis_off()
    return _save(fig, path)


def _column(trials: pd.DataFrame, param: str) -> str:
    """The trials-frame column of *param*, accepting the name with or without ``params_``."""
    return param if param in trials.columns else f"params_{param}"


def _label(param: str) -> str:
    return param.removeprefix("params_")


def _penalised(trials: pd.DataFrame) -> pd.Series:
    flag = pd.Series(False, index=trials.index)
    if PENALISED_FLAG in trials.columns:
        flag |= trials[PENALISED_FLAG].fillna(False).astype(bool)
    if PENALTY_REASON in trials.columns:
        reason = trials[PENALTY_REASON]
        flag |= reason.notna() & (reason.astype(str).str.len() > 0)
    return flag


def _normalised(trials: pd.DataFrame) -> pd.DataFrame:
    """*trials* with the three core columns present.

    ``trials_dataframe()`` of a study without trials has no columns at all; filling the
    missing ones lets every plot take the same path to its "nothing to draw" figure.
    """
    defaults: dict[str, Callable[[], np.ndarray | float | str]] = {
        "number": lambda: np.arange(len(trials)), "value": lambda: np.nan,
        "state": lambda: "COMPLETE"}
    missing = {name: make() for name, make in defaults.items() if name not in trials.columns}
    return trials.assign(**missing) if missing else trials


def _scored(trials: pd.DataFrame) -> pd.DataFrame:
    """Complete, non-penalised trials that have a value: the ones whose scores are comparable."""
    keep = (trials["state"] == "COMPLETE") & trials["value"].notna() & ~_penalised(trials)
    return trials[keep]


def _axis_values(values: pd.Series) -> tuple[np.ndarray, list[str] | None]:
    """Numeric positions for a parameter column, with tick labels for a categorical one."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float), None
    labels = sorted(values.astype(str).unique())
    codes = values.astype(str).map({label: i for i, label in enumerate(labels)})
    return codes.to_numpy(dtype=float), labels


def _apply_categories(ax: Axes, labels: list[str] | None, axis: str) -> None:
    if labels is None:
        return
    positions = list(range(len(labels)))
    if axis == "x":
        ax.set_xticks(positions, labels, rotation=30, ha="right")
    else:
        ax.set_yticks(positions, labels)


def plot_history(trials: pd.DataFrame, path: Path, metric: str, *,
                 direction: str = "maximize") -> Path:
    """Objective value per trial number with the running best.

    Complete trials are dots, the running best a step line (over non-penalised trials, towards
    *direction*). Penalised, failed and pruned trials have no comparable value, so they are
    marked on the bottom edge of the plot rather than at their sentinel values, which would
    squash the real scores into a line.
    """
    title = f"Optimisation history ({metric})"
    trials = _normalised(trials)
    scored = _scored(trials).sort_values("number")
    penalised = trials[_penalised(trials) & (trials["state"] == "COMPLETE")]
    failed = trials[trials["state"].isin(["FAIL", "PRUNED"])]
    if scored.empty and penalised.empty and failed.empty:
        return _message_figure(path, title, "no finished trials")
    fig, ax = plt.subplots(figsize=(10, 5))
    if not scored.empty:
        values = scored["value"].to_numpy(dtype=float)
        best = np.minimum.accumulate(values) if direction == "minimize" else \
            np.maximum.accumulate(values)
        ax.scatter(scored["number"], values, s=14, color="#1f77b4", alpha=0.7, label="trial")
        ax.step(scored["number"], best, where="post", color="#d62728", linewidth=1.3,
                label="best so far")
    # A blended transform puts the markers at trial numbers on x and at the bottom edge on y.
    edge = ax.get_xaxis_transform()
    for rows, marker, colour, label in ((penalised, "x", "#ff7f0e", "penalised"),
                                        (failed, "v", "#7f7f7f", "failed / pruned")):
        if not rows.empty:
            ax.scatter(rows["number"], np.full(len(rows), 0.02), marker=marker, color=colour,
                       s=24, transform=edge, clip_on=False, label=label)
    ax.set_xlabel("trial")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return _save(fig, path)


def plot_importances(importances: dict[str, float], path: Path) -> Path:
    """Horizontal bars of parameter importances, the most important at the top."""
    title = "Parameter importances"
    if not importances:
        return _message_figure(path, title, "no parameter importances available "
                               "(too few complete trials or fewer than two parameters)")
    ranked = sorted(importances.items(), key=lambda item: item[1])
    names = [_label(name) for name, _ in ranked]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.45 * len(ranked) + 1.2)))
    ax.barh(names, [value for _, value in ranked], color="#1f77b4")
    ax.set_xlabel("importance")
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="x")
    return _save(fig, path)


def plot_param_heatmap(trials: pd.DataFrame, x: str, y: str, path: Path, metric: str) -> Path:
    """Objective value over two parameters.

    Up to :data:`_HEATMAP_MIN_TRIALS` scored trials are drawn as a scatter coloured by value;
    with more, two numeric parameters are binned on a grid showing each cell's mean value.
    """
    x_col, y_col = _column(trials, x), _column(trials, y)
    title = f"{metric} over {_label(x_col)} and {_label(y_col)}"
    if x_col not in trials.columns or y_col not in trials.columns:
        return _message_figure(path, title, "parameter not in the trials")
    scored = _scored(_normalised(trials)).dropna(subset=[x_col, y_col])
    if scored.empty:
        return _message_figure(path, title, "no complete trials to plot")
    # Best last, so trials sharing a point never hide the best one under a worse one.
    scored = scored.sort_values("value", kind="stable")
    xs, x_labels = _axis_values(scored[x_col])
    ys, y_labels = _axis_values(scored[y_col])
    values = scored["value"].to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(8, 6))
    numeric = x_labels is None and y_labels is None
    if numeric and len(scored) > _HEATMAP_MIN_TRIALS and np.ptp(xs) > 0 and np.ptp(ys) > 0:
        totals, x_edges, y_edges = np.histogram2d(xs, ys, bins=_HEATMAP_BINS, weights=values)
        counts, _, _ = np.histogram2d(xs, ys, bins=[x_edges, y_edges])
        mean = np.ma.masked_where(counts == 0, totals / np.where(counts == 0, 1, counts))
        mesh = ax.pcolormesh(x_edges, y_edges, mean.T, cmap="viridis")
        fig.colorbar(mesh, ax=ax, label=f"mean {metric}")
    else:
        points = ax.scatter(xs, ys, c=values, cmap="viridis", s=30, edgecolors="none")
        best = int(np.argmax(values))
        ax.scatter([xs[best]], [ys[best]], s=140, facecolors="none", edgecolors="red",
                   linewidths=1.5, label="best")
        ax.legend(loc="best", fontsize=8)
        fig.colorbar(points, ax=ax, label=metric)
    _apply_categories(ax, x_labels, "x")
    _apply_categories(ax, y_labels, "y")
    ax.set_xlabel(_label(x_col))
    ax.set_ylabel(_label(y_col))
    ax.set_title(title)
    return _save(fig, path)


def plot_slice(trials: pd.DataFrame, param: str, path: Path, metric: str) -> Path:
    """Objective value against one parameter, coloured by trial number (early to late)."""
    col = _column(trials, param)
    title = f"{metric} over {_label(col)}"
    if col not in trials.columns:
        return _message_figure(path, title, "parameter not in the trials")
    scored = _scored(_normalised(trials)).dropna(subset=[col])
    if scored.empty:
        return _message_figure(path, title, "no complete trials to plot")
    xs, labels = _axis_values(scored[col])
    fig, ax = plt.subplots(figsize=(8, 5))
    points = ax.scatter(xs, scored["value"].to_numpy(dtype=float), c=scored["number"],
                        cmap="viridis", s=22, edgecolors="none")
    fig.colorbar(points, ax=ax, label="trial")
    _apply_categories(ax, labels, "x")
    ax.set_xlabel(_label(col))
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_oos_equity(in_sample: pd.Series | None, out_of_sample: pd.Series | None,
                    walk_forward: pd.Series | None, path: Path) -> Path:
    """In-sample, out-of-sample and stitched walk-forward equity, with the IS/OOS boundary.

    Curves are drawn as given (each run's own cash scale); the boundary is the first
    out-of-sample bar, and the start of the walk-forward test spans is marked as well.
    """
    title = "In-sample vs out-of-sample equity"
    curves = [(series, label, colour) for series, label, colour in (
        (in_sample, "in-sample", "#1f77b4"),
        (out_of_sample, "out-of-sample", "#ff7f0e"),
        (walk_forward, "walk-forward (stitched test spans)", "#2ca02c"),
    ) if series is not None and not series.empty]
    if not curves:
        return _message_figure(path, title, "no equity curves to plot")
    fig, ax = plt.subplots(figsize=(11, 5.5))
    for series, label, colour in curves:
        thinned = decimate(series.astype(float), columns=11 * 110)  # the figure's pixel columns
        ax.plot(thinned.index, thinned.to_numpy(), color=colour, linewidth=1.1, label=label)
    if out_of_sample is not None and not out_of_sample.empty:
        ax.axvline(out_of_sample.index[0], color="black", linestyle="--", linewidth=0.9,
                   label="IS | OOS boundary")
    if walk_forward is not None and not walk_forward.empty:
        ax.axvline(walk_forward.index[0], color="#2ca02c", linestyle=":", linewidth=0.9,
                   label="first walk-forward test bar")
    ax.set_ylabel("equity (USDT)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    if isinstance(curves[0][0].index, pd.DatetimeIndex):
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))
    return _save(fig, path)


def choose_heatmap_params(trials: pd.DataFrame, importances: dict[str, float]) -> tuple[str, ...]:
    """The two most important numeric parameters that vary (one or none if fewer qualify).

    Names are returned without the ``params_`` prefix. Parameters missing from *importances*
    rank after those present, in column order; two names suit :func:`plot_param_heatmap`, one
    :func:`plot_slice`.
    """
    scored = trials[trials["state"] == "COMPLETE"] if "state" in trials.columns else trials
    candidates = []
    for col in trials.columns:
        if not col.startswith("params_"):
            continue
        values = scored[col].dropna()
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique() > 1:
            candidates.append(_label(col))
    order = {name: i for i, name in enumerate(candidates)}
    ranked = sorted(candidates, key=lambda name: (-importances.get(name, -np.inf), order[name]))
    return tuple(ranked[:2])
