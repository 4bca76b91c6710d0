"""``bot`` waits and pass-through numbers are checked before anything is started or stopped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.mark.parametrize(("argv", "message"), [
    (["start", "--start-timeout", "-1"], "--start-timeout -1: expected a positive number"),
    (["start", "--start-timeout", "0"], "--start-timeout 0: expected a positive number"),
    (["start", "--start-timeout", "nan"], "--start-timeout nan"),
    (["start", "--start-timeout", "inf"], "--start-timeout inf"),
    (["restart", "--start-timeout", "-1"], "--start-timeout -1"),
    (["restart", "--timeout", "-1"], "--timeout -1: expected 0 or more seconds"),
    (["stop", "--timeout", "-1"], "--timeout -1: expected 0 or more seconds"),
    (["force-stop", "--timeout", "nan"], "--timeout nan"),
    (["status", "--http-timeout", "0"], "--http-timeout 0"),
    (["status", "--lines", "-1"], "--lines -1"),
    (["start", "--", "--duration", "-5"], "--duration"),
    (["start", "--", "--warmup-bars", "-1"], "--warmup-bars"),
])
def test_a_bad_number_is_one_line_and_touches_nothing(
        tmp_path: Path, argv: list[str], message: str, cli: Callable[..., object],
        one_clear_line: Callable[[object], str]) -> None:
    run = tmp_path / "run"
    result = cli("bot", *argv[:1], "--run-dir", str(run), *argv[1:])
    assert message in one_clear_line(result)
    assert not run.exists()


def test_stop_may_wait_zero_seconds(tmp_path: Path, cli: Callable[..., object]) -> None:
    result = cli("bot", "force-stop", "--run-dir", str(tmp_path / "run"), "--timeout", "0")
    assert result.code == 0 and "no bot running" in result.out  # type: ignore[attr-defined]
