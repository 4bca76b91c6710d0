"""Typed rows of the ledger's tables, as :mod:`.reader` and :mod:`.writer` return them.

Each row type has the table's columns as fields, in table order; a column that version 1
added in a later release defaults to ``None``, so a ledger from before it reads the same way.
``as_dict()`` gives the column mapping, for code written over mappings.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

Level = tuple[float, float]  # (price, size), as the bar contexts hold book levels


def levels_json(levels: Sequence[Level]) -> str:
    """Book levels as the ``bars`` table stores them (compact JSON)."""
    return json.dumps([list(level) for level in levels], separators=(",", ":"))


def parse_levels(text: str | None) -> tuple[Level, ...]:
    """Levels stored by :func:`levels_json`."""
    return tuple((float(p), float(s)) for p, s in json.loads(text or "[]"))


class Row:
    """What every row type shares."""

    __slots__ = ()

    def as_dict(self) -> dict[str, Any]:
        """The row as ``{column: value}``."""
        return {name: getattr(self, name) for name in _names(type(self))}


R = TypeVar("R", bound=Row)


_NAMES: dict[type[Row], tuple[str, ...]] = {}


def _names(cls: type[Row]) -> tuple[str, ...]:
    """The fields of the row type *cls* (its table's columns), in order."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    return names


def from_row(cls: type[R], row: sqlite3.Row) -> R:
    """*cls* from a query row holding (at least) its required columns."""
    keys = row.keys()
    return cls(**{name: row[name] for name in _names(cls) if name in keys})


@dataclass(frozen=True, slots=True)
class AccountRow(Row):
    """A sub-account as the session registered it (``accounts``)."""

    account: str
    strategy: str
    symbol: str
    #: The params as stored: sorted JSON text (:func:`~.resume.params_text`).
    params: str
    initial_cash: float

    def params_dict(self) -> dict[str, Any]:
        """The params, decoded."""
        return dict(json.loads(self.params))


@dataclass(frozen=True, slots=True)
class AccountStateRow(Row):
    """A sub-account's state after the last bar step it finished (``account_state``)."""

    account: str
    bar_seq: int
    ts_ms: int
    cash: float
    value: float
    position: float
    position_price: float
    fees: float
    funding: float
    peak: float | None = None
    trades_won: int | None = None
    trades_lost: int | None = None
    realised_pnl: float | None = None
    trips_net_pnl: float | None = None


@dataclass(frozen=True, slots=True)
class BarRow(Row):
    """One logged bar context (``bars``); *bids*/*asks* decoded."""

    symbol: str
    interval: str
    seq: int
    start: int
    end_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    source: str
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
    mark_price: float | None
    funding_rate: float | None
    next_funding_time: int | None
    logged_at: float
    latency_ms: float | None = None
    errors: int | None = None

    @classmethod
    def of(cls, row: sqlite3.Row) -> BarRow:
        """From a ``bars`` query row (levels as stored)."""
        values = {name: row[name] for name in _names(cls) if name in row.keys()}
        values["bids"], values["asks"] = parse_levels(row["bids"]), parse_levels(row["asks"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class OrderRow(Row):
    """An order's latest state (``orders``)."""

    account: str
    seq: int
    bar_seq: int
    created_ms: int
    side: str
    type: str
    size: float
    price: float | None
    price_limit: float | None
    parent_seq: int | None
    status: str
    reason: str | None
    confidence: float | None
    #: Order info as stored: sorted JSON text.
    info: str
    updated_ms: int


@dataclass(frozen=True, slots=True)
class FillRow(Row):
    """One execution (``fills``)."""

    account: str
    order_seq: int
    fill_seq: int
    bar_seq: int
    ts_ms: int
    symbol: str
    side: str
    size: float
    price: float
    fee: float
    liquidity: str
    pnl: float
    position_after: float
    liquidation: int
    recorded_at: float | None = None


@dataclass(frozen=True, slots=True)
class FundingRow(Row):
    """One funding settlement of a sub-account (``funding``)."""

    account: str
    funding_time: int
    symbol: str
    rate: float
    mark_price: float
    position: float
    payment: float


@dataclass(frozen=True, slots=True)
class SignalRow(Row):
    """A signal's latest outcome at the risk gate (``signals``)."""

    account: str
    order_seq: int
    ts_ms: int
    strategy: str
    symbol: str
    side: str
    size: float
    price: float | None
    confidence: float | None
    outcome: str
    reason: str | None
    message: str | None
    stage: str


@dataclass(frozen=True, slots=True)
class EventRow(Row):
    """An operational event (``events``): start, stop, stream state, errors."""

    id: int
    wall_time: float
    account: str | None
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class PortfolioPoint(Row):
    """Every sub-account's value together after a released bar (``portfolio``)."""

    release: int
    ts_ms: int
    value: float
    peak: float


@dataclass(frozen=True, slots=True)
class InjectionRow(Row):
    """A manual signal, logged as an input (``injections``)."""

    signal_id: int
    symbol: str
    side: str
    qty: float | None
    confidence: float
    after_release: int
    received_at: float


@dataclass(frozen=True, slots=True)
class ControlRow(Row):
    """An operator command, logged as an input (``controls``)."""

    control_id: int
    op: str
    symbol: str | None
    after_release: int
    received_at: float


@dataclass(frozen=True, slots=True)
class OutcomeCount(Row):
    """How many signals of *account* ended with *outcome* (and *reason*)."""

    account: str
    outcome: str
    reason: str | None
    count: int


@dataclass(frozen=True, slots=True)
class OrderStatusCount(Row):
    """How many orders of *account* have *status* and *reject_reason* (from their info)."""

    account: str
    status: str
    reject_reason: str | None
    count: int


@dataclass(frozen=True, slots=True)
class PeriodOutcomeCount(Row):
    """How many signals of *account* in the period starting at *period_ms* ended with
    *outcome* (and *reason*)."""

    period_ms: int
    account: str
    outcome: str
    reason: str | None
    count: int


@dataclass(frozen=True, slots=True)
class PeriodStatusCount(Row):
    """How many orders of *account* last updated in the period starting at *period_ms* have
    *status* and *reject_reason* (from their info)."""

    period_ms: int
    account: str
    status: str
    reject_reason: str | None
    count: int


@dataclass(frozen=True, slots=True)
class FillTotals(Row):
    """One order's fills summed: quantity (absolute), notional and fees."""

    qty: float
    notional: float
    fee: float
