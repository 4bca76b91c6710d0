"""Circuit breakers trip above their limit and re-arm by their mode (cooldown, daily, halt), in
market time, against a fresh baseline."""

from __future__ import annotations

from datetime import datetime, timedelta

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


def drawdown_gate(mode: str, cooldown: float | None = None) -> RiskGate:
    """A gate whose drawdown breaker has *mode*; the daily stop set wide out of the way."""
    breaker = {"mode": mode} if cooldown is None else {"mode": mode, "cooldown_seconds": cooldown}
    return RiskGate(RiskConfig.model_validate({
        "max_drawdown_pct": 10.0, "daily_loss_limit_pct": 10.0, "breakers": {"drawdown": breaker}}))


def test_drawdown_cooldown_rearms_against_a_fresh_peak():
    gate = drawdown_gate("cooldown", 600.0)
    day = 86_400.0  # a new day each time, so the daily stop stays out of the way
    gate.observe_equity(T0, 10_000.0)
    gate.observe_equity(T0 + day, 9_000.0)  # exactly 10%
    assert gate.breakers["drawdown"].trips == 0
    gate.observe_equity(T0 + 2 * day, 8_999.0)
    assert gate.breakers["drawdown"].trips == 1
    refused = gate.evaluate(entry(T0 + 2 * day + 599))
    assert refused.reason == "breaker:drawdown"
    assert refused.message == ("drawdown 10.01% > 10%; circuit breaker drawdown open "
                               "(cooldown): entries resume 2022-01-05 00:10 UTC against a fresh "
                               "peak")
    assert gate.evaluate(entry(T0 + 2 * day + 600)).allowed  # the cool-down is over
    # Still 10% below the old peak, but the peak is now the equity at re-arm: no new trip.
    gate.observe_equity(T0 + 2 * day + 600, 8_999.0)
    assert gate.peak_equity == 8_999.0 and gate.breakers["drawdown"].trips == 1
    gate.observe_equity(T0 + 3 * day, 8_500.0)  # 5.5% below the fresh peak
    assert gate.breakers["drawdown"].trips == 1
    gate.observe_equity(T0 + 4 * day, 8_099.0)  # 10.0011% below it: a second trip
    state = gate.breaker_states(T0 + 4 * day + 100)["drawdown"]
    assert (state.trips, state.is_open, state.mode) == (2, True, "cooldown")
    assert state.halted_seconds == 600.0 + 100.0
    assert state.resumes == "entries resume 2022-01-07 00:10 UTC against a fresh peak"


def test_drawdown_daily_rearms_at_the_next_utc_midnight():
    gate = drawdown_gate("daily")
    gate.observe_equity(T0 + 3_600, 10_000.0)
    gate.observe_equity(T0 + 36_000, 8_900.0)  # 10:00 UTC, 11% down
    refused = gate.evaluate(entry(T0 + 86_399))
    assert refused.reason == "breaker:drawdown"
    assert refused.message.endswith("circuit breaker drawdown open (daily): entries resume "
                                    "2022-01-04 00:00 UTC (the next UTC day) against a fresh "
                                    "peak")
    assert gate.evaluate(entry(T0 + 86_400)).allowed
    gate.observe_equity(T0 + 86_400, 8_800.0)  # 00:00 of the next day: re-armed, fresh peak
    assert gate.peak_equity == 8_800.0
    state = gate.breaker_states()["drawdown"]
    assert (state.trips, state.is_open, state.halted_seconds) == (1, False, 50_400.0)
    assert state.closes_at == datetime(2022, 1, 4)
    gate.observe_equity(T0 + 90_000, 7_900.0)  # 10.2% below the fresh peak
    assert gate.breaker_states()["drawdown"].closes_at == datetime(2022, 1, 5)


