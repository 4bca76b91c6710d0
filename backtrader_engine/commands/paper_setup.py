"""What a ``paper`` command will run, with every argument checked before anything starts.

:func:`prepare_paper` reads the configuration, the strategies, their parameters and (for
``--source replay``) the candles, and checks every option; it prints nothing, binds no port,
starts no thread and writes nothing. So a bad argument is one ``error:`` line and exit code
2 before the state folder's lock, the metrics endpoint, the log file or the replay exist —
never a refusal after start-up notes, or a "session stopped" for a session that never ran.
The notes it collects (a strategy moved to the replay's timeframe) are printed by the caller
once the session is really going to start.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Any

from backtrader_engine.commands.log_options import check_log_args
from backtrader_engine.commands.metrics import metrics_address
from backtrader_engine.config import AppConfig, load_config
from backtrader_engine.data import parse_timeframe
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.replay import ReplayMarket
from backtrader_engine.paper.account import AccountSpec
from backtrader_engine.paper.plan import (
    Wanted,
    build_accounts,
    wanted_from_args,
    wanted_from_config,
)
from backtrader_engine.paper.session import manual_specs
from backtrader_engine.paper.sources import (
    Source,
    check_replay_symbols,
    replay_market,
    resolve_source,
)
from backtrader_engine.telegram.settings import telegram_settings


@dataclass(frozen=True)
class PaperSetup:
    """A checked ``paper`` command, nothing started yet.

    Attributes
    ----------
    config
        The loaded configuration folder.
    source
        Bybit or a replay server's URL; ``None`` for an in-process replay of *market*.
    market
        The candles the in-process replay will serve (``None`` for other sources).
    accounts
        The strategy × symbol sub-accounts; *session_specs* adds the manual ones.
    manual_cash
        Cash of each manual sub-account.
    notes
        Lines for stderr once the session starts (choices made for the user).
    """

    config: AppConfig
    source: Source | None
    market: ReplayMarket | None
    accounts: list[AccountSpec]
    manual_cash: float
    session_specs: list[AccountSpec]
    notes: list[str]

    @property
    def coarsest_timeframe(self) -> str:
        return max((a.timeframe for a in self.accounts), key=parse_timeframe)


def prepare_paper(args: argparse.Namespace) -> PaperSetup:
    """Check every ``paper`` argument and build what the session will trade.

    Raises
    ------
    UserError
        The first bad argument, in one line.
    """
    check_paper_numbers(args)
    check_paper_paths(args)
    config = load_config(args.config_dir)
    # A bad Telegram chat id is bad input like any other.
    telegram_settings(config.alerts)
    metrics_address(args, config.alerts.prometheus)
    source = resolve_source(args.source, args.testnet)
    if source is not None and (args.replay_data or args.replay_store):
        given = "--replay-data" if args.replay_data else "--replay-store"
        raise UserError(f"{given} is for --source replay; this session's source is "
                        f"{args.source}")
    if not args.strategy and (args.timeframe or args.params_file):
        given = "--timeframe" if args.timeframe else "--params-file"
        raise UserError(f"{given} applies to --strategy; without it the strategies of "
                        "strategies_config.json run with their own timeframes and params")
    if args.symbols is not None and not [s for s in args.symbols.split(",") if s.strip()]:
        raise UserError(f"--symbols {args.symbols!r}: no symbol given; expected a "
                        "comma-separated list such as BTCUSDT,ETHUSDT (or leave it out for "
                        "strategies_config.json's symbols)")
    market = None
    if source is None:
        symbol = (args.symbols or "BTCUSDT").split(",")[0].strip().upper()
        market = replay_market(args.replay_data, args.replay_store, symbol)
    if args.strategy:
        wanted = wanted_from_args(args.strategy, args.symbols, args.timeframe,
                                  args.params_file, config)
    else:
        wanted = wanted_from_config(config)
    notes: list[str] = []
    if market is not None:
        if args.symbols:
            check_replay_symbols(market, [s.strip().upper() for s in args.symbols.split(",")
                                          if s.strip()], None)
        wanted = _fit_to_replay(wanted, market, notes, explicit_symbols=bool(args.symbols),
                                explicit_timeframe=bool(args.timeframe))
        for w in wanted:
            check_replay_symbols(market, list(w.symbols), w.timeframe)
    cash = args.cash_per_account
    if cash is None:
        # The session's cash is split evenly over every sub-account, manual ones included.
        pairs = sum(len(w.symbols) for w in wanted)
        symbols = len({s for w in wanted for s in w.symbols})
        cash = config.risk.initial_cash / (pairs + (symbols if args.manual else 0))
    accounts = build_accounts(wanted, config.risk.initial_cash, cash)
    specs = accounts + (manual_specs(accounts, cash) if args.manual else [])
    return PaperSetup(config, source, market, accounts, cash, specs, notes)


def _fit_to_replay(wanted: list[Wanted], market: Any, notes: list[str], *,
                   explicit_symbols: bool, explicit_timeframe: bool) -> list[Wanted]:
    """Without --symbols/--timeframe, trade what the replay has at a timeframe it allows."""
    out = []
    for w in wanted:
        symbols = w.symbols
        if not explicit_symbols:
            symbols = tuple(s for s in w.symbols if s in market.symbols) or tuple(
                market.symbols)
        timeframe = w.timeframe
        base = max((market.base_timeframe(s) for s in symbols), key=parse_timeframe)
        if not explicit_timeframe and parse_timeframe(timeframe) < parse_timeframe(base):
            notes.append(f"note: {w.spec} runs on {base} (the replay's candles), not "
                         f"{timeframe}")
            timeframe = base
        confirm = tuple(tf for tf in w.confirm if parse_timeframe(tf) > parse_timeframe(
            timeframe))
        out.append(Wanted(w.spec, symbols, timeframe, confirm, w.params))
    return out


def check_paper_numbers(args: argparse.Namespace) -> None:
    """The numeric options: finite, and in their range (also run by ``bot start``)."""
    _number(args, "duration", "a positive number of seconds", low=0.0, open_low=True)
    _number(args, "max_bars", "a positive number of bars", low=1)
    _number(args, "warmup_bars", "0 or more bars", low=0)
    _number(args, "replay_speed", "0 (as fast as possible) or a positive speed", low=0.0)
    _number(args, "cash_per_account", "a positive amount of USDT", low=0.0, open_low=True)
    _number(args, "status_every", "0 (never) or a positive number of seconds", low=0.0)
    check_log_args(args)


def _number(args: argparse.Namespace, dest: str, expected: str, *, low: float,
            open_low: bool = False) -> None:
    value = getattr(args, dest, None)
    if value is None:
        return
    if not math.isfinite(value) or value < low or (open_low and value == low):
        option = "--" + dest.replace("_", "-")
        raise UserError(f"{option} {value:g}: expected {expected}")


def check_paper_paths(args: argparse.Namespace) -> None:
    """Folders that are files, and a stop file that would end the session at once (also run
    by ``bot start``, so such a bot is refused instead of dying in the background)."""
    for option, path in (("--state", args.state), ("--log-dir", args.log_dir),
                         ("--config-dir", args.config_dir)):
        if path is not None and path.exists() and not path.is_dir():
            raise UserError(f"{option} {path}: a file, not a folder; give a folder")
    if args.stop_file is not None and args.stop_file.exists():
        raise UserError(f"--stop-file {args.stop_file} already exists, so the session would "
                        "stop at once; delete it or choose another path")
