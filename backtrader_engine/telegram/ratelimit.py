"""Token buckets: how long to wait before the next Bot API request may go out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """*rate* requests per second on average, at most *capacity* back to back.

    A request takes one token, even when none is left: the balance goes negative and the
    caller is told how long to wait, so reservations made while waiting queue up behind
    each other instead of all firing when the bucket refills.

    Parameters
    ----------
    rate : float
        Tokens added per second.
    capacity : float
        Most tokens saved up (the burst allowed after a quiet period).
    clock : callable
        Monotonic seconds; injectable for tests.
    """

    def __init__(self, rate: float, capacity: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError(f"rate {rate} must be > 0 and capacity {capacity} >= 1")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._last = clock()

    def reserve(self) -> float:
        """Take a token; seconds until it may be used (0 when one was available)."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


async def acquire(*buckets: TokenBucket) -> float:
    """Take a token from every bucket and sleep until all allow the request; the wait."""
    wait = max((bucket.reserve() for bucket in buckets), default=0.0)
    if wait > 0:
        await asyncio.sleep(wait)
    return wait
