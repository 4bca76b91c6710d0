"""Several symbols in one backtest: one strategy instance per symbol in one Cerebro.

Each symbol's strategy instance is given only that symbol's feeds (its base timeframe, then its
confirmation timeframes), so an unmodified ``bt.Strategy`` sees its own symbol as ``self.data``
and ``self.datas[0]``. The account model (:mod:`.portfolio_broker`) is either one shared account
or one sub-account per symbol with an equal share of the cash.

The result is a :class:`~.backtest.BacktestResult` of the whole portfolio (metrics on the
portfolio's equity, every symbol's trades) with a per-symbol breakdown
(:mod:`.portfolio_breakdown`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import backtrader as bt
import numpy as np
import pandas as pd

from backtrader_engine.data import parse_timeframe
from backtrader_engine.engine.backtest import (
    BacktestRequest,
    BacktestResult,
    _feeds,
    display_name,
    make_broker,
)
from backtrader_engine.engine.bars_needed import BarsCheck
from backtrader_engine.engine.broker import PerpBroker
from backtrader_engine.engine.costs import CostModel
from backtrader_engine.engine.dates import bt_num_to_datetimes
from backtrader_engine.engine.gc_tuning import fewer_collections
from backtrader_engine.engine.lot_rules import LotRules
from backtrader_engine.engine.metrics import compute_metrics, drawdown_series
from backtrader_engine.engine.portfolio_breakdown import SymbolRow, symbol_rows
from backtrader_engine.engine.portfolio_broker import (
    BindSubAccount,
    SharedAccountBroker,
    SubAccountBroker,
)
from backtrader_engine.engine.portfolio_cerebro import PortfolioCerebro
from backtrader_engine.engine.rejections import RejectionCounter
from backtrader_engine.engine.report import sha256_file
from backtrader_engine.errors import UserError
from backtrader_engine.strategies.failure import StrategyFailure, StrategyRunError, strategy_failure

#: ``--accounts``: one account all symbols trade against, or one per symbol (cash split equally).
ACCOUNT_MODES: tuple[str, ...] = ("shared", "per-symbol")
AccountMode = Literal["shared", "per-symbol"]


@dataclass
class PortfolioLeg:
    """One symbol of a portfolio: its candles and, where they differ from the run's, costs."""

    symbol: str
    frame: pd.DataFrame
    #: This symbol's funding (a rate or a series of settlements); None: the run's ``--funding``.
    funding: float | pd.Series | None = None
    funding_source: str = ""
    lot_rules: LotRules | None = None


@dataclass
class PortfolioRequest:
    """What to run: one strategy class and its params over several symbols' candles."""

    strategy: type[bt.Strategy]
    legs: Sequence[PortfolioLeg]
    timeframe: str
    params: Mapping[str, object] = field(default_factory=dict)
    confirm_timeframes: Sequence[str] = ()
    cash: float = 10_000.0
    costs: CostModel = field(default_factory=CostModel)
    accounts: str = "shared"

    @property
    def symbols(self) -> list[str]:
        return [leg.symbol for leg in self.legs]

    def leg_cash(self) -> float:
        """Each symbol's starting cash: all of it when shared, an equal share per symbol."""
        return self.cash if self.accounts == "shared" else self.cash / len(self.legs)

    def leg_request(self, leg: PortfolioLeg) -> BacktestRequest:
        """The single-symbol backtest of *leg* (its cash share, its funding and lot rules)."""
        costs = self.costs
        if leg.funding is not None:
            costs = replace(costs, funding=leg.funding,
                            funding_source=leg.funding_source or costs.funding_source)
        return BacktestRequest(strategy=self.strategy, frame=leg.frame, timeframe=self.timeframe,
                               params=self.params, symbol=leg.symbol,
                               confirm_timeframes=tuple(self.confirm_timeframes),
                               cash=self.leg_cash(), costs=costs, lot_rules=leg.lot_rules)

    def headline(self) -> BacktestRequest:
        """The request a report describes the portfolio by: every symbol, the whole cash, the
        portfolio's bar times (the first symbol's candles on them)."""
        index = union_index(self.legs)
        first = self.legs[0].frame.reindex(index, method="ffill")
        return BacktestRequest(strategy=self.strategy, frame=first, timeframe=self.timeframe,
                               params=self.params, symbol=",".join(self.symbols),
                               confirm_timeframes=tuple(self.confirm_timeframes),
                               cash=self.cash, costs=self.costs)

    def as_request(self) -> BacktestRequest:
        """:meth:`headline` carrying this portfolio: what a study optimises as one request."""
        return replace(self.headline(), portfolio=self)


