"""A portfolio backtest described the way users describe it: ``--symbols`` and where they live.

Each symbol's candles come from the local store (``<store>/<exchange>/<symbol>/<tf>.parquet``,
with ``funding.parquet`` next to them) or from a folder holding several symbols' files, each
file named for its symbol as :func:`~.job.guess_symbol` reads it (``BTCUSDT-1h.parquet``,
``XRP_USDT_USDT-5m-futures.feather``); a file whose name holds ``funding`` is that symbol's
funding history. Every symbol's candles are sliced, checked and resampled as a single-symbol
backtest's are (:mod:`.job`), so ``--from/--to`` and ``--timeframe`` mean the same.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from backtrader_engine.data import (
    canonical_timeframe,
    load_funding,
    load_ohlcv,
    parse_timeframe,
    validate_for_backtest,
)
from backtrader_engine.data.store import DataStore, StoreEntry
from backtrader_engine.engine.bars_needed import NotEnoughBars
from backtrader_engine.engine.folder_list import candle_files, is_funding_file
from backtrader_engine.engine.job import (
    BacktestJob,
    _resolve_timeframe,
    _slice,
    check_costs,
    cost_model,
    guess_symbol,
    load_params_file,
)
from backtrader_engine.engine.outdir import check_output_dir, make_output_dir
from backtrader_engine.engine.portfolio import (
    PortfolioLeg,
    PortfolioRequest,
    PortfolioResult,
    check_accounts,
    check_symbols,
    run_portfolio,
)
from backtrader_engine.engine.report import ReportPaths, new_report_folder, write_report
from backtrader_engine.errors import UserError, did_you_mean
from backtrader_engine.strategies import apply_params, resolve_strategy
from backtrader_engine.strategies.failure import StrategyRunError

#: Where ``--symbols`` reads from without ``--data`` or ``--store`` (as ``bte data list``).
DEFAULT_STORE = Path("data")


@dataclass(frozen=True)
class SymbolSource:
    """Where one symbol's candles (and, when there is one, its funding history) are."""

    symbol: str
    candles: Path
    funding: Path | None = None


def parse_symbols(text: str) -> list[str]:
    """``"BTCUSDT, ethusdt"`` -> ``["BTCUSDT", "ETHUSDT"]``; refuses empty and repeated ones."""
    symbols = [part.strip().upper() for part in text.split(",") if part.strip()]
    check_symbols(symbols)
    return symbols


def folder_sources(folder: Path, symbols: Sequence[str], timeframe: str | None,
                   start: str | None = None, end: str | None = None) -> list[SymbolSource]:
    """Each symbol's file in *folder* (by :func:`guess_symbol`), and its funding file if any.

    Raises
    ------
    UserError
        When *folder* is a single file, a symbol has no file, or several files and
        ``--timeframe`` does not tell which one.
    """
    if not folder.is_dir():
        raise UserError(f"--symbols with --data {folder}: that is one file, one symbol; pass a "
                        f"folder holding one file per symbol, or --store DIR")
    files = candle_files(folder)
    candles: dict[str, list[Path]] = {}
    funding: dict[str, Path] = {}
    for path in files:
        if is_funding_file(path):
            funding.setdefault(guess_symbol(path), path)
        else:
            candles.setdefault(guess_symbol(path), []).append(path)
    sources = []
    for symbol in symbols:
        found = candles.get(symbol)
        if not found:
            have = ", ".join(sorted(candles)) or "none"
            raise UserError(f"--symbols {symbol}: no file for it in {folder}"
                            f"{did_you_mean(symbol, candles)}; the folder has {have}")
        sources.append(SymbolSource(symbol, _one_file(symbol, found, timeframe, start, end),
                                    funding.get(symbol)))
    return sources


