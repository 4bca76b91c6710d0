"""``strategies``."""

from __future__ import annotations

import argparse

from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.strategies import describe_strategies, format_strategy_table


def register(subparsers: SubCommands) -> None:
    """Add ``strategies`` to the CLI's sub-commands."""
    p = subparsers.add_parser("strategies")
    p.set_defaults(handler=start_strategies)

def start_strategies(args: argparse.Namespace) -> int:
    print(format_strategy_table(describe_strategies()))
    return 0
