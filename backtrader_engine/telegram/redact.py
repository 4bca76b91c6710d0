"""Keep the bot token out of every log line.

python-telegram-bot and httpx put the request URL, which contains the token
(``/bot<token>/sendMessage``), into debug and info lines, and python-telegram-bot's
``InvalidToken`` message quotes the token. So: their loggers are set to WARNING, and the
shared :data:`~backtrader_engine.redaction.REDACTOR` filters every logger of those libraries
(and of this package), replacing the token (and any other secret) with ``***`` in the
message, its arguments and a formatted traceback.
"""

from __future__ import annotations

import logging

from backtrader_engine.redaction import REDACTOR, protect

_LIBRARIES = ("telegram", "httpx", "httpcore", "backtrader_engine.telegram")
_QUIET = ("telegram", "httpx", "httpcore")


def protect_token(token: str) -> None:
    """Register *token* for redaction and quieten the HTTP and Telegram loggers.

    ``telegram.ext`` is imported first, so every module logger of the library exists and
    gets the filter.
    """
    import telegram.ext  # noqa: F401 (creates the library's loggers)

    protect(token)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    names = [name for name in list(logging.root.manager.loggerDict)
             if any(name == lib or name.startswith(lib + ".") for lib in _LIBRARIES)]
    for name in {*names, *_LIBRARIES}:
        logger = logging.getLogger(name)
        if REDACTOR not in logger.filters:
            logger.addFilter(REDACTOR)
