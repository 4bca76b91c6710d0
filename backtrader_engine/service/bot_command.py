"""The ``paper`` command line a managed bot runs, as the manager receives it: checked.

The service does not know ``paper``'s options: whoever starts a bot hands the manager a
:data:`PaperCheck`, which parses the pass-through arguments with ``paper``'s own parser and
builds the :class:`PaperCommand` (``backtrader_engine.commands.bot_paper_args`` is the one
the CLI, the scripts and the panel use). So a typo fails at once with exit code 2 instead
of as a bot that dies in the background.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from backtrader_engine.service.paths import RunPaths


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


#: ``check(args, paths, cwd)``: the :class:`PaperCommand` for the pass-through *args* of a bot
#: managed in *paths* and run from *cwd*; raises ``UserError`` when ``paper`` would refuse
#: them.
PaperCheck = Callable[[Sequence[str], RunPaths, Path], PaperCommand]
