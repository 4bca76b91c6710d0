"""Run one perpetual-futures backtest of a plain ``bt.Strategy`` on an OHLCV frame."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

import backtrader as bt
import pandas as pd

from backtrader_engine.config.risk import RiskConfig
from backtrader_engine.data import parse_timeframe, resample_ohlcv
from backtrader_engine.engine.bars_needed import BarsCheck
from backtrader_engine.engine.broker import PerpBroker
from backtrader_engine.engine.builder import build_cerebro
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.dates import bt_num_to_datetimes
from backtrader_engine.engine.feed import make_feed
from backtrader_engine.engine.gc_tuning import fewer_collections
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.engine.metrics import MetricValue, compute_metrics, drawdown_series
from backtrader_engine.engine.rejections import EXPIRED, MARGIN, REJECTED, reason_label
from backtrader_engine.errors import UserError
from backtrader_engine.risk import BrokerRiskHook, RiskGate, RiskGateMixin
from backtrader_engine.strategies.failure import StrategyFailure, StrategyRunError, strategy_failure


@dataclass
class BacktestRequest:
    """What to run: a strategy class and its params, the candles and the costs."""

    strategy: type[bt.Strategy]
    frame: pd.DataFrame
    timeframe: str
    params: Mapping[str, object] = field(default_factory=dict)
    symbol: str = "BTCUSDT"
    confirm_timeframes: Sequence[str] = ()
    cash: float = 10_000.0
    costs: CostModel = field(default_factory=CostModel)
    #: Limits of the risk gate; None (the default) runs without it.
    risk: RiskConfig | None = None
    #: The venue's quantity step and minimums; None (the default) trades any quantity.
    lot_rules: LotRules | None = None
    #: Several symbols (a :class:`~.portfolio.PortfolioRequest`): then :func:`run_backtest`
    #: runs that portfolio over this request's time range (``frame``'s first to last bar)
    #: with this request's params, so a study slices and re-parameterises it as one symbol.
    portfolio: Any = None


class RejectedOrders(TypedDict):
    """The report's ``rejected_orders`` section (:meth:`BacktestResult.rejected_orders`)."""

    total: int
    orders_submitted: int
    by_reason: dict[str, int]
    resized_to_lot_step: int
    target_calls_below_one_unit: int


@dataclass
class BacktestResult:
    """Metrics, the per-bar equity frame and the trade ledger of one run."""

    metrics: dict[str, MetricValue]
    equity: pd.DataFrame
    trades: pd.DataFrame
    request: BacktestRequest
    liquidations: list = field(default_factory=list)
    #: The risk gate's hook (journal, counts, breakers) when the run used one.
    risk_hook: BrokerRiskHook | None = None
    #: Orders refused or expired unfilled, ``{reason: count}`` (``PerpBroker.rejections``).
    rejections: dict[str, int] = field(default_factory=dict)
    #: Orders the strategy sent to the broker (its own liquidations are not counted).
    orders_submitted: int = 0
    #: Orders accepted at a size rounded down to the venue's quantity step (``--lot-rules``).
    orders_resized: int = 0
    #: ``order_target_value``/``order_target_percent`` calls that asked for less than one
    #: whole unit, so no order was placed (backtrader sizes those calls in whole units).
    sized_to_zero: int = 0
    #: Set when an exception in the strategy's code stopped the run: every series and metric
    #: then covers only the bars up to the failing one.
    failure: StrategyFailure | None = None

    @property
    def partial(self) -> bool:
        """Whether the run stopped early, so its numbers cover only part of the data."""
        return self.failure is not None

    @property
    def final_value(self) -> float:
        value = self.metrics["final_value"]
        assert value is not None  # the last equity of a run is a finite number
        return float(value)

    @property
    def orders_rejected(self) -> int:
        """How many orders were refused or expired unfilled (every reason)."""
        return sum(self.rejections.values())

    def report_sections(self) -> dict[str, object]:
        """Sections ``report.json`` adds for this kind of run (none for one symbol)."""
        return {}

    def symbol_prices(self) -> dict[str, pd.DataFrame] | None:
        """Each symbol's candles when the run traded several (None for one symbol)."""
        return None

    def rejected_orders(self) -> RejectedOrders:
        """The report's ``rejected_orders`` section: total, orders submitted and by reason.

        ``margin``, ``expired`` and ``rejected`` are always listed (0 when none), so a reader
        can look any of them up; other codes (lot rules, risk gate) appear when they occurred.
        """
        by_reason = {MARGIN: 0, EXPIRED: 0, REJECTED: 0}
        by_reason.update(self.rejections)
        ordered = dict(sorted(by_reason.items(), key=lambda item: (-item[1], item[0])))
        return {"total": self.orders_rejected, "orders_submitted": self.orders_submitted,
                "by_reason": ordered, "resized_to_lot_step": self.orders_resized,
                "target_calls_below_one_unit": self.sized_to_zero}

    def rejection_warning(self) -> str | None:
        """``warning: 311 of 373 orders were not accepted (311 insufficient margin); ...``,
        or None when every order was accepted."""
        if not self.orders_rejected:
            return None
        reasons = ", ".join(f"{count} {reason_label(reason)}"
                            for reason, count in self.rejected_orders()["by_reason"].items()
                            if count)
        return (f"warning: {self.orders_rejected} of {self.orders_submitted} orders were not "
                f"accepted ({reasons}); see report.json rejected_orders")

    def sizing_warning(self) -> str | None:
        """A warning when ``order_target_value``/``percent`` calls placed nothing because
        they asked for less than one whole unit, else None."""
        if not self.sized_to_zero:
            return None
        calls = "call" if self.sized_to_zero == 1 else "calls"
        return (f"warning: {self.sized_to_zero} order_target_value/order_target_percent "
                f"{calls} asked for less than one whole unit and placed no order (backtrader "
                "sizes them in whole units); size with order_target_size or a sizer for "
                "fractional units")


