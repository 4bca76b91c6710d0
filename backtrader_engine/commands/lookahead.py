"""``lookahead``: does the strategy decide or read anything that changes when the bars after
it are removed? (``engine/lookahead.py``)"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from backtrader_engine.argtypes import positive_int
from backtrader_engine.commands.options import (
    add_config_dir,
    add_cost_options,
    add_data_options,
    add_strategy_options,
)
from backtrader_engine.errors import UserError

if TYPE_CHECKING:
    from backtrader_engine.cli_parser import SubCommands
    from backtrader_engine.engine.backtest import BacktestRequest

#: Exit code when look-ahead was found (0: clean, 2: refused input).
EXIT_LOOKAHEAD = 1


def register(subparsers: SubCommands) -> None:
    """Add ``lookahead`` to the CLI's sub-commands."""
    p = subparsers.add_parser("lookahead")
    add_strategy_options(p, strategy_required=True, params_file=True)
    add_data_options(p)
    add_cost_options(p)
    c = p.add_argument_group("check")
    c.add_argument("--cuts", type=positive_int, default=10, metavar="N",
                   help="truncated histories to replay: half end at bars where the full run "
                        "signalled, the rest spread over the data (default 10)")
    c.add_argument("--json", dest="json_out", type=Path, metavar="PATH",
                   help="also write the findings as JSON")
    add_config_dir(p)
    p.set_defaults(handler=start_lookahead, out=None, no_plots=True)


def prepared_request(args: argparse.Namespace) -> BacktestRequest:
    """The backtest *args* describe (the same options and defaults as ``backtest``)."""
    from backtrader_engine.commands.backtest import configured_fees, job_from_args
    from backtrader_engine.engine.backtest import check_enough_bars
    from backtrader_engine.engine.bars_needed import NotEnoughBars
    from backtrader_engine.engine.job import bars_source, prepare_backtest

    job = job_from_args(args)
    request, path = prepare_backtest(job, configured_fees(args.config_dir))
    try:
        check_enough_bars(request)
    except NotEnoughBars as exc:
        raise exc.reworded(bars_source(job, path)) from None
    return request


def check_json_path(path: Path | None) -> None:
    """Refuse a ``--json`` path whose folder does not exist, before any run."""
    if path is not None and not Path(path).parent.is_dir():
        raise UserError(f"--json {path}: the folder {Path(path).parent} does not exist; "
                        f"expected a file path in an existing folder")


def start_lookahead(args: argparse.Namespace) -> int:
    from backtrader_engine.engine.lookahead import check_lookahead
    from backtrader_engine.engine.lookahead_text import format_lookahead

    check_json_path(args.json_out)
    report = check_lookahead(prepared_request(args), args.cuts)
    print(format_lookahead(report))
    if args.json_out is not None:
        Path(args.json_out).write_text(json.dumps(report.as_dict(), indent=2) + "\n",
                                       encoding="utf-8")
    return 0 if report.clean else EXIT_LOOKAHEAD
