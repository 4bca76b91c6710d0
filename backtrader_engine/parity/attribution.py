"""Attribution: the cause of each difference between a backtest and a paper round trip.

In order, for each difference:

* **unexplained** when a paper fill behind it is not what the logged inputs and the broker's
  rules give (a tampered or corrupt ledger, a broker bug; see :mod:`.parity_ledger`);
* a **direct** cause: ``fill_model`` for a paper market order filled against the logged book
  (``fill_model="book"``) where the backtest fills at the next open, or ``latency`` when that
  book was captured on a bar recovered over REST after a disconnect (it is the book at
  recovery, not at the bar's close); ``fees`` when the same fills are classified maker/taker
  differently; ``funding`` for a funding difference on equal positions; ``risk_gate`` for a
  backtest trade whose paper order the session's shared risk gate refused;
* the cause of the figures it is computed from (a fee on a different price, a PnL on a
  different size, an exit stop placed relative to a different entry);
* ``data`` when bars are missing from the log around the trade, ``latency`` when its bars
  came over REST;
* the cause of an earlier difference of the same sub-account: once the cash differs, later
  sizes and the orders that depend on them differ too;
* else **unexplained**.

Figures computed from others (fees, gross and net PnL) never take the last two routes: with
equal inputs they must be equal. A paper fill or funding row with a problem that no
difference reports (it changed no compared figure) is reported on its own, as unexplained.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from backtrader_engine.parity.trips import Execution, Funding, Trip, same

CAUSES = ("fill_model", "fees", "funding", "latency", "data", "risk_gate", "unexplained")
FIELDS = ("entry_time", "size", "entry_price", "exit_time", "exit_price", "fees", "funding",
          "gross_pnl", "net_pnl")
_TIMES = ("entry_time", "exit_time")
#: Figures each one follows from, within the same round trip.
_DEPENDS = {
    "entry_price": ("entry_time",),
    "exit_time": ("entry_time", "size", "entry_price"),
    "exit_price": ("exit_time", "entry_time", "size", "entry_price"),
    "fees": ("size", "entry_price", "exit_price", "exit_time"),
    "funding": ("size", "entry_time", "exit_time"),
    "gross_pnl": ("size", "entry_price", "exit_price", "exit_time"),
    "net_pnl": ("gross_pnl", "fees", "funding"),
}
_DERIVED = ("fees", "gross_pnl", "net_pnl")


def iso(ms: int | None) -> str | None:
    """Epoch milliseconds as naive-UTC ISO text."""
    return None if ms is None else pd.Timestamp(ms, unit="ms").isoformat()


@dataclass
class Difference:
    """One difference between a backtest and a paper round trip, with its cause."""

    account: str
    kind: str  # matched | missing | extra | ledger
    side: str
    entry_time: int
    field: str
    backtest: Any
    paper: Any
    cause: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"account": self.account, "kind": self.kind, "side": self.side,
                               "entry_time": iso(self.entry_time), "field": self.field}
        if self.field in _TIMES:
            delta = (None if self.backtest is None or self.paper is None
                     else (self.paper - self.backtest) / 1000.0)
            out.update(backtest=iso(self.backtest), paper=iso(self.paper),
                       difference_s=delta)
        else:
            out.update(backtest=self.backtest, paper=self.paper)
            if isinstance(self.backtest, float) and isinstance(self.paper, float):
                out["difference"] = self.paper - self.backtest
                scale = max(abs(self.backtest), abs(self.paper))
                out["relative"] = (self.paper - self.backtest) / scale if scale else 0.0
        out.update(cause=self.cause, note=self.note)
        return out


def trip_figures(trip: Trip) -> dict[str, Any]:
    """A round trip's compared figures, times as ISO text (for the report)."""
    out = trip.figures()
    out["entry_time"], out["exit_time"] = iso(trip.entry_ms), iso(trip.exit_ms)
    return out


