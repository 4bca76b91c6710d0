"""The gate inside a backtest: refusals look like broker rejections, exits always pass.

Every strategy here is a plain ``bt.Strategy`` that places scripted orders; the broker is the
backtest's :class:`GatedPerpBroker`.
"""

from __future__ import annotations

from datetime import timedelta

import backtrader as bt
import pytest

from backtrader_engine.config import RiskConfig

FLAT = [100.0] * 40


def loose(**limits: object) -> RiskConfig:
    values: dict[str, object] = {"min_seconds_between_signals": 0.0,
                                 "max_signals_per_hour_per_strategy": 15}
    values.update(limits)
    return RiskConfig(**values)


def keep(name: str, order: bt.Order | None, strategy: bt.Strategy) -> bt.Order | None:
    strategy.orders[name] = order
    return order


def test_plain_strategy_without_confidence_passes_and_fills(gated, make_bars):
    run = gated(make_bars(FLAT), {2: [lambda s: keep("entry", s.buy(size=1.0), s)]})
    entry = run.strategy.orders["entry"]
    assert run.strategy.statuses(entry) == ["Submitted", "Accepted", "Completed"]
    assert run.broker.getposition(run.strategy.data).size == 1.0
    assert [(r.outcome, r.confidence, r.strategy) for r in run.records] == [
        ("passed", 1.0, "Script"), ("executed", 1.0, "Script")]
    assert run.records[0].time.isoformat() == "2022-01-03T00:02:00"  # the signal bar
    assert run.records[1].time.isoformat() == "2022-01-03T00:03:00"  # the fill bar


def test_refusal_reaches_notify_order_as_a_rejection_and_changes_nothing(gated, make_bars):
    run = gated(make_bars(FLAT), {
        2: [lambda s: keep("low", s.buy(size=1.0, confidence=0.59), s)],
        3: [lambda s: keep("ok", s.buy(size=1.0, confidence=0.6), s)],
    })
    low, ok = run.strategy.orders["low"], run.strategy.orders["ok"]
    assert run.strategy.statuses(low) == ["Submitted", "Rejected"]
    assert low.status == bt.Order.Rejected
    assert low.info["reject_reason"] == "low_confidence"
    assert "0.59" in low.info["reject_message"]
    assert [n for n in run.strategy.notified if n[1] == low.ref][-1] == (
        3, low.ref, "Rejected", "low_confidence")
    assert low.executed.size == 0 and low not in run.broker.pending
    assert run.strategy.statuses(ok)[-1] == "Completed"
    # Only the passed order moved cash and position.
    assert run.broker.getposition(run.strategy.data).size == 1.0
    assert run.counts.as_dict()["rejection_reasons"] == {"low_confidence": 1}


def test_confidence_added_after_buy_returns_is_read(gated, make_bars):
    def enter(s):
        order = s.buy(size=1.0)
        order.addinfo(confidence=0.3)  # how the built-in strategies attach it
        keep("entry", order, s)

    run = gated(make_bars(FLAT), {2: [enter]})
    assert run.strategy.orders["entry"].info["reject_reason"] == "low_confidence"
    assert run.broker.getposition(run.strategy.data).size == 0.0


def test_refused_bracket_rejects_its_children_and_leaves_nothing_pending(gated, make_bars):
    def bracket(s):
        orders = s.buy_bracket(size=1.0, price=100.5, stopprice=95.0, limitprice=105.0,
                               confidence=0.2)
        for name, order in zip(("parent", "stop", "limit"), orders, strict=True):
            keep(name, order, s)

    run = gated(make_bars(FLAT), {2: [bracket]})
    orders = run.strategy.orders
    assert run.strategy.statuses(orders["parent"])[-1] == "Rejected"
    assert orders["parent"].info["reject_reason"] == "low_confidence"
    for name in ("stop", "limit"):
        assert run.strategy.statuses(orders[name])[-1] == "Rejected"
        assert orders[name].info["reject_reason"] == "linked_refused"
    assert not any(o is not None and o.alive() for o in run.broker.pending)
    assert not run.broker._pchildren
    assert run.broker.getposition(run.strategy.data).size == 0.0
    # One signal: the children are not signals.
    assert (run.counts.generated, run.counts.rejected) == (1, 1)


