"""The crash-safe paper ledger: one SQLite file (WAL) under the session's state folder.

Two kinds of rows:

* **inputs** — every bar context (:class:`~.context.BarContext`), injected signals and
  operator commands (pause or resume entries, force exits). They are the session's event
  log. A live bar is *staged* as it is released and written by the next transaction on the
  ledger, whatever that transaction writes — in practice the first sub-account's outputs of
  that bar step. So nothing derived from a bar is ever committed without the bar, and the
  strategies' reaction to a bar does not wait for a commit of its own.
* **outputs** — orders, fills, funding payments, signals, account states and the equity
  curve. Each is keyed by ids a deterministic run reproduces (an account's n-th order, that
  order's k-th fill), and written with an idempotent upsert. A sub-account's outputs of one
  bar step are written together, in one transaction, once the step is done
  (:meth:`Ledger.write_outputs`): its state moves from one bar to the next atomically, and
  the strategy's reaction to a bar never waits on the disk.

On restart the session feeds the logged inputs through the same strategies and brokers
again (:mod:`.session`), which re-derives every output: rows already stored are verified,
rows lost in the crash are written. So no fill is lost (it is re-derived from committed
inputs) and none is applied twice (its key exists). Every write is one transaction; WAL
with ``synchronous=NORMAL`` makes a committed transaction survive the process being killed.

Readers (the status snapshot, metrics, alerts) open the file read-only while the session
writes; WAL lets them read a consistent state without blocking it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from backtrader_engine.errors import UserError
from backtrader_engine.paper.context import BarContext

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
FILENAME = "ledger.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS bars (
    symbol TEXT NOT NULL, interval TEXT NOT NULL, seq INTEGER NOT NULL,
    start INTEGER NOT NULL, end_ms INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL,
    low REAL NOT NULL, close REAL NOT NULL, volume REAL NOT NULL, source TEXT NOT NULL,
    bids TEXT NOT NULL, asks TEXT NOT NULL, mark_price REAL, funding_rate REAL,
    next_funding_time INTEGER, logged_at REAL NOT NULL, latency_ms REAL, errors INTEGER,
    PRIMARY KEY (symbol, interval, seq), UNIQUE (symbol, interval, start));
CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, strategy TEXT NOT NULL, symbol TEXT NOT NULL,
    params TEXT NOT NULL, initial_cash REAL NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    account TEXT NOT NULL, seq INTEGER NOT NULL, bar_seq INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL, size REAL NOT NULL,
    price REAL, price_limit REAL, parent_seq INTEGER, status TEXT NOT NULL, reason TEXT,
    confidence REAL, info TEXT NOT NULL, updated_ms INTEGER NOT NULL,
    PRIMARY KEY (account, seq));
CREATE TABLE IF NOT EXISTS fills (
    account TEXT NOT NULL, order_seq INTEGER NOT NULL, fill_seq INTEGER NOT NULL,
    bar_seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL, symbol TEXT NOT NULL,
    side TEXT NOT NULL, size REAL NOT NULL, price REAL NOT NULL, fee REAL NOT NULL,
    liquidity TEXT NOT NULL, pnl REAL NOT NULL, position_after REAL NOT NULL,
    liquidation INTEGER NOT NULL, recorded_at REAL,
    PRIMARY KEY (account, order_seq, fill_seq));
CREATE TABLE IF NOT EXISTS funding (
    account TEXT NOT NULL, funding_time INTEGER NOT NULL, symbol TEXT NOT NULL,
    rate REAL NOT NULL, mark_price REAL NOT NULL, position REAL NOT NULL,
    payment REAL NOT NULL, PRIMARY KEY (account, funding_time));
CREATE TABLE IF NOT EXISTS signals (
    account TEXT NOT NULL, order_seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    strategy TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, size REAL NOT NULL,
    price REAL, confidence REAL, outcome TEXT NOT NULL, reason TEXT, message TEXT,
    stage TEXT NOT NULL, PRIMARY KEY (account, order_seq));
CREATE TABLE IF NOT EXISTS account_state (
    account TEXT PRIMARY KEY, bar_seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    cash REAL NOT NULL, value REAL NOT NULL, position REAL NOT NULL,
    position_price REAL NOT NULL, fees REAL NOT NULL, funding REAL NOT NULL,
    peak REAL, trades_won INTEGER, trades_lost INTEGER, realised_pnl REAL,
    trips_net_pnl REAL);
CREATE TABLE IF NOT EXISTS equity (
    account TEXT NOT NULL, bar_seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    value REAL NOT NULL, PRIMARY KEY (account, bar_seq));
CREATE TABLE IF NOT EXISTS injections (
    signal_id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, qty REAL,
    confidence REAL NOT NULL, after_release INTEGER NOT NULL, received_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS portfolio (
    release INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, value REAL NOT NULL,
    peak REAL NOT NULL);
CREATE TABLE IF NOT EXISTS controls (
    control_id INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, symbol TEXT,
    after_release INTEGER NOT NULL, received_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wall_time REAL NOT NULL, account TEXT,
    kind TEXT NOT NULL, detail TEXT NOT NULL);
-- What status readers look up while the session runs; each keeps a read from scanning a
-- table that grows with every bar.
CREATE INDEX IF NOT EXISTS bars_by_close ON bars (symbol, end_ms);
CREATE INDEX IF NOT EXISTS fills_by_time ON fills (ts_ms);
CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status);
CREATE INDEX IF NOT EXISTS signal_outcomes ON signals (account, outcome, reason);
"""


