"""What a running paper session does for its control channel.

:class:`SessionRequests` belongs to one session: the session creates it once its sub-accounts,
ledger and risk gate exist, hands :meth:`SessionRequests.submit` to the control server, and
has its own pump thread call :meth:`SessionRequests.serve_pending` between bars. Requests
arriving on the server's threads therefore run on the session's thread and never race a
sub-account. Operations that change what strategies may do are logged as inputs first (see
:mod:`.operator`), then applied; a resumed session re-applies them at the same bar
(:meth:`SessionRequests.logged_inputs`, :meth:`SessionRequests.apply_logged`).
"""

from __future__ import annotations

import math
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from backtrader_engine.config import RiskConfig
from backtrader_engine.config.loader import validate_data
from backtrader_engine.errors import UserError
from backtrader_engine.ledger.rows import ControlRow, InjectionRow
from backtrader_engine.paper.control.manual import SIDES, InjectedSignal, ManualSignalStrategy
from backtrader_engine.paper.control.operator import (
    ENTRIES,
    FORCE_EXIT,
    LOGGED_OPS,
    PAUSE_ENTRIES,
    PAUSE_EVENT,
    PAUSE_TRADING,
    PAUSES,
    RESUME_ENTRIES,
    RUNNING,
    TRADING,
    ForceExit,
)

if TYPE_CHECKING:
    from backtrader_engine.ledger import LedgerWriter
    from backtrader_engine.paper.account import Account
    from backtrader_engine.risk import RiskGate

#: Replace the risk gate's limits (a validated risk config, as a dict) while it runs.
RELOAD_RISK = "reload_risk"
OPS = ("inject", "status", PAUSE_ENTRIES, PAUSE_TRADING, RESUME_ENTRIES, FORCE_EXIT,
       RELOAD_RISK, "stop")

Reply = dict[str, Any]


