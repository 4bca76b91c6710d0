"""PnL per strategy × symbol: the snapshot's round-trip PnL, added up, from a real ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from backtrader_engine.dashboard.model.pnl import pnl_by_strategy, pnl_parts
from backtrader_engine.ledger import LedgerReader, ledger_path
from backtrader_engine.operations import read_snapshot, trips_from_rows


def test_each_strategy_symbol_has_its_round_trip_pnl(ledger: Path) -> None:
    snap = read_snapshot(ledger)
    frame = pnl_by_strategy(snap)
    assert len(frame) == len({(a.strategy, a.symbol) for a in snap.accounts}) > 1
    assert frame["total"].is_monotonic_decreasing
    # Realised plus unrealised over every row is the session's PnL (value minus cash).
    assert frame["total"].sum() == pytest.approx(snap.pnl)
    assert frame["won"].sum() + frame["lost"].sum() == snap.trades_won + snap.trades_lost > 0
    # Each row's realised PnL is the round-trip rule's net PnL over its fills and funding.
    with LedgerReader(ledger_path(ledger)) as reader:
        for a in snap.accounts:
            fills = [f.as_dict() for f in reader.account_fills(a.name)]
            funding = [f.as_dict() for f in reader.funding(a.name)]
            tally = trips_from_rows(fills, funding).tally()
            row = frame[(frame["strategy"] == a.strategy) & (frame["symbol"] == a.symbol)]
            assert row["realised"].item() == pytest.approx(tally.net_pnl, abs=1e-6)
            assert (row["won"].item(), row["lost"].item()) == (tally.won, tally.lost)
    assert (frame["realised"] != 0).any() and (frame["unrealised"] != 0).any()


def test_the_long_form_stacks_realised_and_unrealised(ledger: Path) -> None:
    frame = pnl_by_strategy(read_snapshot(ledger))
    long = pnl_parts(frame)
    assert len(long) == 2 * len(frame)
    assert set(long["part"]) == {"realised", "unrealised"}
    summed = long.groupby("label")["pnl"].sum()
    for row in frame.itertuples():
        assert summed[f"{row.strategy} · {row.symbol}"] == pytest.approx(row.total)
