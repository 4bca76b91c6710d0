"""Isolated-margin liquidation against hand-computed prices, and equity that never goes negative.

Hand computation, entry 100, maintenance margin rate 0.5%, margin per unit ``100 / L``:
the position's equity ``100/L + sign * (P - 100)`` meets its maintenance margin ``0.005 * P`` at

- long:  ``P = (100 - 100/L) / 0.995``  ->  1x: 0 (never), 3x: 67.0016750..., 10x: 90.4522613...
- short: ``P = (100 + 100/L) / 1.005``  ->  1x: 199.00497..., 3x: 132.66998..., 10x: 109.45273...
"""

from __future__ import annotations

import backtrader as bt
import numpy as np
import pandas as pd
import pytest

from backtrader_engine.data import bundled_datasets, load_funding, load_ohlcv
from backtrader_engine.engine.backtest import BacktestRequest, run_backtest
from backtrader_engine.engine.commission import liquidation_price
from backtrader_engine.engine.costs import CostModel

from .test_broker import flat_frame, run

HAND_COMPUTED = {
    # (side, leverage): liquidation price for an entry at 100 with mmr 0.005
    ("long", 3.0): 66.66666666666667 / 0.995,
    ("long", 10.0): 90.0 / 0.995,
    ("short", 1.0): 200.0 / 1.005,
    ("short", 3.0): 133.33333333333334 / 1.005,
    ("short", 10.0): 110.0 / 1.005,
}


def test_hand_computed_values_are_what_the_formula_gives():
    assert HAND_COMPUTED["long", 3.0] == pytest.approx(67.00167504187605)
    assert HAND_COMPUTED["long", 10.0] == pytest.approx(90.45226130653266)
    assert HAND_COMPUTED["short", 1.0] == pytest.approx(199.00497512437812)
    assert HAND_COMPUTED["short", 3.0] == pytest.approx(132.66998341625208)
    assert HAND_COMPUTED["short", 10.0] == pytest.approx(109.45273631840796)
    for (side, leverage), price in HAND_COMPUTED.items():
        size = 1.0 if side == "long" else -1.0
        assert liquidation_price(size, 100.0, leverage, 0.005) == pytest.approx(price)


def _walk(start: float, end: float, steps: int) -> list[float]:
    """Closes that walk from *start* to *end* in small steps, so every level is crossed."""
    return list(np.linspace(start, end, steps))


@pytest.mark.parametrize(("side", "leverage"), sorted(HAND_COMPUTED))
def test_liquidation_fills_at_the_hand_computed_price(side: str, leverage: float):
    # Entry at bar 2's open (100), then the price walks 0.25 per bar past the liquidation.
    target = HAND_COMPUTED[side, leverage]
    beyond = target - 5.0 if side == "long" else target + 5.0
    steps = int(abs(beyond - 100.0) / 0.25) + 1
    frame = flat_frame([100.0, 100.0] + _walk(100.0, beyond, steps))
    size = 10.0
    method = "buy" if side == "long" else "sell"
    result = run(frame, {1: [(method, {"size": size})]}, cash=10_000.0, leverage=leverage,
                 taker_fee=0.0, maker_fee=0.0)
    assert result.metrics["liquidations"] == 1
    (liquidation,) = result.liquidations
    assert liquidation.price == pytest.approx(target, rel=1e-12)
    assert liquidation.size == (size if side == "long" else -size)
    row = result.trades.iloc[0]
    assert bool(row["liquidated"]) and row["exit_price"] == pytest.approx(target, rel=1e-12)
    # What is left of the position is its maintenance margin at the liquidation price.
    margin = size * 100.0 / leverage
    expected = 10_000.0 - margin + 0.005 * size * target
    assert result.final_value == pytest.approx(expected, rel=1e-12)
    # The liquidation happened on the first bar whose range reached the price, not later.
    bar = frame.index.get_loc(result.equity.index[result.equity["position_size"] == 0][-1])
    lows, highs = frame["low"].to_numpy(), frame["high"].to_numpy()
    first = next(i for i in range(2, len(frame))
                 if (lows[i] <= target if side == "long" else highs[i] >= target))
    assert result.equity["position_size"].iloc[first] == 0.0
    assert result.equity["position_size"].iloc[first - 1] == size
    assert bar >= first


def test_a_one_x_long_survives_a_95_percent_crash():
    frame = flat_frame([100.0, 100.0] + _walk(100.0, 5.0, 400) + _walk(5.0, 60.0, 100))
    result = run(frame, {1: [("buy", {"size": 99.0})]}, cash=10_000.0, leverage=1.0,
                 taker_fee=0.0, maker_fee=0.0)
    assert result.metrics["liquidations"] == 0
    assert result.equity["position_size"].iloc[-1] == 99.0
    assert result.equity["equity"].min() == pytest.approx(10_000.0 - 99.0 * 95.0)
    assert result.final_value == pytest.approx(10_000.0 - 99.0 * 40.0)


def test_funding_that_drains_free_cash_comes_out_of_the_margin_and_liquidates():
    # 1x long with 1% of cash left free; 5% funding every 8 h on a flat market. Without the
    # shortfall rule the account would run negative for ever with no liquidation.
    frame = flat_frame([100.0] * (24 * 12), spread=0.001)
    result = run(frame, {1: [("buy", {"size": 99.0})]}, cash=10_000.0, leverage=1.0,
                 taker_fee=0.0, maker_fee=0.0, funding=0.05)
    assert result.metrics["liquidations"] == 1
    assert result.equity["equity"].min() >= 0.0
    assert result.equity["cash"].iloc[-1] >= 0.0
    assert result.equity["position_size"].iloc[-1] == 0.0


@pytest.mark.parametrize("leverage", [1.0, 3.0, 10.0, 25.0])
def test_equity_never_negative_on_real_perp_candles_with_real_funding(leverage: float):
    datasets = bundled_datasets()
    frame = load_ohlcv(datasets["XRPUSDT-5m-binance-perp"])
    funding = load_funding(datasets["XRPUSDT-funding-8h"])

    class FlipAllIn(bt.Strategy):
        """Flips long/short every 50 bars with 95% of equity at the given leverage."""

        def next(self):
            if len(self) % 50 == 0:
                side = 1 if (len(self) // 50) % 2 else -1
                self.order_target_percent(target=side * 0.95 * leverage)

    request = BacktestRequest(strategy=FlipAllIn, frame=frame, timeframe="5m", cash=10_000.0,
                              costs=CostModel(leverage=leverage, funding=funding,
                                              slippage_bps=2.0))
    result = run_backtest(request)
    assert len(result.trades) > 10
    equity = result.equity["equity"]
    assert equity.min() >= 0.0, (equity.idxmin(), equity.min())
    if equity.min() < 1_000.0:
        # Losing nine tenths of the account in a run needs liquidations to explain it.
        assert result.metrics["liquidations"] > 0
    assert isinstance(equity.index, pd.DatetimeIndex)
