"""Serving the panel: where it binds, who may reach it, and the ``streamlit run`` command.

The panel binds 127.0.0.1 unless told otherwise. Binding any other interface ("exposing"
it) needs both the ``--expose`` flag and a password in ``DASHBOARD_PASSWORD``, which the
panel then asks for.

Its look (theme, toolbar) lives in the repository's ``.streamlit/config.toml``, where
``streamlit run`` started from the repository root finds it. ``bte panel`` may start from any
folder, so it hands Streamlit that file's options itself (:func:`config_file_flags`): both ways
show the same panel, and the file is the one place to change it.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import tomllib
from pathlib import Path
from typing import Any

from backtrader_engine.dashboard.options import panel_argv
from backtrader_engine.dashboard.settings import PASSWORD_ENV, PanelSettings
from backtrader_engine.errors import UserError

APP_SCRIPT = Path(__file__).with_name("app.py")
#: The panel's Streamlit settings: ``.streamlit/config.toml`` of the repository root (the
#: folder above the package), where ``streamlit run`` from that root reads it too.
STREAMLIT_CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
#: Where ``--expose`` binds when no host is given.
EXPOSED_HOST = "0.0.0.0"


def is_loopback(host: str) -> bool:
    """Whether *host* only accepts connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def bind_host(host: str | None, expose: bool, configured: str) -> str:
    """The interface to bind: ``--host``, else ``0.0.0.0`` with ``--expose``, else config."""
    if host:
        return host
    if expose and is_loopback(configured):
        return EXPOSED_HOST
    return configured


def check_exposure(host: str, expose: bool, password: str | None, source: str) -> None:
    """Refuse to serve beyond loopback without ``--expose`` and a password.

    Parameters
    ----------
    host
        The interface chosen.
    expose
        ``--expose`` was given.
    password
        The value of ``DASHBOARD_PASSWORD`` (only tested for being set).
    source
        Where *host* came from, for the message (``--host`` or the config field).

    Raises
    ------
    UserError
        A non-loopback host without ``--expose``, or ``--expose`` without a password.
    """
    if not is_loopback(host) and not expose:
        raise UserError(f"dashboard host {host} (from {source}) would expose the panel "
                        "beyond this machine; pass --expose (and set "
                        f"{PASSWORD_ENV}) to mean it, or use --host 127.0.0.1")
    if expose and not (password or "").strip():
        raise UserError(f"--expose needs a password: set the environment variable "
                        f"{PASSWORD_ENV} (the panel asks for it), or drop --expose to serve "
                        "on 127.0.0.1 only")


def check_port(port: int) -> None:
    """Refuse a port outside 1-65535.

    Raises
    ------
    UserError
        The port cannot be bound.
    """
    if not 1 <= port <= 65535:
        raise UserError(f"--port {port}: expected 1 to 65535, e.g. --port 8501")


def check_port_free(host: str, port: int) -> None:
    """Refuse a host that does not resolve or a port something already listens on.

    Streamlit would otherwise start, print its own line and exit 1 after the panel's
    banner; binding a socket once here finds out first. Like Streamlit's server, the probe
    sets SO_REUSEADDR, so a port in TIME_WAIT passes while a listening one does not.

    Raises
    ------
    UserError
        The host is unknown or the port cannot be bound.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise UserError(f"dashboard host {host}: cannot resolve it ({exc}); give an "
                        "interface address such as 127.0.0.1") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UserError(f"--port {port}: cannot serve on {host}:{port} "
                            f"({exc.strerror or exc}; another panel or program?); stop it "
                            "or choose a free port, e.g. --port 8502") from None


def config_file_flags(path: Path | None = None) -> list[str]:
    """Every option of the Streamlit config file *path* as a ``--section.option=value`` flag.

    *path* defaults to :data:`STREAMLIT_CONFIG`. A missing file gives no flags (an installed
    package without the repository: Streamlit's own defaults, or a ``.streamlit/config.toml``
    of the current folder, apply).

    Raises
    ------
    UserError
        The file is not valid TOML or holds an option that is not a ``[section]`` value.
    """
    path = STREAMLIT_CONFIG if path is None else path
    if not path.is_file():
        return []
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not valid TOML ({exc}); fix it, as Streamlit reads it too "
                        "(see docs/dashboard.md)") from None
    flags = []
    for section, options in tables.items():
        if not isinstance(options, dict):
            raise UserError(f"{path}: {section} = {options!r} is outside a section; expected "
                            "options under [theme], [client], ... as Streamlit reads them")
        flags += [f"--{section}.{name}={_flag_value(value)}" for name, value in options.items()]
    return flags


def _flag_value(value: Any) -> str:
    # Streamlit parses flag values as its own options: booleans as true/false.
    return str(value).lower() if isinstance(value, bool) else str(value)


def streamlit_command(settings: PanelSettings, host: str, port: int,
                      python: str = sys.executable,
                      config: Path | None = None) -> list[str]:
    """``python -m streamlit run app.py`` with the options of the *config* file (default
    :data:`STREAMLIT_CONFIG`), the server
    flags, then the panel's options after ``--``.

    Raises
    ------
    UserError
        The config file cannot be read (:func:`config_file_flags`).
    """
    return [python, "-m", "streamlit", "run", str(APP_SCRIPT), *config_file_flags(config),
            f"--server.address={host}", f"--server.port={port}", "--server.headless=true",
            "--server.fileWatcherType=none", "--server.runOnSave=false",
            "--", *panel_argv(settings)]
