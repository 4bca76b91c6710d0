"""Match two trade lists by their timestamps and say how far they agree.

Used by ``bench/vs_freqtrade.py`` to compare ``bte backtest``'s ``trades.csv`` with
freqtrade's exported trades. Standard library only, so it is testable anywhere.

A trade still open at the end of the data is handled apart: ``bte backtest`` keeps it open
(``status`` ``open``, marked at the last close), freqtrade closes it at the last candle's open
with exit reason ``force_exit``. Such a pair agrees when the entries agree; its exits are not
compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Largest relative price difference still taken as the same fill: bte's trades.csv carries
# 10 significant digits (a relative rounding of at most 5e-10).
PRICE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Trade:
    """One round trip; ``exit_time`` and ``exit_price`` are None while it is open."""

    entry_time: datetime
    entry_price: float
    exit_time: datetime | None
    exit_price: float | None
    # True for a trade the tool closed only because the data ended (freqtrade's force_exit).
    closed_at_end: bool = False
    # Net of fees, in the quote currency; None when unknown.
    net_pnl: float | None = None


@dataclass
class Agreement:
    left: int
    right: int
    matched: int = 0
    left_open_at_end: int = 0
    max_price_diff: float = 0.0
    # The same, relative to the price: exit prices may be rounded to a tick by one tool.
    max_rel_price_diff: float = 0.0
    only_left: list[Trade] = field(default_factory=list)
    only_right: list[Trade] = field(default_factory=list)
    # Same entry time, different exit time: (left, right).
    exit_differs: list[tuple[Trade, Trade]] = field(default_factory=list)

    # Summed net PnL of the trades closed on a signal, per side.
    left_pnl: float = 0.0
    right_pnl: float = 0.0

    @property
    def agrees(self) -> bool:
        return self.left == self.right == self.matched \
            and self.max_rel_price_diff <= PRICE_TOLERANCE

    def statement(self, left_name: str, right_name: str) -> str:
        line = (f"trades: {self.left} ({left_name}) vs {self.right} ({right_name}), "
                f"{self.matched} matched on entry/exit time, "
                f"max price diff {self.max_price_diff:.3g} "
                f"(relative {self.max_rel_price_diff:.3g})")
        if self.left_open_at_end:
            line += (f" ({self.left_open_at_end} open at the end: {left_name} keeps it open, "
                     f"{right_name} force-exits it; matched on entry only)")
        return line

    def mismatch_lines(self, left_name: str, right_name: str, limit: int = 5) -> list[str]:
        lines = []
        for name, trades in ((f"only in {left_name}", self.only_left),
                             (f"only in {right_name}", self.only_right)):
            if trades:
                shown = ", ".join(_describe(t) for t in trades[:limit])
                more = f" (+{len(trades) - limit} more)" if len(trades) > limit else ""
                lines.append(f"  {len(trades)} {name}: {shown}{more}")
        if self.exit_differs:
            shown = ", ".join(f"entry {_ts(a.entry_time)}: exit {_ts(a.exit_time)} vs "
                              f"{_ts(b.exit_time)}" for a, b in self.exit_differs[:limit])
            lines.append(f"  {len(self.exit_differs)} with another exit time: {shown}")
        return lines


def _ts(value: datetime | None) -> str:
    return "open" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _describe(trade: Trade) -> str:
    return f"{_ts(trade.entry_time)} -> {_ts(trade.exit_time)}"


def match_trades(left: list[Trade], right: list[Trade]) -> Agreement:
    """Pair trades by entry time; a pair matches when its exit times agree too.

    The price difference is the largest absolute difference of entry prices and of exit
    prices over the matched pairs (exit prices only where both trades closed on a signal).
    """
    result = Agreement(left=len(left), right=len(right))
    by_entry = {t.entry_time: t for t in right}
    used: set[datetime] = set()
    for a in left:
        b = by_entry.get(a.entry_time)
        if b is None or a.entry_time in used:
            result.only_left.append(a)
            continue
        used.add(a.entry_time)
        pairs = [(a.entry_price, b.entry_price)]
        if a.exit_time is None and (b.exit_time is None or b.closed_at_end):
            result.left_open_at_end += 1
        elif a.exit_time == b.exit_time and a.exit_price is not None \
                and b.exit_price is not None:
            pairs.append((a.exit_price, b.exit_price))
        else:
            result.exit_differs.append((a, b))
            continue
        result.matched += 1
        for x, y in pairs:
            result.max_price_diff = max(result.max_price_diff, abs(x - y))
            result.max_rel_price_diff = max(result.max_rel_price_diff,
                                            abs(x - y) / max(abs(x), abs(y), 1e-300))
    result.only_right = [t for t in right if t.entry_time not in used]
    result.left_pnl = _closed_pnl(left)
    result.right_pnl = _closed_pnl(right)
    return result


def _closed_pnl(trades: list[Trade]) -> float:
    return sum(t.net_pnl or 0.0 for t in trades
               if t.exit_time is not None and not t.closed_at_end)
