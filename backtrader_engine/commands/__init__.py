"""Thin ``start_*`` functions behind each CLI subcommand; the logic lives in the library."""

from backtrader_engine.commands.backtest import start_backtest, start_demo
from backtrader_engine.commands.config import start_config_check, start_config_show
from backtrader_engine.commands.dashboard import start_dashboard
from backtrader_engine.commands.data import start_data_check
from backtrader_engine.commands.download import start_download
from backtrader_engine.commands.inject import start_inject
from backtrader_engine.commands.metrics import start_dashboards, start_study_exporter
from backtrader_engine.commands.optimize import start_optimize
from backtrader_engine.commands.paper import start_paper
from backtrader_engine.commands.parity import start_parity
from backtrader_engine.commands.replay import start_replay
from backtrader_engine.commands.strategies import start_strategies
from backtrader_engine.commands.stream import start_stream

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
