"""Whether a state folder's ledger can be resumed by a session, checked without writing.

A session on a folder with a ledger resumes it, which is only right when the ledger holds
the same sub-accounts (strategy, params, cash) and a schema this version reads. The session
checks this as it opens the ledger; the ``paper`` command checks it first, read-only, so
that a mismatch is refused before the metrics endpoint, the logs or the replay start, and
before the session has written a single row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from backtrader_engine.errors import UserError
from backtrader_engine.paper.account import AccountSpec
from backtrader_engine.paper.ledger import (
    FILENAME,
    SCHEMA_VERSION,
    account_mismatch,
    params_text,
)


def check_resumable(state_dir: Path, specs: Sequence[AccountSpec]) -> None:
    """Refuse a ledger in *state_dir* that a session of *specs* could not resume.

    Read-only; no ledger is fine (a new session).

    Raises
    ------
    UserError
        Not a ledger, another schema version, or an account with other settings.
    """
    path = Path(state_dir) / FILENAME
    if not path.exists():
        return
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return  # the session's own open says what is wrong
    try:
        version = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        db.row_factory = sqlite3.Row
        stored = {row["account"]: dict(row) for row in db.execute("SELECT * FROM accounts")}
    except sqlite3.OperationalError:
        # No tables yet (a ledger created but never written), or WAL files a read-only
        # connection cannot recover: the session's own open decides.
        return
    except sqlite3.DatabaseError as exc:
        raise UserError(f"{path}: not a usable ledger ({exc}); move it away or choose "
                        "another --state folder") from None
    finally:
        db.close()
    if version is not None and int(json.loads(version[0])) != SCHEMA_VERSION:
        raise UserError(f"{path}: ledger schema {json.loads(version[0])}, this version reads "
                        f"{SCHEMA_VERSION}; use a new --state folder")
    for spec in specs:
        old = stored.get(spec.name)
        if old is not None:
            why = account_mismatch(path, spec.name, old, spec.strategy_spec,
                                   params_text(dict(spec.params)), spec.cash)
            if why is not None:
                raise UserError(why)
