"""The paper side of the parity check: a read-only snapshot of the ledger, checked fill by fill.

The ledger is opened read-only and read in one transaction, so a session still running (and
still writing) is seen as of one committed moment. Each sub-account is read only up to the
last bar its broker processed (``account_state.bar_seq``): bars logged but not yet delivered
are left out on both sides.

Every paper fill is checked against the logged inputs and the paper broker's rules
(:mod:`.broker`): its time is the close of the bar it was recorded on, its price is what the
rule for its order gives on the logged bar (the book walk of :func:`.fills.book_fill_price`
on the logged quote for a book fill, the bar's open for a market order filled at the next
bar, the limit/stop rule otherwise), its fee is the configured maker or taker rate on its
notional, its PnL is the closed size times the move from the average entry price, and its
``position_after`` continues the fills before it. What fails is listed in the fill's
``problems``; the attribution treats such fills as unexplained.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backtrader_engine.data import parse_timeframe
from backtrader_engine.engine.commission import liquidation_price
from backtrader_engine.errors import UserError
from backtrader_engine.ledger import FILENAME, LedgerReader, LedgerReadError, ledger_path
from backtrader_engine.paper.context import REST, WARMUP, BarContext
from backtrader_engine.paper.fills import book_fill_price
from backtrader_engine.parity.trips import Execution, Funding, same

EIGHT_HOURS_MS = 8 * 3_600_000


@dataclass(frozen=True)
class AccountMeta:
    """One sub-account as ``meta.accounts`` describes it."""

    name: str
    strategy: str
    class_name: str
    symbol: str
    timeframe: str
    interval: str
    confirm_timeframes: tuple[str, ...]
    cash: float
    params: dict[str, Any]

    @property
    def bar_ms(self) -> int:
        return int(parse_timeframe(self.timeframe).value // 1_000_000)


@dataclass
class LedgerSnapshot:
    """What the parity check reads from one ledger, as of one committed moment."""

    path: Path
    fill_model: str
    costs: dict[str, Any]
    risk: dict[str, Any] | None
    accounts: list[AccountMeta]
    bars: dict[tuple[str, str], list[BarContext]]
    fills: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    orders: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    funding: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    processed: dict[str, int] = field(default_factory=dict)
    #: The venue's lot rules per symbol the session traded under (None: none known).
    lot_rules: dict[str, dict[str, float] | None] = field(default_factory=dict)

    def stream(self, account: AccountMeta) -> list[BarContext]:
        """The bars *account*'s broker has processed (warm-up and live, in order)."""
        bars = self.bars.get((account.symbol, account.interval), [])
        return bars[:self.processed.get(account.name, 0)]


