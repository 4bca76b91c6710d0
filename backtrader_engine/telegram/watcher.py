"""Where notifications come from: a watcher reading the paper ledger, off the trading path.

The trading threads only write the ledger, as they always do; they never call into the
alerting code and never wait for it. This watcher opens the ledger **read-only** (SQLite
WAL lets it read a consistent state while the session writes, without blocking it) and
every :attr:`~LedgerWatcher.poll_s` seconds reads the rows added since the last look:

* ``events``: session started/stopped, errors, circuit-breaker events, market-data state;
* ``signals``: executed (joined with its ``fills`` for quantity, price and fee), rejected
  (reason and message), cancelled/expired;
* ``fills``: a position closed or flipped (with the round trip's PnL); entries without a
  signal record (no risk gate) as executed orders;
* ``funding``: settlements paid or received;
* ``account_state``: the portfolio value for drawdown alerts and the daily summary;
* optionally the session's live status, every ``status_every_s``, for circuit breakers
  (the one read that the session's own thread answers: a status request costs it tens of
  milliseconds, so it is asked for rarely, 30 s by default).

Rows are found by rowid. ``signals`` rows are replaced (new rowid) when a signal's outcome
changes and when a restart re-derives them, so the last outcome told per signal is kept and
an unchanged one is not told again. :meth:`LedgerWatcher.baseline` marks what exists as
already told; call it before the session starts, so that everything the session does from
its start on is reported.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from backtrader_engine.ledger import LedgerReader, LedgerReadError, ledger_path
from backtrader_engine.ledger.rows import Row
from backtrader_engine.telegram import events as ev
from backtrader_engine.telegram import trading
from backtrader_engine.telegram.breakers import BreakerTracker
from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.portfolio import DayTracker, DrawdownTracker, daily_summary
from backtrader_engine.telegram.queries import day_figures, fill_totals

log = logging.getLogger(__name__)
Key = tuple[str, int]
_TABLES = ("events", "signals", "fills", "funding")


class LedgerWatcher:
    """Polls a session's ledger and emits :class:`~.events.Notification` objects.

    Parameters
    ----------
    state_dir : path
        The session's state folder (its ``ledger.sqlite`` may not exist yet).
    emit : callable
        Receives each notification, on the watcher's thread; must not block.
    drawdown_warning_pct, drawdown_critical_pct : float
        Drawdown alert levels (``alerts`` in ``alert_config.json``).
    poll_s : float
        Seconds between reads.
    fill_grace_s : float
        How long an executed signal waits for its fill rows (written separately) before it
        is told without them, and an entry fill waits for its signal row.
    stream_grace_s : float
        A market-data interruption is told only if it lasts this long (a stop or a quick
        reconnect is not worth an alert).
    live_status : callable, optional
        ``live_status() -> dict | None``: the running session's status, for breakers.
    status_every_s : float
        Seconds between live-status requests (0: never).
    """

    def __init__(self, state_dir: Path | str, emit: Callable[[Notification], None], *,
                 drawdown_warning_pct: float = 5.0, drawdown_critical_pct: float = 8.0,
                 poll_s: float = 0.25, fill_grace_s: float = 1.0, stream_grace_s: float = 10.0,
                 live_status: Callable[[], dict[str, Any] | None] | None = None,
                 status_every_s: float = 30.0) -> None:
        self.path = ledger_path(state_dir)
        self.emit = emit
        self.poll_s = poll_s
        self.fill_grace_s = fill_grace_s
        self.stream_grace_s = stream_grace_s
        self.live_status = live_status
        self.status_every_s = status_every_s
        self._levels = (drawdown_warning_pct, drawdown_critical_pct)
        self._cursor = dict.fromkeys(_TABLES, 0)
        self._state_rowid = 0
        self._outcomes: dict[Key, str] = {}
        self._pending_signals: dict[Key, tuple[dict[str, Any], float]] = {}
        self._pending_fills: dict[Key, tuple[dict[str, Any], float]] = {}
        self._accounts: dict[str, dict[str, Any]] = {}
        self._drawdown: DrawdownTracker | None = None
        self._day = DayTracker()
        self._breakers = BreakerTracker()
        self._stream: str | None = None  # last market-data state
        self._stream_down: tuple[Notification, float] | None = None  # told after the grace
        self._stream_told = False
        self._next_status = 0.0
        self._based = False
        self._db: LedgerReader | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.polls = 0
        self.read_errors = 0
        self.emitted = 0

    # --- lifecycle ------------------------------------------------------------------------
    def baseline(self) -> None:
        """Mark everything already in the ledger as told (no-op when there is no ledger)."""
        self._based = True
        db = self._connect()
        if db is None:
            return
        try:
            for table in _TABLES:
                self._cursor[table] = db.last_rowid(table)
            self._outcomes.update(db.signal_outcomes())
            event = db.last_event("stream")
            self._stream = _stream_state(event.detail) if event else None
        except LedgerReadError as exc:
            log.warning("alerts: could not read %s for the baseline (%s)", self.path, exc)
        finally:
            self._close()

    def start(self) -> LedgerWatcher:
        """Poll on a daemon thread until :meth:`stop`."""
        if not self._based:
            self.baseline()
        self._thread = threading.Thread(target=self._run, name="alerts-ledger-watcher",
                                        daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll()
            except Exception:  # a surprise in one read must not end the alerts for good
                self.read_errors += 1
                log.exception("alerts: reading the ledger failed; trying again")
                self._close()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling, then read once more and tell everything still pending."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("alerts: the ledger watcher did not stop within %.1f s", timeout)
                return
        self.poll(final=True)
        self._close()

    # --- one read -------------------------------------------------------------------------
    def poll(self, *, final: bool = False) -> list[Notification]:
        """Read what is new, emit and return the notifications (in order).

        With *final*, everything pending is told now rather than after its grace.
        """
        self.polls += 1
        first: list[Notification] = []
        trades: list[Notification] = []
        other: list[Notification] = []
        last: list[Notification] = []
        try:
            db = self._connect()
            if db is not None:
                self._read_accounts(db)
                self._read_events(db, first, other, last)
                self._read_signals(db, trades, other)
                self._read_fills(db, trades)
                self._resolve_pending(db, trades, final)
                self._read_funding(db, trades)
                self._read_portfolio(db, other)
            self._check_stream(other, final, stopping=bool(last))
            self._check_live_status(other, final)
        except LedgerReadError as exc:
            self.read_errors += 1
            log.debug("alerts: ledger read failed (%s); retrying", exc)
            self._close()
        trades.sort(key=lambda n: n.ts_ms or 0)
        out = first + trades + other + last
        for notification in out:
            try:
                self.emit(notification)
                self.emitted += 1
            except Exception:
                log.exception("alerts: emitting a notification failed")
        return out

    def _connect(self) -> LedgerReader | None:
        if self._db is None:
            if not self.path.is_file():
                return None
            self._db = LedgerReader(self.path, timeout=1.0)
        return self._db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _new_rows(self, table: str, numbered: Sequence[tuple[int, Row]]
                  ) -> list[dict[str, Any]]:
        """The new rows of *table* as mappings (``_rowid`` added); moves its cursor."""
        if numbered:
            self._cursor[table] = numbered[-1][0]
        return [{"_rowid": rowid, **row.as_dict()} for rowid, row in numbered]

    # --- tables ---------------------------------------------------------------------------
    def _read_accounts(self, db: LedgerReader) -> None:
        fresh: list[dict[str, Any]] = [
            {"account": a.account, "strategy": a.strategy, "symbol": a.symbol,
             "initial_cash": a.initial_cash}
            for a in db.accounts() if a.account not in self._accounts]
        if not fresh:
            return
        classes = {a.get("name"): a.get("class") for a in db.meta("accounts") or []
                   if isinstance(a, dict)}
        for row in fresh:
            row["class"] = classes.get(row["account"])
            self._accounts[row["account"]] = row

    def _strategy(self, account: str) -> str:
        """The strategy's class name (what the operator wrote), else its spec."""
        known = self._accounts.get(account, {})
        return str(known.get("class") or known.get("strategy") or account.split(":")[0])

    def _read_events(self, db: LedgerReader, first: list[Notification],
                     other: list[Notification], last: list[Notification]) -> None:
        events = db.events_after(self._cursor["events"])
        if events:
            self._cursor["events"] = events[-1].id
        for row in (event.as_dict() for event in events):
            kind = row["kind"]
            if kind == "stream":
                self._stream_event(row, other)
                continue
            context = self._context(db) if kind in ("start", "stop") else ()
            notification = trading.event_notification(row, context)
            if notification is None:
                continue
            if kind == "start":
                first.append(notification)
            elif kind == "stop":
                last.append(notification)
            else:
                other.append(notification)

    def _context(self, db: LedgerReader) -> tuple[tuple[str, str], ...]:
        value, initial, _ts = self._portfolio(db)
        symbols = sorted({str(a["symbol"]) for a in self._accounts.values()})
        return (("sub-accounts", str(len(self._accounts))), ("symbols", ", ".join(symbols)),
                ("portfolio value", trading.money(value)),
                ("PnL since start", trading.signed_money(value - initial)),
                ("state", str(self.path.parent)))

    def _read_signals(self, db: LedgerReader, trades: list[Notification],
                      other: list[Notification]) -> None:
        now = time.monotonic()
        for row in self._new_rows("signals", db.signals_after(self._cursor["signals"])):
            key = (row["account"], int(row["order_seq"]))
            outcome = row["outcome"]
            if self._outcomes.get(key) == outcome:
                continue  # the same outcome again (a restart re-deriving it)
            self._outcomes[key] = outcome
            if outcome == "executed":
                self._pending_signals[key] = (row, now)
                self._pending_fills.pop(key, None)
            elif outcome == "rejected":
                trades.append(trading.signal_rejected(row, self._strategy(row["account"])))
                breaker = self._breakers.from_rejection(row.get("reason"), row.get("message"),
                                                        row.get("ts_ms"))
                if breaker is not None:
                    other.append(breaker)
            elif outcome in ("cancelled", "expired"):
                trades.append(trading.signal_cancelled(row, self._strategy(row["account"])))

    def _read_fills(self, db: LedgerReader, trades: list[Notification]) -> None:
        now = time.monotonic()
        for row in self._new_rows("fills", db.fills_after(self._cursor["fills"])):
            if trading.closes_position(row):
                earlier = [f.as_dict() for f in db.fills_before(
                    row["account"], row["ts_ms"], row["_rowid"], 500)]
                trip = trading.trip_of(row, earlier)
                # Settlements while the trip was open: after its entry, up to its close.
                funding = [{"funding_time": f.funding_time, "payment": f.payment}
                           for f in db.funding(row["account"], after=trip[-1]["ts_ms"],
                                               until=row["ts_ms"])]
                trades.append(trading.position_closed(row, trip,
                                                      self._strategy(row["account"]), funding))
            if trading.opens_or_grows(row):
                key = (row["account"], int(row["order_seq"]))
                if key not in self._outcomes and key not in self._pending_signals:
                    self._pending_fills.setdefault(key, (row, now))

    def _resolve_pending(self, db: LedgerReader, trades: list[Notification],
                         final: bool) -> None:
        now = time.monotonic()
        for key, (signal, since) in list(self._pending_signals.items()):
            totals = fill_totals(db, key)
            if totals is None and not final and now - since < self.fill_grace_s:
                continue
            del self._pending_signals[key]
            trades.append(trading.signal_executed(signal, totals, self._strategy(key[0])))
        for key, (fill, since) in list(self._pending_fills.items()):
            if key in self._outcomes:  # its signal row came: the signal path tells it
                del self._pending_fills[key]
                continue
            if not final and now - since < self.fill_grace_s:
                continue
            del self._pending_fills[key]
            has_signal = db.has_signal(*key)
            totals = fill_totals(db, key)
            if not has_signal and totals is not None:
                trades.append(trading.order_filled(fill, totals, self._strategy(key[0])))

    def _read_funding(self, db: LedgerReader, trades: list[Notification]) -> None:
        for row in self._new_rows("funding", db.funding_after(self._cursor["funding"])):
            trades.append(trading.funding_paid(row))

    # --- portfolio --------------------------------------------------------------------------
    def _portfolio(self, db: LedgerReader) -> tuple[float, float, int | None]:
        """(value, initial cash, newest bar time) over every sub-account."""
        states = {r.account: r for r in db.account_states()}
        initial = sum(float(a["initial_cash"]) for a in self._accounts.values())
        value = sum(float(states[name].value) if name in states else
                    float(a["initial_cash"]) for name, a in self._accounts.items())
        newest = max((int(s.ts_ms) for s in states.values()), default=None)
        return value, initial, newest

    def _read_portfolio(self, db: LedgerReader, other: list[Notification]) -> None:
        rowid = db.last_rowid("account_state")
        if rowid == self._state_rowid or not self._accounts:
            return
        self._state_rowid = rowid
        value, initial, newest = self._portfolio(db)
        if self._drawdown is None:
            self._drawdown = DrawdownTracker(*self._levels, peak=max(initial, value))
        # The session records its portfolio's running peak per bar (the whole history,
        # resumes included); the sum of the sub-accounts' latest values is the value now.
        alert = self._drawdown.update(value, newest, db.portfolio_peak())
        if alert is not None:
            other.append(alert)
        if newest is not None:
            ended = self._day.update(newest, value)
            if ended is not None:
                other.append(daily_summary(ended[0], ended[1], ended[2], value,
                                           day_figures(db, ended[0])))

    # --- market data and breakers -----------------------------------------------------------
    def _stream_event(self, row: dict[str, Any], other: list[Notification]) -> None:
        state = _stream_state(row["detail"])
        previous, self._stream = self._stream, state
        if state == previous:
            return
        ts = int(float(row["wall_time"]) * 1000)
        if state == "LIVE":
            if self._stream_down is not None:
                self._stream_down = None  # back before anyone needed to know
            elif self._stream_told:
                self._stream_told = False
                other.append(Notification(ev.MARKET_DATA, ev.INFO, "Market data live again",
                                          (("detail", row["detail"]),), ts))
        elif self._stream_down is None and not self._stream_told:
            self._stream_down = (Notification(
                ev.MARKET_DATA, ev.WARNING, f"Market data {state.lower()}",
                (("detail", row["detail"]),
                 ("effect", "no new bars: strategies wait; open orders keep their state")),
                ts), time.monotonic())

    def _check_stream(self, other: list[Notification], final: bool, stopping: bool) -> None:
        if self._stream_down is None:
            return
        if final or stopping:
            self._stream_down = None  # the session is stopping: expected, not an alert
            return
        notification, since = self._stream_down
        if time.monotonic() - since >= self.stream_grace_s:
            self._stream_down = None
            self._stream_told = True
            other.append(notification)

    def _check_live_status(self, other: list[Notification], final: bool) -> None:
        if final or self.live_status is None or self.status_every_s <= 0:
            return
        now = time.monotonic()
        if now < self._next_status:
            return
        self._next_status = now + self.status_every_s
        try:
            status = self.live_status()
        except Exception as exc:  # no session answering is not an alert by itself
            log.debug("alerts: live status unavailable (%s)", exc)
            return
        breakers = (status or {}).get("breakers")
        if isinstance(breakers, dict):
            other.extend(self._breakers.from_status(breakers))


def _stream_state(detail: str) -> str:
    return detail.split(":", 1)[0].strip().upper() or "UNKNOWN"
