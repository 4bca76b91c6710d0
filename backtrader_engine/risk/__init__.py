"""The risk gate between strategies and the broker, for backtests and paper trading.

:class:`RiskGate` holds the rules and their market-time state; :class:`BrokerRiskHook` screens a
broker's orders through it and journals every signal; :class:`RiskGateMixin` wires the hook into
any ``BackBroker`` subclass. Rules, reason codes and counting: docs/risk.md.
"""

from .breakers import BREAKER_NAMES, BreakerState, CircuitBreaker
from .checks import CHECKS
from .clock import MarketTime, bt_num_to_seconds, to_datetime, to_seconds
from .gate import RiskGate
from .hook import BrokerRiskHook
from .journal import RECORD_FIELDS, SignalJournal, SignalObserver, SignalRecord
from .mixin import RiskGateMixin
from .reasons import Decision, breaker_reason
from .request import SignalRequest
from .tally import SignalCounts, SignalTally

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
