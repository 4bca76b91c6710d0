"""The one redactor: environment secrets and registered ones, one mask, text and records."""

from __future__ import annotations

import logging
import sys

from backtrader_engine.redaction import MASK, Redactor


def record(msg: str, *args: object, exc: bool = False, stack: str | None = None
           ) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError("login failed for key-0123456789")
        except RuntimeError:
            exc_info = sys.exc_info()
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, msg, args or None, exc_info)
    rec.stack_info = stack
    return rec


def test_environment_and_registered_secrets_get_the_one_mask() -> None:
    environ = {"BYBIT_API_KEY": "key-0123456789", "TELEGRAM_CHAT_ID": "123",
               "UNRELATED": "visible-value"}
    redactor = Redactor(environ)
    redactor.register("42:bot-token-abcdef")
    text = "key-0123456789 42:bot-token-abcdef visible-value chat 123"
    assert redactor.scrub(text) == f"{MASK} {MASK} visible-value chat 123"
    assert MASK == "***"


def test_the_longest_secret_goes_first_and_the_environment_is_read_now() -> None:
    environ = {"BYBIT_API_KEY": "abcd", "BYBIT_SECRET_KEY": "abcd-efgh-ijkl"}
    redactor = Redactor(environ)
    # The longer one whole, not "***-efgh-ijkl".
    assert redactor.scrub("s=abcd-efgh-ijkl k=abcd") == f"s={MASK} k={MASK}"
    del environ["BYBIT_SECRET_KEY"]
    assert redactor.scrub("abcd-efgh-ijkl") == f"{MASK}-efgh-ijkl"
    environ.clear()
    assert redactor.secrets() == []


def test_the_filter_masks_message_arguments_traceback_and_stack() -> None:
    redactor = Redactor({"BYBIT_API_KEY": "key-0123456789"})
    rec = record("GET /v5?api_key=%s", "key-0123456789", exc=True,
                 stack="Stack (most recent call last):\n  key-0123456789")
    assert redactor.filter(rec) is True
    assert rec.getMessage() == f"GET /v5?api_key={MASK}"
    assert rec.exc_text is not None and "key-0123456789" not in rec.exc_text
    assert f"login failed for {MASK}" in rec.exc_text
    assert rec.stack_info is not None and "key-0123456789" not in rec.stack_info
    assert "key-0123456789" not in logging.Formatter().format(rec)


def test_a_record_without_secrets_is_left_as_it_is() -> None:
    redactor = Redactor({"BYBIT_API_KEY": "key-0123456789"})
    rec = record("filled %s @ %.1f", "BTCUSDT", 100.5)
    assert redactor.filter(rec) is True
    assert (rec.msg, rec.args) == ("filled %s @ %.1f", ("BTCUSDT", 100.5))
    nothing = Redactor({})
    rec = record("api_key=%s", "key-0123456789")
    assert nothing.filter(rec) is True and rec.args == ("key-0123456789",)
