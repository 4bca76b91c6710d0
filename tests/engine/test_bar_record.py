"""The broker's per-bar record: preallocated float64 columns that still grow when needed."""

from __future__ import annotations

import numpy as np

from backtrader_engine.engine.bar_record import BarRecord


def test_rows_come_back_in_order_in_each_column() -> None:
    record = BarRecord(capacity=3)
    record.append(1.0, 100.0, 90.0, 0.5)
    record.append(2.0, 101.5, 90.0, -0.5)
    assert len(record) == 2
    np.testing.assert_array_equal(record.column("dt"), [1.0, 2.0])
    np.testing.assert_array_equal(record.column("value"), [100.0, 101.5])
    np.testing.assert_array_equal(record.column("cash"), [90.0, 90.0])
    np.testing.assert_array_equal(record.column("size"), [0.5, -0.5])
    assert record.column("value").dtype == np.float64


def test_a_record_without_a_known_length_grows_past_its_capacity() -> None:
    record = BarRecord()
    for i in range(5000):
        record.append(float(i), float(2 * i), 0.0, 1.0)
        if i == 10:
            early = record.column("value")  # read while still growing (a live session)
    assert len(record) == 5000
    np.testing.assert_array_equal(record.column("dt"), np.arange(5000.0))
    np.testing.assert_array_equal(early, np.arange(11.0) * 2)


def test_columns_are_copies_so_the_record_stays_writable() -> None:
    record = BarRecord(capacity=1)
    record.append(1.0, 1.0, 1.0, 1.0)
    column = record.column("cash")
    column[0] = 99.0
    assert record.column("cash")[0] == 1.0


def test_reserve_keeps_what_was_recorded() -> None:
    record = BarRecord()
    record.append(7.0, 8.0, 9.0, 10.0)
    record.reserve(100_000)
    record.append(11.0, 12.0, 13.0, 14.0)
    np.testing.assert_array_equal(record.column("size"), [10.0, 14.0])
