"""What the panel manages: the run folder, the ledger, the report folders and the config.

:func:`panel_settings` checks plain values and builds the :class:`PanelSettings`; the
command-line options that carry them (to ``bte panel`` and on to the Streamlit script) are
in :mod:`.options`.
"""

from __future__ import annotations

import math
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


def panel_settings(*, run_dir: Path = DEFAULT_RUN_DIR, state_dir: Path = DEFAULT_STATE_DIR,
                   reports_dir: Path = DEFAULT_REPORTS_DIR,
                   studies_dir: Path = DEFAULT_STUDIES_DIR,
                   config_dir: Path = DEFAULT_CONFIG_DIR, refresh_s: float = DEFAULT_REFRESH_S,
                   bot_args: Sequence[str] = ()) -> PanelSettings:
    """Check the values and make the paths absolute.

    Raises
    ------
    UserError
        A refresh interval that is not a number of seconds above 0 and at most
        :data:`MAX_REFRESH_S` (named by its option, ``--refresh``, as the panel's options
        are where it comes from).
    """
    if not (math.isfinite(refresh_s) and 0 < refresh_s <= MAX_REFRESH_S):
        raise UserError(f"--refresh {refresh_s:g}: expected a number of seconds above 0 "
                        f"and at most {MAX_REFRESH_S:g}, e.g. --refresh 2")
    return PanelSettings(run_dir=Path(run_dir).resolve(), state_dir=Path(state_dir).resolve(),
                         reports_dir=Path(reports_dir).resolve(),
                         studies_dir=Path(studies_dir).resolve(),
                         config_dir=Path(config_dir).resolve(), refresh_s=float(refresh_s),
                         bot_args=tuple(bot_args))
