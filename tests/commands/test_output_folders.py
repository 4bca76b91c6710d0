"""A folder a command writes into is checked before any work: ``download --store`` that is a
file, or lies below one, is refused in one line (exit 2) before the first request."""

from __future__ import annotations

from pathlib import Path

import pytest

# Nothing listens there; a request would be retried for minutes, so a quick one-line refusal
# shows the store was checked before the network was touched.
UNREACHABLE = "http://127.0.0.1:9"


@pytest.mark.parametrize("store", ["a_file", "a_file/data"])
def test_download_store_that_is_or_lies_below_a_file_is_refused(one_clear_line, cli,
                                                                fresh_cwd: Path,
                                                                store: str) -> None:
    (fresh_cwd / "a_file").write_text("candles?")
    line = one_clear_line(cli("download", "--symbols", "BTCUSDT", "--timeframes", "1h",
                              "--days", "1", "--store", store, "--base-url", UNREACHABLE))
    assert line.startswith(f"error: --store {store}: ")
    assert line.endswith("expected a DataStore folder (new or existing)")
    assert (fresh_cwd / "a_file").read_text() == "candles?"
