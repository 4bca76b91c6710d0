"""Notifications rendered as Telegram HTML, and bursts packed into few messages.

Every piece of text that comes from data (strategy names, reasons, error messages) is
escaped, so a ``<`` in an exception message can neither break the parse mode nor inject
markup. A message never exceeds Telegram's 4096-character limit (:data:`MAX_MESSAGE`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

from backtrader_engine.telegram.events import CRITICAL, WARNING, Notification

#: Telegram's limit on one message's text (after entity parsing; we count the raw HTML,
#: which is never shorter, so staying under it is safe).
MAX_MESSAGE = 4096
_SEPARATOR = "\n\n"
_HEADER_ROOM = len("<b>9999999 alerts</b>") + len(_SEPARATOR)
_TRUNCATED = "… (truncated)"
_MARKERS = {CRITICAL: "[CRITICAL] ", WARNING: "[WARNING] "}


def esc(text: object) -> str:
    """*text* escaped for Telegram's HTML parse mode (``&``, ``<``, ``>``)."""
    return html.escape(str(text), quote=False)


def utc_time(ts_ms: int | None) -> str:
    """``2022-09-05 05:01:00 UTC`` for a millisecond timestamp, ``-`` for none."""
    if ts_ms is None:
        return "-"
    stamp = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")


def render(notification: Notification, limit: int = MAX_MESSAGE) -> str:
    """One notification as an HTML block of at most *limit* characters.

    The title is bold and carries ``[CRITICAL]``/``[WARNING]`` for those levels; each
    context field is one ``label: value`` line. Too long a block loses its last fields
    first, then the end of its title.
    """
    title = _MARKERS.get(notification.level, "") + notification.title
    lines = [f"{esc(label)}: {esc(value)}" for label, value in notification.fields]
    if notification.ts_ms is not None and "time" not in dict(notification.fields):
        lines.append(f"time: {utc_time(notification.ts_ms)}")
    block = "\n".join([f"<b>{esc(title)}</b>", *lines])
    if len(block) <= limit:
        return block
    while lines:
        lines.pop()
        block = "\n".join([f"<b>{esc(title)}</b>", *lines, esc(_TRUNCATED)])
        if len(block) <= limit:
            return block
    # Only the title is left and it is still too long: cut the plain text, then escape,
    # so no entity is ever cut in half.
    room = limit - len("<b></b>") - len(esc(_TRUNCATED))
    kept: list[str] = []
    used = 0
    for char in title:
        escaped = esc(char)
        if used + len(escaped) > room:
            break
        kept.append(escaped)
        used += len(escaped)
    return f"<b>{''.join(kept)}{esc(_TRUNCATED)}</b>"


def pack(notifications: Sequence[Notification], limit: int = MAX_MESSAGE) -> tuple[str, int]:
    """As many leading *notifications* as fit in one message; ``(text, how many)``.

    One notification renders as its block alone; several get a ``N alerts`` header and
    blank lines between blocks. At least one is always taken (shortened to fit if needed).
    """
    if not notifications:
        raise ValueError("pack() needs at least one notification")
    first = render(notifications[0], limit)
    if len(notifications) == 1:
        return first, 1
    blocks = [render(notifications[0], limit - _HEADER_ROOM)]
    size = len(blocks[0])
    for notification in notifications[1:]:
        block = render(notification, limit - _HEADER_ROOM)
        if _HEADER_ROOM + size + len(_SEPARATOR) + len(block) > limit:
            break
        blocks.append(block)
        size += len(_SEPARATOR) + len(block)
    if len(blocks) == 1:
        return first, 1
    return f"<b>{len(blocks)} alerts</b>{_SEPARATOR}" + _SEPARATOR.join(blocks), len(blocks)
