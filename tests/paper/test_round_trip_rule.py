"""One round-trip rule: every consumer counts the same trips, wins, losses and net PnL.

The same fills and funding payments (:func:`tests.conftest.trip_scenario`: a win turned into a
loss by funding, a reversal in one fill, a partial close, a trip still open at the end) go to
the backtest metrics, the paper recorder and ledger read back by the snapshot reader (also
after a restart re-derives them, and from a ledger written before the counts included
funding), the metrics exporter, Telegram's /status, the panel model and the parity trips.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from backtrader_engine.dashboard.model.live import headline
from backtrader_engine.engine.dates import datetimes_to_bt_num
from backtrader_engine.engine.metrics import trade_statistics
from backtrader_engine.engine.trades import Fill, RoundTripLedger, TripTally
from backtrader_engine.ledger import LedgerWriter
from backtrader_engine.monitoring.collector import SessionCollector
from backtrader_engine.operations.snapshot import read_snapshot
from backtrader_engine.paper.recorder import AccountRecorder
from backtrader_engine.parity.trips import Execution, Funding, build_trips
from backtrader_engine.telegram.answers_text import format_status

from ..conftest import TripFill, TripFunding, TripScenario

ACCOUNT, SYMBOL, CASH = "RSIEMAMomentumStrategy:BTCUSDT", "BTCUSDT", 10_000.0


def _bit(fill: TripFill, dt: float) -> SimpleNamespace:
    return SimpleNamespace(dt=dt, size=fill.size, psize=fill.position_after, price=fill.price,
                           closed=fill.closed, opened=fill.opened, pnl=fill.pnl,
                           closedcomm=fill.closed_fee, openedcomm=fill.opened_fee)


def _bt_num(ts_ms: int) -> float:
    return float(datetimes_to_bt_num(pd.DatetimeIndex([pd.Timestamp(ts_ms, unit="ms")]))[0])


def backtest_trades(scenario: TripScenario) -> pd.DataFrame:
    """The backtest's trade frame: the broker's ledger fed as PerpBroker feeds it."""
    ledger = RoundTripLedger()
    for bar, event in enumerate(scenario.events, start=1):
        if isinstance(event, TripFunding):
            ledger.on_funding("data", event.payment)
        else:
            ledger.on_fill("data", SYMBOL, Fill.from_bit(_bit(event, _bt_num(event.ts_ms)), bar))
    return ledger.frame({"data": (scenario.mark, len(scenario.events))})


class _Broker:
    """What the recorder reads of the paper broker when it writes the account's state."""

    def __init__(self) -> None:
        self.cerebro = SimpleNamespace(datas=[object()])
        self.position = SimpleNamespace(size=0.0, price=0.0)
        self.cash = CASH
        self.current_value = CASH
        self.fees_paid = 0.0
        self.funding_paid = 0.0

    def getposition(self, data: object) -> SimpleNamespace:
        return self.position

    def getcash(self) -> float:
        return self.cash

    def context(self, data: object) -> None:
        return None


def run_paper(state: Path, scenario: TripScenario, values: list[float],
              after_step: Callable[[AccountRecorder, LedgerWriter], None] | None = None
              ) -> None:
    """A paper session's recorder fed the scenario, one bar step per event; *after_step*
    is called once each step is written."""
    ledger = LedgerWriter(state)
    try:
        ledger.register_account(ACCOUNT, "RSIEMAMomentumStrategy", SYMBOL, {}, CASH)
        recorder = AccountRecorder(ledger, ACCOUNT, SYMBOL, "RSIEMAMomentumStrategy")
        broker = recorder.broker = _Broker()  # type: ignore[assignment]
        order = SimpleNamespace(info={})
        for bar, (event, value) in enumerate(zip(scenario.events, values, strict=True),
                                             start=1):
            recorder.on_bar(broker, bar, event.ts_ms)  # type: ignore[arg-type]
            if isinstance(event, TripFunding):
                broker.funding_paid += event.payment
                recorder.on_funding(event.ts_ms, 0.0001, 100.0, broker.position.size,
                                    event.payment)
            else:
                broker.fees_paid += event.fee
                broker.position = SimpleNamespace(size=event.position_after,
                                                  price=event.price)
                recorder.on_fill(order, bar, 0, bar, event.ts_ms,  # type: ignore[arg-type]
                                 _bit(event, event.ts_ms), False)
            broker.current_value = value
            recorder.flush()
            if after_step is not None:
                after_step(recorder, ledger)
    finally:
        ledger.close()


def account_values(scenario: TripScenario) -> list[float]:
    """The account's value after each event: cash plus every trip's net PnL so far, the
    open one marked at its last fill's price (the mark at the end)."""
    values = []
    for i in range(1, len(scenario.events) + 1):
        part = TripScenario(scenario.events[:i], scenario.mark, scenario.fee_rate, 0, 0, 0, 0.0,
                            0)
        last = scenario.mark if i == len(scenario.events) else next(
            e.price for e in reversed(part.events) if isinstance(e, TripFill))
        frame = backtest_trades(TripScenario(part.events, last, 0.0, 0, 0, 0, 0.0, 0))
        values.append(CASH + float(frame["net_pnl"].sum()))
    return values


