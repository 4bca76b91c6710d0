"""The daily loss stop: start-of-UTC-day equity, the limit's boundary, the next day."""

from __future__ import annotations

from backtrader_engine.config import RiskConfig
from backtrader_engine.risk import RiskGate, SignalRequest
from backtrader_engine.risk.daily import DailyLossStop

DAY0 = 1_641_168_000.0  # 2022-01-03 00:00:00 UTC
DAY = 86_400.0


def entry(t: float) -> SignalRequest:
    return SignalRequest(time=t, strategy="A", symbol="BTCUSDT", size=1.0, price=100.0)


def test_loss_just_under_the_limit_trades_at_the_limit_halts_until_the_next_utc_day():
    gate = RiskGate(RiskConfig(daily_loss_limit_pct=3.0))
    gate.observe_equity(DAY0, 10_000.0)
    gate.observe_equity(DAY0 + 3600, 9_701.0)  # 2.99%
    assert gate.evaluate(entry(DAY0 + 3600)).allowed
    gate.observe_equity(DAY0 + 7200, 9_700.0)  # exactly 3%
    refused = gate.evaluate(entry(DAY0 + 7260))
    assert (refused.allowed, refused.reason) == (False, "daily_loss")
    assert "start-of-day equity 10,000.00" in refused.message
    # Recovering the same day does not lift the stop; only the next UTC day does.
    gate.observe_equity(DAY0 + 10_000, 10_500.0)
    assert gate.evaluate(entry(DAY0 + DAY - 0.001)).reason == "daily_loss"
    assert gate.evaluate(entry(DAY0 + DAY)).allowed


def test_start_of_day_equity_is_the_previous_days_last_equity():
    stop = DailyLossStop(3.0)
    stop.observe(DAY0, 10_000.0)
    stop.observe(DAY0 + DAY - 60, 9_800.0)  # day 1: 2% down, no halt
    assert stop.halted_day is None
    stop.observe(DAY0 + DAY, 9_600.0)  # first bar of day 2
    assert stop.start_equity == 9_800.0
    assert not stop.halted(DAY0 + DAY)
    stop.observe(DAY0 + DAY + 60, 9_506.0)  # 294 = 3% of 9,800
    assert stop.halted(DAY0 + DAY + 60) and stop.halts == 1
    assert not stop.halted(DAY0 + 2 * DAY)
