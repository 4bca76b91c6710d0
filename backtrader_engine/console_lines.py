"""Whole lines on stdout for long-running commands whose stdout and stderr share one file.

The runner starts the bot with ``PYTHONUNBUFFERED=1`` so its console log is current up to a
crash. Unbuffered, ``print(text)`` is two writes (the text, then the newline), and a log record
from another thread (the stream client's) can land between them, gluing two lines together
in the log. Line buffering keeps each printed line one write and still flushes at every
newline, so nothing printed is held back.
"""

from __future__ import annotations

import io
import sys
from typing import TextIO


def whole_lines(stream: TextIO | None = None) -> None:
    """Make *stream* (default stdout) write each line at once, when it is not a terminal."""
    stream = sys.stdout if stream is None else stream
    if not isinstance(stream, io.TextIOWrapper) or stream.isatty():
        return  # a terminal is line-buffered already; a replaced stream is the caller's
    stream.reconfigure(line_buffering=True, write_through=False)
