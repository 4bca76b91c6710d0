"""Refused orders of a paper session: counted from the ledger, the same after a restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from backtrader_engine.commands.paper import summary_lines
from backtrader_engine.monitoring.collector import SessionCollector
from backtrader_engine.operations import read_snapshot
from backtrader_engine.operations.status import BotStatus, key_figures
from backtrader_engine.operations.status_text import format_status
from backtrader_engine.paper.session import PaperSession

from .conftest import wait_for_bars

# One order on warm-up history (warmup), three far beyond the cash (margin), one resting limit
# at half the price that runs out after three bars (expired) and one below the venue's minimum
# quantity (venue_min_qty); then one between two lot steps, accepted rounded down (resized:
# 0.0155 BTC -> 0.015, 0.0155 ETH -> 0.01); nothing after that.
REFUSED = '''
import datetime

import backtrader as bt


class Refused(bt.Strategy):
    def __init__(self):
        self.warm_ordered = False
        self.live = 0

    def next(self):
        context = getattr(self.data, "context", None)
        if context is None or not context.tradable:
            if not self.warm_ordered:
                self.warm_ordered = True
                self.buy(size=0.001)
            return
        self.live += 1
        if self.live <= 3:
            self.buy(size=1000.0)
        elif self.live == 4:
            self.buy(size=0.1, exectype=bt.Order.Limit, price=self.data.close[0] * 0.5,
                     valid=datetime.timedelta(minutes=3))
        elif self.live == 5:
            self.buy(size=0.0001)
        elif self.live == 6:
            self.buy(size=0.0155)
'''
EXPECTED = {"margin": 3, "expired": 1, "venue_min_qty": 1, "warmup": 1}
ACCOUNTS = ("Refused:BTCUSDT", "Refused:ETHUSDT")


def test_refused_orders_are_read_from_the_ledger_and_survive_a_restart(
        tmp_path: Path, paper_session: Callable[..., PaperSession]) -> None:
    path = tmp_path / "refused.py"
    path.write_text(REFUSED)
    strategies = (f"{path}:Refused",)
    state = tmp_path / "state"
    session = paper_session(state, strategies=strategies, manual=False)
    try:
        wait_for_bars(state, 2 * 20)
    finally:
        session.stop()
    # The in-process counters (the brokers') and the ledger agree, order by order.
    counted = {a.spec.name: a.broker.rejections.as_dict() for a in session.accounts}
    assert counted == dict.fromkeys(ACCOUNTS, EXPECTED)
    assert {a.spec.name: session.summary()["accounts"][a.spec.name]["orders_rejected"]
            for a in session.accounts} == dict.fromkeys(ACCOUNTS, 6)
    # The summary paper prints when it stops says why, in the backtest summary's words.
    printed = summary_lines(session.summary())
    for name in ACCOUNTS:
        assert f"  {name}: 1 order rounded down to the venue's lot step" in printed
        assert (f"  {name}: 3 orders rejected: insufficient margin; 1 order expired unfilled "
                f"(valid=); 1 order rejected: below the venue's minimum quantity; 1 order "
                f"rejected: placed on warm-up history") in printed
    snap = read_snapshot(state)
    assert {a.name: a.orders_rejected for a in snap.accounts} == dict.fromkeys(ACCOUNTS,
                                                                               EXPECTED)
    assert snap.orders_rejected == {"margin": 6, "expired": 2, "venue_min_qty": 2, "warmup": 2}
    # The altered order is counted too (not refused: accepted smaller than asked).
    assert [a.orders_resized for a in snap.accounts] == [1, 1] and snap.orders_resized == 2
    assert [a.broker.rejections.resized for a in session.accounts] == [1, 1]

    # A restart re-derives the same order rows: the counts do not move.
    again = paper_session(state, strategies=strategies, manual=False,
                          server=session.server)  # type: ignore[attr-defined]
    try:
        assert again.resumed
        wait_for_bars(state, 2 * 40)
    finally:
        again.stop()
    assert read_snapshot(state).orders_rejected == snap.orders_rejected
    assert {a.name: a.orders_rejected for a in read_snapshot(state).accounts} == {
        a.name: a.orders_rejected for a in snap.accounts}
    assert [a.broker.rejections.as_dict() for a in again.accounts] == [EXPECTED, EXPECTED]

    # bot status: the total and, per sub-account, the reasons.
    figures = key_figures(state)
    assert figures["orders_rejected"] == 12
    assert figures["orders_rejected_by_account"] == dict.fromkeys(ACCOUNTS, EXPECTED)
    text = format_status(BotStatus("stopped", "no bot running", str(tmp_path),
                                   state_dir=str(state), figures=figures)).splitlines()
    assert "  orders rejected 12" in text
    assert "    Refused:BTCUSDT: margin 3, expired 1, venue_min_qty 1, warmup 1" in text
    assert "    Refused:ETHUSDT: margin 3, expired 1, venue_min_qty 1, warmup 1" in text
    assert figures["orders_resized"] == 2
    assert ("  orders resized 2 (rounded down to the venue's lot step: Refused:BTCUSDT 1, "
            "Refused:ETHUSDT 1)") in text
    # Prometheus: one counter per sub-account, the same after the restart.
    collector = SessionCollector(state, live_status=lambda path: None)
    resized = {s.labels["symbol"]: s.value for family in collector.collect()
               for s in family.samples if s.name == "paper_orders_resized_total"}
    assert resized == {"BTCUSDT": 1.0, "ETHUSDT": 1.0}
