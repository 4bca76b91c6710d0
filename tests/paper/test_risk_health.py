"""Connection health logged with each bar feeds the latency and error-rate breakers once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from backtrader_engine.config import RiskConfig
from backtrader_engine.paper.risk import StreamHealth, SubAccountRiskHook
from backtrader_engine.risk import RiskGate


def test_latency_and_errors_trip_their_breakers_once_per_bar(
        btc_1m: pd.DataFrame, to_contexts: Callable[..., list]) -> None:
    bars = to_contexts(btc_1m.iloc[:3], spread=1.0)
    gate = RiskGate(RiskConfig(max_latency_ms=500.0, max_errors_per_minute=3))
    health = StreamHealth()
    hooks = [SubAccountRiskHook(gate, lambda: 10_000.0, health) for _ in range(2)]
    quiet = replace(bars[0], latency_ms=40.0, errors=2)
    for hook in hooks:  # two sub-accounts see the same bar: counted once (2, not 4 > 3)
        hook.observe_context(quiet)
    states = gate.breaker_states()
    assert not states["latency"].is_open and not states["error_rate"].is_open
    slow = replace(bars[1], latency_ms=900.0, errors=4)
    for hook in hooks:
        hook.observe_context(slow)
    states = gate.breaker_states()
    assert states["latency"].is_open
    assert states["error_rate"].is_open  # 4 errors within the minute before this bar
