"""``backtest`` and ``demo``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from backtrader_engine.commands.options import (
    add_config_dir,
    add_cost_options,
    add_data_options,
    add_strategy_options,
)
from backtrader_engine.errors import UserError

if TYPE_CHECKING:
    # Only for annotations: the engine (backtrader, pandas, matplotlib) is imported when a
    # backtest runs, so that ``bte backtest --help`` answers at once.
    from backtrader_engine.cli_parser import SubCommands
    from backtrader_engine.config import RiskConfig
    from backtrader_engine.engine.backtest import BacktestResult
    from backtrader_engine.engine.job import BacktestJob
    from backtrader_engine.engine.lot_rules import LotRules
    from backtrader_engine.engine.report import ReportPaths

DEMO_STRATEGY = "TrendFollowingADXEMAStrategy"
DEMO_OUT = Path("runs/demo")
# ``backtest`` without --out writes to a new RUNS_DIR/<Strategy>-<UTC time>/ each run: a
# backtest's report is its result, so a run should never end with nothing on disk. It is the
# folder the dashboard lists reports from.
RUNS_DIR = Path("runs")


DEFAULT_CONFIG_DIR = Path("configs")
#: ``--funding`` when not given (the engine's constant rate, without importing the engine).
DEFAULT_FUNDING = "0.0001"


def register(subparsers: SubCommands) -> None:
    """Add ``backtest`` and ``demo`` to the CLI's sub-commands."""
    p = subparsers.add_parser("backtest")
    _add_backtest_options(p, strategy_required=True)
    p.set_defaults(handler=start_backtest)

    p = subparsers.add_parser("demo")
    _add_backtest_options(p, strategy_required=False)
    p.set_defaults(handler=start_demo)


def _add_backtest_options(p: argparse.ArgumentParser, *, strategy_required: bool) -> None:
    add_strategy_options(p, strategy_required=strategy_required, params_file=True)
    add_data_options(p)
    add_cost_options(p)
    r = p.add_argument_group("risk")
    r.add_argument("--risk-gate", action="store_true",
                   help="screen entry orders through the risk gate with the limits of "
                        "CONFIG_DIR/risk_config.json; the report adds signal counts and "
                        "rejection reasons (default: off)")
    r.add_argument("--lot-rules", action="store_true",
                   help="round order quantities toward zero to Bybit's quantity step for "
                        "--symbol and refuse orders below its minimum quantity or value, as "
                        "the paper broker does (default: off)")
    o = p.add_argument_group("output")
    o.add_argument("--out", type=Path, metavar="DIR",
                   help="report folder (default: a new runs/<Strategy>-<UTC time>/; "
                        "demo: runs/demo)")
    o.add_argument("--no-plots", action="store_true", help="skip equity.png and trades.png")
    add_config_dir(p)


def checked_config_dir(config_dir: Path) -> Path:
    """*config_dir*, refused when the user named a folder that does not exist.

    The default ``configs`` may be absent (a run from another folder uses the built-in
    defaults), but a folder the user named and misspelt must not silently become defaults.
    """
    path = Path(config_dir)
    if path != DEFAULT_CONFIG_DIR and not path.is_dir():
        raise UserError(f"--config-dir {path}: no such folder; expected a folder holding "
                        f"risk_config.json and bybit_config.json (e.g. cp -r configs {path})")
    return path


def configured_fees(config_dir: Path) -> tuple[float, float]:
    """(taker, maker) from ``bybit_config.json`` when the config folder has one."""
    from backtrader_engine.config import BybitConfig, load_section
    from backtrader_engine.engine.costs import DEFAULT_MAKER_FEE, DEFAULT_TAKER_FEE

    path = checked_config_dir(config_dir) / "bybit_config.json"
    if not path.is_file():
        return DEFAULT_TAKER_FEE, DEFAULT_MAKER_FEE
    fees = load_section(path, BybitConfig).fees
    return fees.taker, fees.maker


def configured_risk(config_dir: Path) -> RiskConfig:
    """The risk limits from ``risk_config.json`` when the config folder has one, else defaults."""
    from backtrader_engine.config import RiskConfig, load_section

    path = checked_config_dir(config_dir) / RiskConfig.default_filename
    return load_section(path, RiskConfig) if path.is_file() else RiskConfig()


def bybit_lot_rules(symbol: str) -> LotRules:
    """Bybit's published lot rules of *symbol* (the paper broker's come from the venue).

    Raises
    ------
    UserError
        When no rules are built in for *symbol*.
    """
    from backtrader_engine.engine.lot_rules import LotRules
    from backtrader_engine.exchanges.bybit.venue import DEFAULT_INSTRUMENTS

    instrument = DEFAULT_INSTRUMENTS.get(symbol.upper())
    if instrument is None:
        raise UserError(f"--lot-rules: no lot rules known for {symbol}; they are built in for "
                        f"{', '.join(sorted(DEFAULT_INSTRUMENTS))} (pass --symbol)")
    return LotRules.of(instrument)


