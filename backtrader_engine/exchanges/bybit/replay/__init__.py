"""Local Bybit V5 replay: historical data served over Bybit's REST protocol on one port."""

from backtrader_engine.exchanges.bybit.replay.market import INTERVALS, ReplayMarket
from backtrader_engine.exchanges.bybit.replay.server import ReplayServer

__all__ = ["INTERVALS", "ReplayMarket", "ReplayServer"]
