"""Parity: a paper session reconciled trade by trade with the backtester.

For each sub-account of a session's ledger (``meta.accounts``):

1. re-run the backtest on the bars the account was fed (:mod:`.parity_backtest`);
2. rebuild the paper round trips from the ledger's fills and funding, each fill checked
   against the logged inputs and the paper broker's rules (:mod:`.parity_ledger`,
   :mod:`.parity_trips`);
3. match round trips: same side and entry time, then the nearest within one bar
   (:func:`.parity_trips.match_trips`); report matched, missing (backtest only) and extra
   (paper only) trips;
4. compare each matched pair (entry/exit time and price, size, fees, funding, gross and net
   PnL, equal within :data:`.parity_trips.REL_TOL`) and attribute every difference to a
   cause (:mod:`.parity_attribution`).

:func:`reconcile` does all of it; :func:`write_report` writes ``parity.json``;
:func:`.parity_format.format_report` renders the table the ``parity`` command prints.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backtrader_engine.errors import UserError
from backtrader_engine.paper.context import WARMUP
from backtrader_engine.parity.attribution import (
    CAUSES,
    Difference,
    Scope,
    attribute,
    iso,
    trip_figures,
)
from backtrader_engine.parity.backtest_side import rerun_account
from backtrader_engine.parity.ledger_side import (
    AccountMeta,
    LedgerSnapshot,
    gap_bars,
    paper_executions,
    read_snapshot,
    rest_bars,
)
from backtrader_engine.parity.trips import REL_TOL, Trip, build_trips, match_trips

__all__ = ["CAUSES", "AccountParity", "Difference", "ParityReport", "iso", "reconcile",
           "reconcile_account", "write_report"]

REPORT_NAME = "parity.json"


@dataclass
class AccountParity:
    """The reconciliation of one sub-account."""

    account: AccountMeta
    bars: dict[str, int]
    backtest: list[Trip]
    paper: list[Trip]
    pairs: list[tuple[Trip, Trip]]
    missing: list[Trip]
    extra: list[Trip]
    differences: list[Difference] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        causes = Counter(d.cause for d in self.differences)
        return {"backtest_trades": len(self.backtest), "paper_trades": len(self.paper),
                "matched": len(self.pairs), "missing": len(self.missing),
                "extra": len(self.extra), "differences": len(self.differences),
                "unexplained": causes.get("unexplained", 0)}

    def as_dict(self) -> dict[str, Any]:
        a = self.account
        trades: list[dict[str, Any]] = [
            {"match": "matched", "backtest": trip_figures(b), "paper": trip_figures(p)}
            for b, p in self.pairs]
        trades += [{"match": "missing", "backtest": trip_figures(b), "paper": None}
                   for b in self.missing]
        trades += [{"match": "extra", "backtest": None, "paper": trip_figures(p)}
                   for p in self.extra]
        trades.sort(key=lambda t: (t["backtest"] or t["paper"])["entry_time"])
        return {"name": a.name, "strategy": a.strategy, "symbol": a.symbol,
                "timeframe": a.timeframe, "confirm_timeframes": list(a.confirm_timeframes),
                "cash": a.cash, "bars": self.bars, **self.counts(),
                "totals": {"backtest": _totals(self.backtest), "paper": _totals(self.paper)},
                "trades": trades, "differences": [d.as_dict() for d in self.differences]}


def _totals(trips: Sequence[Trip]) -> dict[str, float]:
    return {"net_pnl": sum(t.net_pnl for t in trips), "fees": sum(t.fees for t in trips),
            "funding": sum(t.funding for t in trips)}


@dataclass
class ParityReport:
    """The reconciliation of a whole session."""

    state_dir: Path
    ledger: Path
    fill_model: str
    accounts: list[AccountParity]

    @property
    def differences(self) -> list[Difference]:
        return [d for a in self.accounts for d in a.differences]

    @property
    def unexplained(self) -> int:
        return sum(1 for d in self.differences if d.cause == "unexplained")

    @property
    def explained(self) -> bool:
        """Whether every difference has a cause (the command's exit code 0)."""
        return self.unexplained == 0

    def summary(self) -> dict[str, Any]:
        totals: Counter[str] = Counter()
        for account in self.accounts:
            totals.update(account.counts())
        causes = Counter(d.cause for d in self.differences)
        return {"accounts": len(self.accounts), **dict(totals),
                "by_cause": {c: causes[c] for c in CAUSES if causes[c]},
                "explained": self.explained}

    def as_dict(self) -> dict[str, Any]:
        return {"state": str(self.state_dir), "ledger": str(self.ledger),
                "fill_model": self.fill_model,
                "tolerance": {"relative": REL_TOL, "match_window": "one bar"},
                "command": f"bte parity --state {self.state_dir}",
                "summary": self.summary(), "accounts": [a.as_dict() for a in self.accounts]}


def reconcile_account(snapshot: LedgerSnapshot, account: AccountMeta) -> AccountParity:
    """Backtest, rebuild, match and attribute one sub-account."""
    bars = snapshot.stream(account)
    mark = bars[-1].close if bars else None
    bt_fills, bt_funding = rerun_account(snapshot, account)
    paper_fills, paper_funding = paper_executions(snapshot, account)
    backtest = build_trips(bt_fills, bt_funding, mark)
    paper = build_trips(paper_fills, paper_funding, mark)
    pairs, missing, extra = match_trips(backtest, paper, account.bar_ms)
    gaps, rest = gap_bars(bars, account.bar_ms), rest_bars(bars)
    scope = Scope(account.name, snapshot.fill_model, len(bars), gaps, rest,
                  snapshot.orders.get(account.name, {}))
    counts = {"warmup": sum(1 for c in bars if c.source == WARMUP),
              "live": sum(1 for c in bars if c.source != WARMUP), "rest": len(rest),
              "after_gaps": len(gaps),
              "logged": len(snapshot.bars.get((account.symbol, account.interval), []))}
    result = AccountParity(account, counts, backtest, paper, pairs, missing, extra)
    result.differences = attribute(scope, pairs, missing, extra, paper_fills, paper_funding)
    return result


def reconcile(state_dir: Path | str) -> ParityReport:
    """Reconcile the paper session under *state_dir* with the backtester.

    Raises
    ------
    UserError
        A missing or unreadable ledger, or one without sub-accounts.
    """
    snapshot = read_snapshot(state_dir)
    # Manual sub-accounts trade injected signals, which no backtest can replay.
    accounts = [reconcile_account(snapshot, a) for a in snapshot.accounts
                if a.strategy != "manual"]
    return ParityReport(Path(state_dir), snapshot.path, snapshot.fill_model, accounts)


def write_report(report: ParityReport, out_dir: Path | str | None = None) -> Path:
    """Write ``parity.json`` into *out_dir* (default: the state folder); its path."""
    folder = Path(out_dir) if out_dir is not None else report.state_dir
    path = folder / REPORT_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report.as_dict(), indent=2, default=str) + "\n")
    except OSError as exc:
        raise UserError(f"--out {folder}: cannot write {REPORT_NAME} ({exc})") from None
    return path
