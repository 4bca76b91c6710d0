"""The ledger's tables, as this version creates them, and the schema version they make.

Version 1 is every ledger written before the version lived in the file header (only in the
``meta`` row ``schema_version``); version 2 stores it as ``PRAGMA user_version`` too and adds
the indexes :data:`V2_INDEXES`. :mod:`.migrations` brings an older ledger here; a ledger of
a higher version is refused.
"""

from __future__ import annotations

#: The schema this code creates, migrates to, and reads.
SCHEMA_VERSION = 2

#: The ``meta`` key holding the schema version (JSON), as every version wrote it.
VERSION_KEY = "schema_version"

TABLES = ("meta", "bars", "accounts", "orders", "fills", "funding", "signals",
          "account_state", "equity", "injections", "portfolio", "controls", "events")

#: Tables a bar step's outputs go to (:meth:`~.writer.LedgerWriter.write_outputs`).
OUTPUT_TABLES = frozenset({"orders", "signals", "account_state", "equity", "funding",
                           "portfolio"})

#: Every table of version 1, as its last release created it. A new ledger is created as
#: version 1 and migrated (:mod:`.migrations`), so it and a migrated one are the same.
V1_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS bars (
    symbol TEXT NOT NULL, interval TEXT NOT NULL, seq INTEGER NOT NULL,
    start INTEGER NOT NULL, end_ms INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL,
    low REAL NOT NULL, close REAL NOT NULL, volume REAL NOT NULL, source TEXT NOT NULL,
    bids TEXT NOT NULL, asks TEXT NOT NULL, mark_price REAL, funding_rate REAL,
    next_funding_time INTEGER, logged_at REAL NOT NULL, latency_ms REAL, errors INTEGER,
    PRIMARY KEY (symbol, interval, seq), UNIQUE (symbol, interval, start))""",
    """CREATE TABLE IF NOT EXISTS accounts (
    account TEXT PRIMARY KEY, strategy TEXT NOT NULL, symbol TEXT NOT NULL,
    params TEXT NOT NULL, initial_cash REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS orders (
    account TEXT NOT NULL, seq INTEGER NOT NULL, bar_seq INTEGER NOT NULL,
    created_ms INTEGER NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL, size REAL NOT NULL,
    price REAL, price_limit REAL, parent_seq INTEGER, status TEXT NOT NULL, reason TEXT,
    confidence REAL, info TEXT NOT NULL, updated_ms INTEGER NOT NULL,
    PRIMARY KEY (account, seq))""",
    """CREATE TABLE IF NOT EXISTS fills (
    account TEXT NOT NULL, order_seq INTEGER NOT NULL, fill_seq INTEGER NOT NULL,
    bar_seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL, symbol TEXT NOT NULL,
    side TEXT NOT NULL, size REAL NOT NULL, price REAL NOT NULL, fee REAL NOT NULL,
    liquidity TEXT NOT NULL, pnl REAL NOT NULL, position_after REAL NOT NULL,
    liquidation INTEGER NOT NULL, recorded_at REAL,
    PRIMARY KEY (account, order_seq, fill_seq))""",
    """CREATE TABLE IF NOT EXISTS funding (
    account TEXT NOT NULL, funding_time INTEGER NOT NULL, symbol TEXT NOT NULL,
    rate REAL NOT NULL, mark_price REAL NOT NULL, position REAL NOT NULL,
    payment REAL NOT NULL, PRIMARY KEY (account, funding_time))""",
    """CREATE TABLE IF NOT EXISTS signals (
    account TEXT NOT NULL, order_seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    strategy TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, size REAL NOT NULL,
    price REAL, confidence REAL, outcome TEXT NOT NULL, reason TEXT, message TEXT,
    stage TEXT NOT NULL, PRIMARY KEY (account, order_seq))""",
    """CREATE TABLE IF NOT EXISTS account_state (
    account TEXT PRIMARY KEY, bar_seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    cash REAL NOT NULL, value REAL NOT NULL, position REAL NOT NULL,
    position_price REAL NOT NULL, fees REAL NOT NULL, funding REAL NOT NULL,
    peak REAL, trades_won INTEGER, trades_lost INTEGER, realised_pnl REAL,
    trips_net_pnl REAL)""",
    """CREATE TABLE IF NOT EXISTS equity (
    account TEXT NOT NULL, bar_seq INTEGER NOT NULL, ts_ms INTEGER NOT NULL,
    value REAL NOT NULL, PRIMARY KEY (account, bar_seq))""",
    """CREATE TABLE IF NOT EXISTS injections (
    signal_id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, side TEXT NOT NULL, qty REAL,
    confidence REAL NOT NULL, after_release INTEGER NOT NULL, received_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS portfolio (
    release INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, value REAL NOT NULL,
    peak REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS controls (
    control_id INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, symbol TEXT,
    after_release INTEGER NOT NULL, received_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, wall_time REAL NOT NULL, account TEXT,
    kind TEXT NOT NULL, detail TEXT NOT NULL)""",
)

#: Version 1's indexes: what status readers look up while the session runs; each keeps a
#: read from scanning a table that grows with every bar.
V1_INDEXES = (
    "CREATE INDEX IF NOT EXISTS bars_by_close ON bars (symbol, end_ms)",
    "CREATE INDEX IF NOT EXISTS fills_by_time ON fills (ts_ms)",
    "CREATE INDEX IF NOT EXISTS orders_by_status ON orders (status)",
    "CREATE INDEX IF NOT EXISTS signal_outcomes ON signals (account, outcome, reason)",
)

#: Columns version 1 added to its tables over its releases (a version-1 ledger may predate
#: them): ``{table: ((column, type), ...)}``.
V1_ADDED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "bars": (("latency_ms", "REAL"), ("errors", "INTEGER")),
    "fills": (("recorded_at", "REAL"),),
    "account_state": (("peak", "REAL"), ("trades_won", "INTEGER"), ("trades_lost", "INTEGER"),
                      ("realised_pnl", "REAL"), ("trips_net_pnl", "REAL")),
}

#: Version 2's indexes. The latest signals (every status read and metrics scrape) and one
#: day's signals (the daily summary) were a scan and a sort of the whole table; the fills of
#: one account before a closing fill (the position-closed message) sorted every fill the
#: account ever had.
V2_INDEXES = (
    "CREATE INDEX IF NOT EXISTS signals_by_time ON signals (ts_ms DESC, account)",
    "CREATE INDEX IF NOT EXISTS fills_by_account_time ON fills (account, ts_ms)",
)
