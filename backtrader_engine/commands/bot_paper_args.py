"""The ``paper`` arguments of a managed bot, checked with ``paper``'s own rules.

Arguments are passed through to ``paper`` unchanged; the runner only adds the options it
needs when they are not given (``--log-dir RUN/logs``, ``--stop-file RUN/bot.stop``). They
are parsed with ``paper``'s parser and its number and path checks first, so a typo fails at
once with exit code 2 instead of as a bot that dies in the background. :func:`paper_command`
is the :data:`~backtrader_engine.service.bot_command.PaperCheck` that ``bot start``,
``bot restart`` and the panel hand the manager.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence
from pathlib import Path

from backtrader_engine.commands.paper import build_paper_parser
from backtrader_engine.commands.paper_setup import check_paper_numbers, check_paper_paths
from backtrader_engine.errors import UserError
from backtrader_engine.service.bot_command import PaperCommand
from backtrader_engine.service.paths import RunPaths


def paper_command(args: Sequence[str], paths: RunPaths, cwd: Path) -> PaperCommand:
    """Check *args* with ``paper``'s parser and build the bot's command line.

    Raises
    ------
    UserError
        When ``paper`` would refuse the arguments (the message quotes its parser).
    """
    given = list(args)
    if given[:1] == ["--"]:
        given = given[1:]
    ns = _parse(given)
    check_paper_numbers(ns)  # a negative --duration must not become a bot that never runs
    check_paper_paths(ns)  # nor a --state that is a file one that dies at once
    extra: list[str] = []
    if ns.log_dir is None:
        extra += ["--log-dir", str(paths.log_dir)]
    stop_file = cwd / ns.stop_file if ns.stop_file is not None else paths.stop_file
    if ns.stop_file is None:
        extra += ["--stop-file", str(paths.stop_file)]
    command = [sys.executable, "-m", "backtrader_engine", "paper", *given, *extra]
    return PaperCommand(given, command, (cwd / ns.state).resolve(),
                        (cwd / ns.config_dir).resolve(), stop_file.resolve())


def _parse(args: list[str]) -> argparse.Namespace:
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            ns, unknown = build_paper_parser().parse_known_args(args)
    except SystemExit as exc:
        if exc.code == 0:  # --help
            raise UserError("for paper's options run 'python -m backtrader_engine paper "
                            "--help'") from None
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        reason = lines[-1].split("error: ", 1)[-1] if lines else "rejected"
        raise UserError(f"paper arguments {' '.join(args)!r}: {reason}; see 'python -m "
                        "backtrader_engine paper --help'") from None
    if unknown:
        raise UserError(f"unknown paper argument(s) {' '.join(unknown)}; see 'python -m "
                        "backtrader_engine paper --help' (runner options such as --run-dir "
                        "go before the paper arguments)")
    return ns
