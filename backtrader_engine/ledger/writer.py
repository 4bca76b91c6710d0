"""The crash-safe paper ledger, written: one SQLite file (WAL) under the session's state folder.

Two kinds of rows:

* **inputs** — every bar context, injected signals and operator commands (pause or resume
  entries, force exits). They are the session's event log. A live bar is *staged* as it is
  released and written by the next transaction on the ledger, whatever that transaction
  writes — in practice the first sub-account's outputs of that bar step. So nothing derived
  from a bar is ever committed without the bar, and the strategies' reaction to a bar does
  not wait for a commit of its own.
* **outputs** — orders, fills, funding payments, signals, account states and the equity
  curve. Each is keyed by ids a deterministic run reproduces (an account's n-th order, that
  order's k-th fill), and written with an idempotent upsert. A sub-account's outputs of one
  bar step are written together, in one transaction, once the step is done
  (:meth:`LedgerWriter.write_outputs`): its state moves from one bar to the next atomically,
  and the strategy's reaction to a bar never waits on the disk.

On restart the session feeds the logged inputs through the same strategies and brokers
again, which re-derives every output: rows already stored are verified, rows lost in the
crash are written. So no fill is lost (it is re-derived from committed inputs) and none is
applied twice (its key exists). Every write is one transaction; WAL with
``synchronous=NORMAL`` makes a committed transaction survive the process being killed.

Opening a ledger migrates it to this code's schema (:mod:`.migrations`). Readers (the status
snapshot, metrics, alerts) use :mod:`.reader`, which opens the file read-only while the
session writes; WAL lets them read a consistent state without blocking it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from backtrader_engine.errors import UserError
from backtrader_engine.ledger.files import ledger_path
from backtrader_engine.ledger.migrations import migrate
from backtrader_engine.ledger.resume import account_mismatch, params_text
from backtrader_engine.ledger.rows import (
    AccountRow,
    BarRow,
    ControlRow,
    InjectionRow,
    from_row,
    levels_json,
)
from backtrader_engine.ledger.schema import OUTPUT_TABLES

log = logging.getLogger(__name__)


class LoggedBar(Protocol):
    """A bar context as the writer logs it (the paper session's ``BarContext``)."""

    @property
    def symbol(self) -> str: ...
    @property
    def interval(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def open(self) -> float: ...
    @property
    def high(self) -> float: ...
    @property
    def low(self) -> float: ...
    @property
    def close(self) -> float: ...
    @property
    def volume(self) -> float: ...
    @property
    def source(self) -> str: ...
    @property
    def bids(self) -> Sequence[tuple[float, float]]: ...
    @property
    def asks(self) -> Sequence[tuple[float, float]]: ...
    @property
    def mark_price(self) -> float | None: ...
    @property
    def funding_rate(self) -> float | None: ...
    @property
    def next_funding_time(self) -> int | None: ...
    @property
    def latency_ms(self) -> float | None: ...
    @property
    def errors(self) -> int: ...


class LedgerDivergence(RuntimeError):
    """A re-derived output differs from the stored one (the inputs or code changed)."""


class LedgerWriter:
    """The SQLite ledger of one paper session, written; safe to share between threads.

    Parameters
    ----------
    state_dir : path
        The session's state folder (created if missing); the file is ``ledger.sqlite``.

    Raises
    ------
    UserError
        The folder cannot be created, the file is not a ledger, or its schema is newer than
        this code's.
    """

    def __init__(self, state_dir: Path | str) -> None:
        self.state_dir = Path(state_dir)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--state {self.state_dir}: cannot create the folder ({exc})"
                            ) from None
        self.path = ledger_path(self.state_dir)
        self._lock = threading.RLock()
        # (bar, seq, logged_at) of bars the next transaction writes first; serialised only
        # then, off the path from a closed bar to the strategies' orders
        self._staged_bars: list[tuple[LoggedBar, int, float]] = []
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None,
                                       check_same_thread=False, timeout=30)
        except sqlite3.DatabaseError as exc:
            raise _unusable(self.path, exc) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            #: The schema version the file had when opened (0: a new ledger).
            self.opened_version = migrate(self._db, self.path)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise _unusable(self.path, exc) from None
        except UserError:  # a newer schema
            self._db.close()
            raise
        self.divergences = 0
        self._last_bar: dict[tuple[str, str], tuple[int | None, int | None]] = {}

    def close(self) -> None:
        """Write staged bars and close the database (a checkpoint folds the WAL into the main
        file)."""
        with self._lock:
            self.flush()
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all.

        Staged bars (:meth:`append_bar` with ``defer``) are written first, in the same
        transaction, so whatever it writes never lands without the inputs staged before it.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if self._staged_bars:
                    self._db.executemany(_INSERT_BAR, [_bar_row(*staged)
                                                       for staged in self._staged_bars])
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._staged_bars.clear()

    def flush(self) -> None:
        """Commit staged bars now (a no-op when none are staged)."""
        with self._lock:
            if self._staged_bars:
                with self.transaction():
                    pass

    @property
    def staged_bars(self) -> int:
        """Bars staged and not yet committed."""
        return len(self._staged_bars)

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._db.execute(sql, args)
            cursor.row_factory = sqlite3.Row
            return cursor.fetchall()

    # --- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> Any:
        """A JSON value stored under *key*, or ``None``."""
        rows = self._rows("SELECT value FROM meta WHERE key=?", (key,))
        return None if not rows else json.loads(rows[0][0])

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable *value* under *key*."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                       (key, json.dumps(value, default=str)))

    # --- inputs -----------------------------------------------------------------------------
    def append_bar(self, ctx: LoggedBar, *, defer: bool = False) -> int:
        """Log a bar context; its sequence number. A bar already logged keeps its row.

        With *defer*, the bar is staged: the next transaction on this ledger writes it
        before its own rows (see the module docstring), which keeps a commit off the path
        from a closed bar to the strategies' orders.
        """
        key = (ctx.symbol, ctx.interval)
        with self._lock:
            before = self._last_bar.get(key)
            last = before
            if last is None:
                # Two single aggregates: each is an index lookup, where one query holding
                # both would scan the stream's whole history. Later bars use the cache.
                last = (self._db.execute("SELECT MAX(seq) FROM bars WHERE symbol=? AND "
                                         "interval=?", key).fetchone()[0],
                        self._db.execute("SELECT MAX(start) FROM bars WHERE symbol=? AND "
                                         "interval=?", key).fetchone()[0])
            if last[1] is not None and ctx.start <= last[1]:
                seq = self._logged_seq(key, ctx.start)
                if seq is not None:
                    return seq
                raise LedgerDivergence(f"{ctx.symbol} bar {ctx.start} arrived after "
                                       f"{last[1]}; bars must be logged in order")
            seq = 0 if last[0] is None else int(last[0]) + 1
            staged = (ctx, seq, time.time())
            # Only this connection appends bars, so the cache cannot go stale.
            self._staged_bars.append(staged)
            self._last_bar[key] = (seq, ctx.start)
            if not defer:
                try:
                    self.flush()
                except BaseException:
                    # A failed write leaves the ledger, and the cache, as they were.
                    self._staged_bars.remove(staged)
                    if before is None:
                        self._last_bar.pop(key, None)
                    else:
                        self._last_bar[key] = before
                    raise
        return seq

    def _logged_seq(self, key: tuple[str, str], start: int) -> int | None:
        """The sequence number of the bar of *key* starting at *start*, staged or stored."""
        for ctx, seq, _ in self._staged_bars:
            if (ctx.symbol, ctx.interval, ctx.start) == (*key, start):
                return seq
        found = self._db.execute("SELECT seq FROM bars WHERE symbol=? AND interval=? AND "
                                 "start=?", (*key, start)).fetchone()
        return None if found is None else int(found[0])

    def bars(self, symbol: str, interval: str) -> list[BarRow]:
        """Every logged bar of *symbol*/*interval*, in order."""
        return [BarRow.of(row) for row in self._rows(
            "SELECT * FROM bars WHERE symbol=? AND interval=? ORDER BY seq", (symbol, interval))]

    def append_injection(self, symbol: str, side: str, qty: float | None, confidence: float,
                         after_release: int) -> int:
        """Log a manual signal applied after the *after_release*-th released bar; its id."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO injections (symbol, side, qty, confidence, after_release, "
                "received_at) VALUES (?,?,?,?,?,?)",
                (symbol, side, qty, confidence, after_release, time.time()))
        return int(cursor.lastrowid or 0)

    def injections(self) -> list[InjectionRow]:
        """Every logged manual signal, in the order they were applied."""
        return [from_row(InjectionRow, row) for row in
                self._rows("SELECT * FROM injections ORDER BY signal_id")]

    def append_control(self, op: str, symbol: str | None, after_release: int) -> int:
        """Log an operator command applied after the *after_release*-th released bar."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO controls (op, symbol, after_release, received_at) VALUES "
                "(?,?,?,?)", (op, symbol, after_release, time.time()))
        return int(cursor.lastrowid or 0)

    def controls(self) -> list[ControlRow]:
        """Every logged operator command, in the order they were applied."""
        return [from_row(ControlRow, row) for row in
                self._rows("SELECT * FROM controls ORDER BY control_id")]

    # --- outputs ----------------------------------------------------------------------------
    def has_accounts(self) -> bool:
        """Whether any sub-account is registered (a session to resume)."""
        return bool(self._rows("SELECT 1 FROM accounts LIMIT 1"))

    def register_account(self, account: str, strategy: str, symbol: str,
                         params: dict[str, Any], initial_cash: float) -> None:
        """Record a sub-account; a restart must bring the same strategy, params and cash."""
        stored = self._rows("SELECT * FROM accounts WHERE account=?", (account,))
        text = params_text(params)
        if stored:
            why = account_mismatch(self.path, from_row(AccountRow, stored[0]), strategy, text,
                                   initial_cash)
            if why is not None:
                raise UserError(why)
            return
        with self.transaction() as db:
            db.execute("INSERT INTO accounts VALUES (?,?,?,?,?)",
                       (account, strategy, symbol, text, initial_cash))

    def write_outputs(self, rows: list[tuple[str, dict[str, Any]]]) -> int:
        """Write one bar step's outputs in one transaction; the number of new fills.

        *rows* are ``(table, row)`` pairs: ``orders``, ``signals``, ``account_state`` and
        ``equity`` rows replace the stored one; ``funding`` rows are kept if stored; a
        ``fills`` row already stored must match (a re-derived fill after a restart),
        otherwise it counts as a divergence and is logged.
        """
        new_fills = 0
        mismatched: list[tuple[tuple[Any, ...], tuple[float, ...], dict[str, Any]]] = []
        with self.transaction() as db:
            for table, row in rows:
                columns = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                if table == "fills":
                    key = (row["account"], row["order_seq"], row["fill_seq"])
                    old = db.execute("SELECT price, size, fee FROM fills WHERE account=? "
                                     "AND order_seq=? AND fill_seq=?", key).fetchone()
                    if old is None:
                        db.execute(f"INSERT INTO fills ({columns}) VALUES ({marks})",
                                   tuple(row.values()))
                        new_fills += 1
                    elif not _same(old, (row["price"], row["size"], row["fee"])):
                        mismatched.append((key, old, row))
                    continue
                verb = "INSERT OR IGNORE" if table == "funding" else "INSERT OR REPLACE"
                if table not in OUTPUT_TABLES:
                    raise ValueError(f"not an output table: {table}")
                db.execute(f"{verb} INTO {table} ({columns}) VALUES ({marks})",
                           tuple(row.values()))
        for key, old, row in mismatched:
            self.divergences += 1
            log.error("ledger divergence: fill %s stored as price/size/fee %s, re-derived as "
                      "%s", key, old, (row["price"], row["size"], row["fee"]))
        return new_fills

    def record_portfolio(self, release: int, ts_ms: int, value: float, peak: float) -> None:
        """The value of every sub-account together after the *release*-th bar."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO portfolio VALUES (?,?,?,?)",
                       (release, ts_ms, value, peak))

    def record_event(self, kind: str, detail: str, account: str | None = None) -> None:
        """Append an operational event (start, stop, connection state, error)."""
        with self.transaction() as db:
            db.execute("INSERT INTO events (wall_time, account, kind, detail) VALUES "
                       "(?,?,?,?)", (time.time(), account, kind, detail))


def _unusable(path: Path, exc: sqlite3.Error) -> UserError:
    return UserError(f"{path}: not a usable ledger ({exc}); move it away or choose another "
                     "--state folder")


def _bar_row(ctx: LoggedBar, seq: int, logged_at: float) -> tuple[Any, ...]:
    return (ctx.symbol, ctx.interval, seq, ctx.start, ctx.end, ctx.open, ctx.high, ctx.low,
            ctx.close, ctx.volume, ctx.source, levels_json(ctx.bids), levels_json(ctx.asks),
            ctx.mark_price, ctx.funding_rate, ctx.next_funding_time, logged_at, ctx.latency_ms,
            ctx.errors)


_INSERT_BAR = ("INSERT INTO bars (symbol, interval, seq, start, end_ms, open, high, low, "
               "close, volume, source, bids, asks, mark_price, funding_rate, "
               "next_funding_time, logged_at, latency_ms, errors) VALUES "
               "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")


def _same(old: tuple[float, ...], new: tuple[float, ...]) -> bool:
    return all(abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(old, new, strict=True))
