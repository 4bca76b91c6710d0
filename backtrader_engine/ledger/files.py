"""Where a session's ledger lives in its state folder, and removing it."""

from __future__ import annotations

from pathlib import Path

FILENAME = "ledger.sqlite"
#: SQLite's side files next to the ledger (WAL, its shared-memory index, a rollback journal).
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")


def ledger_path(state_dir: Path | str) -> Path:
    """The ledger file of the state folder *state_dir* (which may not exist)."""
    return Path(state_dir) / FILENAME


def remove_ledger(state_dir: Path | str) -> list[str]:
    """Delete the ledger of *state_dir* with SQLite's side files; the names removed.

    Only for a ledger its own session never got going with (see ``PaperSession.stop``).
    """
    removed = []
    for suffix in ("", *SIDE_SUFFIXES):
        path = Path(state_dir) / (FILENAME + suffix)
        if path.exists():
            path.unlink()
            removed.append(path.name)
    return removed