def _account(entry: dict[str, Any], path: Path) -> AccountMeta:
    try:
        return AccountMeta(entry["name"], entry["strategy"], entry.get("class", ""),
                           entry["symbol"], entry["timeframe"], entry["interval"],
                           tuple(entry.get("confirm_timeframes") or ()), float(entry["cash"]),
                           dict(entry.get("params") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(f"{path}: meta 'accounts' entry {entry!r} is incomplete ({exc})"
                        ) from None


def read_snapshot(state_dir: Path | str) -> LedgerSnapshot:
    """Read the ledger under *state_dir* read-only, in one transaction.

    Raises
    ------
    UserError
        No ledger, a file that is not a paper ledger, or one without sub-accounts.
    """
    path = ledger_path(state_dir)
    if not path.is_file():
        raise UserError(f"--state {state_dir}: no {FILENAME} there; give the folder a paper "
                        "session was started with (paper --state DIR)")
    try:
        reader = LedgerReader(path, timeout=30)
    except LedgerReadError as exc:
        raise UserError(f"{path}: cannot open the ledger ({exc})") from None
    try:
        with reader.consistent():
            return _read(reader, path)
    except (LedgerReadError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: not a readable paper ledger ({exc})") from None
    finally:
        reader.close()


def _read(reader: LedgerReader, path: Path) -> LedgerSnapshot:
    meta = reader.meta_items()
    entries = meta.get("accounts") or []
    if not entries:
        raise UserError(f"{path}: the ledger describes no sub-accounts (meta 'accounts'); "
                        "it needs a session started by this version")
    accounts = [_account(e, path) for e in entries]
    snapshot = LedgerSnapshot(path, str(meta.get("fill_model") or "book"),
                              dict(meta.get("costs") or {}), meta.get("risk"), accounts, {})
    snapshot.lot_rules = dict(meta.get("lot_rules") or {})
    for key in dict.fromkeys((a.symbol, a.interval) for a in accounts):
        snapshot.bars[key] = [BarContext.from_logged(row) for row in reader.bars(*key)]
    for fill in reader.fills():
        snapshot.fills.setdefault(fill.account, []).append(fill.as_dict())
    for order in reader.orders():
        snapshot.orders.setdefault(order.account, {})[order.seq] = order.as_dict()
    for funding in reader.funding():
        snapshot.funding.setdefault(funding.account, []).append(funding.as_dict())
    for state in reader.account_states():
        snapshot.processed[state.account] = int(state.bar_seq)
    return snapshot


# --- what the logged bars say --------------------------------------------------------------
def gap_bars(bars: list[BarContext], bar_ms: int) -> set[int]:
    """1-based counts of the bars that follow a hole in the log (missing bars before them)."""
    return {i + 1 for i in range(1, len(bars)) if bars[i].start - bars[i - 1].start > bar_ms}


def rest_bars(bars: list[BarContext]) -> set[int]:
    """1-based counts of the bars recovered over REST after a disconnect."""
    return {i + 1 for i, ctx in enumerate(bars) if ctx.source == REST}


def funding_interval_ms(bars: list[BarContext], rows: list[dict[str, Any]]) -> int:
    """The settlement spacing the session used (not stored: inferred, else Bybit's 8 h).

    From the spacing of the ``next_funding_time`` values the ticker published, else of the
    settlements in the ledger.
    """
    times = sorted({c.next_funding_time for c in bars if c.next_funding_time})
    if len(times) < 2:
        times = sorted({int(r["funding_time"]) for r in rows})
    steps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    return min(steps) if steps else EIGHT_HOURS_MS


def funding_settlements(bars: list[BarContext], step_ms: int
                        ) -> list[tuple[int, int, float, float]]:
    """Settlements the paper broker makes on *bars*: (funding time, bar count, rate, mark).

    The paper broker settles each funding time between two bar closes when the later bar
    arrives, at the rate the ticker published before it and that bar's mark price, on the
    position before that bar's fills (:meth:`.broker.PaperBroker._settle_live_funding`).
    """
    out = []
    for i in range(1, len(bars)):
        prev, ctx = bars[i - 1], bars[i]
        if ctx.source == WARMUP or prev.funding_rate is None:
            continue
        first = (prev.close_time // step_ms + 1) * step_ms
        mark = ctx.mark_price or ctx.close
        for when in range(first, ctx.close_time + 1, step_ms):
            out.append((when, i + 1, float(prev.funding_rate), float(mark)))
    return out


# --- paper fills and funding, checked ---------------------------------------------------------
@dataclass
class _Position:
    size: float = 0.0
    price: float = 0.0

    def apply(self, size: float, price: float) -> None:
        """backtrader's Position.update: average in, keep on reduce, reset on reverse."""
        old = self.size
        new = old + size
        if abs(new) <= 1e-12 * max(1.0, abs(size)):
            self.size, self.price = 0.0, 0.0
        elif old == 0.0 or (old > 0) != (new > 0):
            self.size, self.price = new, price
        elif (old > 0) == (size > 0):
            self.size, self.price = new, (self.price * old + price * size) / new
        else:
            self.size = new


@dataclass
class _FundingRow(Funding):
    position: float = 0.0


def _expected_price(order: dict[str, Any] | None, kind: str, is_buy: bool, size: float,
                    ctx: BarContext) -> list[float]:
    """Prices the paper broker's rules allow for this fill on the logged bar."""
    if kind == "book":
        price = book_fill_price(is_buy, abs(size), ctx.bids, ctx.asks)
        return [price] if price is not None else []
    if kind == "bar":
        return [ctx.open]
    kind_of = (order or {}).get("type")
    limit = (order or {}).get("price_limit") or (order or {}).get("price")
    stop = (order or {}).get("price")
    if kind_of == "Limit" and limit is not None:
        crossed = ctx.open <= limit if is_buy else ctx.open >= limit
        return [ctx.open if crossed else limit]
    if kind_of == "Stop" and stop is not None:
        gapped = ctx.open >= stop if is_buy else ctx.open <= stop
        return [ctx.open if gapped else stop]
    return [p for p in (stop, limit, ctx.open, ctx.close) if p is not None]


def _kind(fill: dict[str, Any], order: dict[str, Any] | None, fill_model: str,
          ctx: BarContext) -> str:
    if fill["liquidation"]:
        return "liquidation"
    if (order or {}).get("type", "Market") != "Market":
        return "order"
    if fill_model == "book":
        # Filled on the signal bar (once the strategy's callback returned), or at a later bar
        # against that bar's book when the signal bar had none; with no book at all it falls
        # back to the bar's open.
        submitted_here = order is not None and order["bar_seq"] == fill["bar_seq"]
        side = ctx.asks if fill["size"] > 0 else ctx.bids
        if submitted_here or side:
            return "book"
    return "bar"


def paper_executions(snapshot: LedgerSnapshot, account: AccountMeta
                     ) -> tuple[list[Execution], list[Funding]]:
    """The account's fills and funding from the ledger, each checked (module docstring)."""
    bars = snapshot.stream(account)
    orders = snapshot.orders.get(account.name, {})
    costs = snapshot.costs
    rates = {True: float(costs.get("maker_fee", 0.0)), False: float(costs.get("taker_fee",
                                                                            0.0))}
    fills = [f for f in snapshot.fills.get(account.name, []) if f["bar_seq"] <= len(bars)]
    fills.sort(key=lambda f: (f["bar_seq"], f["ts_ms"], f["order_seq"], f["fill_seq"]))
    rows = snapshot.funding.get(account.name, [])
    settlements = {t: (bar, rate, mark) for t, bar, rate, mark in funding_settlements(
        bars, funding_interval_ms(bars, rows))}
    funding = _paper_funding(rows, settlements, bars)
    # Fills and funding in processing order, so each funding row can be checked against the
    # position the fills before it left.
    events: list[tuple[int, int, Any]] = [(f.bar, 0, f) for f in funding]
    events += [(int(f["bar_seq"]), 1, f) for f in fills]
    events.sort(key=lambda e: (e[0], e[1]))
    position = _Position()
    out: list[Execution] = []
    for _, phase, item in events:
        if phase == 0:
            if not same(item.position, position.size):
                item.problems.append(f"funding at {item.time_ms} charged on position "
                                     f"{item.position:g}; the fills before it give "
                                     f"{position.size:g}")
            continue
        out.append(_check_fill(item, orders.get(item["order_seq"]), bars, snapshot.fill_model,
                               rates, costs, position))
    checked: list[Funding] = [*funding]
    return out, checked


def _paper_funding(rows: list[dict[str, Any]], settlements: dict[int, tuple[int, float, float]],
                   bars: list[BarContext]) -> list[_FundingRow]:
    out = []
    last_close = bars[-1].close_time if bars else 0
    for row in rows:
        when = int(row["funding_time"])
        if when > last_close:
            continue  # settled on a bar this snapshot leaves out
        found = settlements.get(when)
        bar = found[0] if found else _settling_bar(bars, when)
        item = _FundingRow(when, bar, float(row["payment"]), position=float(row["position"]))
        expected = float(row["position"]) * float(row["mark_price"]) * float(row["rate"])
        if not same(item.payment, expected):
            item.problems.append(f"funding at {when}: payment {item.payment:g} is not "
                                 f"position x mark x rate = {expected:g}")
        if found is None:
            item.notes.append(f"funding at {when} is not on the schedule the logged "
                                 "tickers give")
        elif not (same(found[1], row["rate"]) and same(found[2], row["mark_price"])):
            item.notes.append(f"funding at {when}: rate/mark {row['rate']:g}/"
                                 f"{row['mark_price']:g}, the logged ticker says "
                                 f"{found[1]:g}/{found[2]:g}")
        out.append(item)
    return out


def _settling_bar(bars: list[BarContext], when: int) -> int:
    for i, ctx in enumerate(bars):
        if ctx.close_time >= when:
            return i + 1
    return len(bars)


def _check_fill(fill: dict[str, Any], order: dict[str, Any] | None, bars: list[BarContext],
                fill_model: str, rates: dict[bool, float], costs: dict[str, Any],
                position: _Position) -> Execution:
    bar = int(fill["bar_seq"])
    ctx = bars[bar - 1]
    kind = _kind(fill, order, fill_model, ctx)
    size, price = float(fill["size"]), float(fill["price"])
    problems = []
    if order is None:
        problems.append(f"order {fill['order_seq']} is not in the ledger")
    if int(fill["ts_ms"]) != ctx.close_time:
        problems.append(f"recorded at {fill['ts_ms']}, not at the close of bar {bar} "
                        f"({ctx.close_time})")
    if kind == "liquidation":
        allowed = [liquidation_price(position.size, position.price,
                                     float(costs.get("leverage", 1.0)),
                                     float(costs.get("maintenance_margin_rate", 0.005)))]
    else:
        allowed = _expected_price(order, kind, size > 0, size, ctx)
    if not any(same(price, p) for p in allowed):
        shown = ", ".join(f"{p:.10g}" for p in allowed) or "no price (empty book)"
        problems.append(f"price {price:.10g}; the logged bar and the {kind} rule give {shown}")
    maker = fill["liquidity"] == "maker"
    notional = abs(size) * price
    if not same(float(fill["fee"]), notional * rates[maker]):
        problems.append(f"fee {fill['fee']:.10g} is not the {fill['liquidity']} rate on "
                        f"{notional:.10g}")
    problems += _check_position(fill, size, price, position)
    order_bar = int(order["bar_seq"]) if order is not None else None
    time_ms = ctx.close_time if kind == "book" else ctx.start
    return Execution(time_ms, bar, size, price, float(fill["fee"]), float(fill["pnl"]), maker,
                     bool(fill["liquidation"]), kind, (order or {}).get("type", "?"),
                     order_bar, f"order {fill['order_seq']} fill {fill['fill_seq']}", problems,
                     float(fill["position_after"]))


def _check_position(fill: dict[str, Any], size: float, price: float,
                    position: _Position) -> list[str]:
    """The position chain and the fill's PnL; *position* moves on past the fill."""
    problems = []
    before = float(fill["position_after"]) - size
    if not same(before, position.size):
        problems.append(f"position before it {before:g}; the fills before give "
                        f"{position.size:g} (fills are missing or altered)")
        # Continue from the ledger's position, so one break is reported once. Its entry
        # price is unknown, so this fill's PnL cannot be checked.
        position.size, position.price = (before, price) if before else (0.0, 0.0)
        position.apply(size, price)
        return problems
    closed = 0.0
    if position.size and (position.size > 0) != (size > 0):
        closed = -position.size if abs(size) >= abs(position.size) else size
    expected = -closed * (price - position.price)
    if not same(float(fill["pnl"]), expected):
        problems.append(f"pnl {fill['pnl']:.10g}; closing {abs(closed):g} from the average "
                        f"entry {position.price:.10g} gives {expected:.10g}")
    position.apply(size, price)
    return problems
