"""Thin ``start_*`` functions behind each CLI subcommand; the logic lives in the library."""

from .backtest import start_backtest, start_demo
from .config import start_config_check, start_config_show
from .dashboard import start_dashboard
from .data import start_data_check
from .download import start_download
from .inject import start_inject
from .metrics import start_dashboards, start_study_exporter
from .optimize import start_optimize
from .paper import start_paper
from .parity import start_parity
from .replay import start_replay
from .strategies import start_strategies
from .stream import start_stream

__all__ = [
    "start_backtest",
    "start_config_check",
    "start_config_show",
    "start_dashboard",
    "start_dashboards",
    "start_data_check",
    "start_demo",
    "start_download",
    "start_inject",
    "start_optimize",
    "start_paper",
    "start_parity",
    "start_replay",
    "start_strategies",
    "start_stream",
    "start_study_exporter",
]
