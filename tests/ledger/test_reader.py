"""The typed reader against the tables it reads, its errors, and what version 2 speeds up."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backtrader_engine.ledger import LedgerReader, LedgerReadError, LedgerWriter, ledger_path
from backtrader_engine.ledger.rows import FillRow, SignalRow


def raw(state: Path, sql: str, args: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(f"file:{ledger_path(state)}?mode=ro", uri=True)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


@pytest.fixture
def reader(v1_state: Path) -> LedgerReader:
    with LedgerReader(ledger_path(v1_state)) as opened:
        yield opened


def test_rows_are_the_tables_rows(v1_state: Path, reader: LedgerReader) -> None:
    assert [tuple(a.as_dict().values()) for a in reader.accounts()] == raw(
        v1_state, "SELECT * FROM accounts ORDER BY rowid")
    assert [tuple(f.as_dict().values()) for f in reader.fills()] == raw(
        v1_state, "SELECT * FROM fills ORDER BY account, order_seq, fill_seq")
    numbered = reader.fills_after(0)
    assert [(rowid, tuple(f.as_dict().values())) for rowid, f in numbered] == [
        (row[0], row[1:]) for row in raw(v1_state, "SELECT rowid, * FROM fills ORDER BY rowid")]
    assert reader.fills_after(numbered[-1][0]) == []
    assert reader.signals_after(reader.last_rowid("signals")) == []
    assert len(reader.signal_outcomes()) == raw(v1_state, "SELECT COUNT(*) FROM signals")[0][0]
    bar = reader.bars("BTCUSDT", "1")[-1]
    assert reader.last_bar("BTCUSDT", "1") == bar
    assert [b.seq for b in reader.recent_bars("BTCUSDT", "1", 3)] == [bar.seq - 2,
                                                                       bar.seq - 1, bar.seq]
    assert reader.finest_interval("BTCUSDT") == "1" and reader.finest_interval("XRP") is None
    assert reader.last_close_ms() == bar.end_ms
    assert all(isinstance(s, float) for s in reader.fill_latencies(1000))
    with pytest.raises(ValueError, match="not a ledger table"):
        reader.last_rowid("sqlite_master")


def test_windows_and_aggregates(v1_state: Path, reader: LedgerReader) -> None:
    fill = reader.recent_fills(1)[0]
    total = raw(v1_state, "SELECT SUM(ABS(size)), SUM(ABS(size) * price), SUM(fee) FROM fills "
                          "WHERE account=? AND order_seq=?", (fill.account, fill.order_seq))[0]
    totals = reader.order_fill_totals(fill.account, fill.order_seq)
    assert totals is not None
    assert (totals.qty, totals.notional, totals.fee) == pytest.approx(total)
    assert reader.order_fill_totals(fill.account, 10_000) is None
    rowid = raw(v1_state, "SELECT rowid FROM fills WHERE account=? AND order_seq=? AND "
                          "fill_seq=?", (fill.account, fill.order_seq, fill.fill_seq))[0][0]
    earlier = reader.fills_before(fill.account, fill.ts_ms, rowid, 500)
    assert earlier and all(f.account == fill.account and f.ts_ms <= fill.ts_ms
                           for f in earlier)
    assert [f.ts_ms for f in earlier] == sorted((f.ts_ms for f in earlier), reverse=True)
    assert len(reader.fills_before(fill.account, fill.ts_ms, rowid, 2)) == 2
    settled = reader.funding()
    first = settled[0]
    assert reader.funding(first.account, after=first.funding_time - 1,
                          until=first.funding_time) == [first]
    assert reader.funding(first.account, after=first.funding_time) == [
        f for f in settled if f.account == first.account
        and f.funding_time > first.funding_time]
    day = (first.funding_time // 86_400_000) * 86_400_000
    assert reader.funding_total(day, day + 86_400_000) == pytest.approx(
        sum(f.payment for f in settled if day <= f.funding_time < day + 86_400_000))
    assert reader.funding_total(first.funding_time + 1, first.funding_time + 2) == 0.0
    signals = raw(v1_state, "SELECT MIN(ts_ms), MAX(ts_ms) FROM signals")[0]
    inside = sum(c.count for c in reader.signal_outcome_counts(signals[0], signals[1]))
    assert inside == raw(v1_state, "SELECT COUNT(*) FROM signals WHERE ts_ms < ?",
                         (signals[1],))[0][0]
    assert sum(c.count for c in reader.signal_outcome_counts()) == raw(
        v1_state, "SELECT COUNT(*) FROM signals")[0][0]
    signal = reader.recent_signals(1)[0]
    assert isinstance(signal, SignalRow) and reader.has_signal(signal.account, signal.order_seq)
    assert not reader.has_signal(signal.account, 10_000)
    assert reader.last_signal("nobody") is None


def test_events_and_the_portfolio(v1_state: Path, reader: LedgerReader) -> None:
    events = reader.events_after(0)
    assert [e.id for e in events] == [row[0] for row in raw(v1_state, "SELECT id FROM events")]
    assert reader.recent_events(2) == events[::-1][:2]
    assert reader.last_event("start") == [e for e in events if e.kind == "start"][-1]
    assert reader.last_event("no such kind") is None
    points = reader.portfolio_points(5)
    assert [p.release for p in points] == sorted(p.release for p in points)
    assert points[-1].release == raw(v1_state, "SELECT MAX(release) FROM portfolio")[0][0]
    assert reader.portfolio_peak() == points[-1].peak
    assert reader.portfolio_points(0) == []


def test_read_errors_say_what_sqlite_said(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "ledger.sqlite").write_text("not a database\n" * 100)
    with LedgerReader(ledger_path(tmp_path / "junk")) as junk:
        with pytest.raises(LedgerReadError, match="not a database") as caught:
            junk.accounts()
    assert caught.value.kind == "DatabaseError" and not caught.value.operational
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "ledger.sqlite").write_bytes(b"")  # created, nothing written yet
    with LedgerReader(ledger_path(tmp_path / "new")) as new:
        assert new.version == 0
        with pytest.raises(LedgerReadError, match="no such table: accounts") as caught:
            new.accounts()
    assert caught.value.operational


def test_a_consistent_read_sees_one_committed_moment(tmp_path: Path) -> None:
    writer = LedgerWriter(tmp_path)
    writer.record_event("start", "new session")
    with LedgerReader(ledger_path(tmp_path)) as reader:
        with reader.consistent():
            assert len(reader.events_after(0)) == 1
            writer.record_event("stop", "0 live bars this run")
            assert len(reader.events_after(0)) == 1
        assert len(reader.events_after(0)) == 2
    writer.close()


def test_version_2_indexes_serve_the_reads_that_scanned(v1_state: Path) -> None:
    def plans(state: Path) -> list[str]:
        statements: list[str] = []
        with LedgerReader(ledger_path(state)) as reader:
            reader._db.set_trace_callback(statements.append)
            reader.recent_signals(20)
            reader.signal_outcome_counts(0, 1)
            fill: FillRow = reader.recent_fills(1)[0]
            statements.clear()
            reader.recent_signals(20)
            reader.signal_outcome_counts(0, 1)
            reader.fills_before(fill.account, fill.ts_ms, 10**9, 500)
        return [" | ".join(row[3] for row in raw(state, f"EXPLAIN QUERY PLAN {sql}"))
                for sql in statements if sql.startswith("SELECT")]

    before = plans(v1_state)
    assert all("TEMP B-TREE" in plan or "SCAN" in plan for plan in before)
    LedgerWriter(v1_state).close()  # migrates to version 2
    after = plans(v1_state)
    assert "signals_by_time" in after[0] and "TEMP B-TREE" not in after[0]
    assert "signals_by_time" in after[1]
    assert "fills_by_account_time" in after[2] and "TEMP B-TREE FOR ORDER BY" not in after[2]


@pytest.mark.parametrize("period_ms", [3_600_000, 86_400_000])
def test_counts_by_period_split_the_totals(v1_state: Path, reader: LedgerReader,
                                           period_ms: int) -> None:
    by_period = reader.signal_outcome_counts_by_period(period_ms)
    assert all(c.period_ms % period_ms == 0 for c in by_period)
    assert [c.period_ms for c in by_period] == sorted(c.period_ms for c in by_period)
    totals: dict[tuple[str, str, str | None], int] = {}
    for c in by_period:
        key = (c.account, c.outcome, c.reason)
        totals[key] = totals.get(key, 0) + c.count
    assert totals == {(c.account, c.outcome, c.reason): c.count
                      for c in reader.signal_outcome_counts()}
    first = raw(v1_state, "SELECT MIN(ts_ms) FROM signals")[0][0]
    assert by_period[0].period_ms == first - first % period_ms
    statuses = [row[0] for row in raw(v1_state, "SELECT DISTINCT status FROM orders")]
    orders = reader.order_status_counts_by_period(statuses, period_ms)
    assert sum(c.count for c in orders) == raw(v1_state, "SELECT COUNT(*) FROM orders")[0][0]
    assert {(c.account, c.status, c.reject_reason) for c in orders} == {
        (c.account, c.status, c.reject_reason)
        for c in reader.order_status_counts(statuses)}
