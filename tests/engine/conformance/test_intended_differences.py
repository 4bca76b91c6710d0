"""The two intended differences of a perpetual from a stock account, shown on real candles.

Every other test of this folder asserts equality with them applied (see harness.py); these
show that the rules are needed at all and that they are the whole difference.
"""

from __future__ import annotations

import math

import backtrader as bt

from tests.engine.conformance.harness import (
    MONEY_TOL,
    RULE_SHORT_CASH,
    RULE_SHORT_MARGIN,
    Case,
    expected_our_cash,
    run_ours,
    run_stock,
)


class AlternateSides(bt.Strategy):
    """Long 0.5 for ``hold`` bars, flat, short 0.5 for ``hold`` bars, flat, and again."""

    params = dict(size=0.5, hold=20)

    def next(self):
        phase = (len(self) // self.p.hold) % 4
        target = {0: self.p.size, 2: -self.p.size}.get(phase, 0.0)
        if self.position.size != target:
            self.order_target_size(target=target)


def test_short_cash_rule_is_the_whole_cash_difference() -> None:
    """Rule 1: cash differs by 2*|size|*price while short, not at all otherwise."""
    case = Case("alternate-sides", AlternateSides)
    ours, stock = run_ours(case, 0.001), run_stock(case, 0.001)
    money = MONEY_TOL * case.cash
    assert len(ours.bars) == len(stock.bars)
    kinds = set()
    for mine, theirs in zip(ours.bars, stock.bars, strict=True):
        size, price = theirs[3][0][1], theirs[3][0][2]
        assert math.isclose(mine[1], theirs[1], abs_tol=money), ("value", theirs[0])
        if size < 0:
            kinds.add("short")
            assert math.isclose(theirs[2] - mine[2], 2 * abs(size) * price, abs_tol=money), (
                RULE_SHORT_CASH, theirs[0])
        else:
            kinds.add("long" if size else "flat")
            assert math.isclose(mine[2], theirs[2], abs_tol=money), ("cash", theirs[0])
        assert math.isclose(mine[2], expected_our_cash(theirs), abs_tol=money)
    assert kinds == {"long", "flat", "short"}


class ShortThreeTimesEquity(bt.Strategy):
    """Sells short three times the account's value once, at the first bar."""

    def __init__(self):
        self.done = False

    def next(self):
        if not self.done:
            self.sell(size=3 * self.broker.getvalue() / self.data.close[0])
            self.done = True


def test_short_beyond_free_cash_is_refused_by_a_perpetual_only() -> None:
    """Rule 2: stock backtrader fills a 3x-equity short at 1x; a perpetual refuses it."""
    case = Case("short-3x-equity", ShortThreeTimesEquity, data="btc")
    ours, stock = run_ours(case, 0.0), run_stock(case, 0.0)
    assert [n[2] for n in stock.notices] == ["Submitted", "Accepted", "Completed"]
    assert [n[2] for n in ours.notices] == ["Submitted", "Margin"], RULE_SHORT_MARGIN
    assert len(stock.fills) == 1 and not ours.fills
    assert stock.bars[-1][3][0][1] < 0 and ours.bars[-1][3][0][1] == 0
