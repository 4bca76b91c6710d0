"""The last lines of the bot's log (for ``/logs``): JSON lines shown as readable text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from backtrader_engine.errors import UserError
from backtrader_engine.operations import tail_lines
from backtrader_engine.redaction import redact


def readable(line: str) -> str:
    """A JSON log record as ``time LEVEL logger: message``; other lines as they are.

    Reads the keys of :mod:`backtrader_engine.service.logging_setup` (``ts``, ``level``,
    ``logger``, ``message``, ``exception``) and the usual alternatives (``time``,
    ``levelname``, ``name``, ``msg``...). Any secret in the line is masked.
    """
    try:
        record = json.loads(line)
    except ValueError:
        return redact(line)
    if not isinstance(record, dict):
        return redact(line)
    stamp = _first(record, "ts", "time", "timestamp", "asctime", "@timestamp")
    if isinstance(stamp, int | float):
        seconds = stamp / 1000 if stamp > 1e11 else stamp
        stamp = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    logger = _first(record, "logger", "name")
    parts = [str(stamp or ""), str(_first(record, "level", "levelname", "severity") or ""),
             f"{logger}:" if logger else "", str(_first(record, "message", "msg") or "")]
    text = " ".join(p for p in parts if p)
    error = _first(record, "exception", "exc_info", "exc", "error")
    if error:
        text += f" | {error}"
    return redact(text)


def _first(record: dict[str, object], *keys: str) -> object:
    for key in keys:
        if record.get(key) not in (None, ""):
            return record[key]
    return None


def log_lines(path: Path | None, n: int) -> list[str]:
    """The last *n* lines of the log file *path*, readable.

    Raises
    ------
    UserError
        When the bot writes no log file, or it does not exist (yet).
    """
    if path is None:
        raise UserError("this bot writes no log file")
    if not Path(path).is_file():
        raise UserError(f"no log file {path} yet")
    return [readable(line) for line in tail_lines(Path(path), n)]
