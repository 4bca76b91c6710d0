"""The ``paper`` command line a managed bot runs, checked before anything is started.

Arguments are passed through to ``paper`` unchanged; the runner only adds the options it
needs when they are not given (``--log-dir RUN/logs``, ``--stop-file RUN/bot.stop``). They
are parsed with ``paper``'s own parser first, so a typo fails at once with exit code 2
instead of as a bot that dies in the background.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from backtrader_engine.errors import UserError
from backtrader_engine.service.errors import BotAlreadyRunning
from backtrader_engine.service.paths import RunPaths
from backtrader_engine.service.statelock import in_use_message, lock_holder


@dataclass(frozen=True)
class PaperCommand:
    """A checked ``paper`` invocation.

    Attributes
    ----------
    args
        The pass-through arguments as given (a leading ``--`` removed).
    command
        The full command line: ``python -m backtrader_engine paper ARGS [runner options]``.
    state_dir, config_dir, stop_file
        Where the bot keeps its ledger, reads its configs and looks for a stop request
        (absolute).
    """

    args: list[str]
    command: list[str]
    state_dir: Path
    config_dir: Path
    stop_file: Path


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
    from backtrader_engine.commands.paper_setup import check_paper_numbers, check_paper_paths

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


def _parse(args: list[str]) -> object:
    from backtrader_engine.cli import build_parser

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            ns, unknown = build_parser().parse_known_args(["paper", *args])
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


def check_state_free(state_dir: Path) -> None:
    """Refuse a state folder that a live paper session (managed or not) is using.

    Two sessions on one ledger would interleave their orders, so the second must not start.
    A session holds the folder's lock (:mod:`.statelock`) for as long as it runs, and the OS
    drops it when the process dies: a PID file, ``control.json`` or lock file left behind by
    a killed session does not count.

    Raises
    ------
    BotAlreadyRunning
        With the same line ``paper`` itself refuses the folder with.
    """
    holder = lock_holder(state_dir)
    if holder is not None:
        raise BotAlreadyRunning(in_use_message(state_dir, holder), holder.pid or 0)
