"""Command line: ``python -m backtrader_engine <command>`` (also installed as ``bte``).

Each command lives in its own module of :mod:`backtrader_engine.commands`, whose
``register(subparsers)`` adds its sub-parser and handler. :data:`COMMANDS` lists them, in the
order ``bte --help`` shows them, with their one-line help: a command's module (and what it
imports: backtrader, pandas, optuna, matplotlib, ...) is only imported when that command is
run, so ``bte --help`` and ``bte backtest --help`` answer at once. Problems the user can fix
print one line and exit with code 2 (``docs/exit-codes.md``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from backtrader_engine.cli_parser import OneLineParser, SubCommands, refuse_unrecognized
from backtrader_engine.errors import StrategyCodeError, UserError


@dataclass(frozen=True)
class Command:
    """One ``bte`` command: its name, help line, module, and former names."""

    name: str
    help: str
    module: str  # under backtrader_engine.commands; its register() adds *name*
    renamed_from: tuple[str, ...] = ()  # hidden aliases, each printing a note

    def load(self, subparsers: SubCommands) -> None:
        importlib.import_module(f"backtrader_engine.commands.{self.module}").register(subparsers)


#: The commands, in the order of ``bte --help``.
COMMANDS: tuple[Command, ...] = (
    Command("backtest", "run one backtest and write its report", "backtest"),
    Command("demo", "backtest a built-in strategy on the bundled real candles", "backtest"),
    Command("optimize", "search strategy params with parallel Optuna workers", "optimize"),
    Command("lookahead", "check a strategy for look-ahead bias: replay it on truncated "
            "histories", "lookahead"),
    Command("warmup", "bars each indicator needs before it stops depending on the start",
            "warmup"),
    Command("study", "list the stored studies, or show one trial's params and metrics",
            "study"),
    Command("strategies", "list the built-in strategies and their parameters", "strategies"),
    Command("new-strategy", "write a commented strategy template to start from",
            "new_strategy"),
    Command("config", "validate or show the configuration", "config"),
    Command("data", "inspect candle files", "data"),
    Command("download", "download Bybit candles and funding into the store", "download"),
    Command("replay", "serve stored candles as a local Bybit REST + stream", "replay"),
    Command("paper", "paper-trade strategies on live Bybit data (or a replay)", "paper"),
    Command("inject", "send a manual (QA) signal into a running paper session", "inject"),
    Command("parity", "reconcile a paper session trade by trade with the backtester", "parity"),
    Command("stream", "watch Bybit's public stream: closed bars, gaps, connection state",
            "stream"),
    Command("bot", "start, stop and watch the paper bot as a PID-managed process", "bot"),
    Command("study-exporter", "serve Prometheus metrics of the Optuna studies in one storage",
            "study_exporter"),
    Command("grafana", "write the Grafana dashboards' JSON", "grafana",
            renamed_from=("dashboards",)),
    Command("panel", "serve the Streamlit control panel (http://127.0.0.1:8501)", "panel",
            renamed_from=("dashboard",)),
)


def build_parser(*, eager: bool = False) -> argparse.ArgumentParser:
    """The ``bte`` parser: every command of :data:`COMMANDS`.

    Each command's own parser is built when it is parsed; *eager* builds them all now (for
    tools that walk the whole tree, such as the exit-code documentation check).
    """
    parser = OneLineParser(
        prog="bte", description="Backtest, optimise and paper-trade backtrader strategies on "
                                "crypto perpetual futures.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        subparsers.add_lazy(command.name, command.help, command.load)
        for alias in command.renamed_from:
            subparsers.add_hidden_alias(alias, command.name)
    if eager:
        subparsers.load_all()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line; returns the exit code (for callers in this process)."""
    return run(build_parser(), argv, "bte")


def entry() -> int:
    """The ``bte`` console script and ``python -m backtrader_engine``: :func:`main`, for a
    process that ends right after it.

    Once the command is done, every object left is frozen out of the garbage collector's
    reach: the interpreter's collection at exit would otherwise walk all of them (a second
    after a 500k-bar backtest) only for the process to end. Files, databases and sockets are
    closed by the commands themselves, and ``atexit`` handlers (logging's flush) still run.
    """
    code = main()
    gc.freeze()
    return code


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
