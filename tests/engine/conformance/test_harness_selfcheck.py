"""The harness itself: it sees a real difference, and it refuses a case that tests nothing."""

from __future__ import annotations

import backtrader as bt

from tests.engine.conformance.harness import (
    Case,
    conformance_problems,
    run_ours,
    run_stock,
    vacuity_problems,
)


class EveryTenBars(bt.Strategy):
    """Flips between +0.5 and -0.5 every ten bars with market orders."""

    def next(self):
        if len(self) % 10 == 0:
            self.order_target_size(target=0.5 if len(self) % 20 else -0.5)


def test_a_fee_only_one_side_pays_is_reported() -> None:
    case = Case("flip-every-ten", EveryTenBars)
    problems = conformance_problems(run_ours(case, 0.0), run_stock(case, 0.001), case.cash)
    text = "\n".join(problems)
    assert "final value" in text
    assert "notify_trade" in text  # pnlcomm differs from the first close
    assert "getvalue()" in text and "getcash()" in text
    assert "fill" not in text  # same times, sides, sizes and prices


def test_stock_against_itself_breaks_only_the_short_cash_rule() -> None:
    """Identical records agree on everything the intended differences leave alone."""
    case = Case("flip-every-ten", EveryTenBars)
    stock = run_stock(case, 0.001)
    problems = conformance_problems(stock, stock, case.cash)
    assert len(problems) == 1 and problems[0].startswith("getcash() [short cash rule"), problems


def test_a_case_that_never_trades_its_order_type_is_vacuous() -> None:
    case = Case("flip-every-ten", EveryTenBars, expect=(("Limit", "Expired"),))
    problems = vacuity_problems(case, run_stock(case, 0.0))
    assert problems == ["vacuous case: no Limit order ever Expired (seen [])"]
