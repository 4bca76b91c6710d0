"""``parity``: reconcile a paper session trade by trade with the backtester."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.parity.check import reconcile, write_report
from backtrader_engine.parity.report_text import format_report


def register(subparsers: SubCommands) -> None:
    """Add ``parity`` to the CLI's sub-commands."""
    p = subparsers.add_parser("parity")
    p.add_argument("--state", type=Path, required=True, metavar="DIR",
                   help="the paper session's state folder (its ledger.sqlite is read only; "
                        "the session may still be running)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="folder for parity.json (default: the state folder)")
    p.add_argument("--json", action="store_true",
                   help="print the JSON report instead of the table")
    p.set_defaults(handler=start_parity)


def start_parity(args: argparse.Namespace) -> int:
    report = reconcile(args.state)
    path = write_report(report, args.out)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        print(format_report(report, path))
    return 0 if report.explained else 1
