"""Logs of the long-running bot: JSON lines to a rotating file, readable console lines.

``logs/<name>.jsonl`` gets one JSON object per record (``ts`` in UTC ISO-8601, ``level``,
``logger``, ``message``, ``pid``, ``thread``, any ``extra={...}`` fields, ``exception``), for
machines (jq, Loki, Elastic). It is rotated by size (``RotatingFileHandler``): at
``max_bytes`` it becomes ``<name>.jsonl.1`` and at most ``backups`` old files are kept. The
console (stderr) gets ``time level logger: message`` lines for people.

Secrets never reach either: every formatted line goes through
:func:`~backtrader_engine.redaction.redact`, so the values of the secret environment variables
(:data:`~backtrader_engine.config.SECRET_ENV_VARS`) and any registered secret (the bot token)
are replaced by ``***``, should any code ever format one into a message.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from backtrader_engine.errors import UserError
from backtrader_engine.redaction import redact

DEFAULT_LOG_DIR = Path("logs")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 5
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

#: Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}
#: Libraries whose INFO records are per-connection chatter; kept at WARNING unless DEBUG.
_CHATTY = ("websockets", "urllib3")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record, secrets masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "pid": record.process, "thread": record.threadName}
        entry.update({k: v for k, v in vars(record).items()
                      if k not in _RECORD_FIELDS and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


class ConsoleFormatter(logging.Formatter):
    """``2026-01-02 03:04:05 WARNING backtrader_engine.paper.hub: message``, secrets masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s",
                         datefmt="%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class LogSetup:
    """Handlers installed on the root logger; :meth:`close` (or ``with``) removes them."""

    def __init__(self, path: Path | None, handlers: list[logging.Handler],
                 previous_levels: dict[str, int]) -> None:
        self.path = path
        self.handlers = handlers
        self._previous_levels = previous_levels

    def close(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        for name, level in self._previous_levels.items():
            logging.getLogger(name or None).setLevel(level)
        self.handlers = []

    def __enter__(self) -> LogSetup:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def setup_logging(name: str, *, log_dir: Path | None = DEFAULT_LOG_DIR, level: str = "INFO",
                  max_bytes: int = DEFAULT_MAX_BYTES, backups: int = DEFAULT_BACKUPS,
                  console: IO[str] | None = None) -> LogSetup:
    """Send log records to ``log_dir/<name>.jsonl`` (rotated) and to the console.

    Parameters
    ----------
    name
        File stem, e.g. ``paper`` → ``logs/paper.jsonl``.
    log_dir
        Folder of the JSON-lines file (created); ``None`` logs to the console only.
    level
        Lowest level recorded: DEBUG, INFO, WARNING or ERROR.
    max_bytes, backups
        Rotate the file at *max_bytes*, keeping *backups* old files.
    console
        Stream for the readable lines (default ``sys.stderr`` at call time).

    Raises
    ------
    UserError
        When the log folder cannot be created or the file not opened.
    """
    if level.upper() not in LEVELS:
        raise UserError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    check_rotation(max_bytes, backups)
    handlers: list[logging.Handler] = []
    path = None
    if log_dir is not None:
        path = Path(log_dir) / f"{name}.jsonl"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            file_handler: logging.Handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"log folder {log_dir}: cannot write {path.name} ({exc}); pass a "
                            "writable --log-dir") from None
        file_handler.setFormatter(JsonLinesFormatter())
        handlers.append(file_handler)
    stream_handler = logging.StreamHandler(console if console is not None else sys.stderr)
    stream_handler.setFormatter(ConsoleFormatter())
    handlers.append(stream_handler)
    root = logging.getLogger()
    previous = {name: logging.getLogger(name or None).level for name in ("", *_CHATTY)}
    root.setLevel(level.upper())
    if level.upper() != "DEBUG":
        for name in _CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
    for handler in handlers:
        root.addHandler(handler)
    return LogSetup(path, handlers, previous)


def check_rotation(max_bytes: int, backups: int) -> None:
    """Refuse a rotation below 1 KB per file or with no backup.

    Raises
    ------
    UserError
        Naming both values.
    """
    if max_bytes < 1024 or backups < 1:
        raise UserError(f"log rotation needs at least 1 KB per file and 1 backup (got "
                        f"{max_bytes} bytes, {backups} backups)")
