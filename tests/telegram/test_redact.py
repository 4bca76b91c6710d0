"""A secret is masked the same way on the Telegram loggers and in the bot's log files."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from backtrader_engine.service.logging_setup import setup_logging
from backtrader_engine.telegram.redact import protect_token

from .conftest import TOKEN


def test_both_paths_mask_the_token_and_the_environment_secrets_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYBIT_SECRET_KEY", "s3cr3t-value-123")
    protect_token(TOKEN)  # read from a variable of the user's choosing: not in the env list
    message = f"POST https://api.telegram.org/bot{TOKEN}/send key=s3cr3t-value-123"
    expected = "POST https://api.telegram.org/bot***/send key=***"

    # Path 1: a Telegram library logger, whose records the filter rewrites for any handler.
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    library = logging.getLogger("httpx")
    library.addHandler(handler)
    try:
        library.warning("%s", message)
    finally:
        library.removeHandler(handler)
    assert [r.getMessage() for r in seen] == [expected]

    # Path 2: any logger, through the bot's JSON-lines file and console formatters.
    console = io.StringIO()
    with setup_logging("bot", log_dir=tmp_path, console=console) as logs:
        logging.getLogger("backtrader_engine.tests.redact").warning(
            message, extra={"url": f"/bot{TOKEN}/getMe"})
    assert logs.path is not None
    entry = json.loads(logs.path.read_text())
    assert entry["message"] == expected and entry["url"] == "/bot***/getMe"
    assert console.getvalue().rstrip("\n").endswith(f"backtrader_engine.tests.redact: {expected}")