@dataclass
class PortfolioResult(BacktestResult):
    """A portfolio run: portfolio metrics and series, plus one :class:`SymbolRow` per symbol."""

    symbols: list[SymbolRow] = field(default_factory=list)
    accounts: str = "shared"
    portfolio: PortfolioRequest | None = None
    #: Each symbol's candle file, when the run was read from files (the report's manifest).
    sources: dict[str, Path] = field(default_factory=dict)


    def report_sections(self) -> dict[str, object]:
        """``accounts`` and ``symbols``: one row per symbol, then ``TOTAL``, each with the
        file its candles came from when the run read files."""
        rows = []
        for row in self.symbols:
            entry = row.as_dict()
            source = self.sources.get(row.symbol)
            if source is not None:
                entry["data_file"] = str(source)
                entry["data_sha256"] = sha256_file(source) if source.is_file() else None
            rows.append(entry)
        return {"accounts": self.accounts, "symbols": rows}

    def symbol_prices(self) -> dict[str, pd.DataFrame] | None:
        if self.portfolio is None:
            return None
        return {leg.symbol: leg.frame for leg in self.portfolio.legs}


def portfolio_window(request: BacktestRequest) -> PortfolioRequest:
    """*request*'s portfolio over *request*'s time range, with *request*'s params.

    A study splits and re-parameterises the request that stands for a portfolio
    (:meth:`PortfolioRequest.headline` with ``portfolio`` set) as it does one symbol's; every
    symbol's candles are cut to the same range.
    """
    portfolio: PortfolioRequest = request.portfolio
    index = request.frame.index
    legs = [replace(leg, frame=leg.frame.loc[index[0]:index[-1]]) for leg in portfolio.legs]
    return replace(portfolio, legs=legs, params=dict(request.params))


def common_range(legs: Sequence[PortfolioLeg]) -> list[PortfolioLeg]:
    """*legs* cut to the time range every symbol has candles in.

    Raises
    ------
    UserError
        When the symbols' candles do not overlap.
    """
    start = max(leg.frame.index[0] for leg in legs)
    end = min(leg.frame.index[-1] for leg in legs)
    if start >= end:
        spans = ", ".join(f"{leg.symbol} {leg.frame.index[0]:%Y-%m-%d}.."
                          f"{leg.frame.index[-1]:%Y-%m-%d}" for leg in legs)
        raise UserError(f"--symbols: the symbols' candles share no time range ({spans}); "
                        f"expected symbols with overlapping data")
    return [replace(leg, frame=leg.frame.loc[start:end]) for leg in legs]


def union_index(legs: Sequence[PortfolioLeg]) -> pd.DatetimeIndex:
    """Every bar time of any symbol, ascending: the portfolio's bars."""
    index = pd.DatetimeIndex(legs[0].frame.index)
    for leg in legs[1:]:
        index = index.union(pd.DatetimeIndex(leg.frame.index))
    return index


def check_symbols(symbols: Sequence[str]) -> None:
    """Refuse an empty or repeated symbol list (one instance per symbol, each once)."""
    if not symbols:
        raise UserError("--symbols: no symbol given; expected a list such as BTCUSDT,ETHUSDT")
    seen: set[str] = set()
    for symbol in symbols:
        if symbol in seen:
            raise UserError(f"--symbols: {symbol} is listed twice; expected each symbol once")
        seen.add(symbol)


def check_accounts(accounts: str) -> None:
    if accounts not in ACCOUNT_MODES:
        raise UserError(f"--accounts {accounts}: expected one of {', '.join(ACCOUNT_MODES)}")


