"""Market time conversions, and no wall clock anywhere in the risk package."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import backtrader as bt

import backtrader_engine.risk as risk
from backtrader_engine.risk.clock import bt_num_to_seconds, to_datetime, to_seconds, utc_day

T0 = 1_641_168_000.0  # 2022-01-03 00:00:00 UTC


def test_backtrader_date_numbers_convert_to_exact_seconds():
    num = bt.date2num(datetime(2022, 1, 3, 0, 0, 30))
    assert bt_num_to_seconds(num) == T0 + 30
    assert bt_num_to_seconds(bt.date2num(datetime(2022, 1, 3, 0, 1))) - T0 == 60


def test_datetimes_naive_is_utc_aware_is_converted():
    assert to_seconds(datetime(2022, 1, 3)) == T0
    assert to_seconds(datetime(2022, 1, 3, 9, tzinfo=timezone(timedelta(hours=9)))) == T0
    assert to_seconds(datetime(2022, 1, 3, tzinfo=UTC)) == T0
    assert to_datetime(T0 + 0.5) == datetime(2022, 1, 3, 0, 0, 0, 500000)
    assert utc_day(T0 - 0.001) == utc_day(T0) - 1


def test_the_risk_package_never_reads_the_wall_clock():
    wall_clock = re.compile(r"\btime\.(time|monotonic|perf_counter)\b|\.now\(|utcnow|"
                            r"^import time|^from time ", re.MULTILINE)
    package = Path(risk.__file__).parent
    offenders = [path.name for path in sorted(package.glob("*.py"))
                 if wall_clock.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
    assert len(list(package.glob("*.py"))) >= 10