def confirmation_frames(
    frame: pd.DataFrame, base_timeframe: str, timeframes: Sequence[str]
) -> list[tuple[str, pd.DataFrame]]:
    """Higher-timeframe frames for ``self.datas[1:]``, labelled so each bar shows when it closes."""
    return [(tf, resample_ohlcv(frame, tf, label="last")) for tf in timeframes
            if parse_timeframe(tf) != parse_timeframe(base_timeframe)]


class GatedPerpBroker(RiskGateMixin, PerpBroker):
    """:class:`PerpBroker` whose entry orders pass the risk gate before they are accepted."""


def make_broker(request: BacktestRequest) -> PerpBroker:
    """A :class:`PerpBroker` configured with the request's cash and cost model.

    With ``request.risk`` set it is a :class:`GatedPerpBroker` with a fresh gate attached;
    without it, exactly the plain broker, so ungated results stay unchanged.
    """
    costs = request.costs
    index = request.frame.index
    broker_cls = PerpBroker if request.risk is None else GatedPerpBroker
    # backtrader's metaclass takes the params keywords before __init__.
    broker = broker_cls(funding=costs.funding_schedule(  # type: ignore[call-arg]
        index[0], index[-1]), lot_rules=request.lot_rules)
    if request.risk is not None:
        broker.attach_risk_hook(BrokerRiskHook(RiskGate(request.risk)))
    broker.setcash(request.cash)
    broker.addcommissioninfo(costs.commission_info())
    if costs.slippage_bps:
        # Market and stop fills slip against the trader, capped at the bar's range; resting
        # limit orders fill at their price.
        broker.set_slippage_perc(costs.slippage_bps / 10_000.0, slip_open=True,
                                 slip_limit=False, slip_match=True, slip_out=False)
    return broker


class _Checked(Exception):
    """Ends a :func:`check_enough_bars` run once the periods are known, before any bar."""


class _StopAfterCheck(bt.Analyzer):
    def start(self) -> None:
        raise _Checked


def _feeds(request: BacktestRequest) -> tuple[list, list[str]]:
    """The run's feeds (base, then confirmation timeframes) and their timeframe labels."""
    feeds = [make_feed(request.frame, timeframe=request.timeframe, name=request.symbol)]
    timeframes = [request.timeframe]
    for tf, higher in confirmation_frames(request.frame, request.timeframe,
                                          request.confirm_timeframes):
        feeds.append(make_feed(higher, timeframe=tf, name=f"{request.symbol}-{tf}"))
        timeframes.append(tf)
    return feeds, timeframes