def run_portfolio(request: PortfolioRequest) -> PortfolioResult:
    """Run every symbol of *request* in one Cerebro and compute portfolio and per-symbol results.

    Raises
    ------
    NotEnoughBars
        Before the first bar, when the strategy needs more bars than a symbol has.
    StrategyRunError
        When the strategy's own code raised (``partial``: the result up to that bar).
    """
    check_symbols(request.symbols)
    check_accounts(request.accounts)
    legs = [request.leg_request(leg) for leg in request.legs]
    feeds: dict[str, list] = {}
    timeframes: list[str] = []
    for leg in legs:
        feeds[leg.symbol], timeframes = _feeds(leg)
    broker = _portfolio_broker(request, legs, feeds)
    cerebro = PortfolioCerebro(stdstats=False, preload=True, runonce=True, maxcpus=1)
    for group in feeds.values():
        for feed in group:
            cerebro.adddata(feed)
    cerebro.setbroker(broker)
    for group in feeds.values():
        # Positional feeds become the instance's own datas: self.data is its symbol.
        cerebro.addstrategy(request.strategy, *group, **dict(request.params))
    if isinstance(broker, SubAccountBroker):
        cerebro.addanalyzer(BindSubAccount, accounts=broker)
    cerebro.addanalyzer(BarsCheck, timeframes=tuple(timeframes),
                        strategy_name=display_name(request.strategy))
    try:
        with fewer_collections():
            cerebro.run()
    except UserError:
        raise
    except (Exception, SystemExit) as exc:
        failure = strategy_failure(exc, request.strategy, cerebro)
        if failure is None:
            raise
        partial = _result(request, broker, feeds, failure) if _recorded(broker) else None
        raise StrategyRunError(failure, partial) from exc
    return _result(request, broker, feeds)


def _portfolio_broker(request: PortfolioRequest, legs: Sequence[BacktestRequest],
                      feeds: Mapping[str, list]) -> PerpBroker | SubAccountBroker:
    if request.accounts == "per-symbol":
        return SubAccountBroker({leg.symbol: make_broker(leg) for leg in legs}, feeds)
    costs = request.costs
    index = union_index(request.legs)
    funding = {leg.symbol: leg.costs.funding_schedule(index[0], index[-1]) for leg in legs}
    # backtrader's metaclass takes the params keywords before __init__.
    broker = SharedAccountBroker(  # type: ignore[call-arg]
        feeds_by_symbol=dict(feeds), funding_by_symbol=funding,
        lot_rules_by_symbol={leg.symbol: leg.lot_rules for leg in legs})
    broker.setcash(request.cash)
    broker.addcommissioninfo(costs.commission_info())
    if costs.slippage_bps:
        broker.set_slippage_perc(costs.slippage_bps / 10_000.0, slip_open=True,
                                 slip_limit=False, slip_match=True, slip_out=False)
    return broker


def _recorded(broker: PerpBroker | SubAccountBroker) -> bool:
    if isinstance(broker, SubAccountBroker):
        return any(len(sub.bar_record) for sub in broker.brokers.values())
    return bool(len(broker.bar_record))


