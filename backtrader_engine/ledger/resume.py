"""Whether a state folder's ledger can be resumed by a session, checked without writing.

A session on a folder with a ledger resumes it, which is only right when the ledger holds
the same sub-accounts (strategy, params, cash) and a schema this version reads. The writer
checks this as it opens the ledger; the ``paper`` command checks it first, read-only
(:func:`check_resumable`), so that a mismatch is refused before the metrics endpoint, the
logs or the replay start, and before the session has written a single row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from backtrader_engine.errors import UserError
from backtrader_engine.ledger.files import ledger_path
from backtrader_engine.ledger.reader import LedgerReader, LedgerReadError
from backtrader_engine.ledger.rows import AccountRow


class ResumingAccount(Protocol):
    """A sub-account a session brings (the paper session's ``AccountSpec``)."""

    @property
    def name(self) -> str: ...
    @property
    def strategy_spec(self) -> str: ...
    @property
    def params(self) -> Mapping[str, Any]: ...
    @property
    def cash(self) -> float: ...


def params_text(params: Mapping[str, Any]) -> str:
    """Params as the ``accounts`` table stores them."""
    return json.dumps(dict(params), sort_keys=True, default=str)


def account_mismatch(path: Path, stored: AccountRow, strategy: str, params: str,
                     cash: float) -> str | None:
    """The refusal when a stored account differs from the one a session brings, else None."""
    if (stored.strategy, stored.params, stored.initial_cash) == (strategy, params, cash):
        return None
    return (f"{path}: account {stored.account} was started with strategy {stored.strategy}, "
            f"params {stored.params}, cash {stored.initial_cash:g}; restarting with "
            "different ones would not resume the same session — use a new --state folder")


def check_resumable(state_dir: Path | str, accounts: Sequence[ResumingAccount]) -> None:
    """Refuse a ledger in *state_dir* that a session of *accounts* could not resume.

    Read-only; no ledger is fine (a new session).

    Raises
    ------
    UserError
        Not a ledger, a schema newer than this code's, or an account with other settings.
    """
    path = ledger_path(state_dir)
    if not path.exists():
        return
    try:
        reader = LedgerReader(path)
    except LedgerReadError:
        return  # the session's own open says what is wrong
    try:
        stored = {row.account: row for row in reader.accounts()}
    except LedgerReadError as exc:
        if exc.operational:
            # No tables yet (a ledger created but never written), or WAL files a read-only
            # connection cannot recover: the session's own open decides.
            return
        raise UserError(f"{path}: not a usable ledger ({exc}); move it away or choose "
                        "another --state folder") from None
    finally:
        reader.close()
    for spec in accounts:
        old = stored.get(spec.name)
        if old is not None:
            why = account_mismatch(path, old, spec.strategy_spec, params_text(spec.params),
                                   spec.cash)
            if why is not None:
                raise UserError(why)
