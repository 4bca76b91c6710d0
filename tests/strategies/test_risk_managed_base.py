"""RiskManagedStrategy mechanics, driven by a scripted subclass on synthetic data."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import backtrader as bt
import pandas as pd
import pytest

from backtrader_engine.errors import StrategyError
from backtrader_engine.strategies import (
    BollingerReversionStrategy,
    EMABreakoutConservativeStrategy,
    RiskManagedStrategy,
    RSIEMAMomentumStrategy,
    clip01,
)

Backtest = Callable[..., tuple[bt.Strategy, Any]]
LIVE_LIKE = {"preload": False, "runonce": False}


class Scripted(RiskManagedStrategy):
    """Enters on the bars listed in ``script`` and exits by signal on the bars in ``exit_at``."""

    params = (("script", ()), ("exit_at", ()), ("always_exit", False))

    def __init__(self) -> None:
        super().__init__()
        self.signal_atr: dict[int, float] = {}
        self.held: list[int] = []

    def entry_signal(self) -> tuple[int, float] | None:
        for bar, direction, confidence in self.p.script:
            if len(self) == bar:
                self.signal_atr[bar] = self.atr[0]
                return direction, confidence
        return None

    def exit_signal(self, direction: int) -> bool:
        self.held.append(self.bars_in_trade)
        return self.p.always_exit or len(self) in self.p.exit_at


@pytest.fixture(scope="module")
def data(ohlcv: pd.DataFrame) -> pd.DataFrame:
    return ohlcv.iloc[:400]


def _completed(log: Any, exectype: str) -> list[dict[str, Any]]:
    return [o for o in log.orders if o["exectype"] == exectype and o["status"] == "Completed"]


def test_entry_places_oco_stop_and_take_profit(data: pd.DataFrame, backtest: Backtest) -> None:
    strat, log = backtest(Scripted, data, script=((50, 1, 1.7),), stop_atr_mult=1.5)
    entry = log.entries()[0]
    assert entry["status"] == "Completed" and entry["bar"] == 51
    assert entry["info"] == {"confidence": 1.0, "strategy": "Scripted"}
    atr = strat.signal_atr[50]
    legs = {o["exectype"]: o for o in log.orders if o["ref"] > entry["ref"]}
    assert legs["Stop"]["created_price"] == pytest.approx(entry["price"] - 1.5 * atr)
    assert legs["Limit"]["created_price"] == pytest.approx(entry["price"] + 3.0 * atr)
    # One leg filled, the OCO link cancelled the other.
    assert sorted(o["status"] for o in legs.values()) == ["Canceled", "Completed"]
    assert strat.position.size == 0


def test_short_entry_and_confidence_clipping(data: pd.DataFrame, backtest: Backtest) -> None:
    strat, log = backtest(
        Scripted,
        data,
        script=((60, -1, -0.5),),
        exit_at=(100,),
        take_profit_atr_mult=0.0,
        stop_atr_mult=50.0,
    )
    entry = log.entries()[0]
    assert entry["side"] == "sell" and entry["info"]["confidence"] == 0.0
    stop = next(o for o in log.orders if o["exectype"] == "Stop")
    assert stop["side"] == "buy"
    assert stop["created_price"] == pytest.approx(entry["price"] + 50.0 * strat.signal_atr[60])
    assert "Limit" not in {o["exectype"] for o in log.orders}


@pytest.mark.parametrize("mode", [{}, LIVE_LIKE], ids=["backtest", "live-like"])
def test_signal_exit_cancels_protection_first(
    data: pd.DataFrame, backtest: Backtest, mode: dict[str, bool]
) -> None:
    strat, log = backtest(
        Scripted,
        data,
        script=((50, 1, 0.5),),
        exit_at=(80,),
        stop_atr_mult=50.0,
        cerebro_kwargs=mode,
    )
    legs = [o for o in log.orders if o["exectype"] in ("Stop", "Limit")]
    assert [o["status"] for o in legs] == ["Canceled", "Canceled"]
    exit_order = _completed(log, "Market")[-1]
    assert exit_order["bar"] == 81 and exit_order["position_after"] == 0.0
    assert all(leg["bar"] <= exit_order["bar"] for leg in legs)
    assert strat.held[-1] == 80 - 51


@pytest.mark.parametrize("mode", [{}, LIVE_LIKE], ids=["backtest", "live-like"])
def test_exit_before_the_broker_accepted_the_stop(
    data: pd.DataFrame, backtest: Backtest, mode: dict[str, bool]
) -> None:
    """An exit on the fill bar, while the stop is only submitted, must not double-close."""
    strat, log = backtest(
        Scripted,
        data,
        script=((50, 1, 0.5), (120, -1, 0.5)),
        always_exit=True,
        cerebro_kwargs=mode,
    )
    for order in log.orders:
        if order["status"] == "Completed" and "confidence" not in order["info"]:
            assert order["position_after"] == 0.0
    assert [o["side"] for o in log.entries()] == ["buy", "sell"]
    entry, exit_order = _completed(log, "Market")[:2]
    # The fill bar's exit waits for the broker to accept (then cancel) the legs: one bar later
    # than an exit from an accepted position.
    assert (entry["bar"], exit_order["bar"]) == (51, 53)
    legs = [o for o in log.orders if entry["ref"] < o["ref"] < exit_order["ref"]]
    assert [o["status"] for o in legs] == ["Canceled", "Canceled"]
    assert len(_completed(log, "Market")) == 4  # two entries, two signal exits
    assert strat.position.size == 0


def test_invalid_direction_is_reported(data: pd.DataFrame, backtest: Backtest) -> None:
    with pytest.raises(StrategyError, match=r"entry_signal returned direction 2; expected \+1"):
        backtest(Scripted, data, script=((50, 2, 0.5),))


def test_entry_signal_must_be_implemented(data: pd.DataFrame, backtest: Backtest) -> None:
    class NoSignal(RiskManagedStrategy):
        pass

    with pytest.raises(NotImplementedError, match="NoSignal must implement entry_signal"):
        backtest(NoSignal, data)


@pytest.mark.parametrize(
    ("cls", "params", "message"),
    [
        (Scripted, {"risk_per_trade": 0.0}, r"risk_per_trade=0.0 is invalid; expected in \(0, 1\]"),
        (Scripted, {"max_leverage_use": 1.5}, "max_leverage_use=1.5 is invalid"),
        (Scripted, {"atr_period": 0}, "atr_period=0 is invalid"),
        (Scripted, {"take_profit_atr_mult": -1.0}, "take_profit_atr_mult=-1.0"),
        (EMABreakoutConservativeStrategy, {"short_ema": 40}, "long_ema=30 is invalid"),
        (RSIEMAMomentumStrategy, {"rsi_long": 40.0}, "rsi_short < rsi_long"),
        (BollingerReversionStrategy, {"exit_band": "midd"}, "did you mean 'mid'"),
    ],
)
def test_parameter_validation(
    data: pd.DataFrame, backtest: Backtest, cls: type, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(StrategyError, match=message):
        backtest(cls, data, **params)


class _Broker:
    def __init__(self, comminfo: bt.CommInfoBase, cash: float = 10_000.0) -> None:
        self.comminfo, self.cash = comminfo, cash

    def getvalue(self) -> float:
        return self.cash

    def getcash(self) -> float:
        return self.cash

    def getcommissioninfo(self, data: object) -> bt.CommInfoBase:
        return self.comminfo


def _risk_size(comminfo: bt.CommInfoBase, price: float, atr: float, **params: float) -> float:
    p = {"stop_atr_mult": 2.0, "risk_per_trade": 0.01, "max_leverage_use": 0.95, **params}
    fake = SimpleNamespace(broker=_Broker(comminfo), p=SimpleNamespace(**p), data=None)
    return RiskManagedStrategy.risk_size(fake, price, atr)


def _perc(**kw: Any) -> bt.CommInfoBase:
    return bt.CommissionInfo(commission=0.00055, commtype=bt.CommInfoBase.COMM_PERC, **kw)


STOCK = _perc(stocklike=True)
FUTURES_1X = _perc(stocklike=False, automargin=1.0)
FUTURES_10X = _perc(stocklike=False, automargin=0.1)  # margin per unit = price / 10


def test_comminfo_margin_models() -> None:
    assert STOCK.stocklike and not FUTURES_1X.stocklike
    assert FUTURES_10X.get_margin(100.0) == pytest.approx(10.0)
    assert FUTURES_1X.getcommission(2.0, 100.0) == pytest.approx(0.11)


def test_risk_size_uses_the_risk_budget_when_margin_allows() -> None:
    # 1% of 10k over a 2 x 5 stop = 10 units; 10 x 100 notional needs little margin.
    for ci in (STOCK, FUTURES_1X, FUTURES_10X):
        assert _risk_size(ci, price=100.0, atr=5.0) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("ci", "margin_per_unit"), [(STOCK, 100.0), (FUTURES_1X, 100.0), (FUTURES_10X, 10.0)]
)
def test_risk_size_is_capped_by_margin_and_commission(
    ci: bt.CommInfoBase, margin_per_unit: float
) -> None:
    # A tight stop asks for 500 units (50k notional); the cap leaves room for the commission.
    size = _risk_size(ci, price=100.0, atr=0.1)
    budget = 10_000.0 * 0.95
    expected = min(500.0, budget / (margin_per_unit + 100.0 * 0.00055))
    assert size == pytest.approx(expected)
    assert size * margin_per_unit + ci.getcommission(size, 100.0) <= budget * (1 + 1e-12)


def test_risk_size_refuses_degenerate_inputs() -> None:
    assert _risk_size(STOCK, price=100.0, atr=0.0) == 0.0
    assert _risk_size(STOCK, price=0.0, atr=1.0) == 0.0
    assert _risk_size(STOCK, price=100.0, atr=float("nan")) == 0.0


def test_clip01() -> None:
    assert [clip01(v) for v in (-1.0, 0.25, 1.0, 7.0, float("nan"))] == [0.0, 0.25, 1.0, 1.0, 0.0]
