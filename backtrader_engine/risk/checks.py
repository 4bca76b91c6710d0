"""The gate's checks, one small function each, applied in :data:`CHECKS` order.

Account-wide halts come first (they say "nothing new trades now" whatever the signal), then
properties of the signal itself, then throttles, then exposure limits. The first failing check
decides the reason code, so the order is part of the contract and documented in docs/risk.md.
Each function returns a refusal or None and never changes state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from backtrader_engine.risk.breakers import BREAKER_NAMES
from backtrader_engine.risk.reasons import (
    DAILY_LOSS,
    HOURLY_CAP,
    LOW_CONFIDENCE,
    MAX_OPEN_POSITIONS,
    MAX_POSITION,
    SIGNAL_SPACING,
    STRATEGY_HOURLY_CAP,
    VOLATILITY,
    Decision,
    breaker_reason,
)
from backtrader_engine.risk.request import SignalRequest

if TYPE_CHECKING:
    from backtrader_engine.risk.gate import RiskGate

Check = Callable[["RiskGate", SignalRequest], Decision | None]


def check_breakers(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse while any circuit breaker is open (``breaker:<name>``)."""
    for name in BREAKER_NAMES:
        breaker = gate.breakers[name]
        if breaker.is_open(req.time):
            return Decision.refuse(breaker_reason(name), breaker.open_message())
    return None


def check_daily_loss(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse for the rest of the UTC day once the daily loss limit was reached."""
    if gate.daily.halted(req.time):
        return Decision.refuse(DAILY_LOSS, f"{gate.daily.reason}; no new entries until the "
                                           "next UTC day")
    return None


def check_confidence(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse signals whose confidence is below ``min_confidence``."""
    minimum = gate.config.min_confidence
    if req.confidence < minimum:
        return Decision.refuse(LOW_CONFIDENCE,
                               f"confidence {req.confidence:.4g} is below {minimum:g}")
    return None


def check_volatility(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse while the symbol's recent range is above ``volatility_filter_pct``."""
    limit = gate.config.volatility_filter_pct
    volatility = gate.volatility_pct(req.symbol, req.time)
    if volatility is not None and volatility > limit:
        window = gate.config.volatility_window_seconds
        return Decision.refuse(VOLATILITY, f"{req.symbol} ranged {volatility:.2f}% over the last "
                                           f"{window:g} s, above {limit:g}%")
    return None


def check_spacing(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse a strategy's signal that comes too soon after its previous passed one."""
    spacing = gate.config.min_seconds_between_signals
    last = gate.last_signal_time(req.strategy)
    if last is not None and req.time - last < spacing:
        return Decision.refuse(SIGNAL_SPACING, f"{req.time - last:g} s after {req.strategy}'s "
                                               f"previous signal; at least {spacing:g} s needed")
    return None


def check_hourly_cap(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse once ``max_signals_per_hour`` signals passed in the rolling hour."""
    cap = gate.config.max_signals_per_hour
    if gate.signals_in_hour(req.time) >= cap:
        return Decision.refuse(HOURLY_CAP, f"{cap} signals already passed in the last hour "
                                           "across all strategies")
    return None


def check_strategy_hourly_cap(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse once the strategy had ``max_signals_per_hour_per_strategy`` in the rolling hour."""
    cap = gate.config.max_signals_per_hour_per_strategy
    if gate.signals_in_hour(req.time, req.strategy) >= cap:
        return Decision.refuse(STRATEGY_HOURLY_CAP, f"{cap} signals of {req.strategy} already "
                                                    "passed in the last hour")
    return None


def check_max_position(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse if the resulting position's notional would exceed the per-symbol maximum."""
    limit = gate.config.max_position_notional_usdt
    notional = req.resulting_notional
    if notional > limit:
        return Decision.refuse(MAX_POSITION, f"{req.symbol} position would be {notional:,.2f} "
                                             f"USDT, above {limit:,.2f}")
    return None


def check_max_open_positions(gate: RiskGate, req: SignalRequest) -> Decision | None:
    """Refuse opening a position on a new symbol when the maximum are already open."""
    limit = gate.config.max_open_positions
    if not req.symbol_is_open and req.open_positions >= limit:
        return Decision.refuse(MAX_OPEN_POSITIONS, f"{req.open_positions} positions already "
                                                   f"open (limit {limit})")
    return None


#: (name, check) in the order applied; the first refusal wins.
CHECKS: tuple[tuple[str, Check], ...] = (
    ("breakers", check_breakers),
    ("daily_loss", check_daily_loss),
    ("low_confidence", check_confidence),
    ("volatility", check_volatility),
    ("signal_spacing", check_spacing),
    ("hourly_cap", check_hourly_cap),
    ("strategy_hourly_cap", check_strategy_hourly_cap),
    ("max_position", check_max_position),
    ("max_open_positions", check_max_open_positions),
)