def _one_file(symbol: str, files: list[Path], timeframe: str | None, start: str | None,
              end: str | None) -> Path:
    """The one file of *symbol* among *files*: the one named with ``--timeframe``'s bar size,
    and of those the one holding bars between ``--from`` and ``--to``."""
    if timeframe and len(files) > 1:
        tf = canonical_timeframe(timeframe)
        files = [p for p in files if tf in re.split(r"[-_.]", p.name.split(".")[0])] or files
    if (start or end) and len(files) > 1:
        files = [p for p in files if _has_bars(p, start, end)] or files
    if len(files) == 1:
        return files[0]
    names = ", ".join(p.name for p in files)
    raise UserError(f"--symbols {symbol}: several files for it ({names}); pass --timeframe "
                    f"with the bar size in one file's name and --from/--to within one file's "
                    f"dates, or keep one file per symbol")


def _has_bars(path: Path, start: str | None, end: str | None) -> bool:
    try:
        _slice(load_ohlcv(path), start, end, path)
    except UserError:
        return False  # unreadable, or no bars in the range: not the file meant
    return True


def store_sources(root: Path, symbols: Sequence[str],
                  timeframe: str | None) -> list[SymbolSource]:
    """Each symbol's stored candles under *root* (and its stored funding).

    A symbol's timeframe is ``--timeframe`` when stored, else the longest stored one finer
    than it (resampled); without ``--timeframe`` the symbol must have one stored timeframe.
    """
    if not root.is_dir():
        raise UserError(f"--store {root}: no such folder; expected a store that 'bte download' "
                        f"filled (e.g. --store data), or pass --data FOLDER")
    entries = DataStore(root).available()
    stored = sorted({e.symbol.upper() for e in entries if e.kind == "ohlcv"})
    sources = []
    for symbol in symbols:
        mine = [e for e in entries if e.symbol.upper() == symbol and e.kind == "ohlcv"]
        if not mine:
            raise UserError(f"--symbols {symbol}: not in the store {root}"
                            f"{did_you_mean(symbol, stored)}; stored: "
                            f"{', '.join(stored) or 'nothing yet'}")
        exchanges = sorted({e.exchange for e in mine})
        if len(exchanges) > 1:
            raise UserError(f"--symbols {symbol}: stored for several exchanges "
                            f"({', '.join(exchanges)}); keep one exchange's under --store")
        entry = _stored_timeframe(symbol, mine, timeframe)
        funding = [e for e in entries if e.symbol == entry.symbol and e.kind == "funding"
                   and e.exchange == entry.exchange]
        sources.append(SymbolSource(symbol, entry.path, funding[0].path if funding else None))
    return sources


def _stored_timeframe(symbol: str, entries: list[StoreEntry],
                     timeframe: str | None) -> StoreEntry:
    names = ", ".join(e.timeframe for e in entries)
    if timeframe is None:
        if len(entries) == 1:
            return entries[0]
        raise UserError(f"--symbols {symbol}: several timeframes stored ({names}); pass "
                        f"--timeframe")
    wanted = parse_timeframe(timeframe)
    finer = [e for e in entries if parse_timeframe(e.timeframe) <= wanted
             and wanted % parse_timeframe(e.timeframe) == pd.Timedelta(0)]
    if not finer:
        raise UserError(f"--symbols {symbol}: no stored timeframe makes --timeframe {timeframe} "
                        f"(stored: {names})")
    return max(finer, key=lambda e: parse_timeframe(e.timeframe))


def symbol_sources(job: BacktestJob) -> tuple[list[SymbolSource], Path]:
    """Each of ``job.symbols``' sources, and the folder or store they were found in."""
    if job.data is not None and job.store is not None:
        raise UserError("--data and --store: give one; --data FOLDER holds one file per "
                        "symbol, --store DIR is a store 'bte download' filled")
    if job.data is not None:
        return (folder_sources(Path(job.data), job.symbols, job.timeframe, job.start, job.end),
                Path(job.data))
    root = Path(job.store) if job.store is not None else DEFAULT_STORE
    return store_sources(root, job.symbols, job.timeframe), root


