"""``data check``: the quality report, and an exit code for its verdict; ``data list``: what
the local store, or a folder of candle files, holds."""

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
    """Add ``data check`` and ``data list`` to the CLI's sub-commands."""
    p = subparsers.add_parser("data")
    actions = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    pc = actions.add_parser("check", help="print a data-quality report for a file or folder")
    pc.add_argument("path", type=Path)
    pc.add_argument("--timeframe", metavar="TF", help="expected bar size (default: inferred)")
    pc.set_defaults(handler=start_data_check)
    pl = actions.add_parser("list", help="list what the local store holds: symbols, "
                                         "timeframes, ranges, bars, missing bars")
    where = pl.add_mutually_exclusive_group()
    where.add_argument("--store", type=Path, metavar="DIR",
                       help="a DataStore folder, as download fills it (default: data)")
    where.add_argument("--data", type=Path, metavar="FOLDER",
                       help="a folder of candle files, listed as --data FOLDER --symbols "
                            "reads them (e.g. backtrader_engine/resources/data)")
    pl.set_defaults(handler=start_data_list)


def start_data_list(args: argparse.Namespace) -> int:
    from backtrader_engine.data.store import DataStore
    from backtrader_engine.data.store_list_text import format_store_list, list_store
    from backtrader_engine.engine.folder_list import candle_files
    from backtrader_engine.errors import UserError

    if args.data is not None:
        if not args.data.is_dir():
            raise UserError(f"--data {args.data}: not a folder; expected a folder of candle "
                            f"files (bte data check FILE reports on one file)")
        return _print_folder(args.data)
    root = args.store if args.store is not None else Path("data")
    if args.store is not None and not root.is_dir():
        raise UserError(f"--store {root}: no such folder; expected a store that "
                        f"'bte download' filled (e.g. --store data), or --data FOLDER for a "
                        f"folder of candle files")
    series = list_store(DataStore(root))
    if series:
        print(format_store_list(series))
        return 0
    if root.is_dir() and candle_files(root):
        # Loose files, not the download layout: show them as --data reads them, rather than
        # calling a folder of candles empty.
        print(f"{root}/ is not a store that bte download filled; its files as "
              f"--data {root} reads them:")
        return _print_folder(root)
    print(f"{root}/ holds no candles yet; fill it with e.g. "
          f"bte download --symbols BTCUSDT --timeframes 1m,1h --days 30")
    return 0


def _print_folder(folder: Path) -> int:
    from backtrader_engine.data.loader import SUPPORTED_SUFFIXES
    from backtrader_engine.engine.folder_list import format_folder_list, list_folder

    files = list_folder(folder)
    if not files:
        print(f"{folder}/ holds no candle files ({', '.join(sorted(SUPPORTED_SUFFIXES))})")
        return 0
    print(format_folder_list(files))
    return 0


def start_data_check(args: argparse.Namespace) -> int:
    frame, info = load_with_report(args.path)
    report = check_quality(frame, timeframe=args.timeframe, info=info, source=args.path)
    print(format_quality_report(report, args.path), flush=True)
    if report.refusal is not None:
        print(f"error: {report.refusal.removesuffix(DATA_CHECK_HINT)}", file=sys.stderr)
    return EXIT_CODES[report.severity]
