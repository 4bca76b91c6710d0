"""Keep the bot token out of every log line.

python-telegram-bot and httpx put the request URL, which contains the token
(``/bot<token>/sendMessage``), into debug and info lines, and python-telegram-bot's
``InvalidToken`` message quotes the token. So: their loggers are set to WARNING, and a
filter on every logger of those libraries (and of this package) replaces any registered
token with ``<token>`` in the message, its arguments and a formatted traceback.
"""

from __future__ import annotations

import logging
import threading

_LIBRARIES = ("telegram", "httpx", "httpcore", "backtrader_engine.telegram")
_QUIET = ("telegram", "httpx", "httpcore")
MASK = "<token>"


class _Redactor(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.lock = threading.Lock()

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = self.scrub(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


_REDACTOR = _Redactor()


def redact(text: object) -> str:
    """*text* with every registered token replaced by ``<token>``."""
    return _REDACTOR.scrub(str(text))


def protect_token(token: str) -> None:
    """Register *token* for redaction and quieten the HTTP and Telegram loggers.

    ``telegram.ext`` is imported first, so every module logger of the library exists and
    gets the filter.
    """
    import telegram.ext  # noqa: F401 (creates the library's loggers)

    with _REDACTOR.lock:
        _REDACTOR.secrets.add(token)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    names = [name for name in list(logging.root.manager.loggerDict)
             if any(name == lib or name.startswith(lib + ".") for lib in _LIBRARIES)]
    for name in {*names, *_LIBRARIES}:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
