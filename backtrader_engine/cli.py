"""Command line: ``python -m backtrader_engine <command>`` (also installed as ``bte``).

Each option is defined once and reused by the subcommands that need it; each subcommand is a thin
``start_*`` function in :mod:`backtrader_engine.commands` over the library. Problems the user can
fix print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from backtrader_engine.argtypes import (
    finite_float,
    int_in,
    label,
    non_negative_float,
    non_negative_int,
    paper_source,
    port,
    positive_float,
    positive_int,
    rest_base_url,
)
from backtrader_engine.cli_parser import OneLineParser, refuse_unrecognized
from backtrader_engine.errors import StrategyCodeError, UserError

Handler = Callable[[argparse.Namespace], int]


def _add_config_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config-dir", type=Path, default=Path("configs"), metavar="DIR",
                   help="folder with bybit_config.json, risk_config.json, ... (default: configs)")


def _add_strategy_options(p: argparse.ArgumentParser, *, strategy_required: bool,
                          params_file: bool) -> None:
    g = p.add_argument_group("strategy")
    g.add_argument("--strategy", required=strategy_required, metavar="SPEC",
                   help="built-in name (e.g. RSIEMAMomentum) or path/to/file.py:ClassName")
    g.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="override a strategy parameter (repeatable)")
    if params_file:
        g.add_argument("--params-file", type=Path, metavar="PATH",
                       help="JSON params, e.g. an optimisation's best_params.json "
                            "(--param values win)")


def _add_data_options(p: argparse.ArgumentParser) -> None:
    d = p.add_argument_group("data")
    d.add_argument("--data", type=Path, metavar="PATH",
                   help="candles: CSV, Parquet, Feather, Binance ZIP or a folder of them "
                        "(default: the bundled BTC 1h candles)")
    d.add_argument("--symbol", type=label, metavar="S",
                   help="symbol label for reports, e.g. BTCUSDT (default: from the file)")
    d.add_argument("--timeframe", metavar="TF",
                   help="bar size; a multiple of the data's resamples it (default: inferred)")
    d.add_argument("--from", dest="start", metavar="DATE", help="first bar (inclusive)")
    d.add_argument("--to", dest="end", metavar="DATE", help="last bar (inclusive)")
    d.add_argument("--confirm-timeframes", default="", metavar="TF,TF",
                   help="higher-timeframe feeds for self.datas[1:], e.g. 15m,1h,4h")


def _add_cost_options(p: argparse.ArgumentParser) -> None:
    c = p.add_argument_group("perpetual-futures costs")
    c.add_argument("--cash", type=positive_float, default=10_000.0,
                   help="starting cash, in the data's quote currency (default 10000)")
    c.add_argument("--leverage", type=positive_float, default=1.0,
                   help="position leverage (default 1)")
    c.add_argument("--taker-fee", type=finite_float, metavar="F",
                   help="taker fee fraction (default: bybit_config.json, 0.00055)")
    c.add_argument("--maker-fee", type=finite_float, metavar="F",
                   help="maker fee fraction (default: bybit_config.json, 0.0002)")
    c.add_argument("--slippage-bps", type=non_negative_float, default=1.0, metavar="N",
                   help="slippage of market/stop fills in basis points (default 1)")
    c.add_argument("--funding", default="0.0001", metavar="PATH|RATE",
                   help="funding-rate file or constant rate per 8h settlement "
                        "(default 0.0001; 0 disables)")
    c.add_argument("--maintenance-margin", type=non_negative_float, default=0.005, metavar="RATE",
                   help="maintenance margin rate for liquidation (default 0.005)")


def _add_risk_options(p: argparse.ArgumentParser) -> None:
    r = p.add_argument_group("risk")
    r.add_argument("--risk-gate", action="store_true",
                   help="screen entry orders through the risk gate with the limits of "
                        "CONFIG_DIR/risk_config.json; the report adds signal counts and "
                        "rejection reasons (default: off)")
    r.add_argument("--lot-rules", action="store_true",
                   help="round order quantities toward zero to Bybit's quantity step for "
                        "--symbol and refuse orders below its minimum quantity or value, as "
                        "the paper broker does (default: off)")


def _add_backtest_options(p: argparse.ArgumentParser, *, strategy_required: bool) -> None:
    _add_strategy_options(p, strategy_required=strategy_required, params_file=True)
    _add_data_options(p)
    _add_cost_options(p)
    _add_risk_options(p)
    o = p.add_argument_group("output")
    o.add_argument("--out", type=Path, metavar="DIR",
                   help="report folder (default: a new runs/<Strategy>-<UTC time>/; "
                        "demo: runs/demo)")
    o.add_argument("--no-plots", action="store_true", help="skip equity.png and trades.png")
    _add_config_dir(p)


def _add_optimize_options(p: argparse.ArgumentParser) -> None:
    from backtrader_engine.optimize.objectives import DEFAULT_METRIC, METRICS

    _add_strategy_options(p, strategy_required=True, params_file=False)
    s = p.add_argument_group("study")
    s.add_argument("--n-jobs", type=positive_int, default=1, metavar="N",
                   help="worker processes (default 1)")
    s.add_argument("--trials", type=positive_int, default=200, metavar="N",
                   help="trials to add to the study in this run, across all workers "
                        "(default 200)")
    s.add_argument("--timeout", type=positive_float, metavar="SEC",
                   help="start no new trial after SEC seconds (per study)")
    s.add_argument("--metric", default=DEFAULT_METRIC, choices=list(METRICS),
                   help=f"value to maximise (default {DEFAULT_METRIC})")
    s.add_argument("--min-trades", type=non_negative_int, default=10, metavar="N",
                   help="trials with fewer closed trades are penalised (default 10)")
    s.add_argument("--space", dest="space_file", type=Path, metavar="FILE.json",
                   help="search space (default: the strategy's search_space)")
    s.add_argument("--seed", type=int_in(0, 2**31 - 1), metavar="N",
                   help="sampler seed; worker i uses N+i (a 1-job run is reproducible)")
    s.add_argument("--storage", metavar="URL",
                   help="postgresql://..., sqlite:///file.db or a journal file "
                        "(default: DIR/study.journal)")
    s.add_argument("--study-name", metavar="NAME",
                   help="study to create or continue (default: <Strategy>-<date-time>)")
    v = p.add_argument_group("validation")
    v.add_argument("--oos-fraction", type=non_negative_float, default=0.3, metavar="F",
                   help="last share of the bars kept out of the study (default 0.3; 0 disables)")
    v.add_argument("--walk-forward", type=non_negative_int, default=0, metavar="K",
                   help="also optimise K rolling train windows and test each winner "
                        "(default 0: off)")
    _add_data_options(p)
    _add_cost_options(p)
    o = p.add_argument_group("output")
    o.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default: runs/optimize/<study-name>)")
    o.add_argument("--no-plots", action="store_true", help="skip the plots")
    _add_config_dir(p)


def _add_metrics_options(p: argparse.ArgumentParser) -> None:
    m = p.add_argument_group("metrics (defaults: alert_config.json's prometheus section)")
    m.add_argument("--metrics", action=argparse.BooleanOptionalAction, default=None,
                   help="serve Prometheus metrics at http://HOST:PORT/metrics (default: "
                        "prometheus.enabled, on)")
    m.add_argument("--metrics-host", metavar="HOST",
                   help="interface of the metrics endpoint (default 127.0.0.1)")
    m.add_argument("--metrics-port", type=port, metavar="PORT",
                   help="port of the metrics endpoint (default 8080; 0: any free port)")


def build_parser() -> argparse.ArgumentParser:
    from backtrader_engine import commands
    from backtrader_engine.commands.bot import add_bot_commands
    from backtrader_engine.commands.dashboard import add_dashboard_options
    from backtrader_engine.service.logging_setup import add_log_options

    parser = OneLineParser(
        prog="bte", description="Backtest, optimise and paper-trade backtrader strategies on "
                                "crypto perpetual futures.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("backtest", help="run one backtest and write its report")
    _add_backtest_options(p, strategy_required=True)
    p.set_defaults(handler=commands.start_backtest)

    p = sub.add_parser("demo", help="backtest a built-in strategy on the bundled real candles")
    _add_backtest_options(p, strategy_required=False)
    p.set_defaults(handler=commands.start_demo)

    p = sub.add_parser("optimize", help="search strategy params with parallel Optuna workers")
    _add_optimize_options(p)
    p.set_defaults(handler=commands.start_optimize)

    p = sub.add_parser("strategies", help="list the built-in strategies and their parameters")
    p.set_defaults(handler=commands.start_strategies)

    p = sub.add_parser("config", help="validate or show the configuration")
    csub = p.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    pc = csub.add_parser("check", help="validate every config file")
    _add_config_dir(pc)
    pc.add_argument("--require-secrets", action="store_true",
                    help="also require the environment secrets that enabled features need")
    pc.set_defaults(handler=commands.start_config_check)
    ps = csub.add_parser("show", help="print the effective config, secrets masked")
    _add_config_dir(ps)
    ps.set_defaults(handler=commands.start_config_show)

    p = sub.add_parser("data", help="inspect candle files")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    pd_ = dsub.add_parser("check", help="print a data-quality report for a file or folder")
    pd_.add_argument("path", type=Path)
    pd_.add_argument("--timeframe", metavar="TF", help="expected bar size (default: inferred)")
    pd_.set_defaults(handler=commands.start_data_check)

    p = sub.add_parser("download", help="download Bybit candles and funding into the store")
    p.add_argument("--symbols", required=True, metavar="S,S", help="e.g. BTCUSDT,ETHUSDT")
    p.add_argument("--timeframes", default="1m,5m,1h", metavar="TF,TF",
                   help="1m, 5m, 15m, 1h, 4h, 1d, ... (default 1m,5m,1h)")
    p.add_argument("--days", type=positive_float, default=30.0, metavar="N",
                   help="history to keep filled, counted back from now (default 30)")
    p.add_argument("--testnet", action="store_true",
                   help="use Bybit testnet (stored as exchange 'bybit-testnet')")
    p.add_argument("--base-url", type=rest_base_url, metavar="URL",
                   help="REST base URL instead of Bybit's, e.g. http://127.0.0.1:8765 "
                        "for a replay server")
    p.add_argument("--store", type=Path, default=Path("data"), metavar="DIR",
                   help="DataStore folder (default: data)")
    p.add_argument("--funding", action=argparse.BooleanOptionalAction, default=True,
                   help="also download funding-rate history (default: on)")
    p.add_argument("--progress-every", type=non_negative_float, default=5.0, metavar="S",
                   help="a progress bar per symbol and timeframe goes to stderr, redrawn in "
                        "place on a terminal; elsewhere (logs) as a plain line every S "
                        "seconds (default 5; 0: one per page)")
    p.set_defaults(handler=commands.start_download)

    p = sub.add_parser("replay", help="serve stored candles as a local Bybit REST + stream")
    p.add_argument("--data", type=Path, metavar="PATH", help="one OHLCV file for --symbol")
    p.add_argument("--store", type=Path, metavar="DIR",
                   help="a DataStore folder (default: data; while it holds no candles, "
                        "BTCUSDT is served from the bundled BTC-USD 1h candles)")
    p.add_argument("--symbol", required=True, metavar="S", help="e.g. BTCUSDT")
    p.add_argument("--speed", type=non_negative_float, default=60.0, metavar="X",
                   help="market time per wall time; 1 = real time, 0 = as fast as possible "
                        "(default 60)")
    p.add_argument("--port", type=port, default=8765)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--faults", metavar="SPEC",
                   help="e.g. drop_every=5,malformed_every=50,skip_seq_every=30,stall=10:3,"
                        "snapshot_every=100")
    p.add_argument("--hold-when-idle", action="store_true",
                   help="hold the clock while no stream client is subscribed")
    p.add_argument("--start", metavar="TIME",
                   help="start the clock at this candle time (e.g. 2022-09-05T05:00), so "
                        "REST serves the history before it; default: the first candle")
    p.set_defaults(handler=commands.start_replay)

    p = sub.add_parser("paper", help="paper-trade strategies on live Bybit data (or a replay)")
    _add_config_dir(p)
    g = p.add_argument_group("what to trade (default: the enabled entries of "
                             "strategies_config.json)")
    g.add_argument("--strategy", metavar="SPEC[,SPEC]",
                   help="built-in names or path/to/file.py:ClassName, comma-separated")
    g.add_argument("--symbols", metavar="S,S",
                   help="e.g. BTCUSDT,ETHUSDT (default: bybit_config.json's symbols)")
    g.add_argument("--timeframe", metavar="TF", help="bar size with --strategy (default 1m)")
    g.add_argument("--params-file", type=Path, metavar="F",
                   help="JSON params, e.g. an optimiser's best_params.json")
    m = p.add_argument_group("market data")
    m.add_argument("--source", type=paper_source, default="bybit", metavar="bybit|replay|URL",
                   help="Bybit, an in-process replay of the bundled candles, or a running "
                        "replay server's http://HOST:PORT (default bybit)")
    m.add_argument("--testnet", action="store_true", help="Bybit testnet")
    m.add_argument("--replay-speed", type=non_negative_float, default=3600.0, metavar="X",
                   help="with --source replay: market time per wall time (default 3600: an "
                        "hour of candles per second); 0 = as fast as possible")
    m.add_argument("--replay-data", type=Path, metavar="PATH",
                   help="with --source replay: an OHLCV file instead of the bundled candles")
    m.add_argument("--replay-store", type=Path, metavar="DIR",
                   help="with --source replay: a DataStore folder (several symbols)")
    m.add_argument("--warmup-bars", type=non_negative_int, default=300, metavar="N",
                   help="history bars that prime indicators before the first live bar "
                        "(default 300)")
    b = p.add_argument_group("paper account")
    b.add_argument("--state", type=Path, default=Path("state/paper"), metavar="DIR",
                   help="ledger folder; the same folder resumes the session (default "
                        "state/paper)")
    b.add_argument("--fill-model", choices=("book", "bar"), default="book",
                   help="book: market orders fill against the live order book (default); "
                        "bar: at the next bar's open, as in a backtest")
    b.add_argument("--cash-per-account", type=positive_float, metavar="USDT",
                   help="cash of each strategy x symbol sub-account (default: "
                        "risk_config.json's initial_cash split evenly)")
    b.add_argument("--risk-gate", action=argparse.BooleanOptionalAction, default=True,
                   help="screen entries through risk_config.json's limits (default on)")
    b.add_argument("--manual", action=argparse.BooleanOptionalAction, default=True,
                   help="a Manual sub-account per symbol for signals sent with 'inject' "
                        "(default on)")
    r = p.add_argument_group("run")
    r.add_argument("--duration", type=positive_float, metavar="S", help="stop after S seconds")
    r.add_argument("--max-bars", type=positive_int, metavar="N", help="stop after N live bars")
    r.add_argument("--keep-running", action="store_true",
                   help="with --source replay: keep the session open when the replay's data "
                        "is exhausted (default: stop there with the summary, exit 0)")
    r.add_argument("--status-every", type=non_negative_float, default=30.0, metavar="S",
                   help="print a status line every S seconds (0: never; default 30)")
    r.add_argument("--stop-file", type=Path, metavar="PATH",
                   help="stop cleanly, as on SIGTERM, when this file appears (how 'bot stop' "
                        "stops the bot on Windows)")
    add_log_options(p)
    _add_metrics_options(p)
    p.set_defaults(handler=commands.start_paper)

    from backtrader_engine.commands.inject import EXIT_CODES_HELP

    p = sub.add_parser("inject", help="send a manual (QA) signal into a running paper session",
                       description="Send a manual (QA) signal into a running paper session and "
                                   "print its outcome.",
                       epilog=f"Exit status: {EXIT_CODES_HELP}.")
    p.add_argument("--symbol", required=True, metavar="S", help="e.g. ETHUSDT")
    p.add_argument("--side", required=True, choices=("buy", "sell"))
    p.add_argument("--qty", type=positive_float, metavar="Q",
                   help="quantity (default: 10%% of the manual sub-account's equity; a sell "
                        "while long closes the long)")
    p.add_argument("--confidence", type=finite_float, default=1.0, metavar="C",
                   help="0 to 1, checked by the risk gate (default 1.0)")
    p.add_argument("--state", type=Path, default=Path("state/paper"), metavar="DIR",
                   help="the running session's state folder (default state/paper)")
    p.add_argument("--json", action="store_true", help="print the reply as JSON")
    p.set_defaults(handler=commands.start_inject)

    p = sub.add_parser("parity", help="reconcile a paper session trade by trade with the "
                                      "backtester")
    p.add_argument("--state", type=Path, required=True, metavar="DIR",
                   help="the paper session's state folder (its ledger.sqlite is read only; "
                        "the session may still be running)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder for parity.json (default: the state folder)")
    p.add_argument("--json", action="store_true",
                   help="print the JSON report instead of the table")
    p.set_defaults(handler=commands.start_parity)

    p = sub.add_parser("stream", help="watch Bybit's public stream: closed bars, gaps, "
                                      "connection state")
    p.add_argument("--symbols", required=True, metavar="S,S", help="e.g. BTCUSDT,ETHUSDT")
    p.add_argument("--timeframes", default="1m", metavar="TF,TF",
                   help="kline timeframes to follow (default 1m)")
    p.add_argument("--book-depth", type=int, default=50, choices=(1, 50, 200, 1000),
                   metavar="N",
                   help="order book depth: 1, 50, 200 or 1000 (default 50)")
    p.add_argument("--testnet", action="store_true", help="use Bybit testnet")
    p.add_argument("--base-url", type=rest_base_url, metavar="URL",
                   help="REST base URL of a replay server, e.g. http://127.0.0.1:8765; the "
                        "stream URL is derived from it")
    p.add_argument("--bars", type=positive_int, metavar="N", help="stop after N closed bars")
    p.add_argument("--seconds", type=positive_float, metavar="S", help="stop after S seconds")
    p.set_defaults(handler=commands.start_stream)

    p = sub.add_parser("bot", help="start, stop and watch the paper bot as a PID-managed "
                                   "process")
    add_bot_commands(p.add_subparsers(dest="bot_command", required=True, metavar="ACTION"))
    p = sub.add_parser("study-exporter", help="serve Prometheus metrics of the Optuna studies "
                                              "in one storage")
    p.add_argument("--storage", required=True, metavar="URL",
                   help="the optimiser's --storage: a journal file, sqlite:///file.db or "
                        "postgresql://...")
    p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=9101, help="port (default 9101; 0: any free)")
    p.set_defaults(handler=commands.start_study_exporter)

    p = sub.add_parser("dashboards", help="write the Grafana dashboards' JSON")
    p.add_argument("--out", type=Path, default=Path("monitoring/grafana/dashboards"),
                   metavar="DIR", help="folder (default monitoring/grafana/dashboards)")
    p.add_argument("--check", action="store_true",
                   help="only check that the files in DIR match; exit 2 if not")
    _add_config_dir(p)
    p.set_defaults(handler=commands.start_dashboards)

    p = sub.add_parser("dashboard", help="serve the Streamlit control panel "
                                         "(http://127.0.0.1:8501)")
    add_dashboard_options(p)
    p.set_defaults(handler=commands.start_dashboard)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    return run(build_parser(), argv, "bte")


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None, name: str) -> int:
    """Parse *argv* with *parser* and run the chosen handler; the process exit code.

    Sub-commands that set ``pass_through`` (``bot start``) receive the arguments they do
    not know, in order, as ``args.paper_args``; for the others they are an error, as with
    ``parse_args``.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            if not getattr(args, "pass_through", False):
                refuse_unrecognized(parser, args, extra)
            args.paper_args = extra
    except SystemExit as exc:
        # argparse ends with SystemExit after --help (0) or its one error line (2); returned
        # like every other outcome, so library callers of main() get a code, not an exit.
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    args.command_line = [name, *argv]
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except StrategyCodeError as exc:
        # A bug in a strategy's own code that the command did not report itself: its
        # frames, not the engine's traceback (backtest reports these with its partial run).
        print(f"error: {exc.details}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`bte backtest ... | head`): whatever the command
        # was doing is done or moot, so end quietly, with the status a shell gives a process
        # ended by SIGPIPE, instead of a traceback.
        _discard_stdout()
        return 141


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not hit the closed pipe again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by an in-memory stream
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