def job_from_args(args: argparse.Namespace) -> BacktestJob:
    from backtrader_engine.engine.job import BacktestJob, parse_param_overrides

    # ``optimize`` shares this with ``backtest`` but has no --risk-gate: studies run ungated.
    risk_gate = bool(getattr(args, "risk_gate", False))
    return BacktestJob(
        strategy=args.strategy,
        data=args.data,
        out=args.out,
        symbol=args.symbol,
        timeframe=args.timeframe,
        start=args.start,
        end=args.end,
        cash=args.cash,
        leverage=args.leverage,
        taker_fee=args.taker_fee,
        maker_fee=args.maker_fee,
        slippage_bps=args.slippage_bps,
        funding=args.funding if args.funding is not None else DEFAULT_FUNDING,
        funding_explicit=args.funding is not None,
        maintenance_margin_rate=args.maintenance_margin,
        params=parse_param_overrides(args.param),
        params_file=getattr(args, "params_file", None),
        confirm_timeframes=[t.strip() for t in args.confirm_timeframes.split(",") if t.strip()],
        plots=not args.no_plots,
        command=getattr(args, "command_line", None),
        risk_gate=risk_gate,
        risk_config=configured_risk(args.config_dir) if risk_gate else None,
        # ``optimize`` has no --lot-rules either: a study's trials trade any quantity.
        lot_rules=bybit_lot_rules if getattr(args, "lot_rules", False) else None,
        symbols=_symbols(args),
        store=getattr(args, "store", None),
        accounts=getattr(args, "accounts", "shared"),
    )


def _symbols(args: argparse.Namespace) -> list[str]:
    """``--symbols`` as a list ([] without it); refused when a portfolio flag has no use."""
    text = getattr(args, "symbols", None)
    if text is None:
        if getattr(args, "store", None) is not None:
            raise UserError("--store: only read with --symbols; pass --symbols A,B or "
                            "--data FILE for one symbol")
        if getattr(args, "accounts", "shared") != "shared":
            raise UserError(f"--accounts {args.accounts}: only used with --symbols; pass "
                            f"--symbols A,B to split the cash among symbols")
        return []
    from backtrader_engine.engine.portfolio_job import parse_symbols

    return parse_symbols(text)


def _run_and_print(job: BacktestJob, config_dir: Path, runs_dir: Path | None = None) -> int:
    """Run *job*, print its summary and files; 0, or 1 when the strategy's code raised."""
    from backtrader_engine.engine.backtest import BacktestResult
    from backtrader_engine.engine.job import run_backtest_job
    from backtrader_engine.engine.report import ReportPaths
    from backtrader_engine.strategies.failure import EXIT_STRATEGY_ERROR, StrategyRunError

    result: BacktestResult
    try:
        if job.symbols:
            from backtrader_engine.engine.portfolio_job import run_portfolio_job

            result, paths = run_portfolio_job(job, configured_fees(config_dir),
                                              runs_dir=runs_dir)
        else:
            result, paths = run_backtest_job(job, configured_fees(config_dir),
                                             runs_dir=runs_dir)
    except StrategyRunError as exc:
        # A bug in the strategy, not bad input: what ran before it is still shown and kept
        # (marked partial), then the strategy's own frames, without the engine's.
        partial = exc.partial
        if isinstance(partial, BacktestResult):
            paths = exc.paths if isinstance(exc.paths, ReportPaths) else None
            _print_result(job, partial, paths)
        print(f"error: {exc.failure}", file=sys.stderr)
        return EXIT_STRATEGY_ERROR
    _print_result(job, result, paths)
    return 0


def _print_result(job: BacktestJob, result: BacktestResult, paths: ReportPaths | None) -> None:
    from backtrader_engine.engine.job import data_path, instrument_label
    from backtrader_engine.engine.summary_text import format_summary

    if job.symbols:
        from backtrader_engine.engine.job import quote_currency
        from backtrader_engine.engine.portfolio_text import format_symbol_table

        quotes = {quote_currency(symbol) for symbol in job.symbols}
        currency = quotes.pop() if len(quotes) == 1 else None
        print(format_summary(result, None, currency))
        print()
        print(format_symbol_table(getattr(result, "symbols", []), job.accounts))
    else:
        instrument, currency = instrument_label(data_path(job), job.symbol)
        print(format_summary(result, instrument, currency))
    for warning in (result.rejection_warning(), result.sizing_warning()):
        if warning is not None:
            print(warning, file=sys.stderr)
    if paths is not None:
        print()
        partial = " (partial: the strategy raised an error)" if result.partial else ""
        print(f"report written to {paths.directory}/{partial}")
        for path in paths.all():
            if path.exists():
                print(f"  {path}")


def start_backtest(args: argparse.Namespace) -> int:
    return _run_and_print(job_from_args(args), args.config_dir, runs_dir=RUNS_DIR)


def start_demo(args: argparse.Namespace) -> int:
    args.strategy = args.strategy or DEMO_STRATEGY
    args.out = args.out or DEMO_OUT
    job = job_from_args(args)
    return _run_and_print(job, args.config_dir)
