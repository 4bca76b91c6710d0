"""Fault injection for the replay stream: a small ``key=value`` grammar.

A spec is a comma-separated list of ``key=value`` items, for example
``"drop_every=5,malformed_every=50,skip_seq_every=30,stall=10:3,snapshot_every=100"``:

``drop_every=SECONDS``
    Abort each connection's TCP socket SECONDS after it opened (a network drop, not a close
    handshake), so clients exercise their reconnect path.
``malformed_every=N``
    After every N data frames sent to a connection, send one frame of truncated JSON.
``skip_seq_every=N``
    Withhold every Nth orderbook delta from a connection, so it sees a gap in ``u``/``seq``.
``stall=EVERY:SECONDS``
    Every EVERY seconds of a connection's life, send nothing for SECONDS; frames queue up
    and arrive late, as after a network stall. The market clock keeps running.
``snapshot_every=N``
    Replace every Nth orderbook message to a connection by a fresh snapshot, which Bybit
    sends when its book needs a reset.

Counts (N) are positive integers, durations are positive seconds (decimals allowed).
"""

from __future__ import annotations

from dataclasses import dataclass

from backtrader_engine.errors import UserError

_COUNTS = ("malformed_every", "skip_seq_every", "snapshot_every")


@dataclass(frozen=True)
class FaultSpec:
    """Parsed fault settings; ``None`` disables a fault."""

    drop_every: float | None = None
    malformed_every: int | None = None
    skip_seq_every: int | None = None
    stall_every: float | None = None
    stall_seconds: float | None = None
    snapshot_every: int | None = None

    @property
    def active(self) -> bool:
        """Whether any fault is switched on."""
        return any(v is not None for v in vars(self).values())


def _seconds(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"faults: {key}={text!r} is not a number of seconds") from None
    if not value > 0:
        raise UserError(f"faults: {key}={text!r} must be positive")
    return value


def _count(key: str, text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise UserError(f"faults: {key}={text!r} must be a whole number of at least 1")
    return int(text)


def parse_faults(spec: str | FaultSpec | None) -> FaultSpec:
    """Parse a fault spec (see the module docstring); empty or ``None`` means no faults.

    Raises
    ------
    UserError
        One line naming the offending item.
    """
    if isinstance(spec, FaultSpec):
        return spec
    values: dict[str, float | int] = {}
    for item in (spec or "").split(","):
        item = item.strip()
        if not item:
            continue
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not text:
            raise UserError(f"faults: {item!r} is not key=value")
        if key in values or (key == "stall" and "stall_every" in values):
            raise UserError(f"faults: {key} given twice")
        if key == "drop_every":
            values[key] = _seconds(key, text)
        elif key in _COUNTS:
            values[key] = _count(key, text)
        elif key == "stall":
            every, colon, length = text.partition(":")
            if not colon:
                raise UserError(f"faults: stall={text!r} must be EVERY:SECONDS, e.g. stall=10:3")
            values["stall_every"] = _seconds("stall", every)
            values["stall_seconds"] = _seconds("stall", length)
        else:
            raise UserError(f"faults: unknown fault {key!r}; expected drop_every, "
                            f"malformed_every, skip_seq_every, stall or snapshot_every")
    # Each key holds the type its parser gives (_seconds: float, _count: int), which one dict
    # type cannot say per key.
    return FaultSpec(**values)  # type: ignore[arg-type]
