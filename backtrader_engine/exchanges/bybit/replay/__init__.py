"""Local Bybit V5 replay: historical data served as Bybit's REST routes and public linear
WebSocket stream on one port."""

from backtrader_engine.exchanges.bybit.replay.faults import FaultSpec, parse_faults
from backtrader_engine.exchanges.bybit.replay.market import INTERVALS, ReplayMarket
from backtrader_engine.exchanges.bybit.replay.server import ReplayServer

__all__ = ["INTERVALS", "FaultSpec", "ReplayMarket", "ReplayServer", "parse_faults"]