def _leg(job: BacktestJob, source: SymbolSource, timeframe: str | None) -> tuple[
        PortfolioLeg, str]:
    path = source.candles
    frame = _slice(load_ohlcv(path), job.start, job.end, path)
    validate_for_backtest(frame, path)
    frame, resolved = _resolve_timeframe(frame, timeframe, path)
    validate_for_backtest(frame, path)
    # The symbol's own funding, unless --funding was given for every symbol.
    funding = (load_funding(source.funding)
               if source.funding is not None and not job.funding_explicit else None)
    lot_rules = job.lot_rules(source.symbol) if job.lot_rules is not None else None
    return PortfolioLeg(source.symbol, frame, funding=funding,
                        funding_source=str(source.funding) if funding is not None else "",
                        lot_rules=lot_rules), resolved


def prepare_portfolio(job: BacktestJob, fees: tuple[float, float]) -> tuple[
        PortfolioRequest, list[SymbolSource], Path]:
    """Resolve the strategy, find and check every symbol's candles, build the request."""
    check_symbols(job.symbols)
    check_accounts(job.accounts)
    if job.symbol:
        raise UserError("--symbol and --symbols: give one; --symbols names every symbol of "
                        "a portfolio")
    if job.risk_gate:
        raise UserError("--risk-gate: not available with --symbols; run the symbols one at a "
                        "time to screen them through the gate")
    strategy = resolve_strategy(job.strategy)
    from_file = load_params_file(job.params_file, strategy.__name__) if job.params_file else {}
    params = apply_params(strategy, {**from_file, **job.params})
    sources, where = symbol_sources(job)
    legs, timeframes = [], []
    for source in sources:
        leg, timeframe = _leg(job, source, job.timeframe)
        legs.append(leg)
        timeframes.append(timeframe)
    if len({parse_timeframe(tf) for tf in timeframes}) > 1:
        sizes = ", ".join(f"{leg.symbol} {tf}" for leg, tf in zip(legs, timeframes, strict=True))
        raise UserError(f"--symbols: the symbols' bars differ in size ({sizes}); pass "
                        f"--timeframe {max(timeframes, key=parse_timeframe)} to resample them "
                        f"to one")
    timeframe = timeframes[0]
    for tf in job.confirm_timeframes:
        if parse_timeframe(tf) <= parse_timeframe(timeframe):
            raise UserError(f"--confirm-timeframes {tf}: must be longer than the base timeframe "
                            f"{timeframe}, e.g. {timeframe} data with 15m,1h,4h confirmation")
    costs = cost_model(job, fees)
    check_costs(costs, job.cash)
    request = PortfolioRequest(strategy=strategy, legs=legs, timeframe=timeframe, params=params,
                               confirm_timeframes=tuple(job.confirm_timeframes), cash=job.cash,
                               costs=costs, accounts=job.accounts)
    return request, sources, where


def run_portfolio_job(job: BacktestJob, fees: tuple[float, float], *,
                      runs_dir: Path | None = None) -> tuple[PortfolioResult,
                                                             ReportPaths | None]:
    """Prepare, run and write the report of one portfolio backtest (as
    :func:`~.job.run_backtest_job` does for one symbol)."""
    if job.out:
        check_output_dir(Path(job.out), "--out")
    elif runs_dir is not None:
        check_output_dir(Path(runs_dir), "the default report folder")
    request, sources, where = prepare_portfolio(job, fees)
    try:
        result = run_portfolio(request)
    except NotEnoughBars as exc:
        raise exc.reworded(f"{where} has {{}}") from None
    except StrategyRunError as exc:
        partial = exc.partial
        exc.paths = (_write(job, partial, sources, where, runs_dir)
                     if isinstance(partial, PortfolioResult) else None)
        raise
    return result, _write(job, result, sources, where, runs_dir)


def _write(job: BacktestJob, result: PortfolioResult, sources: Sequence[SymbolSource],
           where: Path, runs_dir: Path | None) -> ReportPaths | None:
    result.sources = {source.symbol: source.candles for source in sources}
    if job.out:
        out = make_output_dir(Path(job.out), "--out")
    elif runs_dir is not None:
        make_output_dir(Path(runs_dir), "the default report folder")
        out = new_report_folder(Path(runs_dir), result.request.strategy.__name__)
    else:
        return None
    command = list(job.command) if job.command is not None else None
    return write_report(result, out, where, plots=job.plots, command=command)
