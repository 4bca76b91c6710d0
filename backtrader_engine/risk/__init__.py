"""The risk gate between strategies and the broker, for backtests and paper trading.

:class:`RiskGate` holds the rules and their market-time state; :class:`BrokerRiskHook` screens a
broker's orders through it and journals every signal; :class:`RiskGateMixin` wires the hook into
any ``BackBroker`` subclass. Rules, reason codes and counting: docs/risk.md.
"""

from backtrader_engine.risk.breakers import BREAKER_NAMES, BreakerState, CircuitBreaker
from backtrader_engine.risk.checks import CHECKS
from backtrader_engine.risk.clock import MarketTime, bt_num_to_seconds, to_datetime, to_seconds
from backtrader_engine.risk.gate import RiskGate
from backtrader_engine.risk.hook import BrokerRiskHook
from backtrader_engine.risk.journal import (
    RECORD_FIELDS,
    SignalJournal,
    SignalObserver,
    SignalRecord,
)
from backtrader_engine.risk.mixin import RiskGateMixin
from backtrader_engine.risk.reasons import Decision, breaker_reason
from backtrader_engine.risk.request import SignalRequest
from backtrader_engine.risk.tally import SignalCounts, SignalTally

__all__ = [
    "BREAKER_NAMES",
    "CHECKS",
    "RECORD_FIELDS",
    "BreakerState",
    "BrokerRiskHook",
    "CircuitBreaker",
    "Decision",
    "MarketTime",
    "RiskGate",
    "RiskGateMixin",
    "SignalCounts",
    "SignalJournal",
    "SignalObserver",
    "SignalRecord",
    "SignalRequest",
    "SignalTally",
    "breaker_reason",
    "bt_num_to_seconds",
    "to_datetime",
    "to_seconds",
]
