"""Argument types for the command line: every number a flag reads is finite and in range.

``type=float`` accepts ``inf``, ``nan`` and ``1e400`` (which becomes infinity), and ``type=int``
accepts ``-1`` where only a count makes sense; each would pass later checks such as ``x > 0``
or run on nonsense. URL flags are checked for their form the same way. These types refuse
them while parsing, so the command stops before it
starts anything, with one line naming the flag (argparse adds it) and what it expects.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from urllib.parse import urlsplit

#: Largest value of an integer flag that counts something (bars, trials, seconds).
MAX_COUNT = 10**9


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: '{text}'; expected a number "
                                         "such as 0.5 or 100") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number; expected an "
                                         "ordinary number such as 0.5 or 100")
    return value


def finite_float(text: str) -> float:
    """Any finite number (no inf, nan or overflow such as 1e400)."""
    return _number(text)


def positive_float(text: str) -> float:
    """A finite number above 0."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: expected a number above 0")
    return value


def non_negative_float(text: str) -> float:
    """A finite number of 0 or more."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text}: expected a number of 0 or more")
    return value


def _whole(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: '{text}'; expected a whole number "
                                         "such as 5 or 300") from None
    if abs(value) > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"{text}: expected at most {MAX_COUNT:,}")
    return value


def label(text: str) -> str:
    """A non-empty name, e.g. a symbol label; an empty one would leave reports unnamed."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected a name such as BTCUSDT, not an "
                                         "empty string")
    return text.strip()


def int_in(low: int, high: int) -> Callable[[str], int]:
    """A whole number in ``[low, high]``."""

    def parse(text: str) -> int:
        value = _whole(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text}: expected a whole number from {low} to "
                                             f"{high}")
        return value

    parse.__name__ = f"int_in_{low}_{high}"
    return parse


def positive_int(text: str) -> int:
    """A whole number of 1 or more."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: expected a whole number of 1 or more")
    return value


def non_negative_int(text: str) -> int:
    """A whole number of 0 or more."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text}: expected a whole number of 0 or more")
    return value


#: A TCP port; 0 asks the system for any free one.
port = int_in(0, 65535)
port.__name__ = "port"


#: Hosts a plain http:// (unencrypted) URL may name: a replay server on this machine.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_URL_FORMS = ("expected https://HOST[:PORT] (Bybit or a proxy of it) or http://127.0.0.1:PORT "
              "(a local replay server)")


def _url_problem(text: str) -> str | None:
    """What is wrong with *text* as ``https://HOST[:PORT][/PATH]`` or loopback http; None: ok."""
    parts = urlsplit(text.strip())
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    host = parts.hostname or ""
    if (any(c.isspace() for c in text.strip()) or parts.query or parts.fragment
            or not host or not port_ok or parts.username or parts.password):
        return f"'{text}' is not a URL"
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS):
        return None
    if parts.scheme == "http":
        return f"'{text}': plain http is only for a replay server on this machine"
    return f"'{text}': scheme '{parts.scheme or '(none)'}' is not https or http"


def rest_base_url(text: str) -> str:
    """A REST base URL: ``https://HOST[:PORT][/PATH]``, or plain http on this machine only.

    Checked before anything starts, so ``--base-url garbage`` is one line naming the flag
    instead of the HTTP library's error from deep inside the first request.
    """
    problem = _url_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{problem}; {_URL_FORMS}")
    return text.strip().rstrip("/")


def paper_source(text: str) -> str:
    """``bybit``, ``replay`` or a replay server's URL (see :func:`rest_base_url`)."""
    if text in ("bybit", "replay"):
        return text
    problem = (f"'{text}' is not bybit, replay or a URL" if "://" not in text
               else _url_problem(text))
    if problem is not None:
        raise argparse.ArgumentTypeError(f"{problem}; expected bybit, replay or "
                                         "http://HOST:PORT of a replay server on this machine "
                                         "(127.0.0.1, localhost)")
    return text.strip().rstrip("/")