class LedgerDivergence(RuntimeError):
    """A re-derived output differs from the stored one (the inputs or code changed)."""


class Ledger:
    """The SQLite ledger of one paper session; safe to share between threads.

    Parameters
    ----------
    state_dir : path
        The session's state folder (created if missing); the file is ``ledger.sqlite``.
    """

    def __init__(self, state_dir: Path | str) -> None:
        self.state_dir = Path(state_dir)
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"--state {self.state_dir}: cannot create the folder ({exc})"
                            ) from None
        self.path = self.state_dir / FILENAME
        self._lock = threading.RLock()
        # (context, seq, logged_at) of bars the next transaction writes first; serialised
        # only then, off the path from a closed bar to the strategies' orders
        self._staged_bars: list[tuple[BarContext, int, float]] = []
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None,
                                       check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            _migrate(self._db)
        except sqlite3.DatabaseError as exc:
            raise UserError(f"{self.path}: not a usable ledger ({exc}); move it away or "
                            "choose another --state folder") from None
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", SCHEMA_VERSION)
        elif int(version) != SCHEMA_VERSION:
            raise UserError(f"{self.path}: ledger schema {version}, this version reads "
                            f"{SCHEMA_VERSION}; use a new --state folder")
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

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read query, as mappings."""
        with self._lock:
            cursor = self._db.execute(sql, args)
            names = [c[0] for c in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    # --- meta -------------------------------------------------------------------------------
    def get_meta(self, key: str) -> Any:
        """A JSON value stored under *key*, or ``None``."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable *value* under *key*."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                       (key, json.dumps(value, default=str)))

    # --- inputs -----------------------------------------------------------------------------
    def append_bar(self, ctx: BarContext, *, defer: bool = False) -> int:
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

    def bars(self, symbol: str, interval: str) -> list[BarContext]:
        """Every logged context of *symbol*/*interval*, in order."""
        rows = self.query("SELECT * FROM bars WHERE symbol=? AND interval=? ORDER BY seq",
                          (symbol, interval))
        return [BarContext(r["symbol"], r["interval"], r["start"], r["end_ms"], r["open"],
                           r["high"], r["low"], r["close"], r["volume"], r["source"],
                           BarContext.parse_levels(r["bids"]),
                           BarContext.parse_levels(r["asks"]), r["mark_price"],
                           r["funding_rate"], r["next_funding_time"], r["latency_ms"],
                           r["errors"] or 0) for r in rows]

    def append_injection(self, symbol: str, side: str, qty: float | None, confidence: float,
                         after_release: int) -> int:
        """Log a manual signal applied after the *after_release*-th released bar; its id."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO injections (symbol, side, qty, confidence, after_release, "
                "received_at) VALUES (?,?,?,?,?,?)",
                (symbol, side, qty, confidence, after_release, time.time()))
        return int(cursor.lastrowid or 0)

    def injections(self) -> list[dict[str, Any]]:
        """Every logged manual signal, in the order they were applied."""
        return self.query("SELECT * FROM injections ORDER BY signal_id")

    def append_control(self, op: str, symbol: str | None, after_release: int) -> int:
        """Log an operator command applied after the *after_release*-th released bar."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO controls (op, symbol, after_release, received_at) VALUES "
                "(?,?,?,?)", (op, symbol, after_release, time.time()))
        return int(cursor.lastrowid or 0)

    def controls(self) -> list[dict[str, Any]]:
        """Every logged operator command, in the order they were applied."""
        return self.query("SELECT * FROM controls ORDER BY control_id")

    # --- outputs ----------------------------------------------------------------------------
    def register_account(self, account: str, strategy: str, symbol: str,
                         params: dict[str, Any], initial_cash: float) -> None:
        """Record a sub-account; a restart must bring the same strategy, params and cash."""
        stored = self.query("SELECT * FROM accounts WHERE account=?", (account,))
        text = params_text(params)
        if stored:
            why = account_mismatch(self.path, account, stored[0], strategy, text, initial_cash)
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
                if table not in _OUTPUT_TABLES:
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


