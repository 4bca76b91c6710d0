"""``stream``: watch Bybit's public stream through the client the paper bot uses.

Prints each closed bar and any gap or connection change, and a summary of the client's
counters at the end; a quick way to check connectivity, a replay server, or fault handling.
When Bybit refuses every kline topic (a symbol or timeframe it does not serve, such as 1m
from a replay of 1h candles), no bar can ever arrive: the command ends with one line and
exit code 2 instead of waiting.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import TextIO

import pandas as pd

from backtrader_engine.argtypes import positive_float, positive_int, rest_base_url
from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.commands.download import split_names
from backtrader_engine.errors import UserError
from backtrader_engine.exchanges.bybit.history import interval_for, make_session
from backtrader_engine.exchanges.bybit.retry import BybitUnreachable, Retry
from backtrader_engine.exchanges.bybit.stream import (
    BarGap,
    BybitStream,
    ClosedBar,
    KlineBackfill,
    MarketEvent,
    StreamSettings,
    StreamStatus,
    public_stream_url,
    stream_topics,
)
from backtrader_engine.exchanges.bybit.stream.client import log as client_log


def register(subparsers: SubCommands) -> None:
    """Add ``stream`` to the CLI's sub-commands."""
    p = subparsers.add_parser("stream")
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
    p.set_defaults(handler=start_stream)


def _line(event: MarketEvent) -> str | None:
    if isinstance(event, ClosedBar):
        start = pd.Timestamp(event.start, unit="ms")
        return (f"{start:%Y-%m-%d %H:%M} {event.symbol:<10} {event.interval:>3}  "
                f"O {event.open:g}  H {event.high:g}  L {event.low:g}  C {event.close:g}  "
                f"V {event.volume:g}  ({event.source})")
    if isinstance(event, BarGap):
        return (f"GAP {event.symbol} {event.interval}: {event.missing} bar(s) from "
                f"{pd.Timestamp(event.first_missing, unit='ms')} could not be recovered")
    if isinstance(event, StreamStatus):
        return f"-- {event.state} ({event.reason})"
    return None


def refused_every_kline(stream: BybitStream) -> str | None:
    """Why no bar can arrive, when Bybit refused every kline topic of *stream*; else None."""
    klines = sorted(t for t in stream.topics if t.startswith("kline."))
    refusals = stream.refused_topics()
    if not klines or any(t not in refusals for t in klines):
        return None
    reasons = "; ".join(dict.fromkeys(refusals[t] for t in klines))
    symbols = ", ".join(sorted({t.rsplit(".", 1)[-1] for t in klines}))
    return (f"Bybit refused every kline topic ({reasons}), so no bar can arrive for "
            f"{symbols}; check "
            f"--symbols and --timeframes (a replay server streams the timeframe of its "
            f"candles and longer ones: --timeframes 1h for the bundled 1h candles)")


class _QuietRefusals(logging.Filter):
    """Drops the client's own "Bybit refused" log line: the command words it for the user
    (a warning for some topics, the error line for all), so it is not said twice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Bybit refused")


def refused_some(stream: BybitStream, told: set[str]) -> str | None:
    """A warning for topics refused since *told* (updated), naming their symbols; else None."""
    refusals = stream.refused_topics()
    fresh = sorted(set(refusals) - told)
    if not fresh:
        return None
    told.update(fresh)
    symbols = sorted({topic.rsplit(".", 1)[-1] for topic in fresh})
    reasons = "; ".join(dict.fromkeys(refusals[t] for t in fresh))
    return (f"warning: Bybit refused {', '.join(symbols)} ({reasons}); the other symbols "
            "stream on")


def watch(stream: BybitStream, *, bars: int | None, seconds: float | None,
          out: TextIO, err: TextIO | None = None) -> int:
    """Print events until *bars* closed bars arrived or *seconds* passed; the bar count.

    Topics Bybit refuses while others are served are named once on *err* (stderr).

    Raises
    ------
    UserError
        When Bybit refused every kline topic, so that no bar could ever arrive.
    """
    err = err if err is not None else sys.stderr
    deadline = time.monotonic() + seconds if seconds else None
    seen = 0
    told: set[str] = set()
    quiet = _QuietRefusals()
    client_log.addFilter(quiet)
    stream.start()
    try:
        while (bars is None or seen < bars) and (deadline is None
                                                 or time.monotonic() < deadline):
            event = stream.queue.get(timeout=0.5)
            if (refused := refused_every_kline(stream)) is not None:
                raise UserError(refused)
            if (warning := refused_some(stream, told)) is not None:
                print(warning, file=err, flush=True)
            if stream.gave_up is not None:
                raise BybitUnreachable(
                    f"cannot connect to the stream {stream.url}: {stream.gave_up}; without "
                    "network, serve candles locally with 'bte replay --symbol S' and pass "
                    "--base-url http://127.0.0.1:8765 (or trade offline with 'bte paper "
                    "--source replay')")
            if event is None:
                continue
            seen += isinstance(event, ClosedBar)
            if (text := _line(event)) is not None:
                print(text, file=out, flush=True)
    finally:
        stream.close()
        client_log.removeFilter(quiet)
    return seen


def start_stream(args: argparse.Namespace) -> int:
    symbols = [s.upper() for s in split_names(args.symbols, "symbols")]
    intervals = [interval_for(tf)[1] for tf in split_names(args.timeframes, "timeframes")]
    topics = stream_topics(symbols, intervals=intervals, book_depth=args.book_depth)
    session = make_session(testnet=args.testnet, base_url=args.base_url)
    # Until the first connection, as many attempts as a REST call gets (BTE_RETRIES).
    settings = StreamSettings(connect_attempts=Retry(report=None).retries + 1)
    stream = BybitStream(topics, url=public_stream_url(args.base_url, testnet=args.testnet),
                         backfill=KlineBackfill(session), settings=settings)
    watch(stream, bars=args.bars, seconds=args.seconds, out=sys.stdout)
    stats = stream.stats()
    print(f"messages {stats['messages']}  reconnects {stats['reconnects']}  "
          f"malformed {stats['malformed']}  book resyncs {stats['resyncs']}  "
          f"backfilled bars {stats['backfilled_bars']}  "
          f"unrecovered bars {stats['unrecovered_bars']}")
    return 0
