"""``parity``: reconcile a paper session trade by trade with the backtester."""

from __future__ import annotations

import argparse
import json

from backtrader_engine.parity.check import reconcile, write_report
from backtrader_engine.parity.report_text import format_report


def start_parity(args: argparse.Namespace) -> int:
    report = reconcile(args.state)
    path = write_report(report, args.out)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, default=str))
    else:
        print(format_report(report, path))
    return 0 if report.explained else 1