def remove_ledger(state_dir: Path | str) -> list[str]:
    """Delete the ledger of *state_dir* with SQLite's side files; the names removed.

    Only for a ledger its own session never got going with (see ``PaperSession.stop``).
    """
    removed = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(state_dir) / (FILENAME + suffix)
        if path.exists():
            path.unlink()
            removed.append(path.name)
    return removed


def params_text(params: dict[str, Any]) -> str:
    """Params as the ``accounts`` table stores them."""
    return json.dumps(params, sort_keys=True, default=str)


def account_mismatch(path: Path, account: str, stored: dict[str, Any], strategy: str,
                     params: str, cash: float) -> str | None:
    """The refusal when a stored account differs from the one a session brings, else None."""
    if (stored["strategy"], stored["params"], stored["initial_cash"]) == (strategy, params,
                                                                          cash):
        return None
    return (f"{path}: account {account} was started with strategy {stored['strategy']}, "
            f"params {stored['params']}, cash {stored['initial_cash']:g}; restarting with "
            "different ones would not resume the same session — use a new --state folder")


def _bar_row(ctx: BarContext, seq: int, logged_at: float) -> tuple[Any, ...]:
    bids, asks = ctx.levels_json()
    return (ctx.symbol, ctx.interval, seq, ctx.start, ctx.end, ctx.open, ctx.high, ctx.low,
            ctx.close, ctx.volume, ctx.source, bids, asks, ctx.mark_price, ctx.funding_rate,
            ctx.next_funding_time, logged_at, ctx.latency_ms, ctx.errors)


_INSERT_BAR = ("INSERT INTO bars (symbol, interval, seq, start, end_ms, open, high, low, "
               "close, volume, source, bids, asks, mark_price, funding_rate, "
               "next_funding_time, logged_at, latency_ms, errors) VALUES "
               "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
_OUTPUT_TABLES = frozenset({"orders", "signals", "account_state", "equity", "funding",
                            "portfolio"})


_ADDED_COLUMNS = {"bars": (("latency_ms", "REAL"), ("errors", "INTEGER")),
                  "fills": (("recorded_at", "REAL"),),
                  "account_state": (("peak", "REAL"), ("trades_won", "INTEGER"),
                                    ("trades_lost", "INTEGER"), ("realised_pnl", "REAL"),
                                    ("trips_net_pnl", "REAL"))}


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a ledger written by an earlier release up to this schema (additions only)."""
    for table, added in _ADDED_COLUMNS.items():
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in added:
            if name not in columns:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def _same(old: tuple[float, ...], new: tuple[float, ...]) -> bool:
    return all(abs(a - b) <= 1e-9 * max(1.0, abs(a)) for a, b in zip(old, new, strict=True))


def logged_until(state_dir: Path | str) -> int | None:
    """Close time (ms) of the newest bar logged under *state_dir*, or ``None``."""
    path = Path(state_dir) / FILENAME
    if not path.is_file():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT MAX(end_ms) FROM bars").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        db.close()
    return None if row is None or row[0] is None else int(row[0]) + 1
