"""Calling Bybit through pybit with exponential backoff on rate limits and server errors.

pybit reports a non-zero ``retCode`` as ``InvalidRequestError`` and an HTTP status other than
200 as ``FailedRequestError``. Rate limits (retCode 10006, HTTP 403/429) and server-side
failures (HTTP 5xx, retCode 10016) are worth retrying; anything else is a request Bybit will
never accept, so it becomes one clear :class:`UserError` at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from pybit.exceptions import FailedRequestError, InvalidRequestError

from backtrader_engine.errors import UserError

T = TypeVar("T")
RETRY_CODES = frozenset({10006, 10016})  # rate limit, internal server error
RETRY_STATUSES = frozenset({403, 429})


class BybitError(UserError):
    """Bybit rejected a request, or kept failing after every retry."""


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, InvalidRequestError):
        return exc.status_code in RETRY_CODES
    if isinstance(exc, FailedRequestError):
        code = int(exc.status_code or 0)
        return code in RETRY_STATUSES or code >= 500
    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout)


def _describe(exc: Exception) -> str:
    if isinstance(exc, InvalidRequestError | FailedRequestError):
        return f"{exc.message} (code {exc.status_code})"
    return type(exc).__name__


@dataclass
class Backoff:
    """Retry policy: delay ``base * 2**attempt`` capped at *cap*, plus up to 50 % jitter.

    Jitter spreads out clients that were limited at the same moment, so they do not all
    return in the same second and hit the limit again.
    """

    retries: int = 8
    base: float = 0.5
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number *attempt* (0-based)."""
        raw = min(self.cap, self.base * 2**attempt)
        return raw + raw * 0.5 * self.rng.random()

    def call(self, what: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Call ``fn(**kwargs)``; retry retryable failures, turn the rest into BybitError."""
        for attempt in range(self.retries + 1):
            try:
                return fn(**kwargs)
            except (InvalidRequestError, FailedRequestError, requests.RequestException) as exc:
                if not _retryable(exc):
                    raise BybitError(f"Bybit rejected {what}: {_describe(exc)}") from None
                if attempt == self.retries:
                    raise BybitError(
                        f"Bybit kept failing for {what} after {self.retries} retries: "
                        f"{_describe(exc)}"
                    ) from None
                self.sleep(self.delay(attempt))
        raise AssertionError("unreachable")  # the loop always returns or raises
