"""Check an output folder before any work is done.

A run that computes for minutes and then cannot write its results (``--out`` names a file, a
folder below a file, or a folder without write permission) loses the work; a study would fail
only after its trials. :func:`check_output_dir` refuses such a path up front, in one line,
without creating anything, so a refused run leaves nothing on disk.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from backtrader_engine.errors import UserError


class OutputDirError(UserError):
    """An output folder that cannot be used: a file, below a file, or not writable."""


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def check_output_dir(path: Path, flag: str,
                     expected: str = "a folder (new or existing) to write into") -> Path:
    """Return *path* when it is a folder that exists or can be created and written to.

    Parameters
    ----------
    path : Path
        The folder a command will write into (created later, by the command).
    flag : str
        How the message names it: ``--out``, ``--store``.
    expected : str
        What the message says is expected instead.

    Raises
    ------
    OutputDirError
        One line naming *flag*, *path* and what is wrong.
    """
    path = Path(path)
    where = f"{flag} {path}"
    if path.exists() and not path.is_dir():
        raise OutputDirError(f"{where}: is a file, not a folder; expected {expected}")
    existing = _nearest_existing(path.absolute())
    if not existing.is_dir():
        raise OutputDirError(f"{where}: cannot create it because {existing} is a file; "
                             f"expected {expected}")
    what = "write into it" if existing == path.absolute() else f"create it in {existing}"
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputDirError(f"{where}: permission denied to {what}; expected {expected}")
    # Permission bits do not tell everything (a read-only or special file system, root on
    # /proc): making and removing an empty folder there does, and leaves nothing behind.
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".bte-write-check-", dir=existing))
    except OSError as exc:
        raise OutputDirError(f"{where}: cannot {what}: {exc.strerror or exc}; expected "
                             f"{expected}") from None
    return path


def make_output_dir(path: Path, flag: str) -> Path:
    """Create *path* (and its parents); an OS refusal becomes a one-line :class:`OutputDirError`.

    :func:`check_output_dir` catches the usual cases up front; this covers what only the
    attempt shows (a read-only or special file system, a full disk).
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputDirError(f"{flag} {path}: cannot create it: {exc.strerror or exc}; "
                             f"expected a folder that can be written to") from None
    return path
