"""``download``: Bybit candles and funding into the local DataStore."""

from __future__ import annotations

import argparse

from backtrader_engine.data import DataStore
from backtrader_engine.engine.outdir import check_output_dir
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.history import HistoryDownloader, make_session
from backtrader_engine.exchanges.bybit.retry import BybitUnreachable


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
