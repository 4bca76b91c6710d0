"""``replay``: serve stored candles as a local Bybit V5 REST and WebSocket endpoint."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

import pandas as pd

from backtrader_engine.argtypes import non_negative_float, port
from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.data import DataStore, bundled_info, default_dataset
from backtrader_engine.data.timeframes import BYBIT_INTERVALS
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.replay import ReplayMarket, ReplayServer
from backtrader_engine.exchanges.bybit.replay.server import log as _server_log
from backtrader_engine.exchanges.bybit.replay.stream import log as _stream_log
from backtrader_engine.paper.sources import BUNDLED_SYMBOL, replay_market

#: The store ``download`` fills by default; while it holds nothing (a fresh clone) the replay
#: serves the bundled candles, as ``paper --source replay`` does, so it works offline at once.
DEFAULT_STORE = Path("data")
_EXCHANGE = "bybit"  # the exchange whose stored candles a store replay serves


def register(subparsers: SubCommands) -> None:
    """Add ``replay`` to the CLI's sub-commands."""
    p = subparsers.add_parser("replay")
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
    p.set_defaults(handler=start_replay)


def _stored_symbols(store: Path) -> list[str]:
    return sorted({e.symbol for e in DataStore(store).available()
                   if e.exchange == _EXCHANGE and e.kind == "ohlcv"})


def _market(args: argparse.Namespace) -> tuple[ReplayMarket, str | None]:
    """The market to serve, and a note to print once the server runs (``None``: none)."""
    symbol = args.symbol.upper()
    if args.data is not None:
        return ReplayMarket.from_files({symbol: args.data}), None
    store = Path(args.store)
    stored = _stored_symbols(store)
    if not stored and symbol == BUNDLED_SYMBOL and store.resolve() == DEFAULT_STORE.resolve():
        info = bundled_info(default_dataset())
        note = (f"note: {store} holds no downloaded candles yet; serving the bundled "
                f"{info.label if info else 'BTC'} candles as {BUNDLED_SYMBOL} (bte download "
                "fills the store; --data FILE serves your own)")
        return replay_market(None, None, BUNDLED_SYMBOL), note
    if symbol not in stored:
        what = (f"stored: {', '.join(stored)}" if stored else
                "nothing is stored there" if store.is_dir() else "no such folder")
        raise UserError(f"{store}: no stored '{_EXCHANGE}' candles for {symbol} ({what}); "
                        f"replay a candle file with --data FILE, or fetch them with "
                        f"'bte download --symbols {symbol} --store {store}'")
    return ReplayMarket.from_store(store, _EXCHANGE), None


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


def _check_start(market: ReplayMarket, start_ms: int | None, text: str | None) -> None:
    """Refuse a --start outside the data: the clock would silently begin elsewhere."""
    if start_ms is None:
        return
    frames = {s: market.candles(s, _interval(market.base_timeframe(s))) for s in market.symbols}
    first = min(f.index[0] for f in frames.values())
    last = max(f.index[-1] for f in frames.values())
    stamp = pd.Timestamp(start_ms, unit="ms")
    if first <= stamp <= last:
        return
    where = "after the last" if stamp > last else "before the first"
    covers = ", ".join(f"{s} {market.base_timeframe(s)} {f.index[0]:%Y-%m-%d %H:%M} .. "
                       f"{f.index[-1]:%Y-%m-%d %H:%M}" for s, f in frames.items())
    raise UserError(f"--start {text}: {where} candle of the data ({covers}); expected a time "
                    f"from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M}")


def _interval(timeframe: str) -> str:
    return next(k for k, v in BYBIT_INTERVALS.items() if v == timeframe)


def start_replay(args: argparse.Namespace) -> int:
    """Run the replay server in the foreground until interrupted."""
    if args.data is not None and args.store is not None:
        raise UserError("give one of --data PATH and --store DIR, not both")
    if args.store is None:
        args.store = DEFAULT_STORE
    start_ms = _start_ms(args.start)
    market, note = _market(args)
    _check_start(market, start_ms, args.start)
    server = ReplayServer(market, host=args.host, port=args.port, speed=args.speed,
                          hold_when_idle=args.hold_when_idle, faults=args.faults,
                          start_ms=start_ms)
    # What it loaded, the end of the data and the stop go to stderr as plain lines: scripts
    # read the REST and stream lines from stdout.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    loggers = [logging.getLogger(name) for name in (_server_log.name, _stream_log.name)]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    stopped = threading.Event()
    reason = ["stopped"]

    def on_signal(signum: int, _frame: object) -> None:
        reason[0] = f"{signal.Signals(signum).name} received"
        stopped.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.start()
        if note:
            # Only once the server runs: a refused --faults, --start or --host stays one
            # error line. stderr: scripts read the REST and stream lines from stdout.
            print(note, file=sys.stderr, flush=True)
        try:
            server.start_clock()
            print(f"REST    {server.base_url}", flush=True)
            print(f"stream  {server.stream_url}", flush=True)
            print("Ctrl-C to stop", flush=True)
            while not stopped.wait(0.5):
                pass
        finally:
            server.stop(reason[0])
    finally:
        for sig, old_handler in previous.items():
            signal.signal(sig, old_handler)
        for logger in loggers:
            logger.removeHandler(handler)
    # Ctrl-C ends with the status a shell gives an interrupted command, as before.
    return 130 if reason[0] == "SIGINT received" else 0