def parity_trips(scenario: TripScenario) -> list:
    executions, funding = [], []
    for bar, event in enumerate(scenario.events, start=1):
        if isinstance(event, TripFunding):
            funding.append(Funding(event.ts_ms, bar, event.payment))
        else:
            executions.append(Execution(event.ts_ms, bar, event.size, event.price, event.fee,
                                        event.pnl, False, False, "bar", "Market", bar - 1,
                                        f"order {bar}", position_after=event.position_after))
    return build_trips(executions, funding, scenario.mark)


def exported(state: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    collector = SessionCollector(state, live_status=lambda path: None)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in collector.collect() for s in family.samples}


def one(samples: dict, name: str, **labels: str) -> float:
    found = [v for (n, ls), v in samples.items() if n == name and labels.items() <= set(ls)]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def check_snapshot(state: Path, scenario: TripScenario) -> None:
    snap = read_snapshot(state)
    (account,) = snap.accounts
    assert (account.trades_won, account.trades_lost) == (scenario.won, scenario.lost)
    assert account.realised_pnl == pytest.approx(scenario.net_pnl)
    assert snap.win_rate == pytest.approx(scenario.won / scenario.closed)


def test_every_consumer_agrees_on_the_round_trips(tmp_path: Path,
                                                  trip_scenario: TripScenario) -> None:
    s = trip_scenario
    # Backtest metrics.
    trades = backtest_trades(s)
    stats = trade_statistics(trades)
    assert (stats["trades"], stats["trades_won"], stats["trades_lost"]) == (s.closed, s.won,
                                                                           s.lost)
    assert stats["open_trades"] == s.open_trips
    assert stats["win_rate_pct"] == pytest.approx(100.0 * s.won / s.closed)
    assert stats["closed_net_pnl"] == pytest.approx(s.net_pnl)
    closed = trades[trades["status"] == "closed"]
    assert closed["net_pnl"].tolist() == pytest.approx([-0.201, 3.654, -0.216])
    assert closed["gross_pnl"].iloc[0] - closed["fees"].iloc[0] > 0  # won but for funding

    # Paper counters: recorder → ledger → snapshot reader.
    state = tmp_path / "state"
    values = account_values(s)
    run_paper(state, s, values)
    check_snapshot(state, s)
    snap = read_snapshot(state)
    (account,) = snap.accounts
    open_trip = trades[trades["status"] == "open"]["net_pnl"].sum()
    assert account.unrealised_pnl == pytest.approx(open_trip)

    # A restart (kill -9) re-derives every output from the logged inputs: same numbers.
    run_paper(state, s, values)
    check_snapshot(state, s)

    # A ledger written before the counts included funding: rebuilt from its rows.
    db = sqlite3.connect(state / "ledger.sqlite")
    with db:
        db.execute("UPDATE account_state SET trips_net_pnl=NULL, trades_won=2, trades_lost=1, "
                   "realised_pnl=5.0")
    db.close()
    check_snapshot(state, s)
    run_paper(state, s, values)  # a resumed session writes the counts by the rule again

    # The metrics exporter.
    samples = exported(state)
    assert one(samples, "bt_win_rate") == pytest.approx(s.won / s.closed)
    assert one(samples, "bt_trades_closed_total", result="win") == s.won
    assert one(samples, "bt_trades_closed_total", result="loss") == s.lost
    assert one(samples, "bt_realised_pnl") == pytest.approx(s.net_pnl)

    # Telegram /status and the panel.
    snap = read_snapshot(state)
    text = format_status(snap, None)
    assert (f"closed trades: {s.closed} (won {s.won}, lost {s.lost}); win rate "
            f"{100 * s.won / s.closed:.1f}%; net +{s.net_pnl:,.2f} USDT") in text
    figures = {f.key: f for f in headline(snap)}
    assert figures["live_win_rate"].value == f"{100 * s.won / s.closed:.1f}%"
    assert f"{s.won} won / {s.lost} lost of {s.closed} closed trades" in \
        figures["live_win_rate"].help
    assert f"{s.net_pnl:,.2f}" in figures["live_win_rate"].help

    # Parity trips.
    trips = parity_trips(s)
    done = [t for t in trips if t.status == "closed"]
    assert len(done) == s.closed and len(trips) - len(done) == s.open_trips
    assert sum(t.net_pnl > 0 for t in done) == s.won
    assert sum(t.net_pnl for t in done) == pytest.approx(s.net_pnl)
    assert [t.net_pnl for t in trips] == pytest.approx(trades["net_pnl"].tolist())


def test_each_step_stores_the_tally_of_every_trip_closed_so_far(
        tmp_path: Path, trip_scenario: TripScenario) -> None:
    # The recorder adds each step's closed trips to the previous step's tally instead of
    # recounting the account's history; what it stores must be the full recount, float sum
    # included, after every step.
    stored: list[tuple[int, int, float]] = []
    recounted: list[tuple[int, int, float]] = []

    def compare(recorder: AccountRecorder, ledger: LedgerWriter) -> None:
        db = sqlite3.connect(f"file:{ledger.path}?mode=ro", uri=True)
        try:
            stored.append(db.execute("SELECT trades_won, trades_lost, trips_net_pnl FROM "
                                     "account_state WHERE account=?", (ACCOUNT,)).fetchone())
        finally:
            db.close()
        tally = TripTally.of(recorder.trips.rows)
        recounted.append((tally.won, tally.lost, tally.net_pnl))

    run_paper(tmp_path, trip_scenario, account_values(trip_scenario), after_step=compare)
    assert stored == recounted
    assert [won + lost for won, lost, _ in stored] == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
