"""How figures read on the panel: money, percentages, durations, times, sizes."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd


def money(value: float | None, *, signed: bool = False) -> str:
    """``12,345.67`` (``+12.30`` with *signed*); ``n/a`` for a missing figure."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def percent(value: float | None, *, digits: int = 2, signed: bool = False) -> str:
    """*value* already in percent: ``3.14%``; ``n/a`` for a missing figure."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:+.{digits}f}%" if signed else f"{value:.{digits}f}%"


def duration(seconds: float | None) -> str:
    """``3d 4h``, ``2h 05m``, ``4m 09s`` or ``12s``; ``n/a`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "n/a"
    whole = int(seconds)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def size_bytes(value: float | None) -> str:
    """``1.5 GB``, ``230.0 MB``, ``12 B``; ``n/a`` when unknown."""
    if value is None:
        return "n/a"
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(amount) < 1024 or unit == "TB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def ms_to_time(ms: float | None) -> pd.Timestamp | None:
    """A ledger timestamp (Unix milliseconds) as a UTC time; ``None`` stays ``None``."""
    if ms is None:
        return None
    return pd.Timestamp(int(ms), unit="ms", tz="UTC")


def wall_time(seconds: float | None) -> str:
    """A Unix time as ``2025-01-02 03:04:05 UTC``; ``n/a`` when unknown."""
    if seconds is None:
        return "n/a"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
