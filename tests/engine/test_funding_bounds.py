"""Funding that eats a position's margin liquidates it at the settlement; rates are bounded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backtrader_engine.data import load_funding
from backtrader_engine.engine.funding_bounds import MAX_FUNDING_RATE

from .test_broker import flat_frame, run

ALLOWED = MAX_FUNDING_RATE  # the largest rate accepted: 5% per settlement


@pytest.mark.parametrize(("side", "leverage"), [("long", 100.0), ("short", 100.0),
                                                ("long", 10.0), ("long", 1.0)])
def test_funding_that_eats_the_margin_liquidates_at_the_settlement_mark(side, leverage):
    # All-in at bar 1 (price 100) on a flat market; the first settlement is 08:00 (bar 8);
    # ten days hold 30 settlements, 150% of the notional: even 1x is eaten.
    frame = flat_frame([100.0] * 24 * 10, spread=0.001)
    size = 90.0 * leverage  # margin 9,000 plus the entry fee fit in 10,000
    method, rate = ("buy", ALLOWED) if side == "long" else ("sell", -ALLOWED)
    result = run(frame, {1: [(method, {"size": size})]}, leverage=leverage,
                 taker_fee=0.00055, maker_fee=0.0, funding=rate)
    equity = result.equity["equity"]
    assert equity.min() >= 0.0
    assert result.final_value >= 0.0
    assert result.equity["position_size"].iloc[-1] == 0.0
    (liquidation,) = result.liquidations
    # Liquidated at the mark the funding was settled at (the bar's open), never at a
    # liquidation price the market did not reach.
    assert liquidation.price == pytest.approx(100.0)
    if leverage >= 20:  # one settlement (5% of notional) exceeds the whole account
        sizes = result.equity["position_size"]
        held = sizes.loc[sizes.index[sizes != 0][0]:]
        liquidated_at = held.index[held == 0][0]
        assert liquidated_at == pd.Timestamp("2022-01-01 08:00")
        assert result.final_value == pytest.approx(0.0, abs=1e-6)
        assert result.metrics["funding_paid"] <= 10_000.0 + 1e-6


def test_a_funding_file_at_the_bound_liquidates_and_leaves_no_negative_equity(tmp_path: Path):
    frame = flat_frame([100.0] * 24 * 4, spread=0.001)
    times = pd.date_range("2022-01-01 08:00", periods=12, freq="8h")
    path = tmp_path / "funding.csv"
    pd.DataFrame({"timestamp": times.strftime("%Y-%m-%d %H:%M:%S"),
                  "fundingRate": [ALLOWED] * len(times)}).to_csv(path, index=False)
    rates = load_funding(path)
    result = run(frame, {1: [("buy", {"size": 990.0})]}, leverage=10.0, taker_fee=0.0,
                 maker_fee=0.0, funding=rates)
    assert result.metrics["liquidations"] == 1
    assert result.equity["equity"].min() >= 0.0
    assert result.liquidations[0].price == pytest.approx(100.0)
    # 10x all-in: each settlement takes 5% of notional = half the margin; the second one
    # leaves the position below maintenance, so it is closed at 16:00's mark with the free cash.
    assert result.final_value == pytest.approx(100.0)


@pytest.mark.parametrize("rate", ["5", "0.06", "-0.0501", "nan", "inf", "1e400"])
def test_backtest_refuses_a_funding_rate_out_of_range(cli, one_clear_line, tmp_path, rate):
    out = tmp_path / "run"
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", f"--funding={rate}",
                              "--out", str(out), "--no-plots"))
    assert line.startswith("error: ") and "funding" in line
    assert not out.exists()


def test_backtest_refuses_a_funding_file_with_a_rate_out_of_range(cli, one_clear_line,
                                                                   tmp_path):
    path = tmp_path / "funding.csv"
    path.write_text("timestamp,fundingRate\n2019-01-01 00:00:00,0.0001\n"
                    "2019-01-01 08:00:00,0.5\n")
    out = tmp_path / "run"
    line = one_clear_line(cli("backtest", "--strategy", "RSIEMAMomentum", "--funding",
                              str(path), "--out", str(out), "--no-plots"))
    assert line == (f"error: --funding {path}: rate 0.5 at 2019-01-01 08:00:00 is out of range "
                    "(1 such settlements); expected a fraction per settlement in "
                    "[-0.05, 0.05], e.g. 0.0001 for 0.01%")
    assert not out.exists()


def test_the_liquidation_fee_never_leaves_a_negative_balance():
    # Without maintenance margin the liquidation price is the bankruptcy price: the position
    # has nothing left, so the taker fee on the forced close is cut to nothing.
    frame = flat_frame([100.0, 100.0] + list(np.linspace(100.0, 50.0, 200)), spread=0.001)
    result = run(frame, {1: [("buy", {"size": 990.0})]}, leverage=10.0, taker_fee=0.00055,
                 maker_fee=0.0, maintenance_margin_rate=0.0)
    assert result.metrics["liquidations"] == 1
    assert result.final_value == pytest.approx(0.0, abs=1e-6)
    assert result.equity["equity"].min() >= -1e-9
