"""The ledger read-only: every read its consumers make, as typed rows.

The status snapshot, the metrics exporter, the control panel, the Telegram watcher and the
parity check read a session's ledger while it writes. :class:`LedgerReader` opens the file
read-only (SQLite's WAL gives each read a committed state without blocking the writer) and
never writes to it, not even to migrate: a version-1 ledger reads as version 1 (the same
queries, without version 2's indexes), a newer one is refused at the first read.

Every SQLite error of a read comes out as :class:`LedgerReadError` with SQLite's message, so
consumers handle ledger failures without knowing it is SQLite.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from backtrader_engine.ledger.files import ledger_path
from backtrader_engine.ledger.migrations import read_version
from backtrader_engine.ledger.rows import (
    AccountRow,
    AccountStateRow,
    BarRow,
    EventRow,
    FillRow,
    FillTotals,
    FundingRow,
    OrderRow,
    OrderStatusCount,
    OutcomeCount,
    PeriodOutcomeCount,
    PeriodStatusCount,
    PortfolioPoint,
    Row,
    SignalRow,
    from_row,
)
from backtrader_engine.ledger.schema import TABLES

R = TypeVar("R", bound=Row)


class LedgerReadError(Exception):
    """A read of the ledger failed; the message is SQLite's.

    Attributes
    ----------
    kind : str
        SQLite's error class (``OperationalError``: locked, no such table, a WAL a read-only
        connection cannot recover; ``DatabaseError``: not a database...).
    """

    def __init__(self, error: sqlite3.Error) -> None:
        super().__init__(str(error))
        self.kind = type(error).__name__

    @property
    def operational(self) -> bool:
        """Whether the file may read fine later (not yet created, locked, WAL recovery)."""
        return self.kind == "OperationalError"


class LedgerReader:
    """A read-only connection to one ledger file; safe to hand between threads in turn.

    Parameters
    ----------
    path : path
        The ledger file (see :func:`~.files.ledger_path`); it must exist.
    timeout : float
        Seconds a read waits for a lock.

    Raises
    ------
    LedgerReadError
        SQLite cannot open the file.
    """

    def __init__(self, path: Path | str, *, timeout: float = 10.0) -> None:
        self.path = Path(path)
        self._version: int | None = None
        try:
            self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                       timeout=timeout, isolation_level=None,
                                       check_same_thread=False)
        except sqlite3.Error as exc:
            raise LedgerReadError(exc) from exc
        self._db.row_factory = sqlite3.Row

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LedgerReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """The ledger's schema version (0: no ledger written yet).

        Raises
        ------
        UserError
            A ledger newer than this code reads.
        """
        self._check_version()
        assert self._version is not None
        return self._version

    def _check_version(self) -> None:
        """Read the version once, refusing a newer ledger before its first read."""
        if self._version is None:
            try:
                self._version = read_version(self._db, self.path)
            except sqlite3.Error as exc:
                raise LedgerReadError(exc) from exc

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        self._check_version()
        try:
            return self._db.execute(sql, tuple(args)).fetchall()
        except sqlite3.Error as exc:
            raise LedgerReadError(exc) from exc

    def _one(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _typed(self, cls: type[R], sql: str, args: Sequence[Any] = ()) -> list[R]:
        return [from_row(cls, row) for row in self._all(sql, args)]

    def _numbered(self, cls: type[R], table: str, after: int) -> list[tuple[int, R]]:
        return [(int(row["_rowid"]), from_row(cls, row)) for row in self._all(
            f"SELECT rowid AS _rowid, * FROM {table} WHERE rowid > ? ORDER BY rowid",
            (after,))]

    @contextmanager
    def consistent(self) -> Iterator[LedgerReader]:
        """Reads inside see the ledger as of one committed moment (one read transaction)."""
        self._check_version()  # before the transaction: it may raise
        try:
            self._db.execute("BEGIN")
        except sqlite3.Error as exc:
            raise LedgerReadError(exc) from exc
        try:
            yield self
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise LedgerReadError(exc) from exc

    def last_rowid(self, table: str) -> int:
        """The newest row's rowid in *table* (0 when empty): where new rows start."""
        if table not in TABLES:
            raise ValueError(f"not a ledger table: {table}")
        row = self._one(f"SELECT MAX(rowid) FROM {table}")
        return int(row[0] or 0) if row is not None else 0

    # --- meta and accounts ------------------------------------------------------------------
    def meta(self, key: str) -> Any:
        """The JSON value stored under *key*, or ``None``."""
        row = self._one("SELECT value FROM meta WHERE key=?", (key,))
        return None if row is None else json.loads(row[0])

    def meta_items(self) -> dict[str, Any]:
        """Every ``meta`` value, decoded."""
        return {row["key"]: json.loads(row["value"]) for row in self._all("SELECT * FROM meta")}

    def accounts(self) -> list[AccountRow]:
        """Every registered sub-account, in registration order."""
        return self._typed(AccountRow, "SELECT * FROM accounts ORDER BY rowid")

    def account_states(self) -> list[AccountStateRow]:
        """Each sub-account's state after its last finished bar step."""
        return self._typed(AccountStateRow, "SELECT * FROM account_state")

    # --- orders -----------------------------------------------------------------------------
    def orders(self) -> list[OrderRow]:
        """Every order."""
        return self._typed(OrderRow, "SELECT * FROM orders")

    def orders_with_status(self, statuses: Sequence[str]) -> list[OrderRow]:
        """Orders whose latest status is one of *statuses*, oldest first."""
        marks = ",".join("?" for _ in statuses)
        return self._typed(OrderRow, f"SELECT * FROM orders WHERE status IN ({marks}) ORDER BY "
                                     "created_ms, account, seq", statuses)

    def order_status_counts(self, statuses: Sequence[str]) -> list[OrderStatusCount]:
        """Orders with one of *statuses*, counted by account, status and the
        ``reject_reason`` of their info."""
        marks = ",".join("?" for _ in statuses)
        return [OrderStatusCount(r["account"], r["status"], r["reject_reason"], int(r["n"]))
                for r in self._all(
                    "SELECT account, status, json_extract(info, '$.reject_reason') AS "
                    f"reject_reason, COUNT(*) AS n FROM orders WHERE status IN ({marks}) "
                    "GROUP BY account, status, reject_reason", statuses)]

    def resized_order_counts(self) -> dict[str, int]:
        """Orders accepted at a smaller size than asked (rounded down to the venue's lot
        step; their info keeps ``requested_size``), counted by account."""
        return {r["account"]: int(r["n"]) for r in self._all(
            "SELECT account, COUNT(*) AS n FROM orders WHERE "
            "json_extract(info, '$.requested_size') IS NOT NULL GROUP BY account", ())}

    def order_status_counts_by_period(self, statuses: Sequence[str], period_ms: int
                                      ) -> list[PeriodStatusCount]:
        """Orders with one of *statuses*, counted by the period of their last update
        (``updated_ms`` rounded down to a multiple of *period_ms*), account, status and the
        ``reject_reason`` of their info; oldest period first."""
        marks = ",".join("?" for _ in statuses)
        return [PeriodStatusCount(int(r["period"]), r["account"], r["status"],
                                  r["reject_reason"], int(r["n"]))
                for r in self._all(
                    "SELECT (updated_ms / ?) * ? AS period, account, status, "
                    "json_extract(info, '$.reject_reason') AS reject_reason, COUNT(*) AS n "
                    f"FROM orders WHERE status IN ({marks}) GROUP BY period, account, status, "
                    "reject_reason ORDER BY period", (period_ms, period_ms, *statuses))]

    # --- fills ------------------------------------------------------------------------------
    def fills(self) -> list[FillRow]:
        """Every fill, by account, order and fill number."""
        return self._typed(FillRow, "SELECT * FROM fills ORDER BY account, order_seq, fill_seq")

    def account_fills(self, account: str) -> list[FillRow]:
        """The fills of *account* in execution order."""
        return self._typed(FillRow, "SELECT * FROM fills WHERE account=? ORDER BY ts_ms, "
                                    "order_seq, fill_seq", (account,))

    def recent_fills(self, limit: int) -> list[FillRow]:
        """The *limit* newest fills, newest first."""
        return self._typed(FillRow, "SELECT * FROM fills ORDER BY ts_ms DESC, account, "
                                    "order_seq DESC LIMIT ?", (limit,))

    def fills_in(self, start: int, end: int, *, symbol: str | None = None) -> list[FillRow]:
        """Fills with ``start <= ts_ms < end`` (of *symbol* if given), in time order."""
        where = "ts_ms >= ? AND ts_ms < ?"
        args: list[Any] = [start, end]
        if symbol is not None:
            where, args = f"symbol=? AND {where}", [symbol, *args]
        return self._typed(FillRow, f"SELECT * FROM fills WHERE {where} ORDER BY ts_ms, "
                                    "account, order_seq, fill_seq", args)

    def fills_after(self, rowid: int) -> list[tuple[int, FillRow]]:
        """``(rowid, fill)`` of the fills written after the row *rowid*, in write order."""
        return self._numbered(FillRow, "fills", rowid)

    def fills_before(self, account: str, ts_ms: int, rowid: int, limit: int
                     ) -> list[FillRow]:
        """Up to *limit* fills of *account* before the one at *ts_ms* written as *rowid*,
        newest first."""
        return self._typed(FillRow, "SELECT * FROM fills WHERE account=? AND (ts_ms < ? OR "
                                    "(ts_ms = ? AND rowid < ?)) ORDER BY ts_ms DESC, rowid DESC "
                                    "LIMIT ?", (account, ts_ms, ts_ms, rowid, limit))

    def order_fill_totals(self, account: str, order_seq: int) -> FillTotals | None:
        """One order's fills summed; ``None`` before its first fill."""
        row = self._one("SELECT SUM(ABS(size)), SUM(ABS(size) * price), SUM(fee) FROM fills "
                        "WHERE account=? AND order_seq=?", (account, order_seq))
        if row is None or not row[0]:
            return None
        return FillTotals(float(row[0]), float(row[1]), float(row[2] or 0.0))

    def fill_latencies(self, limit: int) -> list[float]:
        """Seconds from the bar to the fill being recorded, for the *limit* newest fills
        recorded live (newest first; fills whose bar is not logged are left out)."""
        rows = self._all(
            "SELECT f.recorded_at - (SELECT MAX(b.logged_at) FROM bars b WHERE b.symbol = "
            "f.symbol AND b.end_ms = f.ts_ms - 1) FROM fills f WHERE f.recorded_at IS NOT NULL "
            "ORDER BY f.ts_ms DESC LIMIT ?", (limit,))
        return [float(r[0]) for r in rows if r[0] is not None]

    # --- funding ----------------------------------------------------------------------------
    def funding(self, account: str | None = None, *, after: int | None = None,
                until: int | None = None) -> list[FundingRow]:
        """Settlements (of *account*; with ``after < funding_time <= until``), by account
        and time."""
        where, args = ["1"], []
        for clause, value in (("account=?", account), ("funding_time > ?", after),
                              ("funding_time <= ?", until)):
            if value is not None:
                where.append(clause)
                args.append(value)
        return self._typed(FundingRow, f"SELECT * FROM funding WHERE {' AND '.join(where)} "
                                       "ORDER BY account, funding_time", args)

    def funding_after(self, rowid: int) -> list[tuple[int, FundingRow]]:
        """``(rowid, settlement)`` written after the row *rowid*, in write order."""
        return self._numbered(FundingRow, "funding", rowid)

    def funding_total(self, start: int, end: int) -> float:
        """Payments of the settlements with ``start <= funding_time < end``."""
        row = self._one("SELECT COALESCE(SUM(payment), 0) FROM funding WHERE funding_time >= "
                        "? AND funding_time < ?", (start, end))
        return float(row[0]) if row is not None else 0.0

    # --- signals ----------------------------------------------------------------------------
    def signal_outcome_counts(self, start: int | None = None, end: int | None = None
                              ) -> list[OutcomeCount]:
        """Signals counted by account, outcome and reason (those with
        ``start <= ts_ms < end`` when given)."""
        where, args = "", ()  # type: str, tuple[int, ...]
        if start is not None and end is not None:
            where, args = "WHERE ts_ms >= ? AND ts_ms < ? ", (start, end)
        return [OutcomeCount(r["account"], r["outcome"], r["reason"], int(r["n"]))
                for r in self._all(f"SELECT account, outcome, reason, COUNT(*) AS n FROM "
                                   f"signals {where}GROUP BY account, outcome, reason", args)]

    def signal_outcome_counts_by_period(self, period_ms: int) -> list[PeriodOutcomeCount]:
        """Signals counted by period (``ts_ms`` rounded down to a multiple of *period_ms*),
        account, outcome and reason; oldest period first."""
        return [PeriodOutcomeCount(int(r["period"]), r["account"], r["outcome"], r["reason"],
                                   int(r["n"]))
                for r in self._all("SELECT (ts_ms / ?) * ? AS period, account, outcome, reason, "
                                   "COUNT(*) AS n FROM signals GROUP BY period, account, "
                                   "outcome, reason ORDER BY period", (period_ms, period_ms))]

    def signal_outcomes(self) -> dict[tuple[str, int], str]:
        """``{(account, order_seq): outcome}`` of every signal."""
        return {(row["account"], int(row["order_seq"])): row["outcome"] for row in
                self._all("SELECT account, order_seq, outcome FROM signals")}

    def has_signal(self, account: str, order_seq: int) -> bool:
        """Whether order *order_seq* of *account* has a signal row."""
        return self._one("SELECT 1 FROM signals WHERE account=? AND order_seq=?",
                         (account, order_seq)) is not None

    def last_signal(self, account: str) -> SignalRow | None:
        """The signal of *account*'s newest order."""
        rows = self._typed(SignalRow, "SELECT * FROM signals WHERE account=? ORDER BY "
                                      "order_seq DESC LIMIT 1", (account,))
        return rows[0] if rows else None

    def recent_signals(self, limit: int) -> list[SignalRow]:
        """The *limit* newest signals, newest first."""
        return self._typed(SignalRow, "SELECT * FROM signals ORDER BY ts_ms DESC, account "
                                      "LIMIT ?", (limit,))

    def signals_after(self, rowid: int) -> list[tuple[int, SignalRow]]:
        """``(rowid, signal)`` written (or rewritten) after the row *rowid*, in write order."""
        return self._numbered(SignalRow, "signals", rowid)

    # --- events -----------------------------------------------------------------------------
    def recent_events(self, limit: int) -> list[EventRow]:
        """The *limit* newest events, newest first."""
        return self._typed(EventRow, "SELECT * FROM events ORDER BY id DESC LIMIT ?", (limit,))

    def events_after(self, event_id: int) -> list[EventRow]:
        """Events after the one numbered *event_id*, in order."""
        return self._typed(EventRow, "SELECT * FROM events WHERE id > ? ORDER BY id",
                           (event_id,))

    def last_event(self, kind: str) -> EventRow | None:
        """The newest event of *kind*."""
        rows = self._typed(EventRow, "SELECT * FROM events WHERE kind=? ORDER BY id DESC "
                                     "LIMIT 1", (kind,))
        return rows[0] if rows else None

    # --- portfolio --------------------------------------------------------------------------
    def portfolio_peak(self) -> float | None:
        """The portfolio's running peak as of the newest released bar."""
        row = self._one("SELECT peak FROM portfolio ORDER BY release DESC LIMIT 1")
        return None if row is None else row["peak"]

    def portfolio_points(self, last: int) -> list[PortfolioPoint]:
        """The portfolio after each of the *last* released bars, oldest first."""
        rows = self._typed(PortfolioPoint, "SELECT * FROM portfolio ORDER BY release DESC "
                                           "LIMIT ?", (last,))
        return rows[::-1]

    # --- bars -------------------------------------------------------------------------------
    def bars(self, symbol: str, interval: str) -> list[BarRow]:
        """Every logged bar of *symbol*/*interval*, in order."""
        return [BarRow.of(row) for row in self._all(
            "SELECT * FROM bars WHERE symbol=? AND interval=? ORDER BY seq", (symbol, interval))]

    def recent_bars(self, symbol: str, interval: str, limit: int) -> list[BarRow]:
        """The *limit* newest bars of *symbol*/*interval*, oldest first."""
        return [BarRow.of(row) for row in self._all(
            "SELECT * FROM bars WHERE symbol=? AND interval=? ORDER BY seq DESC LIMIT ?",
            (symbol, interval, limit))][::-1]

    def last_bar(self, symbol: str, interval: str) -> BarRow | None:
        """The newest bar of *symbol*/*interval*."""
        rows = self.recent_bars(symbol, interval, 1)
        return rows[0] if rows else None

    def finest_interval(self, symbol: str) -> str | None:
        """The shortest bar interval logged for *symbol* (``None``: no bars)."""
        row = self._one("SELECT interval FROM bars WHERE symbol=? GROUP BY interval "
                        "ORDER BY MIN(end_ms - start) LIMIT 1", (symbol,))
        return None if row is None else str(row["interval"])

    def last_close_ms(self) -> int | None:
        """The last millisecond of the newest bar logged, over every stream."""
        row = self._one("SELECT MAX(end_ms) FROM bars")
        return None if row is None or row[0] is None else int(row[0])


def logged_until(state_dir: Path | str) -> int | None:
    """Close time (ms) of the newest bar logged under *state_dir*, or ``None``."""
    path = ledger_path(state_dir)
    if not path.is_file():
        return None
    try:
        with LedgerReader(path, timeout=5.0) as reader:
            last = reader.last_close_ms()
    except LedgerReadError:
        return None
    return None if last is None else last + 1
