"""Rendering notifications as Telegram HTML and packing bursts into messages."""

from __future__ import annotations

import re

import pytest

from backtrader_engine.telegram.events import Notification
from backtrader_engine.telegram.notification_text import MAX_MESSAGE, pack, render


def note(title: str = "t", fields: tuple[tuple[str, str], ...] = (), level: str = "info",
         ts: int | None = None) -> Notification:
    return Notification("error", level, title, fields, ts)


def test_levels_fields_and_time() -> None:
    text = render(note("Bot <stopped>", (("error", "a & b"),), "critical", 1_662_354_000_000))
    assert text == ("<b>[CRITICAL] Bot &lt;stopped&gt;</b>\nerror: a &amp; b\n"
                    "time: 2022-09-05 05:00:00 UTC")


def test_unknown_kind_or_level_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown notification kind"):
        Notification("nope", "info", "t")
    with pytest.raises(ValueError, match="unknown level"):
        Notification("error", "debug", "t")


def test_a_huge_notification_is_shortened_without_breaking_entities() -> None:
    many = tuple((f"field{i}", "<&>" * 50) for i in range(200))
    text = render(note("title", many))
    assert len(text) <= MAX_MESSAGE and text.endswith("… (truncated)")
    assert text.count("\n") < 200
    title_only = render(note("&" * 5000))
    assert len(title_only) <= MAX_MESSAGE
    assert re.fullmatch(r"<b>(&amp;)+… \(truncated\)</b>", title_only)


def test_pack_takes_what_fits_and_counts_it() -> None:
    notes = [note(f"event {i}", (("detail", "x" * 100),)) for i in range(100)]
    text, count = pack(notes)
    assert 1 < count < 100 and len(text) <= MAX_MESSAGE
    assert text.startswith(f"<b>{count} alerts</b>\n\n")
    assert re.findall(r"event (\d+)", text) == [str(i) for i in range(count)]
    assert pack(notes[:1]) == (render(notes[0]), 1)
    single, taken = pack([note("y" * 9000)] + notes)
    assert taken == 1 and len(single) <= MAX_MESSAGE
    with pytest.raises(ValueError):
        pack([])
