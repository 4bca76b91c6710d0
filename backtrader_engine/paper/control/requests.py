"""What a running paper session does for its control channel.

Requests arrive on the control server's threads and run on the session's own pump thread
(:meth:`SessionControl.submit_request`), between bars, so they never race a sub-account.
Operations that change what strategies may do are logged as inputs first (see
:mod:`.operator`), then applied; a resumed session re-applies them at the same bar.
"""

from __future__ import annotations

import math
import queue
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from backtrader_engine.errors import UserError
from backtrader_engine.ledger.rows import ControlRow, InjectionRow
from backtrader_engine.paper.control.manual import SIDES, InjectedSignal, ManualSignalStrategy
from backtrader_engine.paper.control.operator import (
    FORCE_EXIT,
    LOGGED_OPS,
    PAUSE_ENTRIES,
    RESUME_ENTRIES,
    ForceExit,
)

if TYPE_CHECKING:
    from backtrader_engine.ledger import LedgerWriter
    from backtrader_engine.paper.account import Account
    from backtrader_engine.risk import RiskGate

OPS = ("inject", "status", PAUSE_ENTRIES, RESUME_ENTRIES, FORCE_EXIT, "stop")


class SessionControl:
    """Control-channel operations of :class:`~.session.PaperSession` (a mixin)."""

    accounts: list[Account]
    ledger: LedgerWriter | None
    gate: RiskGate | None
    released: int
    entries_paused: bool
    #: Halted breakers the latest resume cleared (for the operator's reply).
    breakers_resumed: list[str]
    settings: Any
    _requests: queue.Queue[tuple[dict[str, Any], Future[dict[str, Any]]]]
    _stop: threading.Event

    def summary(self) -> dict[str, Any]:  # provided by the session
        raise NotImplementedError

    def submit_request(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run a control request on the session's own thread (called by the control server)."""
        future: Future[dict[str, Any]] = Future()
        self._requests.put((request, future))
        return future.result(timeout=60)

    def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "inject":
            return self._inject(request)
        if op == "status":
            return {"ok": True, **self.summary()}
        if op == "stop":
            self._stop.set()
            return {"ok": True, "stopping": True}
        if op in LOGGED_OPS:
            symbol = request.get("symbol")
            symbol = str(symbol).upper() if symbol not in (None, "", "all", "ALL") else None
            if op == FORCE_EXIT and symbol is not None:
                self._accounts_on(symbol)  # refuse an unknown symbol before logging it
            assert self.ledger is not None
            control_id = self.ledger.append_control(op, symbol, self.released)
            self.breakers_resumed = []
            closed = self._apply_control(control_id, op, symbol)
            reply = {"ok": True, "op": op, "symbol": symbol or "all",
                     "entries_paused": self.entries_paused, "accounts": closed}
            if op == RESUME_ENTRIES:
                reply["breakers_resumed"] = list(self.breakers_resumed)
            return reply
        raise UserError(f"unknown op {op!r}; expected one of {', '.join(OPS)}")

    # --- operator commands --------------------------------------------------------------------
    def _accounts_on(self, symbol: str | None) -> list[Account]:
        chosen = [a for a in self.accounts if symbol is None or a.spec.symbol == symbol]
        if not chosen:
            traded = sorted({a.spec.symbol for a in self.accounts})
            raise UserError(f"this session does not trade {symbol}; it trades "
                            f"{', '.join(traded)}")
        return chosen

    def _apply_control(self, control_id: int, op: str, symbol: str | None) -> list[str]:
        if op in (PAUSE_ENTRIES, RESUME_ENTRIES):
            paused = op == PAUSE_ENTRIES
            self.entries_paused = paused
            resumed: list[str] = []
            if self.gate is not None:
                self.gate.entries_paused = paused
                if not paused:
                    # Resuming trading also clears the breakers that wait for an operator
                    # (mode 'halt'), at the session's market time, so a restart replaying
                    # this logged command clears them at the same bar.
                    resumed = self.gate.resume_halted()
            for account in self.accounts:
                account.broker.entries_paused = paused
            if self.ledger is not None:
                detail = "paused" if paused else "resumed"
                if resumed:
                    detail += f"; halted breakers cleared: {', '.join(resumed)}"
                self.ledger.record_event("entries", detail)
            self.breakers_resumed = resumed
            return []
        chosen = self._accounts_on(symbol)
        for account in chosen:
            account.deliver(ForceExit(control_id), timeout=30)
        return [a.spec.name for a in chosen]

    def _logged_inputs(self) -> dict[int, list[InjectionRow | ControlRow]]:
        """Logged injections and operator commands by the release they followed, in order."""
        rows: list[InjectionRow | ControlRow] = []
        if self.ledger is not None:
            rows += self.ledger.injections()
            rows += self.ledger.controls()
        rows.sort(key=lambda r: (r.after_release, r.received_at))
        out: dict[int, list[InjectionRow | ControlRow]] = {}
        for row in rows:
            out.setdefault(row.after_release, []).append(row)
        return out

    def _apply_logged(self, row: InjectionRow | ControlRow) -> None:
        if isinstance(row, ControlRow):
            self._apply_control(row.control_id, row.op, row.symbol)
        else:
            self._inject_logged(row)

    # --- injected signals ---------------------------------------------------------------------
    def _manual_account(self, symbol: str) -> Account:
        for account in self.accounts:
            if account.spec.strategy is ManualSignalStrategy and account.spec.symbol == symbol:
                return account
        traded = sorted({a.spec.symbol for a in self.accounts})
        raise UserError(f"this session does not trade {symbol}; it trades "
                        f"{', '.join(traded)}" + ("" if self.settings.manual else
                                                  " and has no manual sub-accounts"))

    def _inject(self, request: dict[str, Any]) -> dict[str, Any]:
        symbol = str(request.get("symbol", "")).upper()
        side = str(request.get("side", "")).lower()
        if side not in SIDES:
            raise UserError(f"side {side!r}; expected buy or sell")
        qty = request.get("qty")
        # inf passes "> 0", and a logged input is replayed by every restart: finite only.
        if qty is not None and not (math.isfinite(float(qty)) and float(qty) > 0):
            raise UserError(f"qty {qty}; expected a positive quantity")
        confidence = float(request.get("confidence", 1.0))
        if not 0.0 <= confidence <= 1.0:
            raise UserError(f"confidence {confidence}; expected 0 to 1")
        account = self._manual_account(symbol)
        assert self.ledger is not None
        signal_id = self.ledger.append_injection(symbol, side, None if qty is None else
                                                 float(qty), confidence, self.released)
        signal = InjectedSignal(signal_id, symbol, side, None if qty is None else float(qty),
                                confidence)
        account.deliver(signal, timeout=30)
        return {"ok": True, "account": account.spec.name, **self._outcome(account, signal)}

    def _inject_logged(self, row: InjectionRow) -> None:
        account = self._manual_account(row.symbol)
        account.deliver(InjectedSignal(row.signal_id, row.symbol, row.side, row.qty,
                                       row.confidence), timeout=30)

    @staticmethod
    def _outcome(account: Account, signal: InjectedSignal) -> dict[str, Any]:
        strategy = account.cerebro.runningstrats[0]
        order = strategy.orders.get(signal.signal_id)
        if order is None:
            return {"signal_id": signal.signal_id, "status": "NotPlaced",
                    "reason": "no price yet", "message": "no bar has been seen yet"}
        info = order.info
        return {"signal_id": signal.signal_id, "status": order.getstatusname(),
                "reason": info.get("reject_reason") or None,
                "message": info.get("reject_message") or "",
                "side": signal.side, "size": float(order.executed.size),
                "price": float(order.executed.price) if order.executed.size else None,
                "fee": float(order.executed.comm)}