class SessionRequests:
    """Control requests and logged operator inputs of one running session.

    Parameters
    ----------
    accounts
        The session's sub-accounts, in delivery order.
    ledger
        Where injections and operator commands are logged before they are applied.
    gate
        The shared risk gate (``None``: the session runs ungated).
    position
        The session's input position: bars released so far, catch-up included. A logged
        input records it so that a restart applies the input after the same bar.
    summary
        The session's figures (the ``status`` reply).
    request_stop
        Asks the session to stop (the ``stop`` request).
    manual
        Whether the session has manual sub-accounts (for the reply to an ``inject`` it
        cannot take).
    """

    def __init__(self, accounts: Sequence[Account], ledger: LedgerWriter, gate: RiskGate | None, *,
                 position: Callable[[], int], summary: Callable[[], Reply],
                 request_stop: Callable[[], None], manual: bool) -> None:
        self.accounts = accounts
        self.ledger = ledger
        self.gate = gate
        self.manual = manual
        self._position = position
        self._summary = summary
        self._request_stop = request_stop
        #: The operator's pause (see :data:`~.operator.PAUSES`): set by pause_entries or
        #: pause_trading, lifted by resume_entries.
        self.pause = RUNNING
        #: Halted breakers the latest resume cleared (for the operator's reply).
        self.breakers_resumed: list[str] = []
        self._pending: queue.Queue[tuple[Reply, Future[Reply]]] = queue.Queue()

    @property
    def entries_paused(self) -> bool:
        """New entries are refused: either pause refuses them."""
        return self.pause != RUNNING

    @property
    def trading_paused(self) -> bool:
        """Every strategy order is refused (the ``trading`` pause)."""
        return self.pause == TRADING

    # --- threads --------------------------------------------------------------------------------
    def submit(self, request: Reply) -> Reply:
        """Run *request* on the session's own thread and wait for the reply (the control
        server's handler; called on its threads)."""
        future: Future[Reply] = Future()
        self._pending.put((request, future))
        return future.result(timeout=60)

    def serve_pending(self) -> None:
        """Answer every submitted request (called by the session's pump thread)."""
        while not self._pending.empty():
            request, future = self._pending.get_nowait()
            try:
                future.set_result(self.handle(request))
            except Exception as exc:  # a bad request must not stop the session
                future.set_result({"ok": False, "error": str(exc)})

    def handle(self, request: Reply) -> Reply:
        """The reply to one request (on the session's thread)."""
        op = request.get("op")
        if op == "inject":
            return self._inject(request)
        if op == "status":
            return {"ok": True, **self._summary()}
        if op == "stop":
            self._request_stop()
            return {"ok": True, "stopping": True}
        if op == RELOAD_RISK:
            return self._reload_risk(request)
        if op in LOGGED_OPS:
            symbol = request.get("symbol")
            symbol = str(symbol).upper() if symbol not in (None, "", "all", "ALL") else None
            if op == FORCE_EXIT and symbol is not None:
                self._accounts_on(symbol)  # refuse an unknown symbol before logging it
            control_id = self.ledger.append_control(op, symbol, self._position())
            self.breakers_resumed = []
            closed = self._apply_control(control_id, op, symbol)
            reply = {"ok": True, "op": op, "symbol": symbol or "all",
                     "entries_paused": self.entries_paused,
                     "trading_paused": self.trading_paused, "accounts": closed}
            if op == RESUME_ENTRIES:
                reply["breakers_resumed"] = list(self.breakers_resumed)
            return reply
        raise UserError(f"unknown op {op!r}; expected one of {', '.join(OPS)}")

    # --- logged inputs (replayed on resume) -----------------------------------------------------
    def logged_inputs(self) -> dict[int, list[InjectionRow | ControlRow]]:
        """Logged injections and operator commands by the release they followed, in order."""
        rows: list[InjectionRow | ControlRow] = []
        rows += self.ledger.injections()
        rows += self.ledger.controls()
        rows.sort(key=lambda r: (r.after_release, r.received_at))
        out: dict[int, list[InjectionRow | ControlRow]] = {}
        for row in rows:
            out.setdefault(row.after_release, []).append(row)
        return out

    def apply_logged(self, row: InjectionRow | ControlRow) -> None:
        """Apply one row of :meth:`logged_inputs` again, without logging it."""
        if isinstance(row, ControlRow):
            self._apply_control(row.control_id, row.op, row.symbol)
        else:
            self._inject_logged(row)

    # --- operator commands ----------------------------------------------------------------------
    def _accounts_on(self, symbol: str | None) -> list[Account]:
        chosen = [a for a in self.accounts if symbol is None or a.spec.symbol == symbol]
        if not chosen:
            traded = sorted({a.spec.symbol for a in self.accounts})
            raise UserError(f"this session does not trade {symbol}; it trades "
                            f"{', '.join(traded)}")
        return chosen

    def _apply_control(self, control_id: int, op: str, symbol: str | None) -> list[str]:
        if op in (PAUSE_ENTRIES, PAUSE_TRADING, RESUME_ENTRIES):
            if op == RESUME_ENTRIES:
                pause = RUNNING
            else:  # pausing entries while trading is paused keeps the stronger pause
                wanted = ENTRIES if op == PAUSE_ENTRIES else TRADING
                pause = max(self.pause, wanted, key=PAUSES.index)
            self.pause = pause
            paused = pause != RUNNING
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
                account.broker.trading_paused = pause == TRADING
            detail = PAUSE_EVENT[pause]
            if resumed:
                detail += f"; halted breakers cleared: {', '.join(resumed)}"
            self.ledger.record_event("entries", detail)
            self.breakers_resumed = resumed
            return []
        chosen = self._accounts_on(symbol)
        for account in chosen:
            account.deliver(ForceExit(control_id), timeout=30)
        return [a.spec.name for a in chosen]

    # --- risk limits ------------------------------------------------------------------------
    def _reload_risk(self, request: Reply) -> Reply:
        """New limits for the running gate; an invalid set is refused and the old one kept."""
        if self.gate is None:
            raise UserError("this session runs without the risk gate; there are no limits "
                            "to reload")
        limits = request.get("risk")
        if not isinstance(limits, dict):
            raise UserError("reload_risk needs 'risk': the risk config as a JSON object")
        config = validate_data(RiskConfig, limits, "reload_risk")  # one line when invalid
        changed = self.gate.reload(config)
        self.ledger.record_event("risk_reload", ", ".join(changed) or "no limit changed")
        return {"ok": True, "changed": changed}

    # --- injected signals -----------------------------------------------------------------------
    def _manual_account(self, symbol: str) -> Account:
        for account in self.accounts:
            if account.spec.strategy is ManualSignalStrategy and account.spec.symbol == symbol:
                return account
        traded = sorted({a.spec.symbol for a in self.accounts})
        raise UserError(f"this session does not trade {symbol}; it trades "
                        f"{', '.join(traded)}" + ("" if self.manual else
                                                  " and has no manual sub-accounts"))

    def _inject(self, request: Reply) -> Reply:
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
        signal_id = self.ledger.append_injection(symbol, side, None if qty is None else
                                                 float(qty), confidence, self._position())
        signal = InjectedSignal(signal_id, symbol, side, None if qty is None else float(qty),
                                confidence)
        account.deliver(signal, timeout=30)
        return {"ok": True, "account": account.spec.name, **self._outcome(account, signal)}

    def _inject_logged(self, row: InjectionRow) -> None:
        account = self._manual_account(row.symbol)
        account.deliver(InjectedSignal(row.signal_id, row.symbol, row.side, row.qty,
                                       row.confidence), timeout=30)

    @staticmethod
    def _outcome(account: Account, signal: InjectedSignal) -> Reply:
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
