"""``config check`` and ``config show``."""

from __future__ import annotations

import argparse

from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.commands.options import add_config_dir
from backtrader_engine.config import check_config, load_config, render_config
from backtrader_engine.strategies import resolve_strategy, strategy_params


def register(subparsers: SubCommands) -> None:
    """Add ``config check`` and ``config show`` to the CLI's sub-commands."""
    p = subparsers.add_parser("config")
    actions = p.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    pc = actions.add_parser("check", help="validate every config file")
    add_config_dir(pc)
    pc.add_argument("--require-secrets", action="store_true",
                    help="also require the environment secrets that enabled features need")
    pc.set_defaults(handler=start_config_check)
    ps = actions.add_parser("show", help="print the effective config, secrets masked")
    add_config_dir(ps)
    ps.set_defaults(handler=start_config_show)


def known_strategy_params(name: str) -> dict[str, object]:
    """A strategy's parameters with their defaults, for checking ``strategies_config.json``."""
    return strategy_params(resolve_strategy(name))


def start_config_check(args: argparse.Namespace) -> int:
    for line in check_config(args.config_dir, require_secrets=args.require_secrets):
        print(line)
    # The config package knows no strategy code; the registry is handed in here so that a
    # misspelt or mistyped strategy parameter is caught before any backtest or bot uses it.
    config = load_config(args.config_dir, require_secrets=args.require_secrets)
    config.strategies.validate_params(known_strategy_params)
    print("ok strategy parameters match the strategy classes")
    if config.alerts.telegram.enabled:
        from backtrader_engine.telegram import telegram_settings

        # The chat ids live in the environment, not in a file: paper refuses a bad one at
        # start, so the check that is meant to pass before a start refuses it too.
        telegram_settings(config.alerts)
        print("ok Telegram settings")
    return 0


def start_config_show(args: argparse.Namespace) -> int:
    print(render_config(load_config(args.config_dir)))
    return 0
