"""The Streamlit control panel: start/stop, live figures, strategies, health, research, config.

``python -m backtrader_engine panel`` serves it (see ``docs/dashboard.md``). The panel
holds no logic of its own: :mod:`.model` calls the library functions the CLI uses
(``runtime``, ``config``, the report and study files) and shapes their results; the
modules in :mod:`.sections` lay them out.
"""

from backtrader_engine.dashboard.launch import (
    bind_host,
    check_exposure,
    check_port,
    check_port_free,
    is_loopback,
    streamlit_command,
)
from backtrader_engine.dashboard.options import (
    add_panel_options,
    panel_argv,
    parse_panel_args,
    settings_from_args,
)
from backtrader_engine.dashboard.settings import PanelSettings, panel_settings

__all__ = [
    "PanelSettings",
    "add_panel_options",
    "bind_host",
    "check_exposure",
    "check_port",
    "check_port_free",
    "is_loopback",
    "panel_argv",
    "panel_settings",
    "parse_panel_args",
    "settings_from_args",
    "streamlit_command",
]