def test_children_of_a_passed_bracket_are_not_gated(gated, make_bars):
    prices = [100.0] * 6 + [106.0] * 6  # the take-profit at 105 fills on bar 6
    def bracket(s):
        orders = s.buy_bracket(size=1.0, price=100.5, stopprice=95.0, limitprice=105.0,
                               confidence=0.9)
        for name, order in zip(("parent", "stop", "limit"), orders, strict=True):
            keep(name, order, s)

    # One signal per strategy an hour: a gated child would be refused by the cap.
    run = gated(make_bars(prices), {2: [bracket]},
                config=loose(max_signals_per_hour_per_strategy=1))
    orders = run.strategy.orders
    assert run.strategy.statuses(orders["parent"])[-1] == "Completed"
    assert run.strategy.statuses(orders["limit"])[-1] == "Completed"
    assert run.strategy.statuses(orders["stop"])[-1] == "Canceled"
    assert run.broker.getposition(run.strategy.data).size == 0.0
    assert (run.counts.generated, run.counts.executed, run.counts.rejected) == (1, 1, 0)


def test_oco_member_of_a_refused_order_is_rejected_with_it(gated, make_bars):
    def pair(s):
        leader = keep("leader", s.buy(size=1.0, exectype=bt.Order.Limit, price=99.0,
                                      confidence=0.1), s)
        keep("member", s.buy(size=1.0, exectype=bt.Order.Limit, price=98.0, oco=leader), s)

    run = gated(make_bars(FLAT), {2: [pair]})
    member = run.strategy.orders["member"]
    assert run.strategy.statuses(member)[-1] == "Rejected"
    assert member.info["reject_reason"] == "linked_refused"
    assert run.counts.generated == 1


def test_exits_pass_while_a_breaker_is_open_and_entries_wait_for_the_cooldown(gated, make_bars):
    def trip(s):
        now = s.data.datetime.datetime(0)
        s.broker.risk_hook.gate.observe_latency_ms(now, 5_000.0)

    run = gated(make_bars(FLAT), {
        2: [lambda s: keep("entry", s.buy(size=2.0), s)],
        5: [trip, lambda s: keep("blocked", s.buy(size=1.0), s)],
        6: [lambda s: keep("reduce", s.sell(size=0.5), s)],
        8: [lambda s: keep("close", s.close(), s)],
        9: [lambda s: keep("still_blocked", s.sell(size=1.0), s)],  # a new short
        10: [lambda s: keep("after", s.buy(size=1.0), s)],  # 300 s after the trip
    }, config=loose(breaker_cooldown_seconds=300.0))
    o = run.strategy.orders
    assert o["blocked"].info["reject_reason"] == "breaker:latency"
    assert o["still_blocked"].info["reject_reason"] == "breaker:latency"
    for name in ("reduce", "close", "after"):
        assert run.strategy.statuses(o[name])[-1] == "Completed", name
    assert run.broker.getposition(run.strategy.data).size == 1.0
    # Exits are not signals: the journal only holds the three entries and the last one.
    assert [(r.signal_id, r.outcome) for r in run.records if r.stage == "gate"] == [
        (o["entry"].ref, "passed"), (o["blocked"].ref, "rejected"),
        (o["still_blocked"].ref, "rejected"), (o["after"].ref, "passed")]


def test_close_and_new_entry_on_one_bar_make_the_entry_a_signal(gated, make_bars):
    run = gated(make_bars(FLAT), {
        2: [lambda s: s.sell(size=1.0)],
        5: [lambda s: keep("close", s.close(), s),
            lambda s: keep("long", s.buy(size=1.0, confidence=0.1), s)],
    })
    o = run.strategy.orders
    assert run.strategy.statuses(o["close"])[-1] == "Completed"
    assert o["long"].info["reject_reason"] == "low_confidence"
    assert run.broker.getposition(run.strategy.data).size == 0.0


