"""Circuit-breaker alerts, from the live status and from the rejections they cause.

The running session reports its breakers in its live status (``breakers``: name →
``{"open", "mode", "reason", "resumes", ...}``, see ``BreakerState.as_dict``); a rejection
with reason ``breaker:<name>`` in the ledger also shows one is open. Either source opens the
alert once; the live status also says when the breaker closed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backtrader_engine.risk.reasons import BREAKER_PREFIX
from backtrader_engine.telegram import events as ev
from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.notification_text import utc_time


class BreakerTracker:
    """Which breakers are known to be open; alerts on each change."""

    def __init__(self) -> None:
        self.open: dict[str, str] = {}  # name -> what tripped it

    def from_status(self, breakers: Mapping[str, Mapping[str, Any]]) -> list[Notification]:
        """Alerts for the breakers that opened or closed since the last status."""
        out = []
        for name, state in sorted(breakers.items()):
            reason = str(state.get("reason") or "")
            if state.get("open") and name not in self.open:
                self.open[name] = reason
                fields = [("breaker", name), ("reason", reason or "-")]
                if state.get("mode"):
                    fields.append(("mode", str(state["mode"])))
                if state.get("resumes"):  # e.g. "entries resume 2022-09-05 05:15 UTC"
                    fields.append(("resumes", str(state["resumes"])))
                elif state.get("until_ms"):
                    fields.append(("closes at", utc_time(int(state["until_ms"]))))
                fields.append(("effect", "new entries refused; exits still allowed"))
                out.append(Notification(ev.BREAKER, ev.CRITICAL,
                                        f"Circuit breaker open: {name}", tuple(fields)))
            elif not state.get("open") and name in self.open:
                del self.open[name]
                out.append(Notification(ev.BREAKER, ev.INFO,
                                        f"Circuit breaker closed: {name}",
                                        (("breaker", name), ("effect", "entries allowed "
                                                                       "again"))))
        return out

    def from_rejection(self, reason: str | None, message: str | None,
                       ts_ms: int | None) -> Notification | None:
        """An alert when a rejection shows a breaker open that was not known to be."""
        if not reason or not reason.startswith(BREAKER_PREFIX):
            return None
        name = reason[len(BREAKER_PREFIX):]
        if name in self.open:
            return None
        self.open[name] = message or ""
        return Notification(ev.BREAKER, ev.CRITICAL, f"Circuit breaker open: {name}",
                            (("breaker", name), ("reason", message or "-"),
                             ("effect", "new entries refused; exits still allowed")), ts_ms)
