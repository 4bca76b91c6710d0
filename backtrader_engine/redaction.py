"""Secrets out of log lines and user-facing text: one redactor, one mask (``***``).

The secrets are the current values of the secret environment variables
(:data:`~backtrader_engine.config.credentials.SECRET_ENV_VARS`) plus any value registered
with :func:`protect` (a bot token read from a variable of the user's choosing, say).

Two ways to apply it, the same secrets and mask in both:

* :data:`REDACTOR` is a :class:`logging.Filter`: added to a logger, it rewrites each record's
  message, traceback and stack text before any handler sees it (so even a library's debug
  line quoting a request URL is masked, whatever handler records it);
* :func:`redact` masks a finished text: the bot's log formatters pass every formatted line
  through it (covering ``extra=`` fields too), and shells mask error texts they show.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from backtrader_engine.config.credentials import SECRET_ENV_VARS

MASK = "***"
#: Shorter values are too likely to occur by chance to be masked meaningfully.
MIN_SECRET_LENGTH = 4


class Redactor(logging.Filter):
    """Replaces every known secret by :data:`MASK`.

    Environment values are read on each use rather than once, so a process (or a test)
    whose environment changes masks what is set now, and nothing stays masked after it is
    unset. Registered values stay for the life of the process.
    """

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        super().__init__()
        self._environ = environ
        # Replaced, never mutated: readers on other threads iterate a stable set.
        self._registered: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def register(self, secret: str) -> None:
        """Mask *secret* from now on (values under :data:`MIN_SECRET_LENGTH` are ignored)."""
        with self._lock:
            self._registered = self._registered | {secret}

    def secrets(self) -> list[str]:
        """The values masked now, longest first (so a secret containing another goes whole)."""
        values = {self._environ.get(name, "") for name in SECRET_ENV_VARS} | self._registered
        return sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        """*text* with every secret replaced by :data:`MASK`."""
        return _scrub(text, self.secrets())

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record's message, traceback and stack in place; never drops it."""
        secrets = self.secrets()
        if not secrets:
            return True
        message = record.getMessage()
        scrubbed = _scrub(message, secrets)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse a cached exc_text: format it here so the masked text is used.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _scrub(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = _scrub(record.stack_info, secrets)
        return True


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


REDACTOR = Redactor()


def redact(text: object) -> str:
    """``str(text)`` with every secret replaced by :data:`MASK`."""
    return REDACTOR.scrub(str(text))


def protect(secret: str) -> None:
    """Mask *secret* wherever :data:`REDACTOR` or :func:`redact` is applied, from now on."""
    REDACTOR.register(secret)
