"""Rejections over time: refused signals and orders per hour or day, by reason.

The counts are :func:`~backtrader_engine.operations.rejection_history`'s, whose definitions
are the snapshot's: summed over the periods they give its rejection totals.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtrader_engine.operations import rejection_history
from backtrader_engine.operations.rejections import ORDER, PERIODS_MS, SIGNAL

COLUMNS = ["time", "kind", "reason", "count"]
#: The longest span still counted per hour by default: beyond it hourly bars get too thin.
HOURLY_UP_TO_MS = 3 * PERIODS_MS["day"]
#: How each kind reads on the page.
KIND_LABELS = {SIGNAL: "signals rejected", ORDER: "orders refused"}


def rejection_timeline(state_dir: Path | str, period: str = "hour") -> pd.DataFrame:
    """Columns ``time`` (start of the period, UTC), ``kind`` (:data:`KIND_LABELS`),
    ``reason`` and ``count``, oldest first.

    Raises
    ------
    UserError
        A bad *period*, no ledger or an unreadable one.
    """
    rows = [(r.period_ms, KIND_LABELS[r.kind], r.reason, r.count)
            for r in rejection_history(state_dir, period)]
    frame = pd.DataFrame(rows, columns=["ts_ms", *COLUMNS[1:]])
    frame.insert(0, "time", pd.to_datetime(frame.pop("ts_ms"), unit="ms", utc=True))
    return frame


def default_period(first_ms: int | None, last_ms: int | None) -> str:
    """``hour`` for a session spanning at most :data:`HOURLY_UP_TO_MS`, else ``day``."""
    if first_ms is None or last_ms is None or last_ms - first_ms <= HOURLY_UP_TO_MS:
        return "hour"
    return "day"


def of_kind(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The rows of one kind (:data:`SIGNAL` or :data:`ORDER`)."""
    return frame[frame["kind"] == KIND_LABELS[kind]].reset_index(drop=True)
