"""The operator's reload of the risk limits, and the throttles /locks reports."""

from __future__ import annotations

from backtrader_engine.config import RiskConfig
from backtrader_engine.risk import RiskGate

from .test_gate import T0, loose, reason, req


def test_reload_applies_new_limits_and_keeps_an_open_breaker_open() -> None:
    gate = RiskGate(loose(max_spread_pct=1.0, max_open_positions=2))
    gate.observe_spread_pct(T0, 2.0)  # trips the spread breaker (cooldown 900 s)
    assert reason(gate, req(T0 + 1)) == "breaker:spread"
    changed = gate.reload(loose(max_spread_pct=5.0, max_open_positions=1,
                                breaker_cooldown_seconds=60.0))
    assert changed == ["breaker_cooldown_seconds", "max_open_positions", "max_spread_pct"]
    breaker = gate.breakers["spread"]
    assert (breaker.limit, breaker.cooldown) == (5.0, 60.0)
    # The open period keeps its end; the new limit applies from the next observation.
    assert reason(gate, req(T0 + 2)) == "breaker:spread"
    gate.observe_spread_pct(T0 + 901, 2.0)
    assert reason(gate, req(T0 + 902, open_positions=1)) == "max_open_positions"
    assert reason(gate, req(T0 + 903)) is None
    assert gate.reload(gate.config) == []


def test_throttles_say_what_refuses_entries_and_when_it_lifts() -> None:
    gate = RiskGate(loose(min_seconds_between_signals=600.0,
                          max_signals_per_hour_per_strategy=1, max_signals_per_hour=2,
                          daily_loss_limit_pct=3.0))
    assert gate.throttles(T0) == []
    assert reason(gate, req(T0, strategy="A")) is None
    assert reason(gate, req(T0 + 10, strategy="B")) is None
    names = {t["name"]: t for t in gate.throttles(T0 + 60)}
    assert names["signal_spacing:A"]["lifts"] == "2022-01-03 00:10 UTC"
    assert names["signal_spacing:B"]["lifts"] == "2022-01-03 00:10:10 UTC"
    assert names["strategy_hourly_cap:A"]["lifts"] == "2022-01-03 01:00 UTC"
    assert names["hourly_cap"] == {"name": "hourly_cap",
                                   "reason": "2 signals in the last hour (cap 2)",
                                   "lifts": "2022-01-03 01:00 UTC"}
    assert [t["name"] for t in gate.throttles(T0 + 3600 + 11)] == []
    gate.observe_equity(T0 + 4000, 10_000.0)
    gate.observe_equity(T0 + 4100, 9_600.0)  # 4% down on the day: halted until midnight
    daily = gate.throttles(T0 + 4200)
    assert [t["name"] for t in daily] == ["daily_loss"]
    assert daily[0]["lifts"] == "2022-01-04 00:00 UTC"


def test_reload_keeps_the_mode_of_an_open_breaker() -> None:
    gate = RiskGate(loose(max_spread_pct=1.0, breakers={"spread": {"mode": "halt"}}))
    gate.observe_spread_pct(T0, 2.0)
    gate.reload(RiskConfig.model_validate({**loose(max_spread_pct=1.0).model_dump(),
                                           "breakers": {"spread": {"mode": "cooldown"}}}))
    assert gate.breakers["spread"].mode == "halt"  # the open period ends as it began
    assert gate.resume_halted() == ["spread"]
    gate.observe_spread_pct(T0 + 5, 0.5)
    gate.reload(gate.config)
    assert gate.breakers["spread"].mode == "cooldown"
