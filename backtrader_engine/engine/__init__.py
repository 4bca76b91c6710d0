"""Backtest engine: numpy feed, perpetual-futures broker and costs, Cerebro builder, reports."""

from backtrader_engine.engine.backtest import BacktestRequest, BacktestResult, run_backtest
from backtrader_engine.engine.broker import PerpBroker
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.commission import PerpCommInfo, liquidation_price
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.feed import NumpyFeed, make_feed
from backtrader_engine.engine.funding import FundingSchedule
from backtrader_engine.engine.job import BacktestJob, prepare_backtest, run_backtest_job
from backtrader_engine.engine.report import write_report
from backtrader_engine.engine.summary_text import format_summary

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