@dataclass
class Scope:
    """What the attribution of one sub-account knows."""

    name: str
    fill_model: str
    processed: int
    gaps: set[int]
    rest: set[int]
    orders: dict[int, dict[str, Any]]
    diverged: list[tuple[str, int]] = field(default_factory=list)

    def local(self, bars: range) -> tuple[str, str] | None:
        gap = sorted(self.gaps.intersection(bars))
        if gap:
            return "data", f"bars are missing from the log before bar {gap[0]}"
        rest = sorted(self.rest.intersection(bars))
        if rest:
            return "latency", f"bar {rest[0]} was recovered over REST after a disconnect"
        return None

    def carry(self, when: int) -> tuple[str, str] | None:
        for cause, since in self.diverged:
            if since <= when:
                return cause, f"follows from the {cause} difference at {iso(since)}"
        return None


def _span(*trips: Trip) -> range:
    first = min(min([t.entry_bar] + [e.order_bar or e.bar for e, _ in t.entries])
                for t in trips)
    last = max(t.exit_bar or t.entry_bar for t in trips)
    return range(first, last + 1)


def _differs(name: str, a: Any, b: Any) -> bool:
    if name in _TIMES:
        return a != b
    return not same(float(a), float(b))


def _book_cause(scope: Scope, fills: Sequence[Any]) -> tuple[str, str] | None:
    book = [e for e in fills if e.kind == "book"]
    if not book:
        return None
    if any(e.bar in scope.rest for e in book):
        return "latency", "filled against the book of a bar recovered over REST"
    return "fill_model", (f"paper filled {book[0].ref} against the logged book; the backtest "
                          "fills at the next bar's open")


def _direct(name: str, scope: Scope, bt: Trip, paper: Trip) -> tuple[str, str] | None:
    if name in ("entry_time", "entry_price"):
        return _book_cause(scope, [e for e, _ in paper.entries])
    if name in ("exit_time", "exit_price"):
        return _book_cause(scope, [e for e, _ in paper.exits])
    if name == "funding":
        notes = [n for f in paper.funding_events for n in f.notes]
        if notes:
            return "funding", notes[0]
    return None


def _reclassified(bt: Trip, paper: Trip) -> bool:
    """Same fills (time, size, price) on both sides, with a different maker/taker flag."""
    a, b = bt.executions, paper.executions
    return len(a) == len(b) and all(
        x.time_ms == y.time_ms and same(x.size, y.size) and same(x.price, y.price)
        for x, y in zip(a, b, strict=True)) and any(
        x.maker != y.maker for x, y in zip(a, b, strict=True))


def _problems(name: str, paper: Trip) -> list[str]:
    if name in ("entry_time", "entry_price", "size"):
        fills = [e for e, _ in paper.entries]
    elif name in ("exit_time", "exit_price"):
        fills = [e for e, _ in paper.exits]
    else:
        fills = paper.executions
    out = [f"{e.ref}: {p}" for e in fills for p in e.problems]
    if not paper.complete:
        last = paper.executions[-1].ref
        out.append(f"the ledger's position chain breaks after {last}: fills are missing")
    if name in ("funding", "net_pnl"):
        out += [p for f in paper.funding_events for p in f.problems]
    return out


def _attribute_pair(scope: Scope, bt: Trip, paper: Trip) -> list[Difference]:
    a, b = bt.figures(), paper.figures()
    causes: dict[str, tuple[str, str]] = {}
    out = []
    for name in FIELDS:
        if not _differs(name, a[name], b[name]):
            continue
        found = _cause(name, scope, bt, paper, causes)
        causes[name] = found
        out.append(Difference(scope.name, "matched", bt.side, bt.entry_ms, name, a[name],
                              b[name], *found))
    return out


def _cause(name: str, scope: Scope, bt: Trip, paper: Trip,
           known: dict[str, tuple[str, str]]) -> tuple[str, str]:
    problems = _problems(name, paper)
    if problems:
        return "unexplained", "; ".join(problems[:3])
    found = _direct(name, scope, bt, paper)
    if found is not None:
        return found
    for upstream in _DEPENDS.get(name, ()):
        if upstream in known:
            return known[upstream][0], f"follows from the {upstream} difference"
    if name == "fees" and _reclassified(bt, paper):
        return "fees", "the same fills, classified maker/taker differently"
    if name == "funding":
        return "funding", "the backtest's funding differs from what the paper broker charged"
    if name in _DERIVED:
        return "unexplained", "computed from equal figures, yet different"
    found = scope.local(_span(bt, paper)) or scope.carry(bt.entry_ms)
    return found or ("unexplained", "no cause found")


