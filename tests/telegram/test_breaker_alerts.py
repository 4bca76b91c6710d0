"""Breaker alerts say the breaker's mode and when entries resume; a resume names what it
cleared."""

from __future__ import annotations

from backtrader_engine.telegram.breakers import BreakerTracker
from backtrader_engine.telegram.trading import event_notification


def test_an_open_breaker_alert_says_its_mode_and_when_entries_resume() -> None:
    tracker = BreakerTracker()
    halted = {"open": True, "mode": "halt", "reason": "error_rate 11 errors/min > 10 errors/min",
              "closes_at": None,
              "resumes": "entries resume when an operator runs /start_trading or bte bot "
                         "resume-entries (or Resume entries in the panel), with a fresh error "
                         "count"}
    cooling = {"open": True, "mode": "cooldown", "reason": "spread 0.7% > 0.5%",
               "resumes": "entries resume 2022-09-05 05:15 UTC"}
    told = tracker.from_status({"error_rate": halted, "spread": cooling})
    fields = {n.title: dict(n.fields) for n in told}
    assert fields["Circuit breaker open: error_rate"]["mode"] == "halt"
    assert fields["Circuit breaker open: error_rate"]["resumes"].startswith(
        "entries resume when an operator runs /start_trading")
    assert fields["Circuit breaker open: spread"]["resumes"] == (
        "entries resume 2022-09-05 05:15 UTC")
    closed = tracker.from_status({"error_rate": {**halted, "open": False, "resumes": ""},
                                  "spread": cooling})
    assert [n.title for n in closed] == ["Circuit breaker closed: error_rate"]


def test_a_resume_that_cleared_halted_breakers_says_which() -> None:
    row = {"kind": "entries", "detail": "resumed; halted breakers cleared: error_rate, spread",
           "wall_time": 1_662_354_000.0, "account": None}
    notification = event_notification(row)
    assert notification is not None
    assert notification.title == "New entries allowed again" and notification.level == "info"
    assert dict(notification.fields)["breakers cleared"] == "error_rate, spread"
    plain = event_notification({**row, "detail": "resumed"})
    assert plain is not None and "breakers cleared" not in dict(plain.fields)
    paused = event_notification({**row, "detail": "paused"})
    assert paused is not None and paused.title == "New entries paused"


def test_a_trading_pause_is_told_with_what_it_stops() -> None:
    row = {"kind": "entries", "detail": "trading paused", "wall_time": 1_662_354_000.0,
           "account": None}
    notification = event_notification(row)
    assert notification is not None
    assert (notification.title, notification.level) == ("Trading paused", "warning")
    assert dict(notification.fields)["effect"] == (
        "no strategy orders; open positions stay until /forceexit or /start")
