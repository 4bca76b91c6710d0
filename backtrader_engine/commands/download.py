"""``download``: Bybit candles and funding into the local DataStore."""

from __future__ import annotations

import argparse
from pathlib import Path

from backtrader_engine.argtypes import non_negative_float, positive_float, rest_base_url
from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.data import DataStore
from backtrader_engine.engine.outdir import check_output_dir
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.history import HistoryDownloader, make_session
from backtrader_engine.exchanges.bybit.retry import BybitUnreachable


def register(subparsers: SubCommands) -> None:
    """Add ``download`` to the CLI's sub-commands."""
    p = subparsers.add_parser("download")
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
    p.set_defaults(handler=start_download)


def split_names(value: str, what: str) -> list[str]:
    """Comma-separated *value* as a list; a one-line UserError naming --*what* if empty."""
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise UserError(f"--{what} is empty; give a comma-separated list")
    return names


def start_download(args: argparse.Namespace) -> int:
    symbols = [s.upper() for s in split_names(args.symbols, "symbols")]
    timeframes = split_names(args.timeframes, "timeframes")
    check_output_dir(args.store, "--store", "a DataStore folder (new or existing)")
    session = make_session(testnet=args.testnet, base_url=args.base_url)
    exchange = "bybit-testnet" if args.testnet and not args.base_url else "bybit"
    if args.progress_every < 0:
        raise UserError(f"--progress-every {args.progress_every}; expected seconds >= 0")
    downloader = HistoryDownloader(session, DataStore(args.store), exchange=exchange,
                                   progress_every=args.progress_every)
    try:
        downloader.run(symbols, timeframes, args.days, funding=args.funding)
    except BybitUnreachable as exc:
        raise BybitUnreachable(
            f"{exc}; without network, download from a local replay server instead "
            "('bte replay --symbol S' and --base-url http://127.0.0.1:8765), or use "
            "'bte paper --source replay' to trade offline") from None
    return 0
