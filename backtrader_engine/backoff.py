"""Exponential backoff as a value: how long to wait before retry number *n*.

One policy for every retry loop (Bybit REST calls, the stream's reconnects, Telegram sends
and connects); each keeps its own numbers. It only computes delays: counting attempts,
sleeping and giving up stay with the caller, whose rules differ.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: No jitter: every delay is exactly the capped exponential.
NO_JITTER = (1.0, 1.0)


@dataclass(frozen=True)
class Backoff:
    """Delay ``min(cap, initial * factor**attempt)``, times a jitter factor.

    *jitter* is the range ``[low, high)`` the factor is drawn from, uniformly: ``(1, 1.5)``
    adds up to 50 %, ``(0.5, 1)`` draws from the upper half of the delay, ``(1, 1)`` (the
    default) is none. Jitter spreads out clients that failed at the same moment, so that
    they do not all come back in the same second and fail together again.
    """

    initial: float
    cap: float
    factor: float = 2.0
    jitter: tuple[float, float] = NO_JITTER

    def __post_init__(self) -> None:
        low, high = self.jitter
        if not (self.initial >= 0 and self.cap >= 0 and self.factor >= 1 and 0 <= low <= high):
            raise ValueError(f"backoff needs initial and cap >= 0, factor >= 1 and a jitter "
                             f"range 0 <= low <= high, got {self}")

    def ceiling(self, attempt: int) -> float:
        """The delay before jitter for retry number *attempt* (0-based)."""
        try:
            raw = self.initial * self.factor**attempt
        except OverflowError:  # thousands of attempts: long since at the cap
            return self.cap
        return min(self.cap, raw)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number *attempt* (0-based).

        *rng* draws the jitter (seed one for reproducible tests); without jitter it is not
        used.
        """
        raw = self.ceiling(attempt)
        low, high = self.jitter
        if low == high:
            return raw * low
        draw = rng.random() if rng is not None else random.random()
        return raw * low + raw * (high - low) * draw
