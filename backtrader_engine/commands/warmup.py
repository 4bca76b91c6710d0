"""``warmup``: how many bars each indicator needs before its values stop depending on where
the history started (``engine/warmup.py``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from backtrader_engine.argtypes import int_in, non_negative_int, positive_int
from backtrader_engine.commands.lookahead import prepared_request
from backtrader_engine.commands.options import (
    PAPER_WARMUP_BARS,
    add_config_dir,
    add_cost_options,
    add_data_options,
    add_strategy_options,
)

if TYPE_CHECKING:
    from backtrader_engine.cli_parser import SubCommands


def register(subparsers: SubCommands) -> None:
    """Add ``warmup`` to the CLI's sub-commands."""
    p = subparsers.add_parser("warmup")
    add_strategy_options(p, strategy_required=True, params_file=True)
    add_data_options(p)
    add_cost_options(p)
    c = p.add_argument_group("check")
    c.add_argument("--starts", type=int_in(2, 20), default=4, metavar="N",
                   help="runs, each starting later than the one before (default 4)")
    c.add_argument("--window", type=positive_int, default=3000, metavar="BARS",
                   help="bars compared after the last start (default 3000)")
    c.add_argument("--warmup-bars", type=non_negative_int, default=PAPER_WARMUP_BARS,
                   metavar="N", help="the paper warm-up to check against: warn when it is "
                                     f"shorter than needed (default: paper's {PAPER_WARMUP_BARS})")
    c.add_argument("--in-sample-bars", type=positive_int, metavar="N",
                   help="a study's in-sample window to check against: warn when it is "
                        "shorter than needed")
    add_config_dir(p)
    p.set_defaults(handler=start_warmup, out=None, no_plots=True)


def start_warmup(args: argparse.Namespace) -> int:
    import sys

    from backtrader_engine.engine.warmup import analyse_warmup
    from backtrader_engine.engine.warmup_text import format_warmup, warmup_warnings

    report = analyse_warmup(prepared_request(args), args.starts, args.window)
    print(format_warmup(report))
    for warning in warmup_warnings(report, args.warmup_bars, args.in_sample_bars):
        print(warning, file=sys.stderr)
    return 0
