"""The panel's command-line options, shared by ``bte panel`` and the Streamlit script.

Defined once (:func:`add_panel_options`): the command parses them, then hands them to the
script after ``--`` (:func:`panel_argv`), where :func:`parse_panel_args` reads them back into
the same :class:`~.settings.PanelSettings`.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from backtrader_engine.dashboard.settings import (
    DEFAULT_CONFIG_DIR,
    DEFAULT_REFRESH_S,
    DEFAULT_REPORTS_DIR,
    DEFAULT_STATE_DIR,
    DEFAULT_STUDIES_DIR,
    PanelSettings,
    panel_settings,
)
from backtrader_engine.errors import UserError
from backtrader_engine.operations import DEFAULT_RUN_DIR


def add_panel_options(p: argparse.ArgumentParser) -> None:
    """Add the panel's folder options to *p* (the ``panel`` command and the script)."""
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
    """The :class:`~.settings.PanelSettings` of the parsed options, checked.

    Raises
    ------
    UserError
        Unbalanced quotes in ``--bot-args``, or a value
        :func:`~.settings.panel_settings` refuses.
    """
    settings = panel_settings(run_dir=args.run_dir, state_dir=args.state,
                              reports_dir=args.reports, studies_dir=args.studies,
                              config_dir=args.config_dir, refresh_s=args.refresh)
    try:
        bot_args = shlex.split(args.bot_args)
    except ValueError as exc:
        raise UserError(f"--bot-args {args.bot_args!r}: {exc}; quote it like "
                        "--bot-args '--source replay'") from None
    return replace(settings, bot_args=tuple(bot_args))


def parse_panel_args(argv: Sequence[str]) -> PanelSettings:
    """Settings from the arguments the Streamlit script received after ``--``.

    Raises
    ------
    UserError
        An unknown option or a bad value (the panel shows the message).
    """
    parser = argparse.ArgumentParser(prog="panel app", add_help=False, exit_on_error=False)
    add_panel_options(parser)
    try:
        args, extra = parser.parse_known_args(list(argv))
    except argparse.ArgumentError as exc:
        raise UserError(f"panel options: {exc}") from None
    if extra:
        raise UserError(f"panel options: unknown {' '.join(extra)}; expected --run-dir, "
                        "--state, --reports, --studies, --config-dir, --refresh, --bot-args")
    return settings_from_args(args)


def panel_argv(settings: PanelSettings) -> list[str]:
    """The script arguments that :func:`parse_panel_args` turns back into *settings*."""
    return ["--run-dir", str(settings.run_dir), "--state", str(settings.state_dir),
            "--reports", str(settings.reports_dir), "--studies", str(settings.studies_dir),
            "--config-dir", str(settings.config_dir), "--refresh", f"{settings.refresh_s:g}",
            # '=' form: a value starting with '-' would otherwise be taken for an option.
            f"--bot-args={shlex.join(settings.bot_args)}"]
