"""Each gate rule passes at its boundary and refuses just beyond it; the first failure wins."""

from __future__ import annotations

import pytest

from backtrader_engine.config import RiskConfig
from backtrader_engine.risk import CHECKS, RiskGate, SignalRequest

T0 = 1_641_168_000.0  # 2022-01-03 00:00:00 UTC


def loose(**limits: object) -> RiskConfig:
    """Limits that never bind, except those given."""
    values: dict[str, object] = {
        "min_confidence": 0.0, "min_seconds_between_signals": 0.0,
        "max_signals_per_hour": 1000, "max_signals_per_hour_per_strategy": 1000,
        "volatility_filter_pct": 100.0, "breaker_volatility_pct": 100.0,
        "max_position_notional_usdt": 1e12, "max_open_positions": 1000,
    }
    values.update(limits)
    return RiskConfig(**values)


def req(t: float, *, strategy: str = "A", symbol: str = "BTCUSDT", size: float = 1.0,
        price: float = 100.0, confidence: float = 1.0, resulting_size: float | None = None,
        open_positions: int = 0, symbol_is_open: bool = False) -> SignalRequest:
    return SignalRequest(time=t, strategy=strategy, symbol=symbol, size=size, price=price,
                         confidence=confidence, resulting_size=resulting_size,
                         open_positions=open_positions, symbol_is_open=symbol_is_open)


def reason(gate: RiskGate, request: SignalRequest) -> str | None:
    decision = gate.evaluate(request)
    assert decision.allowed == (decision.reason is None)
    assert decision.allowed or decision.message
    return decision.reason


def test_defaults_are_the_documented_limits():
    c = RiskConfig()
    assert (c.min_confidence, c.min_seconds_between_signals, c.max_signals_per_hour,
            c.max_signals_per_hour_per_strategy, c.volatility_filter_pct) == (0.6, 30, 15, 3, 5.0)


def test_confidence_at_the_minimum_passes_below_is_refused():
    gate = RiskGate(loose(min_confidence=0.6))
    assert reason(gate, req(T0, confidence=0.6)) is None
    assert reason(gate, req(T0 + 60, confidence=0.5999)) == "low_confidence"


def test_spacing_is_measured_from_the_last_passed_signal_of_the_same_strategy():
    gate = RiskGate(loose(min_seconds_between_signals=30, max_signals_per_hour_per_strategy=3))
    assert reason(gate, req(T0)) is None
    assert reason(gate, req(T0 + 29.999)) == "signal_spacing"
    assert reason(gate, req(T0 + 29.999, strategy="B")) is None  # per strategy
    assert reason(gate, req(T0 + 30)) is None  # exactly 30 s later
    assert reason(gate, req(T0 + 59)) == "signal_spacing"
    # The refusal at +59 did not count: +60 is 30 s after the last *passed* signal.
    assert reason(gate, req(T0 + 60)) is None


def test_hourly_cap_counts_passed_signals_of_all_strategies_in_a_rolling_hour():
    gate = RiskGate(loose(max_signals_per_hour=15, max_signals_per_hour_per_strategy=15))
    for i in range(15):
        assert reason(gate, req(T0 + 10 * i, strategy=f"S{i}")) is None
    assert reason(gate, req(T0 + 150, strategy="new")) == "hourly_cap"
    assert reason(gate, req(T0 + 3599.999, strategy="new")) == "hourly_cap"
    # Exactly an hour after the first signal, that one has left the window.
    assert reason(gate, req(T0 + 3600, strategy="new")) is None
    assert gate.signals_in_hour(T0 + 3600) == 15


def test_strategy_cap_counts_only_that_strategy():
    gate = RiskGate(loose(max_signals_per_hour=15, max_signals_per_hour_per_strategy=3))
    for i in range(3):
        assert reason(gate, req(T0 + 60 * i)) is None
    assert reason(gate, req(T0 + 180)) == "strategy_hourly_cap"
    assert reason(gate, req(T0 + 180, strategy="B")) is None
    assert reason(gate, req(T0 + 3600)) is None


