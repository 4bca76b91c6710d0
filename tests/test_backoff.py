"""The one backoff policy, with each caller's numbers: the delays they always had."""

from __future__ import annotations

import random

import pytest

from backtrader_engine.backoff import Backoff
from backtrader_engine.exchanges.bybit.retry import Retry
from backtrader_engine.exchanges.bybit.stream.client import StreamSettings


def test_without_jitter_the_delay_doubles_to_the_cap_and_draws_nothing() -> None:
    rng = random.Random(3)
    state = rng.getstate()
    policy = Backoff(1.0, 30.0)  # the Telegram notifier's defaults
    assert [policy.delay(n, rng) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert rng.getstate() == state
    assert [Backoff(1.0, 60.0, factor=3.0).delay(n) for n in range(5)] == [1, 3, 9, 27, 60]


def test_bybit_rest_retries_add_up_to_half_again() -> None:
    retry, old = Retry(sleep=lambda s: None, rng=random.Random(5)), random.Random(5)
    for n in range(10):
        raw = min(20.0, 0.5 * 2**n)
        assert retry.delay(n) == raw + raw * 0.5 * old.random()  # the formula it replaced


def test_stream_reconnects_draw_from_the_upper_half() -> None:
    backoff, rng, old = StreamSettings().backoff, random.Random(9), random.Random(9)
    for n in range(10):
        ceiling = min(30.0, 0.5 * 2**n)
        assert backoff.delay(n, rng) == ceiling / 2 + old.random() * ceiling / 2


def test_a_very_long_outage_stays_at_the_cap() -> None:
    assert Backoff(0.5, 30.0, jitter=(0.5, 1.0)).ceiling(5000) == 30.0
    assert Backoff(0.5, 30.0).delay(10**6) == 30.0


@pytest.mark.parametrize("bad", [
    {"initial": -1.0, "cap": 1.0}, {"initial": 1.0, "cap": 2.0, "factor": 0.5},
    {"initial": 1.0, "cap": 2.0, "jitter": (1.5, 1.0)},
    {"initial": 1.0, "cap": 2.0, "jitter": (-0.5, 1.0)},
])
def test_nonsense_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="backoff needs"):
        Backoff(**bad)  # type: ignore[arg-type]