def test_a_reversal_is_a_signal(gated, make_bars):
    run = gated(make_bars(FLAT), {
        2: [lambda s: s.buy(size=1.0)],
        5: [lambda s: keep("flip", s.sell(size=2.0, confidence=0.1), s)],
    })
    assert run.strategy.orders["flip"].info["reject_reason"] == "low_confidence"
    assert run.broker.getposition(run.strategy.data).size == 1.0


def test_max_position_counts_pending_entries(gated, make_bars):
    def limit_buy(name):
        return lambda s: keep(name, s.buy(size=1.0, exectype=bt.Order.Limit, price=90.0), s)

    run = gated(make_bars(FLAT), {2: [limit_buy("a")], 3: [limit_buy("b")],
                                  4: [limit_buy("c")]},
                config=loose(max_position_notional_usdt=200.0))
    o = run.strategy.orders
    assert run.strategy.statuses(o["a"])[-1] == "Accepted"
    assert run.strategy.statuses(o["b"])[-1] == "Accepted"  # 2 x 100 = 200: at the limit
    assert o["c"].info["reject_reason"] == "max_position"
    assert run.counts.open == 2


def test_max_open_positions_refuses_a_new_symbol_only(gated, make_bars):
    frame = make_bars(FLAT)
    def on(name):
        return lambda s: keep(name, s.buy(data=s.getdatabyname(name[:3]), size=1.0), s)

    run = gated(frame, {2: [on("BTC")], 4: [on("ETH")], 6: [on("BTC+")]},
                config=loose(max_open_positions=1), symbol="BTC", extra=[("ETH", frame)])
    o = run.strategy.orders
    assert o["ETH"].info["reject_reason"] == "max_open_positions"
    assert run.strategy.statuses(o["BTC+"])[-1] == "Completed"
    assert run.broker.getposition(run.strategy.getdatabyname("BTC")).size == 2.0
    assert set(run.hook.tally.by_symbol) == {"BTC", "ETH"}


def test_broker_margin_rejection_counts_as_rejected(gated, make_bars):
    run = gated(make_bars(FLAT), {2: [lambda s: keep("big", s.buy(size=500.0), s)]},
                config=loose(max_position_notional_usdt=1e9))
    assert run.strategy.statuses(run.strategy.orders["big"])[-1] == "Margin"
    outcomes = [(r.stage, r.outcome, r.reason) for r in run.records]
    assert outcomes == [("gate", "passed", None), ("broker", "rejected", "broker:margin")]
    assert run.counts.as_dict()["rejection_reasons"] == {"broker:margin": 1}
    assert run.counts.open == 0


def test_cancelled_and_expired_entries_are_counted(gated, make_bars):
    two_minutes = timedelta(minutes=2)
    run = gated(make_bars(FLAT), {
        2: [lambda s: keep("resting", s.buy(size=1.0, exectype=bt.Order.Limit, price=90.0), s),
            lambda s: s.buy(size=1.0, exectype=bt.Order.Limit, price=90.0, valid=two_minutes)],
        6: [lambda s: s.cancel(s.orders["resting"])],
    }, config=loose())
    assert sorted(r.outcome for r in run.records if r.stage == "broker") == [
        "cancelled", "expired"]
    assert (run.counts.cancelled, run.counts.open) == (2, 0)


@pytest.mark.parametrize("bar", [12, 15])
def test_breaker_cooldown_runs_on_market_time(gated, make_bars, bar):
    def trip(s):
        s.broker.risk_hook.gate.observe_latency_ms(s.data.datetime.datetime(0), 9_999.0)

    run = gated(make_bars(FLAT), {10: [trip], bar: [lambda s: keep("e", s.buy(size=1.0), s)]},
                config=loose(breaker_cooldown_seconds=300.0))
    entry = run.strategy.orders["e"]
    # Bar 15 is exactly 300 s of market time after bar 10.
    expected = "Completed" if bar == 15 else "Rejected"
    assert run.strategy.statuses(entry)[-1] == expected
    state = run.hook.gate.breaker_states()["latency"]
    assert state.opened_at.isoformat() == "2022-01-03T00:10:00" and not state.is_open