def test_refused_signals_do_not_use_up_the_caps():
    gate = RiskGate(loose(min_confidence=0.6, max_signals_per_hour_per_strategy=3))
    for i in range(5):
        assert reason(gate, req(T0 + i, confidence=0.1)) == "low_confidence"
    for i in range(3):
        assert reason(gate, req(T0 + 100 + i)) is None
    assert gate.signals_in_hour(T0 + 200, "A") == 3


def test_max_position_judges_the_resulting_notional():
    gate = RiskGate(loose(max_position_notional_usdt=1000.0))
    assert reason(gate, req(T0, size=10, price=100.0)) is None  # exactly 1000 USDT
    assert reason(gate, req(T0, size=1, price=100.0, resulting_size=10.001)) == "max_position"
    # A short is measured by its absolute size.
    assert reason(gate, req(T0, size=-11, price=100.0)) == "max_position"
    assert reason(gate, req(T0, size=-1, price=100.0, resulting_size=-10.0)) is None


def test_max_open_positions_refuses_only_a_new_symbol():
    gate = RiskGate(loose(max_open_positions=3))
    assert reason(gate, req(T0, open_positions=2)) is None
    assert reason(gate, req(T0, open_positions=3)) == "max_open_positions"
    assert reason(gate, req(T0, open_positions=3, symbol_is_open=True)) is None


def test_volatility_filter_uses_the_range_of_the_last_hour_of_bars():
    gate = RiskGate(loose(volatility_filter_pct=5.0))
    gate.observe_bar("BTCUSDT", T0, high=105.0, low=100.0, close=100.0)
    assert gate.volatility_pct("BTCUSDT") == pytest.approx(5.0)
    assert reason(gate, req(T0)) is None  # exactly 5% is not above the limit
    gate.observe_bar("BTCUSDT", T0 + 60, high=100.1, low=99.9, close=100.0)
    assert gate.volatility_pct("BTCUSDT") == pytest.approx(5.1)
    assert reason(gate, req(T0 + 60)) == "volatility"
    assert reason(gate, req(T0 + 60, symbol="ETHUSDT")) is None  # no bars: nothing to judge
    # An hour after the wide bar it has left the window.
    gate.observe_bar("BTCUSDT", T0 + 3600, high=100.1, low=99.95, close=100.0)
    assert gate.volatility_pct("BTCUSDT") == pytest.approx(0.2)
    assert reason(gate, req(T0 + 3600)) is None


def test_checks_run_in_the_documented_order():
    assert [name for name, _check in CHECKS] == [
        "breakers", "daily_loss", "low_confidence", "volatility", "signal_spacing",
        "hourly_cap", "strategy_hourly_cap", "max_position", "max_open_positions"]


def test_first_failing_check_decides_the_reason():
    gate = RiskGate(RiskConfig(max_position_notional_usdt=1000.0, max_open_positions=1))
    assert reason(gate, req(T0)) is None
    everything_wrong = req(T0 + 1, confidence=0.1, size=100, open_positions=5)
    assert reason(gate, everything_wrong) == "low_confidence"
    assert reason(gate, req(T0 + 1, size=100, open_positions=5)) == "signal_spacing"
    assert reason(gate, req(T0 + 60, size=100, open_positions=5)) == "max_position"
    assert reason(gate, req(T0 + 60, open_positions=5)) == "max_open_positions"
    gate.observe_equity(T0 + 61, 10_000.0)
    gate.observe_equity(T0 + 62, 9_000.0)  # 10% down: daily stop, drawdown not yet (> 10%)
    assert reason(gate, everything_wrong) == "daily_loss"
    gate.observe_latency_ms(T0 + 63, 10_000.0)
    assert reason(gate, req(T0 + 64, confidence=0.1)) == "breaker:latency"


def test_check_decides_without_recording():
    gate = RiskGate(loose(min_seconds_between_signals=30, max_signals_per_hour_per_strategy=3))
    assert gate.check(req(T0)).allowed
    assert gate.check(req(T0 + 1)).allowed
    assert gate.last_signal_time("A") is None
    assert gate.evaluate(req(T0)).allowed
    assert not gate.check(req(T0 + 1)).allowed
