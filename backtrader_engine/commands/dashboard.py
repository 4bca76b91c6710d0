"""``dashboard``: serve the Streamlit control panel (127.0.0.1:8501 by default)."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from ..config import DashboardConfig, load_alert_config
from ..dashboard import (
    add_panel_options,
    bind_host,
    check_exposure,
    check_port,
    settings_from_args,
    streamlit_command,
)
from ..dashboard.settings import PASSWORD_ENV


def add_dashboard_options(p: argparse.ArgumentParser) -> None:
    """The ``dashboard`` command's options: where to serve, and what the panel manages."""
    s = p.add_argument_group("server (defaults: alert_config.json's dashboard section)")
    s.add_argument("--port", type=int, metavar="PORT", help="TCP port (default 8501)")
    s.add_argument("--host", metavar="HOST",
                   help="interface (default 127.0.0.1; another one needs --expose)")
    s.add_argument("--expose", action="store_true",
                   help=f"serve beyond this machine (0.0.0.0 unless --host); needs the "
                        f"environment variable {PASSWORD_ENV}, which the panel asks for")
    add_panel_options(p)


def _configured(config_dir: Path) -> tuple[DashboardConfig, str]:
    path = config_dir / "alert_config.json"
    if not path.is_file():
        return DashboardConfig(), "the built-in default"
    return load_alert_config(path).dashboard, f"{path} dashboard.host"


def start_dashboard(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    configured, source = _configured(args.config_dir)
    host = bind_host(args.host, args.expose, configured.host)
    port = configured.port if args.port is None else args.port
    check_port(port)
    check_exposure(host, args.expose, os.environ.get(PASSWORD_ENV),
                   "--host" if args.host else source)
    command = streamlit_command(settings, host, port)
    shown = f"[{host}]" if ":" in host else host
    lock = f"; password from {PASSWORD_ENV}" if os.environ.get(PASSWORD_ENV) else ""
    print(f"control panel on http://{shown}:{port} (bot run folder {settings.run_dir}, "
          f"ledger {settings.state_dir}{lock}); Ctrl-C stops", flush=True)
    if os.name == "posix":
        # Become the server: signals (Ctrl-C, SIGTERM from a supervisor) reach it directly.
        os.execv(command[0], command)
    return subprocess.call(command)