def _attribute_alone(scope: Scope, trip: Trip, kind: str) -> Difference:
    figures = trip_figures(trip)
    bt, paper = (figures, None) if kind == "missing" else (None, figures)
    found: tuple[str, str] | None = None
    problems = [f"{e.ref}: {p}" for e in trip.executions for p in e.problems]
    entry = trip.entries[0][0]
    if kind == "extra" and problems:
        found = "unexplained", "; ".join(problems[:3])
    elif kind == "extra" and entry.kind == "book" and entry.bar >= scope.processed:
        found = ("fill_model", "paper filled at the last processed bar's close; the backtest "
                 "would fill at the next bar's open, not yet logged")
    elif kind == "missing" and entry.order_bar is not None:
        for order in scope.orders.values():
            reason = order.get("reason") or ""
            if (order["bar_seq"] == entry.order_bar and order["status"] == "Rejected"
                    and reason != "warmup" and not reason.startswith("broker:")):
                found = "risk_gate", (f"the session's shared risk gate refused paper order "
                                      f"{order['seq']} ({reason})")
                break
    found = found or scope.local(_span(trip)) or scope.carry(trip.entry_ms)
    cause, note = found or ("unexplained", f"no {'paper' if kind == 'missing' else 'backtest'}"
                                           " trade within a bar of it")
    return Difference(scope.name, kind, trip.side, trip.entry_ms, "trade", bt, paper, cause,
                      note)


def _ledger_problems(scope: Scope, fills: Sequence[Execution], funding: Sequence[Funding],
                     reported: set[int]) -> list[Difference]:
    """A paper fill or funding row the inputs do not explain, not yet in a difference."""
    out = []
    for fill in fills:
        if fill.problems and id(fill) not in reported:
            out.append(Difference(scope.name, "ledger", "", fill.time_ms, "fill", None, None,
                                  "unexplained", f"{fill.ref}: " + "; ".join(fill.problems)))
    for item in funding:
        if item.problems and id(item) not in reported:
            out.append(Difference(scope.name, "ledger", "", item.time_ms, "funding", None,
                                  None, "unexplained", "; ".join(item.problems)))
    return out


def attribute(scope: Scope, pairs: list[tuple[Trip, Trip]], missing: list[Trip],
              extra: list[Trip], fills: Sequence[Execution] = (),
              funding: Sequence[Funding] = ()) -> list[Difference]:
    """Every difference of one sub-account, in entry order, with its cause.

    *fills* and *funding* are the account's paper records: one whose problems no difference
    reports yet (it changed no compared figure, or belongs to no round trip) is reported on
    its own, as unexplained.
    """
    reported: set[int] = set()
    items: list[tuple[int, int, Any]] = [(b.entry_ms, 0, (b, p)) for b, p in pairs]
    items += [(t.entry_ms, 1, ("missing", t)) for t in missing]
    items += [(t.entry_ms, 2, ("extra", t)) for t in extra]
    items.sort(key=lambda item: (item[0], item[1]))
    out: list[Difference] = []
    for when, order, item in items:
        if order == 0:
            found = _attribute_pair(scope, *item)
        else:
            found = [_attribute_alone(scope, item[1], item[0])]
        out += found
        paper = item[1] if order in (0, 2) else None  # the paper trip, if any
        if paper is not None and any(d.cause == "unexplained" for d in found):
            reported.update(id(x) for x in [*paper.executions, *paper.funding_events])
        for diff in found:
            if diff.cause != "unexplained" and all(c != diff.cause for c, _ in scope.diverged):
                scope.diverged.append((diff.cause, when))
    return out + _ledger_problems(scope, fills, funding, reported)
