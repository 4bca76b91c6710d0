"""The last lines of a (possibly large, possibly growing) log file."""

from __future__ import annotations

import os
from pathlib import Path

#: Bytes read from the end of the file; plenty for a handful of lines.
_TAIL_BYTES = 16_384


def tail_lines(path: Path, count: int, *, since_marker: str | None = None) -> list[str]:
    """The last *count* non-empty lines of *path* (``[]`` if it does not exist).

    With *since_marker*, only lines after the last line starting with it (e.g. the header
    the runner writes at each start), so an old run's output is not mistaken for this one's.
    Undecodable bytes are replaced, never raised.
    """
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            data = handle.read()
    except OSError:
        return []
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    if size > _TAIL_BYTES and lines:
        lines = lines[1:]  # the first one was probably cut
    if since_marker is not None:
        starts = [i for i, line in enumerate(lines) if line.startswith(since_marker)]
        if starts:
            lines = lines[starts[-1] + 1:]
    return lines[-count:] if count > 0 else []
