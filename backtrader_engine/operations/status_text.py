"""A :class:`~.status.BotStatus` as text for people (``bot status`` without ``--json``)."""

from __future__ import annotations

from typing import Any

from backtrader_engine.operations.status import BotStatus
from backtrader_engine.texttable import number, table


def format_status(status: BotStatus) -> str:
    """Several lines: state, process, key figures, endpoints, last log lines."""
    lines = [status.message]
    if status.running:
        cpu = "?" if status.cpu_percent is None else f"{status.cpu_percent:.1f}"
        rss = "?" if status.rss_bytes is None else f"{status.rss_bytes / 2**20:.1f}"
        lines.append(f"  uptime {_duration(status.uptime_s or 0.0)}   CPU {cpu} %   memory "
                     f"{rss} MB   "
                     f"{'ready' if status.ready else 'starting (warm-up / catch-up)'}")
    if status.command:
        lines.append(f"  command  {' '.join(status.command)}")
    if status.state_dir:
        lines.append(f"  state    {status.state_dir}")
    if status.figures is not None:
        lines.extend("  " + line for line in _figure_lines(status.figures))
    elif status.figures_error and status.state_dir:
        lines.append(f"  figures  unavailable: {status.figures_error}")
    if status.endpoints:
        rows = [(check.name, check.url, f"{'up' if check.ok else 'down'} ({check.detail})")
                for check in status.endpoints]
        # Columns sized to the longest name and URL; no header (each line reads on its own).
        lines.extend("  " + line for line in table(("", "", ""), rows, "<<<")[1:])
    if status.log_tail:
        lines.append(f"  last log lines ({status.log_file}):")
        lines.extend(f"    {line}" for line in status.log_tail)
    return "\n".join(lines)


def _figure_lines(f: dict[str, Any]) -> list[str]:
    start = f["initial_cash"] or 0.0
    share = f" ({100 * f['pnl'] / start:+.2f} %)" if start else ""
    win = f", win rate {100 * f['win_rate']:.0f} %" if f.get("win_rate") is not None else ""
    pause = {"entries": "new entries paused (/stopentry; /start resumes)",
             "trading": "trading paused (/stop: no strategy orders; /start resumes)"}
    out = [f"operator pause  {pause.get(f.get('pause') or 'none', 'none')}"]
    out += [f"equity {f['equity']:.2f}   PnL {f['pnl']:+.2f}{share}   drawdown "
           f"{f['drawdown_pct']:.2f} %   trades {f['trades_won']} won / {f['trades_lost']} "
           f"lost{win}"]
    positions = f["open_positions"]
    out.append(f"open positions {len(positions)}   open orders {f['open_orders']}")
    if positions:
        rows = [(str(p["account"]), _signed(float(p["position"])), "@",
                 number(float(p["price"]))) for p in positions]
        out.extend("  " + line for line in table(("sub-account", "position", "", "price"),
                                                 rows, "<><>"))
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(f["rejected_by_reason"].items()))
    out.append(f"signals executed {f['signals_executed']}, rejected {f['signals_rejected']}"
               + (f" ({reasons})" if reasons else ""))
    out.append(f"orders rejected {f.get('orders_rejected', 0)}")
    for account, counts in (f.get("orders_rejected_by_account") or {}).items():
        out.append(f"  {account}: " + ", ".join(f"{reason} {n}" for reason, n in counts.items()))
    if f.get("orders_resized"):
        by_account = ", ".join(f"{account} {n}" for account, n
                               in (f.get("orders_resized_by_account") or {}).items())
        out.append(f"orders resized {f['orders_resized']} (rounded down to the venue's lot "
                   f"step: {by_account})")
    return out


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "") + number(value)


def _duration(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{days}d {clock}" if days else clock
