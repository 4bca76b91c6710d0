"""Reason codes and the gate's decision.

The codes are stable, machine-readable strings: they are stored in ``order.info['reject_reason']``,
in the signal journal and in reports, and dashboards or alert rules may match on them. Change a
code only together with everything that reads it. The human message next to a code may change
freely.
"""

from __future__ import annotations

from dataclasses import dataclass

# Gate checks, in the order the gate applies them (see docs/risk.md); the first failure wins.
BREAKER_PREFIX = "breaker:"
DAILY_LOSS = "daily_loss"
LOW_CONFIDENCE = "low_confidence"
VOLATILITY = "volatility"
SIGNAL_SPACING = "signal_spacing"
HOURLY_CAP = "hourly_cap"
STRATEGY_HOURLY_CAP = "strategy_hourly_cap"
MAX_POSITION = "max_position"
MAX_OPEN_POSITIONS = "max_open_positions"
#: New entries switched off by the operator (``/stopentry``); exits still go through.
ENTRIES_PAUSED = "entries_paused"
#: Every strategy order refused by the operator's trading pause (``/stop``); only a force
#: exit goes through. The paper broker refuses these before the gate sees them.
TRADING_PAUSED = "trading_paused"

#: A bracket child or OCO member whose leading order the gate refused: rejected with it so that
#: no protective order is left without its entry. Not a signal, so not counted.
LINKED_REFUSED = "linked_refused"

# Outcomes reported by the broker after an order passed the gate.
BROKER_PREFIX = "broker:"
BROKER_MARGIN = "broker:margin"
BROKER_REJECTED = "broker:rejected"


#: The gate's own codes other than the breakers' (``breaker:<name>``, see
#: :func:`signal_rejection_reasons`), in the order the gate applies its checks.
GATE_REASONS: tuple[str, ...] = (
    DAILY_LOSS, LOW_CONFIDENCE, VOLATILITY, SIGNAL_SPACING, HOURLY_CAP, STRATEGY_HOURLY_CAP,
    MAX_POSITION, MAX_OPEN_POSITIONS, ENTRIES_PAUSED)

#: Outcomes the broker can give a signal that passed the gate.
BROKER_REASONS: tuple[str, ...] = (BROKER_MARGIN, BROKER_REJECTED)


def breaker_reason(name: str) -> str:
    """Reason code of an open circuit breaker, e.g. ``breaker:drawdown``."""
    return f"{BREAKER_PREFIX}{name}"


def signal_rejection_reasons(breakers: tuple[str, ...] | list[str],
                             broker_reasons: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Every code a refused signal can carry: each breaker's, the gate's, the broker's.

    *breakers* are the breaker names (``breaker:<name>`` each); *broker_reasons* are the
    ``reject_reason`` codes a broker attaches to the orders it refuses (``warmup``, the venue's
    lot rules), which the signal journal keeps as they are. ``linked_refused`` is not a signal
    and is not included.
    """
    codes = [*(breaker_reason(name) for name in breakers), *GATE_REASONS, *BROKER_REASONS,
             *broker_reasons]
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True)
class Decision:
    """What the gate answered for one order.

    Attributes
    ----------
    allowed
        True when the order may go on to the broker.
    reason
        Stable reason code when refused (e.g. ``signal_spacing``), else ``None``.
    message
        One human-readable line explaining the refusal (empty when allowed).
    """

    allowed: bool
    reason: str | None = None
    message: str = ""

    @classmethod
    def refuse(cls, reason: str, message: str) -> Decision:
        """A refusal with its reason code and message."""
        return cls(False, reason, message)


#: The one "allowed" answer; decisions are immutable, so it is shared.
ALLOW = Decision(True)
