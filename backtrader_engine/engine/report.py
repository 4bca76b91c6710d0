"""Write a backtest's report files (the terminal summary is :mod:`.summary_text`).

``DIR/report.json`` holds the metrics, the orders that were not accepted (``rejected_orders``:
total, orders submitted and counts by reason, see :mod:`.rejections`; always present) and a
reproducibility manifest (strategy source and data file hashes, effective params, costs,
package versions, the command line); ``trades.csv`` and ``equity.csv`` hold the raw series the
metrics come from (``equity.parquet`` holds the equity record again in binary, for code to read
back quickly); ``equity.png`` and ``trades.png`` show them. A run with the risk gate adds
a ``risk_gate`` section (signal counts, rejection reasons, breakers), its limits in the
manifest, and the signal journal as ``signals.csv``; a run without it writes none of them.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import platform
import sys
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from backtrader_engine import __version__
from backtrader_engine.engine.backtest import BacktestResult
from backtrader_engine.engine.equity_files import write_equity_csv, write_equity_parquet
from backtrader_engine.engine.forked import alongside
from backtrader_engine.risk import RECORD_FIELDS

_PACKAGES = ("backtrader", "numpy", "pandas", "pyarrow", "matplotlib", "pydantic", "ta")


@dataclass(frozen=True)
class ReportPaths:
    """Where the report files were written."""

    directory: Path
    report: Path
    trades: Path
    equity: Path
    equity_parquet: Path
    equity_plot: Path
    trades_plot: Path
    signals: Path | None = None  # only with the risk gate

    def all(self) -> list[Path]:
        paths = [self.report, self.trades, self.equity, self.equity_parquet, self.equity_plot,
                 self.trades_plot]
        return paths + ([self.signals] if self.signals is not None else [])


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def strategy_source_sha256(strategy: type) -> str | None:
    """Hash of the file that defines *strategy* (None for classes without a source file)."""
    try:
        source = inspect.getsourcefile(strategy)
    except TypeError:
        return None
    return sha256_file(Path(source)) if source and Path(source).exists() else None


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Versions of Python, this package and the libraries a result depends on (plus *extra*)."""
    versions = {"python": platform.python_version(), "backtrader_engine": __version__}
    for name in (*_PACKAGES, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def effective_params(result: BacktestResult) -> dict[str, object]:
    """Every strategy param with the value the run used (defaults plus overrides)."""
    params = dict(result.request.strategy.params._getitems())
    params.update(result.request.params)
    return {k: v for k, v in params.items() if _jsonable(v)}


def _jsonable(value: object) -> bool:
    return value is None or isinstance(value, (bool, int, float, str, list, tuple, dict))


def build_manifest(result: BacktestResult, data_path: Path | None,
                   command: list[str] | None = None) -> dict[str, object]:
    request = result.request
    strategy = request.strategy
    index = request.frame.index
    return {
        "strategy": f"{strategy.__module__}.{strategy.__qualname__}",
        "strategy_source_sha256": strategy_source_sha256(strategy),
        "params": effective_params(result),
        "data_file": str(data_path) if data_path else None,
        "data_sha256": sha256_file(data_path) if data_path and data_path.is_file() else None,
        "symbol": request.symbol,
        "timeframe": request.timeframe,
        "confirm_timeframes": list(request.confirm_timeframes),
        "date_range": [index[0].isoformat(), index[-1].isoformat()],
        "bars": len(index),
        "cash": request.cash,
        "costs": request.costs.describe(),
        "seed": None,  # a backtest has no randomness; studies record their sampler seed
        "versions": package_versions(),
        "command": list(command) if command is not None else sys.argv[:],
        # Only present with the gate, so ungated reports stay byte-identical to earlier ones.
        **({"risk_config": request.risk.model_dump()} if request.risk is not None else {}),
        **({"lot_rules": request.lot_rules.as_dict()} if request.lot_rules is not None else {}),
    }


def _clean(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def new_report_folder(root: Path, name: str, now: datetime | None = None) -> Path:
    """Create and return a new folder ``root/<name>-<UTC YYYYmmdd-HHMMSS>`` for one report.

    A folder that already exists is never reused (``-2``, ``-3``, ... are appended instead), so
    a run cannot overwrite an earlier report, even two runs started in the same second.
    """
    moment = datetime.now(UTC) if now is None else now
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    base = f"{name}-{moment:%Y%m%d-%H%M%S}"
    root.mkdir(parents=True, exist_ok=True)
    for n in itertools.count(1):
        folder = root / (base if n == 1 else f"{base}-{n}")
        try:
            # mkdir without exist_ok claims the name atomically: checking first and creating
            # after would let two concurrent runs pick the same folder.
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise AssertionError("unreachable")  # itertools.count never ends


def draw_plots(result: BacktestResult, paths: ReportPaths, title: str) -> None:
    """Draw ``equity.png`` and ``trades.png`` of *result* into *paths*."""
    # Imported here: matplotlib takes a third of a second to load, which only a run that
    # draws should pay, and then only in the process that draws (the CLI, the panel and
    # studies import this module).
    from backtrader_engine.engine.plots import plot_equity, plot_portfolio_trades, plot_trades

    plot_equity(result.equity, paths.equity_plot, title)
    prices = result.symbol_prices()
    if prices is None:
        plot_trades(result.request.frame, result.trades, paths.trades_plot, title)
    else:
        plot_portfolio_trades(prices, result.trades, paths.trades_plot, title)


def write_report(result: BacktestResult, out_dir: Path, data_path: Path | None = None,
                 *, plots: bool = True, command: list[str] | None = None) -> ReportPaths:
    """Write report.json, trades.csv, equity.csv, equity.parquet and (by default) the two plots
    into *out_dir*."""
    out_dir.mkdir(parents=True, exist_ok=True)
    hook = result.risk_hook
    paths = ReportPaths(out_dir, out_dir / "report.json", out_dir / "trades.csv",
                        out_dir / "equity.csv", out_dir / "equity.parquet", out_dir / "equity.png",
                        out_dir / "trades.png",
                        signals=out_dir / "signals.csv" if hook is not None else None)
    title = (f"{result.request.strategy.__name__} on {result.request.symbol} "
             f"{result.request.timeframe}")
    # The plots are drawn in a child process while this one writes the files: on a second
    # core they add nothing to the time the report takes.
    drawing = (alongside(draw_plots, result, paths, title, name="drawing the report's plots")
               if plots else nullcontext())
    with drawing:
        document: dict[str, object] = {
            "metrics": result.metrics, "rejected_orders": result.rejected_orders(),
            # A portfolio's per-symbol breakdown; nothing for a single symbol.
            **result.report_sections(),
            "manifest": build_manifest(result, data_path, command)}
        if result.failure is not None:
            # First keys, so a reader (or a person) cannot miss that the numbers cover only
            # the bars before the strategy failed; complete reports have neither key.
            document = {"partial": True, "stopped_early": result.failure.as_dict(), **document}
        if hook is not None:
            summary = hook.summary()
            summary.pop("config")  # already in the manifest
            document["risk_gate"] = summary
        paths.report.write_text(json.dumps(_clean(document), indent=2, default=str) + "\n")
        result.trades.to_csv(paths.trades, index=False, float_format="%.10g")
        write_equity_csv(result.equity, paths.equity)
        write_equity_parquet(result.equity, paths.equity_parquet)
        if hook is not None:
            signals = pd.DataFrame(hook.journal.rows(), columns=list(RECORD_FIELDS))
            signals.to_csv(paths.signals, index=False, float_format="%.10g")
    return paths
