"""PnL per strategy × symbol, from the snapshot's sub-accounts.

Each sub-account's realised PnL is the net PnL of its closed round trips by the engine's one
rule (:mod:`backtrader_engine.engine.trades`, as the snapshot reads it from the ledger), and
its unrealised PnL the open trip's at the last mark; this only adds up the sub-accounts of
the same strategy and symbol.
"""

from __future__ import annotations

import pandas as pd

from backtrader_engine.operations import SessionSnapshot

COLUMNS = ["strategy", "symbol", "realised", "unrealised", "total", "won", "lost"]
#: The parts of a bar in the chart, in stacking order.
PARTS = ("realised", "unrealised")


def pnl_by_strategy(snap: SessionSnapshot) -> pd.DataFrame:
    """One row per strategy × symbol: realised, unrealised and total PnL, trades won and
    lost; best total first."""
    rows: dict[tuple[str, str], dict[str, float]] = {}
    for a in snap.accounts:
        row = rows.setdefault((a.strategy, a.symbol), dict.fromkeys(COLUMNS[2:], 0.0))
        row["realised"] += a.realised_pnl
        row["unrealised"] += a.unrealised_pnl
        row["won"] += a.trades_won
        row["lost"] += a.trades_lost
    frame = pd.DataFrame([{"strategy": s, "symbol": y, **v} for (s, y), v in rows.items()],
                         columns=COLUMNS)
    frame["total"] = frame["realised"] + frame["unrealised"]
    frame[["won", "lost"]] = frame[["won", "lost"]].astype(int)
    return frame.sort_values(["total", "strategy", "symbol"], ascending=[False, True, True],
                             ignore_index=True)


def pnl_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """*frame* (:func:`pnl_by_strategy`) in long form for stacked bars: ``label`` (strategy ·
    symbol), ``part`` (realised or unrealised), ``pnl``, ``total``."""
    labelled = frame.assign(label=frame["strategy"] + " · " + frame["symbol"])
    long = labelled.melt(id_vars=["label", "total"], value_vars=list(PARTS), var_name="part",
                         value_name="pnl")
    return long[["label", "part", "pnl", "total"]]
