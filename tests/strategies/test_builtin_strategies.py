"""The six built-ins on synthetic and real data: trading, confidence, risk, live-mode parity."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import backtrader as bt
import pandas as pd
import pytest

from backtrader_engine.strategies import BUILTIN_STRATEGIES, VolatilityBreakoutStrategy

NAMES = list(BUILTIN_STRATEGIES)
LIVE_LIKE = {"preload": False, "runonce": False}

# conftest.OrderLog: the analyzer recording every order notification of a run.
OrderLog = Any
Backtest = Callable[..., tuple[bt.Strategy, OrderLog]]


@pytest.fixture(scope="module")
def runs(ohlcv: pd.DataFrame, backtest: Backtest) -> Callable[..., OrderLog]:
    """Cached default-parameter backtests keyed by (strategy name, stocklike)."""
    cache: dict[tuple[str, bool], OrderLog] = {}

    def get(name: str, stocklike: bool = False) -> OrderLog:
        if (name, stocklike) not in cache:
            _, log = backtest(BUILTIN_STRATEGIES[name], ohlcv, stocklike=stocklike)
            cache[name, stocklike] = log
        return cache[name, stocklike]

    return get


def _order_keys(log: OrderLog) -> list[tuple[object, ...]]:
    # Order refs come from a process-wide counter, so they differ between runs; everything else
    # must match exactly.
    return [
        (o["bar"], o["status"], o["side"], o["exectype"], o["size"], o["price"], o["created_price"])
        for o in log.orders
    ]


def _stop_for(log: OrderLog, entry: dict[str, Any]) -> dict[str, Any] | None:
    """The protective stop placed on *entry*'s fill: the first stop order created after it.

    ``None`` when that stop was still working when the data ended (only accepted, never done).
    """
    stops = [o for o in log.orders if o["exectype"] == "Stop" and o["ref"] > entry["ref"]]
    return min(stops, key=lambda o: o["ref"]) if stops else None


@pytest.mark.parametrize("stocklike", [False, True], ids=["futures-like", "stock-like"])
@pytest.mark.parametrize("name", NAMES)
def test_trades_long_and_short(runs: Callable[..., OrderLog], name: str, stocklike: bool) -> None:
    filled = [o for o in runs(name, stocklike).entries() if o["status"] == "Completed"]
    assert {o["side"] for o in filled} == {"buy", "sell"}
    assert len(filled) >= 10


@pytest.mark.parametrize("name", NAMES)
def test_every_entry_carries_confidence(runs: Callable[..., OrderLog], name: str) -> None:
    entries = runs(name).entries()
    assert entries
    for order in entries:
        assert order["info"]["strategy"] == name
        confidence = order["info"]["confidence"]
        assert isinstance(confidence, float)
        assert 0.0 <= confidence <= 1.0
    # Confidence must carry information, not be a constant.
    assert len({o["info"]["confidence"] for o in entries}) > 3


@pytest.mark.parametrize("stocklike", [False, True], ids=["futures-like", "stock-like"])
@pytest.mark.parametrize("name", NAMES)
def test_risk_at_stop_is_bounded(runs: Callable[..., OrderLog], name: str, stocklike: bool) -> None:
    log = runs(name, stocklike)
    risk = BUILTIN_STRATEGIES[name].params.risk_per_trade
    stopped_out = 0
    filled = [o for o in log.entries() if o["status"] == "Completed"]
    for entry in filled:
        budget = risk * entry["equity_before"]
        stop = _stop_for(log, entry)
        if stop is None:
            assert entry is filled[-1], "only the position open at the end may lack a stop record"
            continue
        size = abs(entry["size"])
        planned = size * abs(entry["price"] - stop["created_price"])
        # Sized on the signal bar for exactly this stop distance: never above the budget.
        assert planned <= budget * (1 + 1e-9)
        if stop["status"] == "Completed":
            stopped_out += 1
            loss = size * abs(entry["price"] - stop["price"])
            if loss > budget * (1 + 1e-9):
                # Only a gap may cost more than the budget: the price opened beyond the stop
                # (or moved through it on the fill bar, before the stop could be working), so
                # the stop filled at the bar's open.
                assert stop["price"] == pytest.approx(stop["bar_open"], rel=1e-12)
    assert stopped_out > 0


@pytest.mark.parametrize("name", NAMES)
def test_one_position_at_a_time_and_exits_flatten(runs: Callable[..., OrderLog], name: str) -> None:
    for order in runs(name).orders:
        if order["status"] != "Completed":
            continue
        if "confidence" in order["info"]:
            assert order["position_after"] == pytest.approx(order["size"])
        else:
            assert order["position_after"] == 0.0, f"exit left {order['position_after']}"


@pytest.mark.parametrize("name", NAMES)
def test_same_orders_in_live_mode(
    runs: Callable[..., OrderLog], ohlcv: pd.DataFrame, backtest: Backtest, name: str
) -> None:
    _, live = backtest(BUILTIN_STRATEGIES[name], ohlcv, cerebro_kwargs=LIVE_LIKE)
    assert _order_keys(live) == _order_keys(runs(name))


@pytest.mark.parametrize("name", ["RSIEMAMomentumStrategy", "BollingerReversionStrategy"])
def test_confirmation_feed(
    runs: Callable[..., OrderLog], ohlcv: pd.DataFrame, backtest: Backtest, name: str
) -> None:
    cls = BUILTIN_STRATEGIES[name]
    _, confirmed = backtest(cls, ohlcv, confirm_minutes=240)
    _, live = backtest(cls, ohlcv, confirm_minutes=240, cerebro_kwargs=LIVE_LIKE)
    _, switched_off = backtest(cls, ohlcv, confirm_minutes=240, use_confirmation=False)
    single = runs(name)
    assert 0 < len(confirmed.entries()) < len(single.entries())
    assert _order_keys(live) == _order_keys(confirmed)
    # use_confirmation=False ignores the extra feed entirely.
    assert _order_keys(switched_off) == _order_keys(single)


def test_allow_short_false_only_goes_long(ohlcv: pd.DataFrame, backtest: Backtest) -> None:
    _, log = backtest(VolatilityBreakoutStrategy, ohlcv, allow_short=False)
    assert {o["side"] for o in log.entries()} == {"buy"}


def test_take_profit_zero_places_only_a_stop(ohlcv: pd.DataFrame, backtest: Backtest) -> None:
    _, log = backtest(VolatilityBreakoutStrategy, ohlcv, take_profit_atr_mult=0.0)
    assert log.entries()
    assert "Limit" not in {o["exectype"] for o in log.orders}


class _Oversized(VolatilityBreakoutStrategy):
    """Asks for far more than the account can margin, so every entry is refused."""

    def risk_size(self, price: float, atr: float) -> float:
        return 1e6


def test_margin_rejections_are_handled(
    ohlcv: pd.DataFrame, backtest: Backtest, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="backtrader_engine.strategies"):
        strat, log = backtest(_Oversized, ohlcv.iloc[:600], verbose=True)
    assert {o["status"] for o in log.entries()} == {"Margin"}
    assert strat.position.size == 0
    # A refused entry does not block later signals.
    assert len(log.entries()) > 1
    assert "entry order Margin" in caplog.text


def test_quiet_unless_verbose(
    ohlcv: pd.DataFrame, backtest: Backtest, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="backtrader_engine.strategies"):
        backtest(_Oversized, ohlcv.iloc[:600])
    assert caplog.text == ""


def test_builtins_on_coinbase_btc_1h(coinbase_btc_1h: pd.DataFrame, backtest: Backtest) -> None:
    assert coinbase_btc_1h.index.is_monotonic_increasing
    for name, cls in BUILTIN_STRATEGIES.items():
        strat, log = backtest(cls, coinbase_btc_1h)
        filled = [o for o in log.entries() if o["status"] == "Completed"]
        assert {o["side"] for o in filled} == {"buy", "sell"}, name
        assert all(0.0 <= o["info"]["confidence"] <= 1.0 for o in log.entries()), name
        assert strat.broker.getvalue() > 0, name
        risk = cls.params.risk_per_trade
        for entry in filled:
            stop = _stop_for(log, entry)
            if stop is not None:
                planned = abs(entry["size"] * (entry["price"] - stop["created_price"]))
                assert planned <= risk * entry["equity_before"] * (1 + 1e-9), name


def test_strategies_are_plain_documented_backtrader_strategies() -> None:
    for cls in BUILTIN_STRATEGIES.values():
        assert issubclass(cls, bt.Strategy)
        assert "no claimed edge" in (cls.__doc__ or "")
