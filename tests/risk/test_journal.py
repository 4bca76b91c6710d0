"""The journal hands every record to its observers; the tally counts them per group."""

from __future__ import annotations

from datetime import datetime

import pytest

from backtrader_engine.risk import SignalJournal, SignalRecord, SignalTally
from backtrader_engine.risk.journal import RECORD_FIELDS


def record(outcome: str, *, stage: str = "gate", reason: str | None = None,
           strategy: str = "A", symbol: str = "BTCUSDT", signal_id: int = 1) -> SignalRecord:
    return SignalRecord(time=datetime(2022, 1, 3), strategy=strategy, symbol=symbol,
                        side="buy", size=1.0, price=100.0, confidence=0.7, outcome=outcome,
                        reason=reason, message="", stage=stage, signal_id=signal_id)


class Ledger:
    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    def on_signal(self, rec: SignalRecord) -> None:
        self.rows.append(rec.as_dict())


def test_observers_receive_every_record_in_order():
    ledger = Ledger()
    journal = SignalJournal([ledger])
    journal.append(record("passed", signal_id=1))
    journal.append(record("rejected", reason="low_confidence", signal_id=2))
    journal.append(record("executed", stage="broker", signal_id=1))
    assert [(r["signal_id"], r["outcome"]) for r in ledger.rows] == [
        (1, "passed"), (2, "rejected"), (1, "executed")]
    assert ledger.rows[0]["time"] == "2022-01-03T00:00:00"
    assert tuple(ledger.rows[0]) == RECORD_FIELDS
    assert journal.rows() == ledger.rows


def test_an_observer_that_fails_is_not_silently_skipped():
    class Broken:
        def on_signal(self, rec: SignalRecord) -> None:
            raise OSError("disk full")

    journal = SignalJournal([Broken()], keep=False)
    with pytest.raises(OSError, match="disk full"):
        journal.append(record("passed"))
    assert journal.records == []


def test_tally_counts_outcomes_per_strategy_and_symbol():
    tally = SignalTally()
    events = [
        record("passed", signal_id=1),
        record("executed", stage="broker", signal_id=1),
        record("passed", signal_id=2, symbol="ETHUSDT"),
        record("rejected", stage="broker", reason="broker:margin", signal_id=2,
               symbol="ETHUSDT"),
        record("rejected", reason="signal_spacing", signal_id=3),
        record("passed", strategy="B", signal_id=4),
        record("cancelled", stage="broker", strategy="B", signal_id=4),
        record("passed", strategy="B", signal_id=5),
    ]
    for event in events:
        tally.on_signal(event)
    total = tally.as_dict()["total"]
    assert total == {"generated": 5, "passed": 4, "executed": 1, "rejected": 2,
                     "cancelled": 1, "open": 1,
                     "rejection_reasons": {"broker:margin": 1, "signal_spacing": 1}}
    assert tally.by_strategy["A"].generated == 3 and tally.by_strategy["B"].open == 1
    assert tally.by_symbol["ETHUSDT"].as_dict()["rejection_reasons"] == {"broker:margin": 1}
    assert tally.by_symbol["BTCUSDT"].rejected == 1