def test_drawdown_halt_stays_open_until_an_operator_resumes():
    gate = drawdown_gate("halt")
    gate.observe_equity(T0, 10_000.0)
    gate.observe_equity(T0 + 60, 8_000.0)
    for day in range(1, 30):  # a month later, recovered even: still halted
        gate.observe_equity(T0 + day * 86_400, 10_000.0 + day)
        assert gate.evaluate(entry(T0 + day * 86_400)).reason == "breaker:drawdown"
    breaker = gate.breakers["drawdown"]
    assert breaker.trips == 1 and breaker.closes_at() is None
    message = gate.check(entry(T0 + 30 * 86_400)).message
    assert message == ("drawdown 20% > 10%; circuit breaker drawdown open (halt): entries resume "
                       "when an operator runs /start_trading or bte bot resume-entries (or "
                       "Resume entries in the panel), against a fresh peak")
    state = gate.breaker_states()["drawdown"]
    assert state.closes_at is None and state.halted_seconds == 29 * 86_400 - 60
    assert gate.resume_halted() == ["drawdown"]
    assert gate.resume_halted() == []  # nothing left to resume
    assert gate.evaluate(entry(T0 + 29 * 86_400 + 1)).allowed
    gate.observe_equity(T0 + 30 * 86_400, 9_500.0)  # re-armed: the peak is this equity
    assert gate.peak_equity == 9_500.0 and breaker.trips == 1
    state = gate.breaker_states()["drawdown"]
    assert not state.is_open and state.halted_seconds == 29 * 86_400 - 60
    assert state.closes_at == datetime(2022, 1, 3) + timedelta(days=29)


def test_resume_leaves_cooldown_and_daily_breakers_alone():
    gate = RiskGate(RiskConfig.model_validate({"breakers": {"latency": {"mode": "daily"}}}))
    gate.observe_spread_pct(T0, 1.0)  # cooldown (900 s)
    gate.observe_latency_ms(T0, 5_000.0)  # daily
    gate.observe_error(T0)
    assert gate.resume_halted(T0 + 10) == []
    assert gate.breakers["spread"].is_open(T0 + 10) and gate.breakers["latency"].is_open(T0 + 10)


def test_error_rate_halts_by_default_and_rearms_with_a_fresh_count():
    gate = RiskGate(RiskConfig(max_errors_per_minute=3))
    for i in range(4):
        gate.observe_error(T0 + i)
    assert gate.breakers["error_rate"].trips == 1
    refused = gate.evaluate(entry(T0 + 3_600))
    assert refused.reason == "breaker:error_rate"
    assert "circuit breaker error_rate open (halt): entries resume when an operator runs " \
           "/start_trading" in refused.message and "with a fresh error count" in refused.message
    assert gate.resume_halted(T0 + 10) == ["error_rate"]
    gate.observe_error(T0 + 11)  # the 4 errors before the resume no longer count
    assert gate.breakers["error_rate"].trips == 1
    for _ in range(3):
        gate.observe_error(T0 + 12)
    assert gate.breakers["error_rate"].trips == 2


def test_breaker_states_say_mode_trips_time_halted_and_when_entries_resume():
    gate = RiskGate(RiskConfig())
    gate.observe_latency_ms(T0, 2_500.0)
    state = gate.breaker_states(T0 + 300)["latency"]
    assert state.as_dict() == {
        "open": True, "mode": "cooldown", "cooldown_seconds": 900.0,
        "opened_at": "2022-01-03T00:00:00", "closes_at": "2022-01-03T00:15:00",
        "reason": "latency 2500 ms > 2000 ms", "trips": 1, "halted_seconds": 300.0,
        "resumes": "entries resume 2022-01-03 00:15 UTC"}
    later = gate.breaker_states(T0 + 5_000)["latency"].as_dict()
    assert (later["open"], later["halted_seconds"], later["resumes"]) == (False, 900.0, "")
    assert gate.breaker_states()["error_rate"].as_dict()["mode"] == "halt"
    assert gate.breaker_states()["drawdown"].cooldown_seconds == 86_400.0


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="mode 'pause'"):
        CircuitBreaker("drawdown", 10.0, mode="pause")


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
