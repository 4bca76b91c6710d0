"""Structured logs: JSON lines, rotation, readable console lines, no secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.operations import setup_logging

log = logging.getLogger("backtrader_engine.tests.logs")


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    yield io.StringIO()


def test_json_lines_and_console(tmp_path: Path, console: io.StringIO) -> None:
    with setup_logging("paper", log_dir=tmp_path / "logs", console=console) as setup:
        log.info("filled %s @ %.1f", "BTCUSDT", 100.5, extra={"account": "A:BTCUSDT"})
        log.debug("not recorded at INFO")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    assert setup.path == tmp_path / "logs" / "paper.jsonl"
    entries = [json.loads(line) for line in setup.path.read_text().splitlines()]
    assert [e["message"] for e in entries] == ["filled BTCUSDT @ 100.5", "failed"]
    first = entries[0]
    assert first["level"] == "INFO" and first["logger"] == "backtrader_engine.tests.logs"
    assert first["account"] == "A:BTCUSDT" and first["ts"].endswith("+00:00")
    assert "ValueError: boom" in entries[1]["exception"]
    lines = console.getvalue().splitlines()
    assert lines[0].endswith(" INFO backtrader_engine.tests.logs: filled BTCUSDT @ 100.5")
    assert not lines[0].startswith("{")


def test_handlers_are_removed_on_close(tmp_path: Path, console: io.StringIO) -> None:
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    setup = setup_logging("x", log_dir=tmp_path, console=console)
    assert len(root.handlers) == len(before) + 2
    setup.close()
    assert root.handlers == before and root.level == level
    log.warning("after close")
    assert "after close" not in console.getvalue()
    assert "after close" not in (tmp_path / "x.jsonl").read_text()


def test_rotation_keeps_the_configured_backups(tmp_path: Path, console: io.StringIO) -> None:
    with setup_logging("bot", log_dir=tmp_path, max_bytes=2048, backups=2, console=console):
        for i in range(400):
            log.info("line %d %s", i, "x" * 40)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["bot.jsonl", "bot.jsonl.1", "bot.jsonl.2"]
    for name in names:
        text = (tmp_path / name).read_text()
        assert len(text.encode()) <= 2048
        assert all(json.loads(line)["message"].startswith("line ") for line in
                   text.splitlines())
    last = json.loads((tmp_path / "bot.jsonl").read_text().splitlines()[-1])
    assert last["message"].startswith("line 399 ")


def test_secrets_are_masked(tmp_path: Path, console: io.StringIO,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYBIT_SECRET_KEY", "s3cr3t-value-123")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:telegram-token")
    with setup_logging("paper", log_dir=tmp_path, console=console) as setup:
        log.warning("request failed with key s3cr3t-value-123",
                    extra={"url": "https://api.telegram.org/bot123456:telegram-token/send"})
    text = setup.path.read_text() + console.getvalue()  # type: ignore[union-attr]
    assert "s3cr3t" not in text and "telegram-token" not in text
    assert "request failed with key ***" in text and "/bot***/send" in text


def test_bad_settings_are_clear_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot write paper.jsonl .* writable --log-dir"):
        setup_logging("paper", log_dir=blocker / "logs")
    with pytest.raises(UserError, match="log level 'LOUD'"):
        setup_logging("paper", log_dir=tmp_path, level="LOUD")
    with pytest.raises(UserError, match="at least 1 KB per file and 1 backup"):
        setup_logging("paper", log_dir=tmp_path, backups=0)
