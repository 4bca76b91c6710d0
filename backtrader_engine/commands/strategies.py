"""``strategies`` (the list) and ``strategies NAME`` (one strategy's params and ranges)."""

from __future__ import annotations

import argparse

from backtrader_engine.cli_parser import SubCommands


def register(subparsers: SubCommands) -> None:
    """Add ``strategies`` to the CLI's sub-commands."""
    p = subparsers.add_parser("strategies")
    p.add_argument("name", nargs="?", metavar="NAME",
                   help="a built-in name (e.g. RSIEMAMomentum) or path/to/file.py:ClassName: "
                        "print its params, their defaults and search-space ranges")
    p.set_defaults(handler=start_strategies)


def start_strategies(args: argparse.Namespace) -> int:
    from backtrader_engine.strategies import describe_strategies, format_strategy_table
    from backtrader_engine.strategies.detail_text import format_strategy_detail
    from backtrader_engine.strategies.registry import resolve_strategy

    if args.name is None:
        print(format_strategy_table(describe_strategies()))
        return 0
    strategy = resolve_strategy(args.name)  # an unknown name is a one-line UserError
    print(format_strategy_detail(strategy.__name__, strategy))
    return 0
