"""``panel``: serve the Streamlit control panel (127.0.0.1:8501 by default).

Formerly ``dashboard``, which still works (a hidden alias that prints a note): the name was
too close to ``dashboards``, the Grafana JSON (now ``grafana``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from backtrader_engine.cli_parser import SubCommands
from backtrader_engine.commands.bot_paper_args import paper_command
from backtrader_engine.config import AlertConfig, DashboardConfig, load_section
from backtrader_engine.dashboard import (
    add_panel_options,
    bind_host,
    check_exposure,
    check_port,
    check_port_free,
    settings_from_args,
    streamlit_command,
)
from backtrader_engine.dashboard.settings import PASSWORD_ENV, PanelSettings
from backtrader_engine.errors import UserError


def register(subparsers: SubCommands) -> None:
    """Add ``panel`` (alias ``dashboard``) to the CLI's sub-commands: where to serve, and
    what the panel manages."""
    p = subparsers.add_parser("panel")
    s = p.add_argument_group("server (defaults: alert_config.json's dashboard section)")
    s.add_argument("--port", type=int, metavar="PORT", help="TCP port (default 8501)")
    s.add_argument("--host", metavar="HOST",
                   help="interface (default 127.0.0.1; another one needs --expose)")
    s.add_argument("--expose", action="store_true",
                   help=f"serve beyond this machine (0.0.0.0 unless --host); needs the "
                        f"environment variable {PASSWORD_ENV}, which the panel asks for")
    add_panel_options(p)
    p.set_defaults(handler=start_panel)


def _check_folders(settings: PanelSettings) -> None:
    """Refuse folders the panel could never use, before the server starts.

    The config folder must exist (as for every other command); the others may be created
    later (by the bot, a backtest, a study) but must not be, or lie below, a file.
    """
    config_dir = settings.config_dir
    if not config_dir.is_dir():
        what = "is a file, not a folder" if config_dir.exists() else "no such folder"
        raise UserError(f"--config-dir {config_dir}: {what}; give the folder that holds "
                        "bybit_config.json, risk_config.json, ... (default: configs)")
    for flag, folder in (("--run-dir", settings.run_dir), ("--state", settings.state_dir),
                         ("--reports", settings.reports_dir),
                         ("--studies", settings.studies_dir)):
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not existing.is_dir():
            where = "is a file" if existing == folder else f"lies below the file {existing}"
            raise UserError(f"{flag} {folder}: {where}, not a folder; give a folder (it is "
                            "created when first needed)")


def _check_bot_args(settings: PanelSettings) -> None:
    """Check ``--bot-args`` with ``paper``'s parser now, not when START is pressed."""
    from backtrader_engine.operations import RunPaths

    try:
        paper_command(settings.bot_args, RunPaths.of(settings.run_dir), Path.cwd())
    except UserError as exc:
        raise UserError(f"--bot-args: {exc}") from None


def _configured(config_dir: Path) -> tuple[DashboardConfig, str]:
    path = config_dir / "alert_config.json"
    if not path.is_file():
        return DashboardConfig(), "the built-in default"
    return load_section(path, AlertConfig).dashboard, f"{path} dashboard.host"


def start_panel(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if args.host is not None and not args.host.strip():
        raise UserError("--host '': expected an interface such as 127.0.0.1 (the default)")
    _check_folders(settings)
    _check_bot_args(settings)
    configured, source = _configured(args.config_dir)
    host = bind_host(args.host, args.expose, configured.host)
    port = configured.port if args.port is None else args.port
    check_port(port)
    check_exposure(host, args.expose, os.environ.get(PASSWORD_ENV),
                   "--host" if args.host else source)
    command = streamlit_command(settings, host, port)  # reads .streamlit/config.toml
    check_port_free(host, port)
    shown = f"[{host}]" if ":" in host else host
    lock = f"; password from {PASSWORD_ENV}" if os.environ.get(PASSWORD_ENV) else ""
    print(f"control panel on http://{shown}:{port} (bot run folder {settings.run_dir}, "
          f"ledger {settings.state_dir}{lock}); Ctrl-C stops", flush=True)
    if os.name == "posix":
        # Become the server: signals (Ctrl-C, SIGTERM from a supervisor) reach it directly.
        os.execv(command[0], command)
    return subprocess.call(command)
