"""A backtest described the way users describe it: a strategy spec, a data path, flags.

The CLI, the dashboard and the bot all go through :func:`prepare_backtest` and
:func:`run_backtest_job`, so a spec, a param override or a date range means the same everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from backtrader_engine.config.risk import RiskConfig
from backtrader_engine.data import (
    TIMEFRAMES,
    bundled_info,
    default_dataset,
    infer_timeframe,
    load_ohlcv,
    parse_funding_arg,
    parse_timeframe,
    resample_ohlcv,
    validate_for_backtest,
)
from backtrader_engine.engine.backtest import BacktestRequest, BacktestResult, run_backtest
from backtrader_engine.engine.bars_needed import NotEnoughBars
from backtrader_engine.engine.costs import DEFAULT_FUNDING_RATE, CostModel
from backtrader_engine.engine.funding_bounds import check_funding
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.engine.outdir import check_output_dir, make_output_dir
from backtrader_engine.engine.report import ReportPaths, new_report_folder, write_report
from backtrader_engine.errors import DataError, UserError
from backtrader_engine.strategies import apply_params, resolve_strategy
from backtrader_engine.strategies.failure import StrategyRunError

#: The venue's lot rules of a symbol, supplied by the caller (the engine knows no venue).
#: Raises :class:`~backtrader_engine.errors.UserError` for a symbol it has no rules for.
LotRulesLookup = Callable[[str], LotRules]


@dataclass
class BacktestJob:
    """User-level inputs of one backtest (strings as typed on a command line are fine)."""

    strategy: str
    data: Path | None = None
    out: Path | None = None
    symbol: str | None = None
    timeframe: str | None = None
    start: str | None = None
    end: str | None = None
    cash: float = 10_000.0
    leverage: float = 1.0
    taker_fee: float | None = None
    maker_fee: float | None = None
    slippage_bps: float = 1.0
    funding: str = str(DEFAULT_FUNDING_RATE)
    maintenance_margin_rate: float = 0.005
    params: Mapping[str, str] = field(default_factory=dict)
    params_file: Path | None = None  # JSON params (e.g. an optimiser's best_params.json)
    confirm_timeframes: Sequence[str] = ()
    plots: bool = True
    command: Sequence[str] | None = None  # recorded in the manifest; default: sys.argv
    risk_gate: bool = False  # screen entry orders through the risk gate
    risk_config: RiskConfig | None = None  # the gate's limits; default: built-in defaults
    # Fit order quantities to the lot rules this lookup gives for the traded symbol (the
    # symbol is known only once the data is: --symbol, else guessed from the file name).
    lot_rules: LotRulesLookup | None = None
    # A portfolio (engine.portfolio_job): several symbols, read from a folder (``data``) or
    # the local store (``store``), on one shared account or one sub-account each.
    symbols: Sequence[str] = ()
    store: Path | None = None
    accounts: str = "shared"
    # False when ``funding`` is the default rather than the user's: a portfolio's symbols then
    # settle their own funding history where the data has one.
    funding_explicit: bool = True


def parse_param_overrides(items: Sequence[str]) -> dict[str, str]:
    """``["lookback=20", "multiplier=2.5"]`` → ``{"lookback": "20", "multiplier": "2.5"}``."""
    overrides: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--param {item!r}: expected name=value, e.g. --param lookback=20")
        overrides[name.strip()] = value.strip()
    return overrides


def load_params_file(path: Path, strategy_name: str) -> dict[str, object]:
    """Read strategy params from a JSON file.

    Parameters
    ----------
    path : Path
        ``{"strategy": "<Name>", "params": {...}}`` (an optimiser's ``best_params.json``) or a
        plain ``{"name": value}`` mapping.
    strategy_name : str
        Class name of the strategy being run; a file written for another strategy is refused.

    Returns
    -------
    dict
        Param name -> value as stored (coerced later like ``--param`` values).

    Raises
    ------
    UserError
        If the file is missing or not JSON, has no params object, or names another strategy.
    """
    where = f"--params-file {path}"
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{where}: file does not exist") from None
    except OSError as exc:
        raise UserError(f"{where}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{where}: not a UTF-8 text file; expected JSON such as an "
                        f"optimisation's best_params.json") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: invalid JSON at line {exc.lineno}, column {exc.colno}: "
                        f"{exc.msg}") from None
    if isinstance(document, dict) and isinstance(document.get("params"), dict):
        named = document.get("strategy")
        if named is not None and named != strategy_name:
            raise UserError(f"{where}: the params are for strategy '{named}', not "
                            f"'{strategy_name}'; use that strategy or another file")
        return dict(document["params"])
    if isinstance(document, dict) and "params" not in document and "strategy" not in document:
        return document
    raise UserError(f'{where}: expected {{"strategy": "<Name>", "params": {{...}}}} or a '
                    f'{{"name": value}} object')


_BAR_SIZE = re.compile(r"^\d+[SMHDW]$")


def guess_symbol(path: Path) -> str:
    """A symbol from a file name such as ``XRP_USDT_USDT-5m-futures.feather`` or ``BTCUSD-1h``."""
    stem = path.name.split(".")[0]
    head = stem.split("-")[0].upper()
    # ``BTCUSDT_1h.csv``: a bar size after the symbol is not part of it.
    parts = [p for p in head.split("_") if p and not _BAR_SIZE.match(p)]
    if len(parts) >= 2:
        return parts[0] + parts[1]
    if parts:
        return parts[0]
    return head or "UNKNOWN"


#: Quote currencies recognised at the end of a symbol such as ``BTCUSDT`` (longest first, so
#: ``USDT`` is not read as ``USD``).
_QUOTES = ("USDT", "USDC", "USD", "EUR")


def quote_currency(symbol: str) -> str | None:
    """The quote currency a symbol names (``BTCUSDT``, ``BTC-USD``, ``BTC/USDT:USDT``), or None."""
    text = symbol.strip().upper()
    if ":" in text:  # ccxt's BASE/QUOTE:SETTLE: amounts are counted in the settle currency
        settle = text.rsplit(":", 1)[1]
        return settle if settle in _QUOTES else None
    joined = re.sub(r"[^A-Z0-9]", "", text)
    return next((q for q in _QUOTES if joined.endswith(q) and len(joined) > len(q)), None)


def instrument_label(path: Path, symbol: str | None) -> tuple[str, str | None]:
    """How a summary names the traded instrument, and the currency its amounts are in.

    The data's own facts come first (a bundled dataset knows its venue and quote currency),
    then the ``--symbol`` the user gave. Without either the label is neutral and names the
    file: a symbol guessed from a file name may be wrong, as the Coinbase BTC-USD candles,
    once summarised as ``BTCUSD`` in USDT, showed.
    """
    info = bundled_info(path)
    if info is not None:
        return info.label, info.quote
    if symbol:
        return symbol, quote_currency(symbol)
    return f"unlabelled data ({path.name})", None


def data_path(job: BacktestJob) -> Path:
    """The candles *job* runs on: its ``data``, else the bundled default dataset."""
    return Path(job.data) if job.data else default_dataset()


def _slice(frame: pd.DataFrame, start: str | None, end: str | None, path: Path) -> pd.DataFrame:
    try:
        lo = pd.Timestamp(start) if start else None
        hi = pd.Timestamp(end) if end else None
        if end and hi is not None and hi == hi.normalize() and len(end.strip()) <= 10:
            # A bare date means the whole day: --to 2019-06-30 keeps that day's bars.
            hi = hi + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    except ValueError as exc:
        raise UserError(f"--from/--to: {exc}; expected a date such as 2022-09-05 or "
                        f"'2022-09-05 12:00'") from None
    sliced = frame.loc[lo:hi]
    if sliced.empty:
        raise DataError(f"{path}: no bars between {start or 'the start'} and {end or 'the end'}; "
                        f"the file covers {frame.index[0]} to {frame.index[-1]}")
    return sliced


def _resolve_timeframe(frame: pd.DataFrame, requested: str | None, path: Path) -> tuple[
        pd.DataFrame, str]:
    inferred = infer_timeframe(frame)
    if inferred not in TIMEFRAMES:
        raise DataError(f"{path}: bars are {inferred} apart, which is not a supported bar size; "
                        f"expected one of {', '.join(TIMEFRAMES)}")
    if not requested:
        return frame, inferred
    if parse_timeframe(requested) == parse_timeframe(inferred):
        return frame, requested
    if parse_timeframe(requested) < parse_timeframe(inferred):
        raise DataError(f"{path}: --timeframe {requested} is finer than the data's {inferred}; "
                        f"use {inferred} or a multiple of it")
    return resample_ohlcv(frame, requested, label="open"), requested


def cost_model(job: BacktestJob, fees: tuple[float, float]) -> CostModel:
    """The job's costs: explicit flags win over the configured exchange fees."""
    taker, maker = fees
    funding = parse_funding_arg(job.funding)
    return CostModel(
        taker_fee=taker if job.taker_fee is None else job.taker_fee,
        maker_fee=maker if job.maker_fee is None else job.maker_fee,
        slippage_bps=job.slippage_bps,
        leverage=job.leverage,
        maintenance_margin_rate=job.maintenance_margin_rate,
        funding=funding,
        funding_source=job.funding,
    )


def check_costs(costs: CostModel, cash: float) -> None:
    """Refuse cost settings that cannot describe a real perpetual-futures account."""
    rules = [
        ("--cash", cash, cash > 0, "must be positive"),
        ("--leverage", costs.leverage, 0 < costs.leverage <= 200,
         "must be in (0, 200]; 1 = no leverage"),
        ("--taker-fee", costs.taker_fee, 0 <= costs.taker_fee < 0.01,
         "must be a fraction of notional in [0, 0.01), e.g. 0.00055 for 0.055%"),
        ("--maker-fee", costs.maker_fee, -0.001 <= costs.maker_fee < 0.01,
         "must be a fraction of notional in [-0.001, 0.01); negative is a rebate"),
        ("--slippage-bps", costs.slippage_bps, 0 <= costs.slippage_bps <= 500,
         "must be in [0, 500] basis points"),
        ("--maintenance-margin", costs.maintenance_margin_rate,
         0 <= costs.maintenance_margin_rate < 1 / costs.leverage if costs.leverage > 0 else False,
         "must be in [0, 1/leverage) so a new position is not liquidated at once"),
    ]
    for flag, value, ok, expected in rules:
        if not ok:
            raise UserError(f"{flag} {value:g}: {expected}")
    check_funding(costs.funding, costs.funding_source or f"{costs.funding:g}")


def prepare_backtest(job: BacktestJob, fees: tuple[float, float]) -> tuple[BacktestRequest, Path]:
    """Resolve the strategy and params, load and check the data, build the request."""
    strategy = resolve_strategy(job.strategy)
    # Explicit --param values win over the file's.
    from_file = load_params_file(job.params_file, strategy.__name__) if job.params_file else {}
    params = apply_params(strategy, {**from_file, **job.params})
    path = data_path(job)
    frame = load_ohlcv(path)
    frame = _slice(frame, job.start, job.end, path)
    # Before resampling too: resampled bars would hide a mix of bar sizes.
    validate_for_backtest(frame, path)
    frame, timeframe = _resolve_timeframe(frame, job.timeframe, path)
    validate_for_backtest(frame, path)
    for tf in job.confirm_timeframes:
        if parse_timeframe(tf) <= parse_timeframe(timeframe):
            raise UserError(f"--confirm-timeframes {tf}: must be longer than the base timeframe "
                            f"{timeframe}, e.g. {timeframe} data with 15m,1h,4h confirmation")
    costs = cost_model(job, fees)
    check_costs(costs, job.cash)
    symbol = job.symbol or guess_symbol(path)
    request = BacktestRequest(
        strategy=strategy,
        frame=frame,
        timeframe=timeframe,
        params=params,
        symbol=symbol,
        confirm_timeframes=tuple(job.confirm_timeframes),
        cash=job.cash,
        costs=costs,
        risk=_risk_limits(job),
        lot_rules=job.lot_rules(symbol) if job.lot_rules is not None else None,
    )
    return request, path


def _risk_limits(job: BacktestJob) -> RiskConfig | None:
    """The gate's limits when the job turns the gate on, else None (no gate at all)."""
    if not job.risk_gate:
        return None
    return job.risk_config if job.risk_config is not None else RiskConfig()


def bars_source(job: BacktestJob, path: Path) -> str:
    """How a message names where the bars came from: ``--from/--to leaves``, ``x.csv has``
    (``... at --timeframe 4h`` when the bars were resampled)."""
    resampled = f" at --timeframe {job.timeframe}" if job.timeframe else ""
    if job.start or job.end:
        return f"--from/--to leaves {{}}{resampled}"
    return f"{path.name} has {{}}{resampled}"


def run_backtest_job(job: BacktestJob, fees: tuple[float, float], *,
                     runs_dir: Path | None = None) -> tuple[BacktestResult, ReportPaths | None]:
    """Prepare, run and write the report of one backtest.

    The report goes to ``job.out`` when set; otherwise, when *runs_dir* is given, to a new
    folder ``runs_dir/<StrategyClass>-<UTC time>`` (never an existing one); otherwise nowhere.
    The folder is made only after the run, so a run that fails leaves no empty folder behind.

    Raises
    ------
    UserError
        For bad input, before anything is written (an unusable ``--out`` included).
    StrategyRunError
        When the strategy's code raised. What the run computed up to the failing bar is
        written first, marked partial (``report.json`` ``partial: true`` and
        ``stopped_early``); the error's ``paths`` says where (None when it failed before the
        first bar and there was nothing to write).
    """
    if job.out:
        check_output_dir(Path(job.out), "--out")
    elif runs_dir is not None:
        check_output_dir(Path(runs_dir), "the default report folder")
    request, path = prepare_backtest(job, fees)
    try:
        result = run_backtest(request)
    except NotEnoughBars as exc:
        raise exc.reworded(bars_source(job, path)) from None
    except StrategyRunError as exc:
        partial = exc.partial
        exc.paths = (_write(job, partial, request, path, runs_dir)
                     if isinstance(partial, BacktestResult) else None)
        raise
    return result, _write(job, result, request, path, runs_dir)


def _write(job: BacktestJob, result: BacktestResult, request: BacktestRequest, path: Path,
           runs_dir: Path | None) -> ReportPaths | None:
    if job.out:
        out = make_output_dir(Path(job.out), "--out")
    elif runs_dir is not None:
        make_output_dir(Path(runs_dir), "the default report folder")
        out = new_report_folder(Path(runs_dir), request.strategy.__name__)
    else:
        return None
    command = list(job.command) if job.command is not None else None
    return write_report(result, out, path, plots=job.plots, command=command)
