"""Command line: ``python -m backtrader_engine <command>`` (also installed as ``bte``).

Each command lives in its own module of :mod:`backtrader_engine.commands`, whose
``register(subparsers)`` adds its sub-parser and handler; :data:`COMMANDS` lists them in the
order ``bte --help`` shows them. Problems the user can fix print one line and exit with
code 2 (``docs/exit-codes.md``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from backtrader_engine.cli_parser import OneLineParser, refuse_unrecognized
from backtrader_engine.commands import (
    backtest,
    bot,
    config,
    data,
    download,
    grafana,
    inject,
    optimize,
    panel,
    paper,
    parity,
    replay,
    strategies,
    stream,
    study_exporter,
)
from backtrader_engine.errors import StrategyCodeError, UserError

#: The command modules, in the order of ``bte --help`` (``backtest`` adds ``demo`` too).
COMMANDS: tuple[ModuleType, ...] = (
    backtest, optimize, strategies, config, data, download, replay, paper, inject, parity,
    stream, bot, study_exporter, grafana, panel)


def build_parser() -> argparse.ArgumentParser:
    """The ``bte`` parser: every command of :data:`COMMANDS`."""
    parser = OneLineParser(
        prog="bte", description="Backtest, optimise and paper-trade backtrader strategies on "
                                "crypto perpetual futures.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    return run(build_parser(), argv, "bte")


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None, name: str) -> int:
    """Parse *argv* with *parser* and run the chosen handler; the process exit code.

    Sub-commands that set ``pass_through`` (``bot start``) receive the arguments they do
    not know, in order, as ``args.paper_args``; for the others they are an error, as with
    ``parse_args``. A command called by its former name (a hidden alias) runs with a note on
    stderr naming the new one.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            if not getattr(args, "pass_through", False):
                refuse_unrecognized(parser, args, extra)
            args.paper_args = extra
    except SystemExit as exc:
        # argparse ends with SystemExit after --help (0) or its one error line (2); returned
        # like every other outcome, so library callers of main() get a code, not an exit.
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    note = getattr(args, "alias_note", None)
    if note:
        print(note, file=sys.stderr)
    args.command_line = [name, *argv]
    try:
        return int(args.handler(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except StrategyCodeError as exc:
        # A bug in a strategy's own code that the command did not report itself: its
        # frames, not the engine's traceback (backtest reports these with its partial run).
        print(f"error: {exc.details}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`bte backtest ... | head`): whatever the command
        # was doing is done or moot, so end quietly, with the status a shell gives a process
        # ended by SIGPIPE, instead of a traceback.
        _discard_stdout()
        return 141


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not hit the closed pipe again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by an in-memory stream
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