def check_enough_bars(request: BacktestRequest) -> None:
    """Raise :class:`NotEnoughBars` when *request*'s strategy needs more bars than it has.

    Builds the strategy on the request's feeds and stops before the first bar, so it costs the
    strategy's ``__init__``, not a run. An exception in the strategy's own ``__init__`` is left
    for the real run to report.
    """
    if request.portfolio is not None:
        from backtrader_engine.engine.portfolio import portfolio_window

        for leg in portfolio_window(request).legs:
            check_enough_bars(replace(request, frame=leg.frame, symbol=leg.symbol,
                                      portfolio=None))
        return
    feeds, timeframes = _feeds(request)
    cerebro = build_cerebro(request.strategy, request.params, feeds, make_broker(request))
    cerebro.addanalyzer(BarsCheck, timeframes=tuple(timeframes),
                        strategy_name=display_name(request.strategy))
    cerebro.addanalyzer(_StopAfterCheck)
    try:
        cerebro.run()
    except UserError:
        raise
    except (_Checked, Exception):
        return


def run_backtest(request: BacktestRequest,
                 analyzers: Sequence[tuple[type, dict[str, Any]]] = ()) -> BacktestResult:
    """Run *request* and compute its metrics; the frame must already be validated.

    *analyzers* are extra ``(class, kwargs)`` analyzers of this run only (an optimisation's
    pruning checkpoints); an exception one raises that is not the strategy's own ends the run
    and propagates unchanged.

    Raises
    ------
    NotEnoughBars
        Before the first bar, when the strategy's longest indicator period exceeds a feed.
    StrategyRunError
        When the strategy's own code raised; its ``partial`` holds the result up to the
        failing bar (None when it failed before the first bar).
    """
    if request.portfolio is not None:
        # Imported here: the portfolio module builds on this one.
        from backtrader_engine.engine.portfolio import portfolio_window, run_portfolio

        return run_portfolio(portfolio_window(request))
    feeds, timeframes = _feeds(request)
    broker = make_broker(request)
    cerebro = build_cerebro(request.strategy, request.params, feeds, broker)
    cerebro.addanalyzer(BarsCheck, timeframes=tuple(timeframes),
                        strategy_name=display_name(request.strategy))
    for analyzer, kwargs in analyzers:
        cerebro.addanalyzer(analyzer, **kwargs)
    try:
        with fewer_collections():
            cerebro.run()
    except UserError:
        raise  # a refused parameter or too little data: the user's input, not a bug
    except (Exception, SystemExit) as exc:
        failure = strategy_failure(exc, request.strategy, cerebro)
        if failure is None:
            raise
        partial = (_result(request, broker, feeds, failure) if len(broker.bar_record) else None)
        raise StrategyRunError(failure, partial) from exc
    return _result(request, broker, feeds)


def display_name(strategy: type) -> str:
    """How messages name a strategy: ``RSIEMAMomentum`` for ``RSIEMAMomentumStrategy``."""
    return strategy.__name__.removesuffix("Strategy") or strategy.__name__


def _result(request: BacktestRequest, broker: PerpBroker, feeds: list,
            failure: StrategyFailure | None = None) -> BacktestResult:
    trades = broker.trades_frame()
    equity = equity_frame(broker, request.cash, request.frame["close"])
    metrics = compute_metrics(
        equity, trades,
        initial_cash=request.cash,
        bar=parse_timeframe(request.timeframe),
        fees_paid=broker.fees_paid,
        funding_paid=broker.funding_paid,
        liquidations=len(broker.liquidations),
    )
    # BackBroker lists every order transmitted to it in ``orders``; the broker's own
    # liquidation orders never pass through it.
    return BacktestResult(metrics, equity, trades, request, list(broker.liquidations),
                          risk_hook=getattr(broker, "risk_hook", None),
                          rejections=broker.rejections.as_dict(),
                          orders_submitted=len(broker.orders),
                          orders_resized=broker.rejections.resized,
                          sized_to_zero=getattr(broker.getcommissioninfo(feeds[0]),
                                                "sized_to_zero", 0),
                          failure=failure)


def equity_frame(broker: PerpBroker, initial_cash: float, close: pd.Series) -> pd.DataFrame:
    """The broker's per-bar record as a frame: equity, cash, notional, drawdown_pct."""
    record = broker.bar_record
    index = bt_num_to_datetimes(record.column("dt"))
    size = record.column("size")
    if len(close) == len(index):
        prices = close.to_numpy(dtype=float)  # one record per base bar, the usual case
    else:
        prices = close.reindex(index, method="ffill").to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "equity": record.column("value"),
            "cash": record.column("cash"),
            "position_size": size,
            "notional": size * prices,
        },
        index=index,
    )
    frame["drawdown_pct"] = drawdown_series(frame["equity"], initial_cash).to_numpy()
    return frame
