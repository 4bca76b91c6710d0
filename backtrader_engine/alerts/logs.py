"""The last lines of the bot's log (for ``/logs``): JSON lines shown as readable text."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from backtrader_engine.alerts.redact import redact
from backtrader_engine.errors import UserError

_PATTERNS = ("*.jsonl", "*.log", "*.json")
_BLOCK = 8192


def newest_log(log_dir: Path | str) -> Path:
    """The most recently written log file in *log_dir*.

    Raises
    ------
    UserError
        When the folder does not exist or holds no ``*.jsonl``, ``*.log`` or ``*.json`` file.
    """
    folder = Path(log_dir)
    if not folder.is_dir():
        raise UserError(f"no log folder {folder}; set 'telegram.log_dir' in "
                        "alert_config.json to the folder the bot logs to")
    files = [p for pattern in _PATTERNS for p in folder.glob(pattern) if p.is_file()]
    if not files:
        raise UserError(f"no log file (*.jsonl, *.log) in {folder} yet")
    return max(files, key=lambda p: p.stat().st_mtime)


def tail(path: Path, n: int) -> list[str]:
    """The last *n* lines of *path*, read from the end (a log may be large)."""
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        data = b""
        while end > 0 and data.count(b"\n") <= n:
            start = max(0, end - _BLOCK)
            handle.seek(start)
            data = handle.read(end - start) + data
            end = start
    lines = data.decode("utf-8", errors="replace").splitlines()
    return [line for line in lines if line.strip()][-n:]


def readable(line: str) -> str:
    """A JSON log record as ``time LEVEL logger: message``; other lines as they are.

    Understands the usual keys (``time``/``timestamp``/``ts``/``asctime``,
    ``level``/``levelname``, ``logger``/``name``, ``message``/``msg``, ``exc``/``exc_info``).
    Any bot token in the line is masked.
    """
    try:
        record = json.loads(line)
    except ValueError:
        return redact(line)
    if not isinstance(record, dict):
        return redact(line)
    stamp = _first(record, "time", "timestamp", "ts", "asctime", "@timestamp")
    if isinstance(stamp, int | float):
        seconds = stamp / 1000 if stamp > 1e11 else stamp
        stamp = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    parts = [str(stamp) if stamp is not None else "",
             str(_first(record, "level", "levelname", "severity") or ""),
             f"{_first(record, 'logger', 'name') or ''}:".lstrip(":"),
             str(_first(record, "message", "msg", "event") or "")]
    text = " ".join(p for p in parts if p)
    error = _first(record, "exc", "exc_info", "exception", "error")
    if error:
        text += f" | {error}"
    return redact(text)


def _first(record: dict[str, object], *keys: str) -> object:
    for key in keys:
        if record.get(key) not in (None, ""):
            return record[key]
    return None


def log_lines(log_dir: Path | str, n: int) -> tuple[Path, list[str]]:
    """The newest log file under *log_dir* and its last *n* lines, readable."""
    path = newest_log(log_dir)
    return path, [readable(line) for line in tail(path, n)]
