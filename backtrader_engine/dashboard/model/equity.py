"""The portfolio's equity curve with its drawdown, read from the paper ledger.

The drawdown is measured from the peak the session stores with every released bar (the
``portfolio`` table's running peak, which the snapshot's drawdown card reads too), so the
curve's last point and the card agree however long the session is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from backtrader_engine.errors import UserError
from backtrader_engine.ledger import LedgerReadError, ledger_path
from backtrader_engine.operations.snapshot import open_ledger

#: Bars read from the ledger, and the most points a chart is given (a browser chart gains
#: nothing from more points than it has pixels).
DEFAULT_POINTS = 2_000
COLUMNS = ["time", "value", "peak", "drawdown_pct"]


def equity_drawdown(state_dir: Path | str, *, points: int = DEFAULT_POINTS,
                    max_points: int = DEFAULT_POINTS) -> pd.DataFrame:
    """The last *points* released bars: columns ``time`` (UTC), ``value``, ``peak`` and
    ``drawdown_pct`` (below the peak, in percent, >= 0).

    Several streams closing at the same time leave one point (the last). A longer curve is
    thinned to about *max_points* points, its first and last kept.

    Raises
    ------
    UserError
        No ledger under *state_dir*, or one that cannot be read.
    """
    reader = open_ledger(state_dir)
    try:
        rows = reader.portfolio_points(points)
    except LedgerReadError as exc:
        raise UserError(f"{ledger_path(state_dir)}: unreadable ledger ({exc})") from None
    finally:
        reader.close()
    frame = pd.DataFrame([(r.ts_ms, r.value, r.peak) for r in rows],
                         columns=["ts_ms", "value", "peak"])
    frame = frame.drop_duplicates("ts_ms", keep="last").reset_index(drop=True)
    if len(frame) > max_points:
        step = -(-len(frame) // max_points)
        keep = list(range(0, len(frame), step))
        if keep[-1] != len(frame) - 1:
            keep.append(len(frame) - 1)
        frame = frame.iloc[keep].reset_index(drop=True)
    peak = frame["peak"].where(frame["peak"] > 0)
    frame["drawdown_pct"] = ((peak - frame["value"]) / peak * 100.0).fillna(0.0).clip(lower=0)
    frame.insert(0, "time", pd.to_datetime(frame.pop("ts_ms"), unit="ms", utc=True))
    return frame[COLUMNS]
