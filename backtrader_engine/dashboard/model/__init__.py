"""The panel's model layer: library calls shaped for display, no Streamlit, no trading logic.

Every function here calls the library the CLI uses (``runtime``, ``config``, the report and
study files) and turns its results into figures, tables and verdicts; the Streamlit
sections only lay them out. So the panel is tested without a browser, and what it shows is
what ``bot status``, ``config show`` and the report files say.
"""

from backtrader_engine.dashboard.model.config_view import ConfigView, config_view, mask_value
from backtrader_engine.dashboard.model.control import (
    ControlView,
    control_view,
    followed_state_dir,
    parse_start_args,
    start_args,
)
from backtrader_engine.dashboard.model.health import (
    DiskSpace,
    HealthCheck,
    disk_space,
    health_checks,
    no_data_seconds,
)
from backtrader_engine.dashboard.model.launcher import (
    BacktestForm,
    BacktestRun,
    RunState,
    backtest_command,
    report_folder,
)
from backtrader_engine.dashboard.model.live import Figure, LiveData, load_live
from backtrader_engine.dashboard.model.prices import PriceHistory, price_history
from backtrader_engine.dashboard.model.research import (
    ReportDetail,
    ReportEntry,
    StudyDetail,
    StudyEntry,
    find_reports,
    find_studies,
    load_report,
    load_study,
)
from backtrader_engine.dashboard.model.strategies import StrategyRow, strategy_rows

__all__ = [
    "BacktestForm",
    "BacktestRun",
    "ConfigView",
    "ControlView",
    "DiskSpace",
    "Figure",
    "HealthCheck",
    "LiveData",
    "PriceHistory",
    "ReportDetail",
    "ReportEntry",
    "RunState",
    "StrategyRow",
    "StudyDetail",
    "StudyEntry",
    "backtest_command",
    "config_view",
    "control_view",
    "disk_space",
    "find_reports",
    "find_studies",
    "followed_state_dir",
    "health_checks",
    "load_live",
    "load_report",
    "load_study",
    "mask_value",
    "no_data_seconds",
    "parse_start_args",
    "price_history",
    "report_folder",
    "start_args",
    "strategy_rows",
]
