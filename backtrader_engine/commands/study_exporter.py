"""``study-exporter``: serve Prometheus metrics of the Optuna studies in one storage."""

from __future__ import annotations

import argparse
import signal
import threading

from backtrader_engine.argtypes import port
from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.errors import UserError
from backtrader_engine.monitoring.exporter import start_collector_server


def register(subparsers: SubCommands) -> None:
    """Add ``study-exporter`` to the CLI's sub-commands."""
    p = subparsers.add_parser("study-exporter")
    p.add_argument("--storage", required=True, metavar="URL",
                   help="the optimiser's --storage: a journal file, sqlite:///file.db or "
                        "postgresql://...")
    p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    p.add_argument("--port", type=port, default=9101, help="port (default 9101; 0: any free)")
    p.set_defaults(handler=start_study_exporter)


def _wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_study_exporter(args: argparse.Namespace) -> int:
    from backtrader_engine.monitoring.studies import StudyCollector

    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: expected 0 to 65535")
    collector = StudyCollector(args.storage)
    with start_collector_server(collector, args.host, args.port) as server:
        print(f"study metrics of {collector.name} on {server.url}; Ctrl-C or SIGTERM stops",
              flush=True)
        _wait_for_stop()
    return 0
