"""Schema versions: which one a ledger holds, and bringing it to this code's.

A ledger's version is ``PRAGMA user_version`` (in the file header, readable without any
table) from version 2 on; version 1 kept it only in the ``meta`` row ``schema_version``. Both
are written, so code that knows only the row still refuses a newer ledger in its own words.

The writer migrates when it opens a ledger (:func:`migrate`): every step runs in one
transaction with the version bump, so a crash leaves the old version or the new one, never a
mix. Readers never migrate: they read each version as it is (:func:`read_version`). A ledger
newer than :data:`~.schema.SCHEMA_VERSION` is refused by both, in one line.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from backtrader_engine.errors import UserError
from backtrader_engine.ledger.schema import (
    SCHEMA_VERSION,
    V1_ADDED_COLUMNS,
    V1_INDEXES,
    V1_TABLES,
    V2_INDEXES,
    VERSION_KEY,
)


def stored_version(db: sqlite3.Connection, path: Path) -> int:
    """The schema version of the ledger open on *db*; 0 when it holds no ledger yet.

    Raises
    ------
    UserError
        A version row that is not a version number.
    """
    header = int(db.execute("PRAGMA user_version").fetchone()[0])
    if header:
        return header
    has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
                          ).fetchone()
    if has_meta is None:
        return 0
    row = db.execute("SELECT value FROM meta WHERE key=?", (VERSION_KEY,)).fetchone()
    if row is None:
        # Version 1 created its tables, then wrote the row: a crash in between left this.
        return 1
    try:
        return int(json.loads(row[0]))
    except (TypeError, ValueError):
        raise UserError(f"{path}: ledger schema {row[0]!r} is not a schema version; move it "
                        "away or choose another --state folder") from None


def refuse_newer(path: Path, version: int) -> None:
    """Raise when *version* is newer than this code reads (one line)."""
    if version > SCHEMA_VERSION:
        raise UserError(f"{path}: ledger schema {version} is newer than this version of "
                        f"backtrader_engine reads ({SCHEMA_VERSION}); upgrade it, or use a new "
                        "--state folder")


def read_version(db: sqlite3.Connection, path: Path) -> int:
    """The version of the ledger on *db*, refused when newer than this code; writes nothing."""
    version = stored_version(db, path)
    refuse_newer(path, version)
    return version


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Create or bring the ledger on *db* to :data:`SCHEMA_VERSION`; the version it had.

    *db* is in autocommit mode (``isolation_level=None``); the migration is one transaction.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        found = stored_version(db, path)
        refuse_newer(path, found)
        version = found
        if version == 0:  # a new file: version 1's tables, then its migrations
            _create_v1(db)
            version = 1
        for start, step in MIGRATIONS:
            if version == start:
                step(db)
                version += 1
        if found != SCHEMA_VERSION:
            _store_version(db, version)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return found


def _create_v1(db: sqlite3.Connection) -> None:
    for statement in V1_TABLES + V1_INDEXES:
        db.execute(statement)


def _v1_to_v2(db: sqlite3.Connection) -> None:
    """Complete version 1 (a ledger may predate some of its columns), add version 2's
    indexes; the version is then stored in the file header too."""
    _create_v1(db)
    for table, added in V1_ADDED_COLUMNS.items():
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in added:
            if name not in columns:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
    for statement in V2_INDEXES:
        db.execute(statement)


def _store_version(db: sqlite3.Connection, version: int) -> None:
    db.execute(f"PRAGMA user_version = {int(version)}")
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (VERSION_KEY, json.dumps(version)))


#: ``(version, step)``: each step takes a ledger of *version* to the next one.
MIGRATIONS: tuple[tuple[int, Callable[[sqlite3.Connection], None]], ...] = (
    (1, _v1_to_v2),
)
