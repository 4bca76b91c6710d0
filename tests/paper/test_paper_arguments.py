"""``paper`` and ``inject`` check every argument before anything starts.

A bad argument is one ``error:`` line and exit code 2, with nothing printed before it, no
metrics port bound, no lock, ledger, control file or log written.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.ledger import LedgerWriter

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs"


def paper(cli: Callable[..., object], tmp_path: Path, *args: str) -> object:
    """``paper`` on the in-process replay, bounded (should no error come), metrics on a
    free port: a check made too late would print its ``metrics on`` line first."""
    return cli("paper", "--config-dir", str(CONFIGS), "--source", "replay",
               "--replay-speed", "0", "--state", str(tmp_path / "state"), "--log-dir",
               str(tmp_path / "logs"), "--max-bars", "1", "--duration", "30", "--metrics",
               "--metrics-port", "0", "--status-every", "0", *args)


def telegram_configs(tmp_path: Path) -> Path:
    folder = tmp_path / "configs"
    folder.mkdir()
    for path in CONFIGS.glob("*.json"):
        (folder / path.name).write_text(path.read_text())
    alerts = json.loads((folder / "alert_config.json").read_text())
    alerts["telegram"]["enabled"] = True
    (folder / "alert_config.json").write_text(json.dumps(alerts))
    return folder


@pytest.mark.parametrize(("args", "message"), [
    (["--strategy", "NoSuchStrategy"], "unknown strategy 'NoSuchStrategy'"),
    (["--strategy", "RSIEMAMomentum", "--params-file", "/no/such.json"],
     "--params-file /no/such.json"),
    (["--params-file", "/no/such.json"], "--params-file applies to --strategy"),
    (["--timeframe", "1h"], "--timeframe applies to --strategy"),
    (["--strategy", "RSIEMAMomentum", "--timeframe", "7q"], "unknown timeframe '7q'"),
    (["--strategy", "RSIEMAMomentum", "--symbols", "DOGEUSDT"],
     "the replay has no candles for DOGEUSDT"),
    (["--symbols", "DOGEUSDT"], "the replay has no candles for DOGEUSDT"),
    (["--replay-data", "/no/such.csv"], "/no/such.csv"),
    (["--replay-data", "x.csv", "--replay-store", "y"], "at most one of --replay-data"),
    (["--source", "ftp://x"], "expected bybit, replay or http://HOST:PORT"),
    (["--duration", "-5"], "--duration"),
    (["--duration", "nan"], "--duration"),
    (["--warmup-bars", "-1"], "--warmup-bars"),
    (["--max-bars", "0"], "--max-bars"),
    (["--replay-speed", "-1"], "--replay-speed"),
    (["--cash-per-account", "0"], "--cash-per-account"),
    (["--status-every", "-1"], "--status-every"),
    (["--metrics-port", "70000"], "--metrics-port"),
    (["--log-backups", "0"], "1 backup"),
    (["--log-max-mb", "nan"], "--log-max-mb"),
    (["--config-dir", "/no/such/configs"], "configuration directory not found"),
])
def test_a_bad_argument_is_one_line_before_anything_starts(
        args: list[str], message: str, tmp_path: Path, cli: Callable[..., object],
        one_clear_line: Callable[[object], str]) -> None:
    result = paper(cli, tmp_path, *args)
    line = one_clear_line(result)
    assert line.startswith("error: ") and message in line
    assert result.out == ""  # type: ignore[attr-defined]
    assert not (tmp_path / "state").exists() and not (tmp_path / "logs").exists()


def test_replay_data_needs_the_replay_source(tmp_path: Path, cli: Callable[..., object],
                                             one_clear_line: Callable[[object], str]) -> None:
    result = cli("paper", "--config-dir", str(CONFIGS), "--source", "http://127.0.0.1:9",
                 "--replay-data", "x.csv", "--state", str(tmp_path / "state"),
                 "--no-metrics")
    assert "--replay-data is for --source replay" in one_clear_line(result)
    assert not (tmp_path / "state").exists()


def test_files_where_folders_belong_and_a_stop_file_already_there(
        tmp_path: Path, cli: Callable[..., object],
        one_clear_line: Callable[[object], str]) -> None:
    (tmp_path / "file").write_text("x")
    for option in ("--state", "--log-dir"):
        result = cli("paper", "--config-dir", str(CONFIGS), "--source", "replay",
                     "--state", str(tmp_path / "state"), "--no-metrics",
                     option, str(tmp_path / "file"))
        assert f"{option} {tmp_path / 'file'}: a file, not a folder" in one_clear_line(result)
    result = paper(cli, tmp_path, "--stop-file", str(tmp_path / "file"))
    assert "would stop at once" in one_clear_line(result)
    assert not (tmp_path / "state").exists()


def test_a_bad_telegram_chat_id(tmp_path: Path, cli: Callable[..., object],
                                one_clear_line: Callable[[object], str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_CHAT_ID", "not a chat")
    result = paper(cli, tmp_path, "--config-dir", str(telegram_configs(tmp_path)))
    assert "is not a Telegram chat id" in one_clear_line(result)
    assert result.out == "" and not (tmp_path / "state").exists()  # type: ignore[attr-defined]


def test_a_ledger_of_another_session_is_refused_before_anything_starts(
        tmp_path: Path, cli: Callable[..., object],
        one_clear_line: Callable[[object], str]) -> None:
    state = tmp_path / "state"
    ledger = LedgerWriter(state)
    ledger.register_account("RSIEMAMomentumStrategy:BTCUSDT", "RSIEMAMomentum", "BTCUSDT",
                            {}, 123.0)
    ledger.close()
    before = {p.name: p.read_bytes() for p in state.iterdir()}
    result = paper(cli, tmp_path, "--strategy", "RSIEMAMomentum")
    assert "account RSIEMAMomentumStrategy:BTCUSDT was started with strategy " \
           "RSIEMAMomentum, params {}, cash 123" in one_clear_line(result)
    assert result.out == ""  # type: ignore[attr-defined]
    # The check reads the ledger as every reader does: SQLite may add its empty WAL and
    # shared-memory index; the ledger itself is unchanged and nothing was committed.
    assert (state / "ledger.sqlite").read_bytes() == before["ledger.sqlite"]
    wal = state / "ledger.sqlite-wal"
    assert not wal.exists() or wal.read_bytes() == before.get(wal.name, b"")
    assert not (state / "control.json").exists() and not (tmp_path / "logs").exists()
    assert (state / "session.lock").read_text() == ""  # released


class FakeSession:
    """A control channel that counts the requests it receives."""

    def __init__(self, state: Path) -> None:
        self.received = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        state.mkdir()
        (state / "control.json").write_text(json.dumps({
            "host": "127.0.0.1", "port": self.server.getsockname()[1], "token": "t",
            "pid": 1}))
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.received += 1
            conn.close()


@pytest.mark.parametrize("args", [
    ["--qty", "inf"], ["--qty", "nan"], ["--qty", "0"], ["--qty", "-1"],
    ["--confidence", "2"], ["--confidence", "nan"],
])
def test_inject_refuses_a_bad_quantity_and_sends_nothing(
        args: list[str], tmp_path: Path, cli: Callable[..., object],
        one_clear_line: Callable[[object], str]) -> None:
    session = FakeSession(tmp_path / "state")
    try:
        result = cli("inject", "--state", str(tmp_path / "state"), "--symbol", "BTCUSDT",
                     "--side", "buy", *args)
        assert args[0] in one_clear_line(result)
        assert session.received == 0
    finally:
        session.server.close()


def test_inject_check_also_refuses_what_the_parser_lets_through() -> None:
    """Library callers get the same check (the session refuses too)."""
    from backtrader_engine.commands.inject import check_request
    from backtrader_engine.errors import UserError

    for qty, confidence in ((float("inf"), 1.0), (0.0, 1.0), (-1.0, 1.0), (1.0, float("nan"))):
        with pytest.raises(UserError):
            check_request(qty, confidence)
    check_request(None, 0.5)
    check_request(0.01, 1.0)
