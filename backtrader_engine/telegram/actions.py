"""The work behind the operator commands: one library call and one formatter each.

:class:`~.commands.CommandBot` runs these in a worker thread with the command's arguments
and replies with the string they return; a :class:`~backtrader_engine.errors.UserError`
becomes its one-line message.
"""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from backtrader_engine import __version__
from backtrader_engine.config import RiskConfig, render_config
from backtrader_engine.errors import UserError
from backtrader_engine.ledger import ledger_path
from backtrader_engine.operations import control as control_ops
from backtrader_engine.operations.periods import realised_by_period
from backtrader_engine.operations.snapshot import live_status, read_snapshot
from backtrader_engine.telegram import operator_text

if TYPE_CHECKING:
    from backtrader_engine.config import AppConfig

#: Default and largest n of /daily, /weekly and /monthly.
PERIOD_COUNTS = {"day": (7, 90), "week": (8, 52), "month": (6, 24)}
#: The command word of each period.
PERIOD_COMMANDS = {"day": "daily", "week": "weekly", "month": "monthly"}
#: /forcelong and /forceshort: the side of the injected signal.
FORCE_SIDES = {"forcelong": ("long", "buy"), "forceshort": ("short", "sell")}


def periods(state_dir: Path, period: str, args: list[str]) -> str:
    """``/daily [n]``, ``/weekly [n]``, ``/monthly [n]``."""
    default, most = PERIOD_COUNTS[period]
    if len(args) > 1 or (args and not (args[0].isdigit() and 1 <= int(args[0]) <= most)):
        return f"usage: /{PERIOD_COMMANDS[period]} [n], n from 1 to {most}"
    n = int(args[0]) if args else default
    return operator_text.format_periods(period, realised_by_period(state_dir, period, n))


def count(state_dir: Path) -> str:
    """``/count``."""
    return operator_text.format_count(read_snapshot(state_dir, recent=0, equity_points=0),
                                    live_status(state_dir))


def locks(state_dir: Path) -> str:
    """``/locks``."""
    return operator_text.format_locks(live_status(state_dir))


def health(state_dir: Path) -> str:
    """``/health``."""
    snap = read_snapshot(state_dir, recent=0, equity_points=0)
    path = ledger_path(state_dir)
    # SQLite writes into the write-ahead log first: its time is the last write.
    times = [p.stat().st_mtime for p in (path, path.with_name(path.name + "-wal"))
             if p.exists()]
    return operator_text.format_health(snap, live_status(state_dir), max(times, default=None))


def versions() -> dict[str, str]:
    """The package's version, Python's and those of the libraries results depend on."""
    out = {"backtrader-engine": __version__,
           "python": f"{platform.python_version()} ({platform.python_implementation()})"}
    for name in ("backtrader", "optuna", "python-telegram-bot"):
        out[name] = _version(name)
    return out


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def show_config(state_dir: Path, config: AppConfig | None) -> list[str]:
    """``/show_config``: the session's configuration, with the risk limits it runs with now
    (they change with /reload_config), secrets masked."""
    if config is None:
        raise UserError("this bot was started without a configuration to show; run "
                        "'bte config show' where it runs")
    folder = str(_risk_file(config).parent)
    live = live_status(state_dir)
    if live and live.get("risk"):
        config = config.model_copy(update={"risk": RiskConfig.model_validate(live["risk"])})
    return operator_text.format_config(render_config(config), folder)


def reload_config(state_dir: Path, config: AppConfig | None) -> str:
    """``/reload_config``: the risk limits of the session's risk config file, re-read."""
    if config is None:
        raise UserError("this bot was started without a configuration; the risk limits can "
                        "only be reloaded by the paper session's own bot")
    return operator_text.format_reload(control_ops.reload_risk(state_dir, _risk_file(config)))


def _risk_file(config: AppConfig) -> Path:
    return Path(config.risk.source)


def force_entry(state_dir: Path, command: str, args: list[str]) -> str:
    """``/forcelong SYMBOL [confirm]`` and ``/forceshort SYMBOL [confirm]``: without
    ``confirm`` the question, with it the signal through the risk gate (as ``bte inject``)."""
    side, order_side = FORCE_SIDES[command]
    if not args or len(args) > 2 or (len(args) == 2 and args[1].lower() != "confirm"):
        return f"usage: /{command} SYMBOL, then /{command} SYMBOL confirm"
    symbol = args[0].upper()
    if len(args) == 1:
        return operator_text.format_force_prompt(side, symbol, command)
    return operator_text.format_force(side, control_ops.inject_signal(state_dir, symbol,
                                                                    order_side))
