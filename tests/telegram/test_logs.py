"""Log lines for /logs: JSON records made readable, the token masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.telegram.logs import log_lines, readable
from backtrader_engine.telegram.redact import protect_token

from .conftest import TOKEN


def test_records_of_every_usual_shape() -> None:
    assert readable(json.dumps({"ts": "2026-01-02T03:04:05+00:00", "level": "ERROR",
                                "logger": "paper", "message": "boom",
                                "exception": "Traceback ..."})) == (
        "2026-01-02T03:04:05+00:00 ERROR paper: boom | Traceback ...")
    assert readable(json.dumps({"time": 1_662_354_000, "levelname": "INFO", "msg": "hi"})) == (
        "2022-09-05 05:00:00 INFO hi")
    assert readable(json.dumps({"timestamp": 1_662_354_000_000, "message": "ms"})) == (
        "2022-09-05 05:00:00 ms")
    assert readable("[1, 2]") == "[1, 2]" and readable("plain text") == "plain text"


def test_the_token_is_masked_in_log_lines() -> None:
    protect_token(TOKEN)
    assert readable(f"GET /bot{TOKEN}/getMe") == "GET /bot***/getMe"
    assert TOKEN not in readable(json.dumps({"message": f"url /bot{TOKEN}/x"}))


def test_the_tail_of_a_file_and_the_errors(tmp_path: Path) -> None:
    path = tmp_path / "paper.jsonl"
    path.write_text("".join(json.dumps({"message": f"m{i}"}) + "\n" for i in range(50)))
    assert log_lines(path, 3) == ["m47", "m48", "m49"]
    with pytest.raises(UserError, match="no log file .*missing.jsonl yet"):
        log_lines(tmp_path / "missing.jsonl", 3)
    with pytest.raises(UserError, match="writes no log file"):
        log_lines(None, 3)
