"""Research results on disk: backtest reports and optimisation studies.

A backtest report is a folder with ``report.json`` (plus ``trades.csv``, ``equity.csv``,
``equity.parquet`` and the plots; :mod:`backtrader_engine.engine.report`); a study is a folder
with ``optimization_summary.json`` or, while it still runs, ``progress.json``
(:mod:`backtrader_engine.optimize.outputs`). Both are found by walking a folder a few levels
deep; a damaged file makes its entry show the problem instead of failing the page.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from backtrader_engine.engine.equity_files import read_equity
from backtrader_engine.optimize.outputs import BEST_PARAMS_FILE, SUMMARY_FILE, TRIALS_FILE
from backtrader_engine.optimize.runner import PROGRESS_FILE

REPORT_FILE = "report.json"
REPORT_PLOTS = ("equity.png", "trades.png")
STUDY_PLOTS = ("history.png", "importances.png", "heatmap.png", "slice.png", "oos_equity.png")
#: Folders below the searched root that are looked into (runs/<name>/... is two).
MAX_DEPTH = 4
#: The report metrics shown as cards, in order.
HEADLINE_METRICS = ("final_value", "total_return_pct", "max_drawdown_pct", "sharpe",
                    "win_rate_pct", "trades")


@dataclass(frozen=True)
class ReportEntry:
    """One backtest report in the list (``problem`` set when its JSON is unreadable)."""

    path: Path
    name: str
    modified: float
    strategy: str = ""
    symbol: str = ""
    timeframe: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    problem: str | None = None
    #: Set when the run stopped early on a strategy error: its metrics cover only the bars
    #: before it, so it must not be read (or compared) as a complete run.
    partial: str | None = None


@dataclass(frozen=True)
class ReportDetail:
    """Everything one report folder holds."""

    entry: ReportEntry
    manifest: dict[str, Any]
    risk_gate: dict[str, Any] | None
    trades: pd.DataFrame | None
    equity: pd.DataFrame | None
    plots: dict[str, Path]


@dataclass(frozen=True)
class StudyEntry:
    """One optimisation study in the list; ``summary`` is ``None`` while it runs."""

    path: Path
    name: str
    modified: float
    summary: dict[str, Any] | None
    progress: dict[str, Any] | None
    problem: str | None = None


@dataclass(frozen=True)
class StudyDetail:
    """Everything one study folder holds, shaped into tables."""

    entry: StudyEntry
    trials: pd.DataFrame | None
    best_params: dict[str, Any] | None
    samples: pd.DataFrame
    walk_forward: pd.DataFrame
    plots: dict[str, Path]


def _walk(root: Path, filenames: tuple[str, ...]) -> Iterator[Path]:
    """Folders under *root* (itself included) holding one of *filenames*, at most MAX_DEPTH."""
    root = Path(root)
    if not root.is_dir():
        return
    base = len(root.parts)
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if len(here.parts) - base >= MAX_DEPTH:
            dirs.clear()
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if any(name in files for name in filenames):
            yield here


def _read_json(path: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"{path}: unreadable ({type(exc).__name__}: {exc})"


def _name(root: Path, folder: Path) -> str:
    relative = folder.relative_to(root).as_posix()
    return relative if relative != "." else folder.name


def find_reports(root: Path) -> list[ReportEntry]:
    """Every backtest report under *root*, newest first."""
    entries = []
    for folder in _walk(root, (REPORT_FILE,)):
        entries.append(read_report_entry(folder, _name(Path(root), folder)))
    return sorted(entries, key=lambda e: e.modified, reverse=True)


def read_report_entry(folder: Path, name: str | None = None) -> ReportEntry:
    """The list entry of the report in *folder*."""
    path = Path(folder) / REPORT_FILE
    modified = path.stat().st_mtime if path.exists() else 0.0
    document, problem = _read_json(path)
    label = name or Path(folder).name
    if problem is not None or not isinstance(document, dict):
        return ReportEntry(Path(folder), label, modified,
                           problem=problem or f"{path}: not a backtest report")
    manifest = document.get("manifest") or {}
    return ReportEntry(Path(folder), label, modified,
                       strategy=str(manifest.get("strategy", "")).rsplit(".", 1)[-1],
                       symbol=str(manifest.get("symbol", "")),
                       timeframe=str(manifest.get("timeframe", "")),
                       metrics=dict(document.get("metrics") or {}),
                       partial=partial_note(document))


def partial_note(document: dict[str, Any]) -> str | None:
    """``partial: stopped at bar ... (ZeroDivisionError: ...)`` for a report of a run that a
    strategy error stopped early, else None."""
    if not document.get("partial"):
        return None
    stopped = document.get("stopped_early") or {}
    when = stopped.get("when") or "early"
    error = stopped.get("error") or "an error in the strategy"
    return f"partial: the run stopped {when} on a strategy error ({error})"


def reports_frame(entries: list[ReportEntry]) -> pd.DataFrame:
    """The report list as a table: one row per report with its headline metrics."""
    rows = [{"report": e.name, "strategy": e.strategy, "symbol": e.symbol,
             "timeframe": e.timeframe,
             "modified": pd.Timestamp(e.modified, unit="s", tz="UTC").floor("s"),
             **{key: e.metrics.get(key) for key in HEADLINE_METRICS},
             "problem": e.problem or e.partial or ""} for e in entries]
    return pd.DataFrame(rows, columns=["report", "strategy", "symbol", "timeframe", "modified",
                                       *HEADLINE_METRICS, "problem"])


def _csv(path: Path) -> pd.DataFrame | None:
    """*path* as a table; ``None`` when it is missing, empty or not CSV (the rest still shows)."""
    try:
        return pd.read_csv(path)
    except (OSError, ValueError):  # EmptyDataError and ParserError are ValueErrors
        return None


def _equity(folder: Path) -> pd.DataFrame | None:
    """The report's equity record, bar times in the ``datetime`` column; ``None`` when it is
    missing or unreadable. Read from ``equity.parquet`` when the report has one (exact values,
    a sixth of the CSV's bytes), else from ``equity.csv``."""
    try:
        return read_equity(folder).reset_index()
    except (OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError as well
        return None


def load_report(folder: Path) -> ReportDetail:
    """The report in *folder*: metrics, manifest, trades, equity and plots."""
    entry = read_report_entry(folder)
    document, _ = _read_json(Path(folder) / REPORT_FILE)
    document = document if isinstance(document, dict) else {}
    plots = {p: Path(folder) / p for p in REPORT_PLOTS if (Path(folder) / p).is_file()}
    return ReportDetail(entry, dict(document.get("manifest") or {}), document.get("risk_gate"),
                        _csv(Path(folder) / "trades.csv"), _equity(Path(folder)),
                        plots)


def metrics_frame(metrics: dict[str, Any]) -> pd.DataFrame:
    """A report's metrics as two text columns (values of mixed types read as written)."""
    return pd.DataFrame([(k, _text(v)) for k, v in metrics.items()],
                        columns=["metric", "value"])


def find_studies(root: Path) -> list[StudyEntry]:
    """Every optimisation study under *root*, newest first."""
    entries = []
    for folder in _walk(root, (SUMMARY_FILE, PROGRESS_FILE)):
        entries.append(read_study_entry(folder, _name(Path(root), folder)))
    return sorted(entries, key=lambda e: e.modified, reverse=True)


def read_study_entry(folder: Path, name: str | None = None) -> StudyEntry:
    """The list entry of the study in *folder*."""
    summary_path, progress_path = Path(folder) / SUMMARY_FILE, Path(folder) / PROGRESS_FILE
    summary, problem = _read_json(summary_path)
    progress, progress_problem = _read_json(progress_path)
    stamps = [p.stat().st_mtime for p in (summary_path, progress_path) if p.exists()]
    if summary is not None and not isinstance(summary, dict):
        summary, problem = None, f"{summary_path}: not an optimisation summary"
    return StudyEntry(Path(folder), name or Path(folder).name, max(stamps, default=0.0),
                      summary, progress if isinstance(progress, dict) else None,
                      problem or (progress_problem if summary is None else None))


def studies_frame(entries: list[StudyEntry]) -> pd.DataFrame:
    """The study list: strategy, metric, status, trials, best value, DSR and PBO."""
    rows = []
    for e in entries:
        s = e.summary or {}
        best, dsr, pbo = s.get("best") or {}, s.get("dsr") or {}, s.get("pbo") or {}
        progress = e.progress or {}
        status = s.get("status") or ("running" if progress else "unknown")
        trials = (s.get("trials") or {}).get("total", progress.get("trials_done"))
        rows.append({"study": e.name, "strategy": s.get("strategy", ""),
                     "metric": s.get("metric", ""), "status": status, "trials": trials,
                     "best value": best.get("value", progress.get("best_value")),
                     "DSR": dsr.get("dsr"), "PBO": pbo.get("pbo"),
                     "modified": pd.Timestamp(e.modified, unit="s", tz="UTC").floor("s"),
                     "problem": e.problem or ""})
    return pd.DataFrame(rows, columns=["study", "strategy", "metric", "status", "trials",
                                       "best value", "DSR", "PBO", "modified", "problem"])


def samples_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """In-sample against out-of-sample metrics of the best params (one row per metric)."""
    ins = (summary.get("in_sample") or {}).get("metrics") or {}
    oos = (summary.get("out_of_sample") or {}).get("metrics") or {}
    keys = [k for k in ins if k in oos] or list(ins) or list(oos)
    return pd.DataFrame([(k, _text(ins.get(k)), _text(oos.get(k))) for k in keys],
                        columns=["metric", "in-sample", "out-of-sample"])


def _text(value: Any) -> str:
    """A metric as text: the columns mix numbers with durations and dates."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


def walk_forward_frame(summary: dict[str, Any]) -> pd.DataFrame:
    """One row per walk-forward window: spans, best value, train and test returns."""
    windows = (summary.get("walk_forward") or {}).get("windows") or []
    rows = [{"window": i, "train": f"{w['train']['start']} → {w['train']['end']}",
             "test": f"{w['test']['start']} → {w['test']['end']}",
             "best value": w.get("best_value"),
             "train return ann. %": w.get("train_return_ann_pct"),
             "test return ann. %": w.get("test_return_ann_pct"),
             "best params": json.dumps(w.get("best_params"), sort_keys=True)}
            for i, w in enumerate(windows, start=1)]
    return pd.DataFrame(rows, columns=["window", "train", "test", "best value",
                                       "train return ann. %", "test return ann. %",
                                       "best params"])


def load_study(folder: Path) -> StudyDetail:
    """The study in *folder*: trials, best params, OOS and walk-forward tables, plots."""
    entry = read_study_entry(folder)
    best, _ = _read_json(Path(folder) / BEST_PARAMS_FILE)
    summary = entry.summary or {}
    params = (best.get("params") if isinstance(best, dict) else None) or summary.get(
        "best_params")
    plots = {p: Path(folder) / p for p in STUDY_PLOTS if (Path(folder) / p).is_file()}
    return StudyDetail(entry, _csv(Path(folder) / TRIALS_FILE), params,
                       samples_frame(summary), walk_forward_frame(summary), plots)
