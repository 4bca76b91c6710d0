"""``data check``: the quality report, and an exit code for its verdict."""

from __future__ import annotations

import argparse
import sys

from backtrader_engine.data import check_quality, format_quality_report, load_with_report
from backtrader_engine.data.validation import DATA_CHECK_HINT

#: Exit code per verdict: 0 nothing to fix, 1 usable but review the warnings, 2 refused (every
#: mode refuses the data with the line printed on stderr, as a backtest would).
EXIT_CODES = {"ok": 0, "info": 0, "warning": 1, "error": 2}


def start_data_check(args: argparse.Namespace) -> int:
    frame, info = load_with_report(args.path)
    report = check_quality(frame, timeframe=args.timeframe, info=info, source=args.path)
    print(format_quality_report(report, args.path), flush=True)
    if report.refusal is not None:
        print(f"error: {report.refusal.removesuffix(DATA_CHECK_HINT)}", file=sys.stderr)
    return EXIT_CODES[report.severity]
