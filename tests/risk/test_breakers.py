"""Circuit breakers trip above their limit, stay open for the cool-down in market time, close."""

from __future__ import annotations

from datetime import datetime

import pytest

from backtrader_engine.config import RiskConfig
from backtrader_engine.risk import BREAKER_NAMES, CircuitBreaker, RiskGate, SignalRequest

T0 = 1_641_168_000.0  # 2022-01-03 00:00:00 UTC


def entry(t: float) -> SignalRequest:
    return SignalRequest(time=t, strategy="A", symbol="BTCUSDT", size=1.0, price=100.0)


def test_breaker_opens_above_the_limit_and_closes_after_the_cooldown():
    breaker = CircuitBreaker("latency", limit=2000.0, cooldown=900.0, unit=" ms")
    assert not breaker.observe(T0, 2000.0)  # at the limit: no trip
    assert breaker.opened_at is None
    assert breaker.observe(T0 + 10, 2000.5)
    assert breaker.is_open(T0 + 10)
    assert breaker.is_open(T0 + 909.999)
    assert not breaker.is_open(T0 + 910)
    state = breaker.state(T0 + 500)
    assert state.is_open and state.trips == 1
    assert state.opened_at == datetime(2022, 1, 3, 0, 0, 10)
    assert state.closes_at == datetime(2022, 1, 3, 0, 15, 10)
    assert state.reason == "latency 2000.5 ms > 2000 ms"


def test_observations_while_open_do_not_extend_the_cooldown_but_trip_it_again_later():
    breaker = CircuitBreaker("spread", limit=0.5, cooldown=60.0, unit="%")
    assert breaker.observe(T0, 1.0)
    assert not breaker.observe(T0 + 30, 5.0)
    assert breaker.opened_at == T0 and breaker.trips == 1
    assert not breaker.is_open(T0 + 60)
    assert breaker.observe(T0 + 61, 0.6)
    assert breaker.trips == 2 and breaker.is_open(T0 + 120.999)


def test_gate_refuses_entries_while_a_breaker_is_open_in_market_time():
    gate = RiskGate(RiskConfig(breaker_cooldown_seconds=900.0))
    gate.observe_latency_ms(datetime(2022, 1, 3, 0, 0), 2500.0)
    refused = gate.evaluate(entry(T0 + 899))
    assert (refused.allowed, refused.reason) == (False, "breaker:latency")
    assert "latency 2500 ms > 2000 ms" in refused.message
    assert gate.evaluate(entry(T0 + 900)).allowed
    states = gate.breaker_states(T0 + 900)
    assert list(states) == list(BREAKER_NAMES)
    assert states["latency"].trips == 1 and not states["latency"].is_open
    assert gate.breaker_states(T0 + 1)["latency"].is_open


@pytest.mark.parametrize(("feed", "ok", "trips"), [
    (lambda gate, t, v: gate.observe_spread_pct(t, v), 0.5, 0.500001),
    (lambda gate, t, v: gate.observe_latency_ms(t, v), 2000.0, 2000.001),
])
def test_spread_and_latency_breakers_trip_only_above_their_limit(feed, ok, trips):
    gate = RiskGate(RiskConfig())
    feed(gate, T0, ok)
    assert not any(s.is_open for s in gate.breaker_states(T0).values())
    feed(gate, T0 + 1, trips)
    assert [n for n, s in gate.breaker_states(T0 + 1).items() if s.is_open] in (
        [["spread"], ["latency"]])


def test_error_rate_counts_errors_within_one_minute():
    gate = RiskGate(RiskConfig(max_errors_per_minute=10))
    for i in range(11):  # 11 errors, but never more than 10 within 60 s
        gate.observe_error(T0 + 6.1 * i)
    assert gate.breakers["error_rate"].trips == 0
    for _ in range(10):
        gate.observe_error(T0 + 200)
    assert gate.breakers["error_rate"].trips == 0  # 10 in the minute is the limit
    gate.observe_error(T0 + 200.5)
    assert gate.breakers["error_rate"].trips == 1
    assert gate.evaluate(entry(T0 + 201)).reason == "breaker:error_rate"


def test_drawdown_breaker_trips_beyond_the_limit_and_again_while_it_lasts():
    gate = RiskGate(RiskConfig(max_drawdown_pct=10.0, daily_loss_limit_pct=3.0,
                               breaker_cooldown_seconds=600.0))
    day = 86_400.0  # a new day each time, so the daily stop stays out of the way
    gate.observe_equity(T0, 10_000.0)
    gate.observe_equity(T0 + day, 9_000.0)  # exactly 10%
    assert gate.breakers["drawdown"].trips == 0
    gate.observe_equity(T0 + 2 * day, 8_999.0)
    assert gate.breakers["drawdown"].trips == 1
    assert gate.evaluate(entry(T0 + 2 * day + 599)).reason == "breaker:drawdown"
    gate.observe_equity(T0 + 2 * day + 600, 8_999.0)  # cool-down over, still down
    assert gate.breakers["drawdown"].trips == 2
    gate.observe_equity(T0 + 3 * day, 9_500.0)  # recovered to 5% below the peak
    assert gate.breakers["drawdown"].trips == 2
    assert gate.evaluate(entry(T0 + 3 * day)).allowed


def test_volatility_breaker_trips_on_a_wide_bar_and_blocks_every_symbol():
    gate = RiskGate(RiskConfig(breaker_volatility_pct=10.0, breaker_cooldown_seconds=300.0))
    gate.observe_bar("ETHUSDT", T0, high=110.0, low=100.0, close=100.0)  # exactly 10%
    assert gate.breakers["volatility"].trips == 0
    gate.observe_bar("ETHUSDT", T0 + 60, high=100.0, low=99.9, close=100.0)  # 10.1%
    assert gate.breakers["volatility"].trips == 1
    assert gate.evaluate(entry(T0 + 120)).reason == "breaker:volatility"
    assert gate.evaluate(entry(T0 + 360)).allowed


def test_zero_cooldown_records_trips_without_blocking():
    gate = RiskGate(RiskConfig(breaker_cooldown_seconds=0.0))
    gate.observe_latency_ms(T0, 1e6)
    assert gate.breakers["latency"].trips == 1
    assert gate.evaluate(entry(T0)).allowed
