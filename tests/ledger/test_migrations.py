"""Schema versions: a version-1 ledger is read as it is, migrated by the writer, and resumed;
a ledger newer than the code is refused in one line."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from backtrader_engine.errors import UserError
from backtrader_engine.ledger import (
    SCHEMA_VERSION,
    LedgerReader,
    LedgerWriter,
    check_resumable,
    ledger_path,
    logged_until,
)
from backtrader_engine.operations import read_snapshot

from ..paper.conftest import wait_for_bars

V1_LIVE_BARS = 391  # what tests/ledger/fixtures/make_v1_ledger.py logged


def raw(state: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(f"file:{ledger_path(state)}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def versions(state: Path) -> tuple[int, int]:
    """(PRAGMA user_version, meta schema_version) of the ledger in *state*."""
    header = raw(state, "PRAGMA user_version")[0][0]
    row = raw(state, "SELECT value FROM meta WHERE key='schema_version'")
    return header, json.loads(row[0][0])


def schema(state: Path) -> dict[str, object]:
    """Every table's columns and every index's definition."""
    out: dict[str, object] = {}
    for kind, name, table in raw(state, "SELECT type, name, tbl_name FROM sqlite_master "
                                        "WHERE name NOT LIKE 'sqlite_%'"):
        if kind == "table":
            out[name] = raw(state, f"PRAGMA table_info({name})")
        else:
            out[name] = (table, raw(state, f"PRAGMA index_info({name})"))
    return out


def counts(state: Path) -> dict[str, int]:
    tables = [t for (t,) in raw(state, "SELECT name FROM sqlite_master WHERE type='table'")]
    return {t: raw(state, f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}


def test_the_fixture_is_a_version_1_ledger(v1_state: Path) -> None:
    assert versions(v1_state) == (0, 1)
    assert raw(v1_state, "SELECT COUNT(*) FROM bars WHERE source != 'warmup'") == [
        (V1_LIVE_BARS,)]
    assert SCHEMA_VERSION == 2
    assert all(n > 0 for n in counts(v1_state).values())


def test_the_reader_reads_version_1_as_it_is_and_writes_nothing(v1_state: Path) -> None:
    before = ledger_path(v1_state).read_bytes()
    with LedgerReader(ledger_path(v1_state)) as reader:
        assert reader.version == 1
        accounts = reader.accounts()
        assert [a.account for a in accounts] == [
            "RSIEMAMomentumStrategy:BTCUSDT", "BollingerReversionStrategy:BTCUSDT",
            "ManualSignalStrategy:BTCUSDT"]
        fills = reader.fills()
        assert len(fills) == counts(v1_state)["fills"]
        assert {f.account for f in fills} <= {a.account for a in accounts}
        assert len(reader.bars("BTCUSDT", "1")) == counts(v1_state)["bars"]
        assert len(reader.funding()) == 2
        outcomes = {(c.outcome, c.reason) for c in reader.signal_outcome_counts()}
        assert ("rejected", "entries_paused") in outcomes and ("executed", None) in outcomes
    snapshot = read_snapshot(v1_state)
    assert snapshot.trades_won + snapshot.trades_lost > 0
    assert logged_until(v1_state) == raw(v1_state, "SELECT MAX(end_ms) FROM bars")[0][0] + 1
    assert ledger_path(v1_state).read_bytes() == before
    assert versions(v1_state) == (0, 1)


def test_the_writer_migrates_version_1_in_place_and_keeps_every_row(
        v1_state: Path, tmp_path: Path) -> None:
    rows = counts(v1_state)
    snapshot = read_snapshot(v1_state, recent=50).to_dict()
    writer = LedgerWriter(v1_state)
    assert writer.opened_version == 1
    writer.close()
    assert versions(v1_state) == (2, 2)
    assert counts(v1_state) == rows
    # The same figures before and after: only the version and version 2's indexes differ.
    assert read_snapshot(v1_state, recent=50).to_dict() == snapshot
    with LedgerReader(ledger_path(v1_state)) as reader:
        assert reader.version == 2
    # A migrated ledger and a new one have the same tables, columns and indexes.
    fresh = LedgerWriter(tmp_path / "fresh")
    assert fresh.opened_version == 0
    fresh.close()
    assert versions(tmp_path / "fresh") == (2, 2)
    assert schema(v1_state) == schema(tmp_path / "fresh")
    assert {"signals_by_time", "fills_by_account_time"} <= set(schema(v1_state))
    # Opening a version-2 ledger changes nothing.
    again = LedgerWriter(v1_state)
    assert again.opened_version == 2
    again.close()
    assert counts(v1_state) == rows


def test_a_version_1_ledger_from_before_its_added_columns_migrates_to_the_same_schema(
        v1_state: Path, tmp_path: Path) -> None:
    # Version 1 added these columns at the end of their tables, release after release.
    db = sqlite3.connect(ledger_path(v1_state))
    for table, columns in (("account_state", ("trips_net_pnl", "realised_pnl", "trades_lost",
                                              "trades_won", "peak")),
                           ("fills", ("recorded_at",)), ("bars", ("errors", "latency_ms"))):
        for column in columns:
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.commit()
    db.close()
    with LedgerReader(ledger_path(v1_state)) as reader:
        state = reader.account_states()[0]
        assert state.trips_net_pnl is None and state.peak is None
        assert reader.recent_bars("BTCUSDT", "1", 1)[0].errors is None
    LedgerWriter(v1_state).close()
    LedgerWriter(tmp_path / "fresh").close()
    assert schema(v1_state) == schema(tmp_path / "fresh")


def test_a_session_resumes_a_migrated_version_1_ledger(
        v1_state: Path, replay_server: Callable[..., object]) -> None:
    from backtrader_engine.config import RiskConfig
    from backtrader_engine.engine.costs import CostModel
    from backtrader_engine.exchanges.bybit.stream import StreamSettings
    from backtrader_engine.paper.account import AccountSpec
    from backtrader_engine.paper.session import PaperSession, PaperSettings
    from backtrader_engine.strategies import resolve_strategy

    old_fills = raw(v1_state, "SELECT * FROM fills ORDER BY account, order_seq, fill_seq")
    old_inputs = raw(v1_state, "SELECT * FROM injections"), raw(v1_state, "SELECT * FROM controls")
    old_sessions = raw(v1_state, "SELECT kind FROM events WHERE kind IN ('start', 'stop') "
                                 "ORDER BY id")
    until = logged_until(v1_state)
    server = replay_server(stream={"speed": 0, "hold_when_idle": True, "start_ms": until})
    server.start_clock()  # type: ignore[attr-defined]
    # The settings the fixture was written with (make_v1_ledger.py).
    specs = [AccountSpec(name, resolve_strategy(name), {}, "BTCUSDT", "1m", "1", (), 5000.0)
             for name in ("RSIEMAMomentumStrategy", "BollingerReversionStrategy")]
    session = PaperSession(PaperSettings(
        specs, v1_state, base_url=server.base_url,  # type: ignore[attr-defined]
        costs=CostModel(funding=0.0), risk=RiskConfig(), warmup_bars=100,
        stream_settings=StreamSettings(backoff_initial=0.05, backoff_max=0.2))).start()
    try:
        assert session.resumed and session.caught_up == V1_LIVE_BARS
        assert session.ledger is not None and session.ledger.opened_version == 1
        wait_for_bars(v1_state, V1_LIVE_BARS + 30)
    finally:
        summary = session.stop()
    # Every logged input re-derived the stored outputs exactly, and the session went on.
    assert summary["ledger_divergences"] == 0
    assert summary["live_bars"] >= 30
    assert versions(v1_state) == (2, 2)
    kept = raw(v1_state, f"SELECT * FROM fills WHERE ts_ms < {until + 1} ORDER BY account, "
                         "order_seq, fill_seq")
    assert kept == old_fills
    assert (raw(v1_state, "SELECT * FROM injections"),
            raw(v1_state, "SELECT * FROM controls")) == old_inputs
    sessions = raw(v1_state, "SELECT kind FROM events WHERE kind IN ('start', 'stop') "
                             "ORDER BY id")
    assert sessions == old_sessions + [("start",), ("stop",)]


def newer(state: Path, *, header: int | None = 3, row: int | None = None) -> Path:
    db = sqlite3.connect(ledger_path(state))
    if header is not None:
        db.execute(f"PRAGMA user_version = {header}")
    if row is not None:
        db.execute("UPDATE meta SET value=? WHERE key='schema_version'", (json.dumps(row),))
    db.commit()
    db.close()
    return state


def read_accounts(state: Path) -> list[object]:
    with LedgerReader(ledger_path(state)) as reader:
        return list(reader.accounts())


@pytest.mark.parametrize(("header", "row"), [(3, None), (0, 3)])
def test_a_ledger_newer_than_the_code_is_refused_in_one_line(
        v1_state: Path, header: int, row: int | None) -> None:
    state = newer(v1_state, header=header, row=row)
    before = ledger_path(state).read_bytes()
    expected = (f"{ledger_path(state)}: ledger schema 3 is newer than this version of "
                "backtrader_engine reads (2); upgrade it, or use a new --state folder")
    for attempt in (lambda: LedgerWriter(state), lambda: read_snapshot(state),
                    lambda: check_resumable(state, []),
                    lambda: read_accounts(state)):
        with pytest.raises(UserError) as refused:
            attempt()
        assert str(refused.value) == expected
    assert ledger_path(state).read_bytes() == before


def test_the_cli_refuses_a_newer_ledger_in_one_line(
        v1_state: Path, cli: Callable[..., object],
        one_clear_line: Callable[[object], str]) -> None:
    state = newer(v1_state)
    assert "ledger schema 3 is newer than this version" in one_clear_line(
        cli("parity", "--state", str(state)))
    configs = Path(__file__).resolve().parents[2] / "configs"
    line = one_clear_line(cli("paper", "--config-dir", str(configs), "--source", "replay",
                              "--replay-speed", "0", "--state", str(state), "--log-dir",
                              str(state.parent / "logs"), "--max-bars", "1"))
    assert "ledger schema 3 is newer than this version" in line
    assert not (state.parent / "logs").exists()
