"""A sub-account's round trips from its ledger rows, by the engine's one rule.

The rule (flat to flat, reversals, per-fill gross PnL and fees, funding to the trip open at
the settlement, won when net PnL > 0) is :mod:`backtrader_engine.engine.trades`; this module
only turns ledger rows into its inputs. The recorder feeds the same rule fill by fill while
the session runs (:class:`~.recorder.AccountRecorder`); :func:`trips_from_rows` rebuilds it
from a ledger written before the counts were stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backtrader_engine.engine.trades import Fill, RoundTripLedger, TripTally

_KEY = "account"


def trips_from_rows(fills: Iterable[Mapping[str, Any]],
                    funding: Iterable[Mapping[str, Any]] = ()) -> RoundTripLedger:
    """The round trips of one sub-account's ``fills`` and ``funding`` ledger rows.

    Fills need ``size``, ``position_after``, ``pnl`` and ``fee`` (``ts_ms``, ``price``,
    ``bar_seq`` and ``liquidation`` when present), in execution order; funding rows
    ``funding_time`` and ``payment``. A settlement is charged before the fills of the bar
    it settled in (its time is at most their close time), as the paper broker charges it.
    """
    events: list[tuple[float, int, int, Mapping[str, Any]]] = []
    for i, row in enumerate(funding):
        events.append((float(row["funding_time"]), 0, i, row))
    ordered = list(fills)
    has_time = all(row.get("ts_ms") is not None for row in ordered)
    for i, row in enumerate(ordered):
        events.append((float(row["ts_ms"]) if has_time else float("inf"), 1, i, row))
    if not has_time:  # no times to interleave by: every settlement first, as best we can
        events = [e for e in events if e[1] == 0] + [e for e in events if e[1] == 1]
    else:
        events.sort(key=lambda e: e[:3])
    ledger: RoundTripLedger[str] = RoundTripLedger()
    for time, kind, _, row in events:
        if kind == 0:
            ledger.on_funding(_KEY, float(row["payment"]))
            continue
        size = float(row["size"])
        ledger.on_fill(_KEY, str(row.get("symbol") or ""), Fill.from_execution(
            time, int(row.get("bar_seq") or 0), float(row.get("price") or 0.0), size,
            float(row["position_after"]) - size, float(row["pnl"]), float(row["fee"]),
            bool(row.get("liquidation"))))
    return ledger


def tally_rows(fills: Iterable[Mapping[str, Any]],
               funding: Iterable[Mapping[str, Any]] = ()) -> TripTally:
    """Closed round trips, won, lost and net PnL of one sub-account's ledger rows."""
    return trips_from_rows(fills, funding).tally()


def closed_trades(fills: Iterable[Mapping[str, Any]],
                  funding: Iterable[Mapping[str, Any]] = ()) -> tuple[int, int]:
    """(won, lost) closed round trips in *fills* and *funding* (ledger rows)."""
    tally = tally_rows(fills, funding)
    return tally.won, tally.lost
