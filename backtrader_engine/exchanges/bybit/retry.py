"""Calling Bybit through pybit with exponential backoff on rate limits and server errors.

pybit reports a non-zero ``retCode`` as ``InvalidRequestError`` and an HTTP status other than
200 as ``FailedRequestError``. Rate limits (retCode 10006, HTTP 403/429) and server-side
failures (HTTP 5xx, retCode 10016) are worth retrying; anything else is a request Bybit will
never accept, so it becomes one clear :class:`UserError` at once.

Each retry is announced on stderr as one line (what failed, ``attempt n of N``, ``next try in
s``), so a client without network says so at once instead of going silent. The budget can be
overridden for the whole process with the environment variables ``BTE_RETRIES`` (retries
after the first attempt) and ``BTE_RETRY_DELAY`` (seconds before the first retry; later
ones double), e.g. ``BTE_RETRIES=1 BTE_RETRY_DELAY=0.1`` for a quick failure in tests.
"""

from __future__ import annotations

import math
import os
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests
from pybit.exceptions import FailedRequestError, InvalidRequestError

from backtrader_engine.backoff import Backoff
from backtrader_engine.errors import UserError

T = TypeVar("T")
RETRY_CODES = frozenset({10006, 10016})  # rate limit, internal server error
RETRY_STATUSES = frozenset({403, 429})
#: Bounds of BTE_RETRIES and BTE_RETRY_DELAY: beyond them a failure would never be reported.
MAX_ENV_RETRIES = 100
MAX_ENV_DELAY_S = 3600.0
_JITTER = (1.0, 1.5)  # up to 50 % added


class BybitError(UserError):
    """Bybit rejected a request, or kept failing after every retry."""


class BybitUnreachable(BybitError):
    """Every attempt failed to reach the server at all (no connection, or timed out)."""


def _env_number(name: str, kind: type[int] | type[float], high: float,
                expected: str) -> int | float | None:
    """The value of environment variable *name*, or ``None`` when unset.

    NaN, infinity and absurd values are refused like a bad number: a retry delay of
    ``1e9`` s (or ``inf``) would leave the command waiting for ever on one failure.
    """
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not (math.isfinite(value) and 0 <= value <= high):
        raise UserError(f"{name}={raw!r}: expected {expected}")
    return value


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, InvalidRequestError):
        return exc.status_code in RETRY_CODES
    if isinstance(exc, FailedRequestError):
        code = int(exc.status_code or 0)
        return code in RETRY_STATUSES or code >= 500
    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout)


def _network_failure(exc: Exception) -> bool:
    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout)


def _describe(exc: Exception) -> str:
    if isinstance(exc, InvalidRequestError | FailedRequestError):
        return f"{exc.message} (code {exc.status_code})"
    # requests nests the OS error deep in its message; its "[Errno n] text" is the useful part
    reason = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    url = getattr(getattr(exc, "request", None), "url", None)
    detail = ", ".join(x for x in (reason.group(1).strip() if reason else "", url or "") if x)
    return f"{type(exc).__name__} ({detail})" if detail else type(exc).__name__


@dataclass
class Retry:
    """Retry policy: delay ``base * 2**attempt`` capped at *cap*, plus up to 50 % jitter.

    Jitter spreads out clients that were limited at the same moment, so they do not all
    return in the same second and hit the limit again. ``BTE_RETRIES`` and
    ``BTE_RETRY_DELAY`` in the environment override *retries* and *base*. *report* gets one
    line per retry (stderr by default).
    """

    retries: int = 8
    base: float = 0.5
    cap: float = 20.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    report: Callable[[str], None] | None = _stderr_line

    def __post_init__(self) -> None:
        retries = _env_number("BTE_RETRIES", int, MAX_ENV_RETRIES,
                              f"a whole number of retries from 0 to {MAX_ENV_RETRIES}")
        if retries is not None:
            self.retries = int(retries)
        base = _env_number("BTE_RETRY_DELAY", float, MAX_ENV_DELAY_S,
                           f"a number of seconds from 0 to {MAX_ENV_DELAY_S:g}")
        if base is not None:
            self.base = float(base)
            self.cap = max(self.base, min(self.cap, self.base * 8))

    @property
    def backoff(self) -> Backoff:
        """The delays, from *base* and *cap* as they stand (after the environment's say)."""
        return Backoff(self.base, self.cap, jitter=_JITTER)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number *attempt* (0-based)."""
        return self.backoff.delay(attempt, self.rng)

    def call(self, what: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Call ``fn(**kwargs)``; retry retryable failures, turn the rest into BybitError."""
        for attempt in range(self.retries + 1):
            try:
                return fn(**kwargs)
            except (InvalidRequestError, FailedRequestError, requests.RequestException) as exc:
                if not _retryable(exc):
                    raise BybitError(f"Bybit rejected {what}: {_describe(exc)}") from None
                attempts = self.retries + 1
                if attempt == self.retries:
                    error = BybitUnreachable if _network_failure(exc) else BybitError
                    raise error(
                        f"Bybit kept failing for {what}: {_describe(exc)} (attempt "
                        f"{attempts} of {attempts}; gave up after {self.retries} retries)"
                    ) from None
                delay = self.delay(attempt)
                if self.report is not None:
                    self.report(f"warning: {what} failed: {_describe(exc)}; attempt "
                                f"{attempt + 1} of {attempts}, next try in {delay:.1f} s")
                self.sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises
