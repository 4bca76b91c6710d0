"""``paper``: trade strategies on live (or replayed) Bybit data with the paper broker.

:func:`build_paper_parser` is the same parser on its own, for ``bot start``, the panel and
anything else that checks ``paper`` arguments before starting a bot with them.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backtrader_engine.argtypes import (
    non_negative_float,
    non_negative_int,
    paper_source,
    positive_float,
    positive_int,
)
from backtrader_engine.cli_parser import OneLineParser, SubCommands
from backtrader_engine.commands.log_options import add_log_options, setup_logging_from_args
from backtrader_engine.commands.metrics import add_metrics_options, paper_metrics
from backtrader_engine.commands.options import PAPER_WARMUP_BARS, add_config_dir
from backtrader_engine.commands.paper_lookahead import check_paper_strategies
from backtrader_engine.commands.paper_setup import PaperSetup, prepare_paper
from backtrader_engine.console_lines import whole_lines
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.rejections import describe_rejections
from backtrader_engine.exchanges.bybit.retry import BybitUnreachable
from backtrader_engine.ledger import check_resumable, ledger_path, logged_until
from backtrader_engine.monitoring.alerts_collector import TelegramCollector
from backtrader_engine.monitoring.definitions import portfolio_name
from backtrader_engine.monitoring.exporter import MetricsServer
from backtrader_engine.paper.session import PaperSession, PaperSettings
from backtrader_engine.paper.sources import start_replay
from backtrader_engine.service.statelock import StateLock, lock_holder
from backtrader_engine.telegram.service import TelegramService, telegram_for_session

log = logging.getLogger(__name__)


def register(subparsers: SubCommands) -> None:
    """Add ``paper`` to the CLI's sub-commands."""
    p = subparsers.add_parser("paper")
    add_config_dir(p)
    g = p.add_argument_group("what to trade (default: the enabled entries of "
                             "strategies_config.json)")
    g.add_argument("--strategy", metavar="SPEC[,SPEC]",
                   help="built-in names or path/to/file.py:ClassName, comma-separated")
    g.add_argument("--symbols", metavar="S,S",
                   help="e.g. BTCUSDT,ETHUSDT (default: bybit_config.json's symbols)")
    g.add_argument("--timeframe", metavar="TF", help="bar size with --strategy (default 1m)")
    g.add_argument("--params-file", type=Path, metavar="F",
                   help="JSON params, e.g. an optimiser's best_params.json")
    g.add_argument("--allow-lookahead", action="store_true",
                   help="trade a strategy even when the look-ahead check (bte lookahead) "
                        "finds it reading future bars (default: refuse it)")
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
    m.add_argument("--warmup-bars", type=non_negative_int, default=PAPER_WARMUP_BARS,
                   metavar="N", help="history bars that prime indicators before the first "
                                     f"live bar (default {PAPER_WARMUP_BARS}; 'bte warmup' "
                                     "says how many a strategy needs)")
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
    add_metrics_options(p)
    p.set_defaults(handler=start_paper)


