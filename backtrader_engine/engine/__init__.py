"""Backtest engine: numpy feed, perpetual-futures broker and costs, Cerebro builder, reports."""

from .backtest import BacktestRequest, BacktestResult, run_backtest
from .broker import PerpBroker
from .builder import build_cerebro
from .commission import PerpCommInfo, liquidation_price
from .costs import CostModel
from .feed import NumpyFeed, make_feed
from .funding import FundingSchedule
from .job import BacktestJob, prepare_backtest, run_backtest_job
from .report import format_summary, write_report

__all__ = [
    "BacktestJob",
    "BacktestRequest",
    "BacktestResult",
    "CostModel",
    "FundingSchedule",
    "NumpyFeed",
    "PerpBroker",
    "PerpCommInfo",
    "build_cerebro",
    "format_summary",
    "liquidation_price",
    "make_feed",
    "prepare_backtest",
    "run_backtest",
    "run_backtest_job",
    "write_report",
]
