"""The control card: what the bot's state allows, and which ledger the panel follows."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from backtrader_engine.dashboard.model import figures_text as fmt
from backtrader_engine.errors import UserError
from backtrader_engine.operations import BotStatus, RunPaths, read_pid_file

#: The colours a Streamlit badge accepts.
BadgeColour = Literal["red", "orange", "yellow", "blue", "green", "violet", "gray", "grey",
                      "primary"]

#: How each bot state is labelled and coloured on the card (Streamlit badge colours).
STATE_BADGES: dict[str, tuple[str, BadgeColour]] = {
    "running": ("RUNNING", "green"),
    "stopped": ("STOPPED", "gray"),
    "stale": ("NOT RUNNING (stale PID file)", "orange"),
}


@dataclass(frozen=True)
class ControlView:
    """The control card for one :class:`~backtrader_engine.operations.BotStatus`.

    Attributes
    ----------
    state
        ``running``, ``stopped`` or ``stale`` (as ``bot_status`` says).
    badge, colour
        Label and colour of the state badge.
    can_start, can_stop
        Which of START / STOP is enabled: START whenever no bot runs (a stale PID file is
        replaced by the start), STOP only while one runs.
    pid, uptime, command_line, state_dir
        What the card shows about the process (``None`` when not known).
    ready
        The session finished starting (its control channel is up).
    message
        ``bot_status``'s own one-line explanation.
    """

    state: str
    badge: str
    colour: BadgeColour
    can_start: bool
    can_stop: bool
    pid: int | None
    uptime: str | None
    command_line: str | None
    state_dir: str | None
    ready: bool
    message: str


def control_view(status: BotStatus) -> ControlView:
    """Shape *status* for the control card."""
    badge, colour = STATE_BADGES.get(status.state, (status.state.upper(), "gray"))
    running = status.state == "running"
    return ControlView(
        state=status.state, badge=badge, colour=colour, can_start=not running,
        can_stop=running, pid=status.pid,
        uptime=fmt.duration(status.uptime_s) if running else None,
        command_line=shlex.join(status.command) if status.command else None,
        state_dir=status.state_dir, ready=status.ready, message=status.message)


def start_args(bot_args: Sequence[str], state_dir: Path, config_dir: Path) -> list[str]:
    """``paper`` arguments for START: *bot_args*, plus the panel's ledger and config folders.

    ``--state`` and ``--config-dir`` are added only when *bot_args* does not set them, so an
    operator's explicit choice wins.
    """
    args = list(bot_args)
    given = {a.split("=", 1)[0] for a in args if a.startswith("--")}
    if "--state" not in given:
        args += ["--state", str(state_dir)]
    if "--config-dir" not in given:
        args += ["--config-dir", str(config_dir)]
    return args


def parse_start_args(text: str) -> list[str]:
    """Split the START arguments as typed in the panel, as a shell would.

    Raises
    ------
    UserError
        Unbalanced quotes.
    """
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise UserError(f"bot arguments {text!r}: {exc}; close the quote") from None


def followed_state_dir(run_dir: Path, default: Path) -> Path:
    """The ledger the panel shows: the managed bot's ``--state``, else *default*.

    The PID file names the state folder of the bot that runs (or ran, when stale); without
    one the panel follows its own ``--state``. An unreadable PID file falls back too: the
    control card reports that problem.
    """
    try:
        record = read_pid_file(RunPaths.of(run_dir).pid_file)
    except UserError:
        return default
    return Path(record.state_dir) if record is not None else default
