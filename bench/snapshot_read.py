"""Status reads of a long-running paper session: ``read_snapshot`` as the ledger grows.

Run: ``python bench/snapshot_read.py [--days 1,7,30] [--repeat 5]``

The metrics exporter reads the ledger at every Prometheus scrape (``equity_points=0``), the
control panel and Telegram on demand (with the equity curve), so a read must not grow with the
session's age: Prometheus gives up on a scrape after 10 s. Each ledger is written through the
:class:`~backtrader_engine.ledger.LedgerWriter` API as a real session writes it: three symbols
of 1m bars (50-level books), 15 sub-accounts (five strategies x three symbols) whose account
state and equity are stored after every bar, an order and a fill every 20 bars per
sub-account, a signal per order, a funding payment every 8 h and the portfolio's value per bar.

Baseline: the same read on the 1-day ledger; the table gives each size's time and its ratio
to it. Target: a scrape read (``equity_points=0``) of the 30-day ledger within 5x the 1-day
one (PASS/FAIL). Best of ``--repeat`` reads per size, since the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backtrader_engine.ledger import LedgerWriter  # noqa: E402
from backtrader_engine.operations import read_snapshot  # noqa: E402
from backtrader_engine.paper.context import BarContext  # noqa: E402

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
STRATEGIES = ("RSIEMAMomentumStrategy", "BollingerReversionStrategy",
              "VolatilityBreakoutStrategy", "EMABreakoutConservativeStrategy",
              "TrendFollowingADXEMAStrategy")
MINUTE, START = 60_000, 1_700_000_000_000 // 60_000 * 60_000
TARGET_RATIO = 5.0


def build(state: Path, days: int) -> Path:
    """A ledger of *days* of trading under *state*."""
    ledger = LedgerWriter(state)
    names = [f"{s}:{sym}" for s in STRATEGIES for sym in SYMBOLS]
    ledger.set_meta("accounts", [{"name": n, "class": n.split(":")[0], "symbol": n.split(":")[1],
                                  "interval": "1", "timeframe": "1m"} for n in names])
    for name in names:
        ledger.register_account(name, name.split(":")[0], name.split(":")[1], {}, 1000.0)
    book = tuple((100.0 - i * 0.1, 1.0 + i) for i in range(50))
    release = 0
    for bar in range(days * 1440):
        start = START + bar * MINUTE
        for symbol in SYMBOLS:
            release += 1
            ledger.append_bar(BarContext(symbol, "1", start, start + MINUTE - 1, 100.0, 101.0,
                                         99.0, 100.5, 10.0, "stream", book, book, 100.5,
                                         0.0001, None, 12.0, 0))
        ledger.record_portfolio(release, start + MINUTE, 15_000.0 + bar % 97, 15_100.0)
        rows: list[tuple[str, dict]] = []
        for i, name in enumerate(names):
            symbol = name.split(":")[1]
            if (bar + i) % 20 == 0:
                seq = (bar + i) // 20
                side, size = ("buy", 0.1) if seq % 2 == 0 else ("sell", -0.1)
                rows.append(("orders", {
                    "account": name, "seq": seq, "bar_seq": bar, "created_ms": start,
                    "side": side, "type": "Market", "size": size, "price": 100.5,
                    "price_limit": None, "parent_seq": None, "status": "Completed",
                    "reason": None, "confidence": 1.0, "info": "{}", "updated_ms": start}))
                rows.append(("fills", {
                    "account": name, "order_seq": seq, "fill_seq": 0, "bar_seq": bar,
                    "ts_ms": start + MINUTE, "symbol": symbol, "side": side, "size": size,
                    "price": 100.5, "fee": 0.01, "liquidity": "taker",
                    "pnl": 0.0 if side == "buy" else 0.3,
                    "position_after": 0.1 if side == "buy" else 0.0, "liquidation": 0,
                    "recorded_at": time.time()}))
                rows.append(("signals", {
                    "account": name, "order_seq": seq, "ts_ms": start + MINUTE,
                    "strategy": name.split(":")[0], "symbol": symbol, "side": side,
                    "size": 0.1, "price": 100.5, "confidence": 1.0, "outcome": "executed",
                    "reason": None, "message": "", "stage": "broker"}))
            if bar % 480 == 0:
                rows.append(("funding", {"account": name, "funding_time": start,
                                         "symbol": symbol, "rate": 0.0001, "mark_price": 100.5,
                                         "position": 0.1, "payment": 0.001}))
            rows.append(("equity", {"account": name, "bar_seq": bar, "ts_ms": start + MINUTE,
                                    "value": 1000.0 + bar % 13}))
            rows.append(("account_state", {
                "account": name, "bar_seq": bar, "ts_ms": start + MINUTE, "cash": 1000.0,
                "value": 1000.0 + bar % 13, "position": 0.0, "position_price": 0.0,
                "fees": 0.01 * bar / 20, "funding": 0.0, "peak": 1012.0,
                "trades_won": bar // 40, "trades_lost": 0, "realised_pnl": 0.3 * bar // 40}))
        ledger.write_outputs(rows)
    ledger.close()
    return state


def best_read(state: Path, repeat: int, **kwargs: int) -> float:
    """Fastest of *repeat* reads, in milliseconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        read_snapshot(state, **kwargs)
        times.append((time.perf_counter() - t0) * 1000)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default="1,7,30", help="ledger sizes in days (first: baseline)")
    parser.add_argument("--repeat", type=int, default=5, help="reads per size (best counts)")
    args = parser.parse_args()
    days = [int(d) for d in args.days.split(",")]
    print(f"command: python bench/snapshot_read.py --days {args.days} --repeat {args.repeat}")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
          + f" on {os.cpu_count()} CPUs")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in days:
            state = build(Path(tmp) / f"d{n}", n)
            size = (state / "ledger.sqlite").stat().st_size / 2**20
            scrape = best_read(state, args.repeat, equity_points=0)
            panel = best_read(state, args.repeat, recent=20, equity_points=2000)
            results.append((n, size, scrape, panel))
    base = results[0]
    header = ("ledger", "MB", "scrape read ms", "x 1st", "panel read ms", "x 1st", "target",
              "result")
    rows = []
    for n, size, scrape, panel in results:
        ratio = scrape / base[2]
        last = n == days[-1]
        rows.append((f"{n} day(s)", f"{size:.0f}", f"{scrape:.2f}", f"{ratio:.2f}x",
                     f"{panel:.2f}", f"{panel / base[3]:.2f}x",
                     f"<= {TARGET_RATIO:g}x" if last else "",
                     ("PASS" if ratio <= TARGET_RATIO else "FAIL") if last else ""))
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    fmt = "| " + " | ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    print()
    print(fmt.format(*header) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(fmt.format(*row) + " |")
    print("baseline: the same reads on the first ledger size")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
