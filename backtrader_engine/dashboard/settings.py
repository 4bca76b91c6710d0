"""What the panel manages: the run folder, the ledger, the report folders and the config.

The ``dashboard`` command and the Streamlit script share these options (defined once, in
:func:`add_panel_options`): the command parses them, then hands them to the script after
``--`` (:func:`panel_argv`), where :func:`parse_panel_args` reads them back.
"""

from __future__ import annotations

import argparse
import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from backtrader_engine.errors import UserError
from backtrader_engine.operations import DEFAULT_RUN_DIR

DEFAULT_STATE_DIR = Path("state/paper")
DEFAULT_REPORTS_DIR = Path("runs")
DEFAULT_STUDIES_DIR = Path("runs/optimize")
DEFAULT_CONFIG_DIR = Path("configs")
DEFAULT_REFRESH_S = 2.0
#: Longest refresh interval: a slower "live" view is a stale one (and inf would never refresh).
MAX_REFRESH_S = 3600.0
#: The panel's password; required to expose it beyond loopback.
PASSWORD_ENV = "DASHBOARD_PASSWORD"


@dataclass(frozen=True)
class PanelSettings:
    """The folders one panel looks after, and how often its live parts refresh.

    Attributes
    ----------
    run_dir
        Run folder of the managed bot (PID file, lock, logs), as for ``bot ... --run-dir``.
    state_dir
        The ledger to show when no bot runs, and the ``--state`` START gives a new bot.
    reports_dir
        Folder searched for backtest reports (``report.json``); the panel's own backtests
        are written below it.
    studies_dir
        Folder searched for optimisation studies (``optimization_summary.json``).
    config_dir
        The configuration shown by the config viewer and given to a bot START launches.
    refresh_s
        Seconds between two refreshes of the live figures.
    bot_args
        Extra ``paper`` arguments for START (e.g. ``--source replay``).
    """

    run_dir: Path = DEFAULT_RUN_DIR
    state_dir: Path = DEFAULT_STATE_DIR
    reports_dir: Path = DEFAULT_REPORTS_DIR
    studies_dir: Path = DEFAULT_STUDIES_DIR
    config_dir: Path = DEFAULT_CONFIG_DIR
    refresh_s: float = DEFAULT_REFRESH_S
    bot_args: tuple[str, ...] = field(default_factory=tuple)


def add_panel_options(p: argparse.ArgumentParser) -> None:
    """Add the panel's folder options to *p* (the ``dashboard`` command and the script)."""
    g = p.add_argument_group("what the panel manages")
    g.add_argument("--run-dir", type=Path, default=DEFAULT_RUN_DIR, metavar="DIR",
                   help=f"run folder of the managed bot (default {DEFAULT_RUN_DIR})")
    g.add_argument("--state", type=Path, default=DEFAULT_STATE_DIR, metavar="DIR",
                   help="ledger shown while no bot runs, and the --state of a bot started "
                        f"from the panel (default {DEFAULT_STATE_DIR})")
    g.add_argument("--reports", type=Path, default=DEFAULT_REPORTS_DIR, metavar="DIR",
                   help=f"folder searched for backtest reports (default {DEFAULT_REPORTS_DIR})")
    g.add_argument("--studies", type=Path, default=DEFAULT_STUDIES_DIR, metavar="DIR",
                   help="folder searched for optimisation studies (default "
                        f"{DEFAULT_STUDIES_DIR})")
    g.add_argument("--config-dir", type=Path, default=DEFAULT_CONFIG_DIR, metavar="DIR",
                   help=f"configuration folder (default {DEFAULT_CONFIG_DIR})")
    g.add_argument("--refresh", type=float, default=DEFAULT_REFRESH_S, metavar="S",
                   help=f"seconds between live refreshes (default {DEFAULT_REFRESH_S:g})")
    g.add_argument("--bot-args", default="", metavar="'ARGS'",
                   help="extra 'paper' arguments for a bot started from the panel, one "
                        "quoted string, e.g. '--source replay'")


def settings_from_args(args: argparse.Namespace) -> PanelSettings:
    """Check the parsed options and make their paths absolute.

    Raises
    ------
    UserError
        A refresh interval that is not a number of seconds above 0 and at most
        :data:`MAX_REFRESH_S`, or unbalanced quotes in ``--bot-args``.
    """
    if not (math.isfinite(args.refresh) and 0 < args.refresh <= MAX_REFRESH_S):
        raise UserError(f"--refresh {args.refresh:g}: expected a number of seconds above 0 "
                        f"and at most {MAX_REFRESH_S:g}, e.g. --refresh 2")
    try:
        bot_args = tuple(shlex.split(args.bot_args))
    except ValueError as exc:
        raise UserError(f"--bot-args {args.bot_args!r}: {exc}; quote it like "
                        "--bot-args '--source replay'") from None
    return PanelSettings(run_dir=args.run_dir.resolve(), state_dir=args.state.resolve(),
                         reports_dir=args.reports.resolve(), studies_dir=args.studies.resolve(),
                         config_dir=args.config_dir.resolve(), refresh_s=float(args.refresh),
                         bot_args=bot_args)


def parse_panel_args(argv: Sequence[str]) -> PanelSettings:
    """Settings from the arguments the Streamlit script received after ``--``.

    Raises
    ------
    UserError
        An unknown option or a bad value (the panel shows the message).
    """
    parser = argparse.ArgumentParser(prog="dashboard app", add_help=False, exit_on_error=False)
    add_panel_options(parser)
    try:
        args, extra = parser.parse_known_args(list(argv))
    except argparse.ArgumentError as exc:
        raise UserError(f"dashboard options: {exc}") from None
    if extra:
        raise UserError(f"dashboard options: unknown {' '.join(extra)}; expected --run-dir, "
                        "--state, --reports, --studies, --config-dir, --refresh, --bot-args")
    return settings_from_args(args)


def panel_argv(settings: PanelSettings) -> list[str]:
    """The script arguments that :func:`parse_panel_args` turns back into *settings*."""
    return ["--run-dir", str(settings.run_dir), "--state", str(settings.state_dir),
            "--reports", str(settings.reports_dir), "--studies", str(settings.studies_dir),
            "--config-dir", str(settings.config_dir), "--refresh", f"{settings.refresh_s:g}",
            # '=' form: a value starting with '-' would otherwise be taken for an option.
            f"--bot-args={shlex.join(settings.bot_args)}"]
