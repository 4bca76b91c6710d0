"""``replay``: serve stored candles as a local Bybit V5 REST and WebSocket endpoint."""

from __future__ import annotations

import argparse
import threading

import pandas as pd

from ..errors import UserError
from ..exchanges.bybit.replay import ReplayMarket, ReplayServer


def _market(args: argparse.Namespace) -> ReplayMarket:
    symbol = args.symbol.upper()
    if args.data is not None:
        return ReplayMarket.from_files({symbol: args.data})
    market = ReplayMarket.from_store(args.store)
    if symbol not in market.symbols:
        raise UserError(f"{args.store}: no stored candles for {symbol}; stored: "
                        f"{', '.join(market.symbols)}")
    return market


def _start_ms(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        stamp = pd.Timestamp(text)
    except ValueError:
        raise UserError(f"--start {text!r}: not a time, e.g. 2022-09-05T05:00") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.value // 1_000_000)


def start_replay(args: argparse.Namespace) -> int:
    """Run the replay server in the foreground until interrupted."""
    if (args.data is None) == (args.store is None):
        raise UserError("give exactly one of --data PATH or --store DIR")
    server = ReplayServer(_market(args), host=args.host, port=args.port, speed=args.speed,
                          hold_when_idle=args.hold_when_idle, faults=args.faults,
                          start_ms=_start_ms(args.start))
    with server:
        server.start_clock()
        print(f"REST    {server.base_url}", flush=True)
        print(f"stream  {server.stream_url}", flush=True)
        print("Ctrl-C to stop", flush=True)
        threading.Event().wait()  # until KeyboardInterrupt
    return 0
