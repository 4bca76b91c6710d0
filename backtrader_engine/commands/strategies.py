"""``strategies``."""

from __future__ import annotations

import argparse

from backtrader_engine.strategies import describe_strategies, format_strategy_table


def start_strategies(args: argparse.Namespace) -> int:
    print(format_strategy_table(describe_strategies()))
    return 0
