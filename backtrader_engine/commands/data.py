"""``data check``: the quality report, and an exit code for its verdict."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.data import check_quality, format_quality_report, load_with_report
from backtrader_engine.data.validation import DATA_CHECK_HINT

#: Exit code per verdict: 0 nothing to fix, 1 usable but review the warnings, 2 refused (every
#: mode refuses the data with the line printed on stderr, as a backtest would).
EXIT_CODES = {"ok": 0, "info": 0, "warning": 1, "error": 2}


def register(subparsers: SubCommands) -> None:
    """Add ``data check`` to the CLI's sub-commands."""
    p = subparsers.add_parser("data")
    actions = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    pc = actions.add_parser("check", help="print a data-quality report for a file or folder")
    pc.add_argument("path", type=Path)
    pc.add_argument("--timeframe", metavar="TF", help="expected bar size (default: inferred)")
    pc.set_defaults(handler=start_data_check)


def start_data_check(args: argparse.Namespace) -> int:
    frame, info = load_with_report(args.path)
    report = check_quality(frame, timeframe=args.timeframe, info=info, source=args.path)
    print(format_quality_report(report, args.path), flush=True)
    if report.refusal is not None:
        print(f"error: {report.refusal.removesuffix(DATA_CHECK_HINT)}", file=sys.stderr)
    return EXIT_CODES[report.severity]