def build_paper_parser(prog: str = "bte") -> argparse.ArgumentParser:
    """The ``paper`` parser on its own (its prog is ``PROG paper``), as :func:`register`
    adds it to the CLI: what checks the arguments a bot will run ``paper`` with."""
    subparsers = OneLineParser(prog=prog).add_subparsers(dest="command", required=True)
    register(subparsers)
    return subparsers.choices["paper"]


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The table paper prints when it stops: each sub-account, the total, why orders were
    refused and the stream counters."""
    lines = [f"{'sub-account':<44} {'value':>11} {'cash':>11} {'position':>10} "
             f"{'trades':>6} {'orders':>6} {'rejected':>8}"]
    total = start = 0.0
    for name, row in summary["accounts"].items():
        total += row["value"]
        start += row["initial_cash"]
        lines.append(f"{name:<44} {row['value']:>11.2f} {row['cash']:>11.2f} "
                     f"{row['position']:>10.4g} {row['round_trips']:>6} "
                     f"{row['open_orders']:>6} {row.get('orders_rejected', 0):>8}"
                     + (f"  ERROR {row['error']}" if row["error"] else ""))
    lines.append(f"{'total':<44} {total:>11.2f}   ({total - start:+.2f} since start)")
    # Why each sub-account's orders were refused, in the words the backtest summary uses.
    lines += [f"  {name}: {describe_rejections(row['rejected_by_reason'])}"
              for name, row in summary["accounts"].items() if row.get("rejected_by_reason")]
    lines += [f"  {name}: {row['orders_resized']} order{'' if row['orders_resized'] == 1 else 's'}"
              f" rounded down to the venue's lot step"
              for name, row in summary["accounts"].items() if row.get("orders_resized")]
    stream = summary.get("stream") or {}
    lines.append(f"live bars {summary['live_bars']}  caught up {summary['caught_up_bars']}  "
                 f"reconnects {stream.get('reconnects', 0)}  malformed "
                 f"{stream.get('malformed', 0)}  backfilled {stream.get('backfilled_bars', 0)}"
                 f"  ledger {summary['ledger']}")
    return lines


class StopRequest:
    """The SIGINT/SIGTERM handler of the whole command, installed before any set-up.

    A request while the session runs stops it; one during set-up (loading candles, starting
    the replay, logging) lets the set-up finish and the command end cleanly without starting
    the session, instead of the signal's default action killing the process half-way.
    """

    def __init__(self) -> None:
        self.requested = False
        self.session: PaperSession | None = None

    def __call__(self, *_: object) -> None:
        self.requested = True
        if self.session is not None:
            self.session.request_stop()


OFFLINE_HINT = "without network, --source replay trades replayed candles offline"


def start_paper(args: argparse.Namespace) -> int:
    whole_lines()
    try:
        return _start_paper_signals(args)
    except BybitUnreachable as exc:
        kept = (f"; the session in {args.state} is kept and resumes when started again"
                if ledger_path(args.state).exists() else "")
        raise BybitUnreachable(f"{exc}{kept}; {OFFLINE_HINT}") from None


def _start_paper_signals(args: argparse.Namespace) -> int:
    stop = StopRequest()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        # Every argument is checked before anything is printed, bound, locked or written.
        setup = prepare_paper(args)
        # A state folder in use is refused by the lock below at once; the check (seconds)
        # is for a session that is about to start.
        if not args.allow_lookahead and lock_holder(args.state) is None:
            check_paper_strategies(setup.accounts, setup.notes)
        # One writer per state folder, taken before anything touches the folder (ledger,
        # control.json) or could collide with the session already using it (its metrics
        # port, its log file); held until the command ends, dropped by the OS if killed.
        stop_file = str(args.stop_file.resolve()) if args.stop_file is not None else None
        with StateLock(args.state, {"command": "paper", "stop_file": stop_file}) as lock:
            check_resumable(args.state, setup.session_specs)
            # Bound before the rest starts, so a taken port fails at once (in one line, with
            # no notes before it); closed last.
            metrics = paper_metrics(args, setup.config.alerts.prometheus)
            for note in setup.notes:
                print(note, file=sys.stderr)
            try:
                return _start_paper(args, setup, stop, lock, metrics)
            finally:
                if metrics is not None:
                    metrics.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _start_paper(args: argparse.Namespace, setup: PaperSetup, stop: StopRequest,
                 lock: StateLock, metrics: MetricsServer | None = None) -> int:
    config = setup.config
    source = setup.source
    if setup.market is not None:
        source = start_replay(setup.market, speed=args.replay_speed,
                              warmup_bars=args.warmup_bars, timeframe=setup.coarsest_timeframe,
                              resume_ms=logged_until(args.state))
    assert source is not None
    bybit = config.bybit
    costs = CostModel(taker_fee=bybit.fees.taker, maker_fee=bybit.fees.maker,
                      leverage=bybit.default_leverage,
                      maintenance_margin_rate=bybit.maintenance_margin_rate, funding=0.0)
    settings = PaperSettings(setup.accounts, args.state, base_url=source.base_url,
                             testnet=source.testnet, fill_model=args.fill_model, costs=costs,
                             risk=config.risk if args.risk_gate else None,
                             warmup_bars=args.warmup_bars, manual=args.manual,
                             manual_cash=setup.manual_cash, state_lock=lock)
    session = PaperSession(settings)
    try:
        with setup_logging_from_args("paper", args) as logs:
            try:
                if source.server is not None:  # started before logging was set up
                    source.server.log_loaded()
                # None when off (docs/telegram.md); /logs reads this session's log file.
                telegram = telegram_for_session(config, args.state, log_file=logs.path)
                if telegram is not None and metrics is not None:
                    metrics.registry.register(TelegramCollector(telegram.stats,
                                                                portfolio_name(args.state)))
                _run(session, args, source.base_url or ("Bybit testnet" if source.testnet
                                                        else "Bybit mainnet"), stop,
                     telegram, exhausted=source.exhausted)
            finally:
                source.close()  # while logging is set up, so its stop line is logged
    finally:
        source.close()
    return 0


def _log_end(session: PaperSession, summary: dict[str, Any]) -> None:
    if session.started:
        log.info("paper session stopped", extra={"live_bars": summary["live_bars"]})
    else:  # start() raised: there was no session to stop
        log.info("paper session did not start")


def _run(session: PaperSession, args: argparse.Namespace, where: str, stop: StopRequest,
         telegram: TelegramService | None = None,
         exhausted: Callable[[], bool] = lambda: False) -> None:
    """Run *session* until a stop: a signal, --duration, --stop-file, --max-bars, or the end
    of a finite (in-process) replay unless --keep-running."""
    stop.session = session
    if stop.requested:
        print("stop requested during set-up: the session was not started", flush=True)
        return
    try:
        session.start()
        if telegram is not None:  # alerts read the ledger on their own threads
            telegram.start()
        print(f"paper trading {len(session.accounts)} sub-account(s) on {where}; state "
              f"{args.state} ({'resumed' if session.resumed else 'new session'}, "
              f"{session.caught_up} bars caught up); Ctrl-C or SIGTERM stops", flush=True)
        for account in session.accounts:
            spec = account.spec
            print(f"  {spec.name:<44} {spec.timeframe:>4}  cash {spec.cash:.2f}", flush=True)
        started = time.monotonic()
        last_status = started
        ended = False
        log.info("paper session started", extra={"state": str(args.state),
                                                  "accounts": len(session.accounts)})
        while not session.wait(0.2):
            now = time.monotonic()
            if args.duration and now - started >= args.duration:
                break
            if args.stop_file is not None and args.stop_file.exists():
                log.info("stop file %s found: stopping", args.stop_file)
                break
            if args.max_bars and session.live_bars >= args.max_bars:
                break
            if not ended and exhausted():
                ended = True
                if not args.keep_running:
                    # Stopping drains the stream, so the bars sent last are still traded.
                    print("replay data exhausted: stopping", flush=True)
                    log.info("replay data exhausted: stopping")
                    break
                print("replay data exhausted; --keep-running: still running, Ctrl-C or "
                      "SIGTERM stops", flush=True)
            if args.status_every and now - last_status >= args.status_every:
                last_status = now
                print(summary_lines(session.summary())[-1], flush=True)
    finally:
        summary = session.stop()
        if telegram is not None:  # "Bot stopped" goes out; the wait is bounded
            telegram.stop()
        _log_end(session, summary)
    print("\n".join(summary_lines(summary)), flush=True)
