"""``data check``."""

from __future__ import annotations

import argparse

from ..data import check_quality, format_quality_report, load_with_report


def start_data_check(args: argparse.Namespace) -> int:
    frame, info = load_with_report(args.path)
    report = check_quality(frame, timeframe=args.timeframe, info=info)
    print(format_quality_report(report, args.path))
    return 0
