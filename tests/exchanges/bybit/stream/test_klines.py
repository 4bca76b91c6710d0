"""Closed-bar sequencing: exactly once, in order, gaps filled from REST or reported."""

from __future__ import annotations

from backtrader_engine.exchanges.bybit.stream.events import BarGap, BarUpdate, ClosedBar
from backtrader_engine.exchanges.bybit.stream.klines import (
    KlineBackfill,
    KlineSequencer,
    bar_end,
)

MIN = 60_000


def closed(n: int, source: str = "stream") -> ClosedBar:
    start = n * MIN
    return ClosedBar("BTCUSDT", start + MIN, "1", start, start + MIN - 1, n, n + 1, n - 1, n,
                     1.0, 1.0, source)


def update(n: int) -> BarUpdate:
    start = n * MIN
    return BarUpdate("BTCUSDT", start + 1, "1", start, start + MIN - 1, n, n, n, n, 0.0, 0.0)


def deliver(seq: KlineSequencer, bar: ClosedBar | BarUpdate,
            fetch=None) -> list:  # type: ignore[no-untyped-def]
    out = []
    gap = seq.pending_gap(bar)
    if gap is not None:
        out += seq.fill(bar, fetch(bar.symbol, bar.interval, *gap) if fetch else [])
    if isinstance(bar, ClosedBar):
        out += seq.closed(bar)
    return out


def test_bar_end_handles_months_and_minutes() -> None:
    assert bar_end(0, "1") == MIN - 1
    assert bar_end(0, "D") == 86_400_000 - 1
    feb = 1_675_209_600_000  # 2023-02-01
    assert bar_end(feb, "M") == feb + 28 * 86_400_000 - 1


def test_in_order_bars_pass_and_repeats_are_dropped() -> None:
    seq = KlineSequencer()
    assert deliver(seq, closed(1)) == [closed(1)]
    assert deliver(seq, closed(2)) == [closed(2)]
    assert deliver(seq, closed(2)) == []
    assert deliver(seq, closed(1)) == []
    assert seq.stats["duplicates"] == 2


def test_a_gap_is_filled_before_the_bar_that_revealed_it() -> None:
    calls = []

    def fetch(symbol: str, interval: str, start: int, stop: int) -> list[ClosedBar]:
        calls.append((symbol, interval, start, stop))
        return [closed(n, "rest") for n in range(start // MIN, stop // MIN)]

    seq = KlineSequencer(fetch)
    deliver(seq, closed(1), fetch)
    out = deliver(seq, closed(5), fetch)
    assert [b.start // MIN for b in out] == [2, 3, 4, 5]
    assert [b.source for b in out] == ["rest"] * 3 + ["stream"]
    assert calls == [("BTCUSDT", "1", 2 * MIN, 5 * MIN)]
    assert seq.stats["backfilled"] == 3


def test_an_open_bar_past_the_expected_start_triggers_the_backfill() -> None:
    def fetch(symbol: str, interval: str, start: int, stop: int) -> list[ClosedBar]:
        return [closed(n, "rest") for n in range(start // MIN, stop // MIN)]

    seq = KlineSequencer(fetch)
    deliver(seq, closed(1), fetch)
    assert [b.start // MIN for b in deliver(seq, update(4), fetch)] == [2, 3]
    assert deliver(seq, closed(3), fetch) == []  # the stream's late copy is a repeat
    assert [b.start // MIN for b in deliver(seq, closed(4), fetch)] == [4]


def test_unrecoverable_bars_are_reported_as_a_gap() -> None:
    def fetch(symbol: str, interval: str, start: int, stop: int) -> list[ClosedBar]:
        return [closed(3, "rest")]  # the exchange only has one of the three

    seq = KlineSequencer(fetch)
    deliver(seq, closed(1), fetch)
    out = deliver(seq, closed(5), fetch)
    assert out[0] == BarGap("BTCUSDT", 3 * MIN + MIN, "1", 2 * MIN, 3 * MIN, 1)
    assert out[1] == closed(3, "rest")
    assert isinstance(out[2], BarGap) and (out[2].first_missing, out[2].missing) == (4 * MIN, 1)
    assert out[3] == closed(5)
    assert seq.stats["unrecovered"] == 2


def test_resume_recovers_bars_missed_while_the_consumer_was_down() -> None:
    def fetch(symbol: str, interval: str, start: int, stop: int) -> list[ClosedBar]:
        return [closed(n, "rest") for n in range(start // MIN, stop // MIN)]

    seq = KlineSequencer(fetch, resume={("BTCUSDT", "1"): 10 * MIN})
    assert deliver(seq, closed(10), fetch) == []
    assert [b.start // MIN for b in deliver(seq, closed(14), fetch)] == [11, 12, 13, 14]


class FakeSession:
    """Answers get_kline like Bybit: newest first, at most *limit* rows per page."""

    def __init__(self, bars: range, lag_calls: int = 0) -> None:
        self.bars = bars
        self.calls = 0
        self.lag_calls = lag_calls

    def get_kline(self, *, category: str, symbol: str, interval: str, start: int, end: int,
                  limit: int) -> dict:
        self.calls += 1
        newest = end if self.calls > self.lag_calls else end - MIN  # REST lagging the stream
        rows = [[str(n * MIN), "1", "2", "0.5", "1.5", "3", "4"] for n in self.bars
                if start <= n * MIN <= newest][::-1][:limit]
        return {"retCode": 0, "result": {"list": rows}}


def test_backfill_pages_backwards_and_returns_oldest_first() -> None:
    session = FakeSession(range(0, 2500))
    bars = KlineBackfill(session, sleep=lambda _: None).fetch("BTCUSDT", "1", 10 * MIN,
                                                               2410 * MIN)
    assert [b.start // MIN for b in bars] == list(range(10, 2410))
    assert session.calls == 3
    assert {b.source for b in bars} == {"rest"} and bars[0].end == 11 * MIN - 1


def test_backfill_retries_while_rest_lags_behind_the_stream() -> None:
    session = FakeSession(range(0, 100), lag_calls=1)
    pauses: list[float] = []
    bars = KlineBackfill(session, pause=0.25, sleep=pauses.append).fetch(
        "BTCUSDT", "1", 10 * MIN, 20 * MIN)
    assert [b.start // MIN for b in bars] == list(range(10, 20))
    assert pauses == [0.25]