def _trades(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Every symbol's round trips in entry order, numbered 1.. across the portfolio."""
    traded = [frame for frame in frames if len(frame)]
    if len(traded) <= 1:
        return traded[0] if traded else frames[0]
    trades = pd.concat(traded, ignore_index=True).sort_values("entry_time", kind="stable")
    trades = trades.reset_index(drop=True)
    trades["trade_id"] = np.arange(1, len(trades) + 1)
    return trades


def _closes(frame: pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    """*frame*'s close at each portfolio bar: its last close where it has no bar (NaN before
    its first), as its feed shows it to the broker."""
    close = frame["close"]
    return (close.to_numpy(dtype=float) if close.index.equals(index)
            else close.reindex(index, method="ffill").to_numpy(dtype=float))


def _notional(sizes: np.ndarray, frame: pd.DataFrame, index: pd.DatetimeIndex) -> np.ndarray:
    return np.abs(sizes) * np.nan_to_num(_closes(frame, index))


def _result(request: PortfolioRequest, broker: PerpBroker | SubAccountBroker,
            feeds: Mapping[str, list], failure: StrategyFailure | None = None
            ) -> PortfolioResult:
    symbols = request.symbols
    leg_frames = {leg.symbol: leg.frame for leg in request.legs}
    columns: dict[str, np.ndarray] = {}
    rejections: dict[str, RejectionCounter]
    if isinstance(broker, SubAccountBroker):
        subs = broker.brokers
        first = subs[symbols[0]].bar_record
        n = min(len(sub.bar_record) for sub in subs.values())
        index = bt_num_to_datetimes(first.column("dt")[:n])
        values = {s: subs[s].bar_record.column("value")[:n] for s in symbols}
        cash = sum(subs[s].bar_record.column("cash")[:n] for s in symbols)
        sizes = {s: subs[s].bar_record.column("size")[:n] for s in symbols}
        equity = sum(values.values())
        for s in symbols:
            columns[f"equity_{s}"] = values[s]
        trades = _trades([subs[s].trades_frame() for s in symbols])
        fees = sum(sub.fees_paid for sub in subs.values())
        funding = sum(sub.funding_paid for sub in subs.values())
        liquidations = [liq for sub in subs.values() for liq in sub.liquidations]
        rejections = {s: subs[s].rejections for s in symbols}
        orders = {s: len(subs[s].orders) for s in symbols}
        sized_to_zero = sum(getattr(subs[s].getcommissioninfo(feeds[s][0]), "sized_to_zero", 0)
                            for s in symbols)
        pnl = {s: values[s] - request.leg_cash() for s in symbols}
        resized = sum(sub.rejections.resized for sub in subs.values())
    else:
        record = broker.bar_record
        index = bt_num_to_datetimes(record.column("dt"))
        equity, cash = record.column("value"), record.column("cash")
        assert isinstance(broker, SharedAccountBroker)
        comminfo = broker.getcommissioninfo(feeds[symbols[0]][0])
        sizes, pnl = {}, {}
        for s in symbols:
            close = _closes(leg_frames[s], index)
            sizes[s], pnl[s] = broker.books[s].columns(len(index), close, comminfo.p.mult,
                                                       comminfo.p.leverage)
        for s in symbols:
            columns[f"pnl_{s}"] = pnl[s]
        trades = broker.trades_frame()
        fees, funding = broker.fees_paid, broker.funding_paid
        liquidations = list(broker.liquidations)
        rejections = broker.rejections_by_symbol
        resized = broker.rejections.resized
        orders = dict.fromkeys(symbols, 0)
        for order in broker.orders:
            symbol = broker.symbol_of(order.data)
            orders[symbol] = orders.get(symbol, 0) + 1
        sized_to_zero = getattr(broker.getcommissioninfo(feeds[symbols[0]][0]),
                                "sized_to_zero", 0)
    notional = sum(_notional(sizes[s], leg_frames[s], index) for s in symbols)
    frame = pd.DataFrame({"equity": equity, "cash": cash,
                          "position_size": sum(np.abs(sizes[s]) for s in symbols),
                          "notional": notional}, index=index)
    frame["drawdown_pct"] = drawdown_series(frame["equity"], request.cash).to_numpy()
    for name, column in columns.items():
        frame[name] = column
    headline = request.headline()
    metrics = compute_metrics(frame, trades, initial_cash=request.cash,
                              bar=parse_timeframe(request.timeframe), fees_paid=fees,
                              funding_paid=funding, liquidations=len(liquidations))
    total: Counter[str] = Counter()
    for counter in rejections.values():
        total.update(counter.by_reason)
    rows = symbol_rows(symbols, trades, {s: pd.Series(pnl[s], index=index) for s in symbols},
                       request.cash, request.leg_cash() if request.accounts != "shared" else None,
                       {s: rejections[s].as_dict() for s in symbols}, orders)
    return PortfolioResult(metrics, frame, trades, headline, liquidations,
                           rejections=dict(total.most_common()),
                           orders_submitted=sum(orders.values()),
                           orders_resized=resized, sized_to_zero=sized_to_zero,
                           failure=failure, symbols=rows, accounts=request.accounts,
                           portfolio=request)
