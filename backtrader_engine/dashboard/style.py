"""Look of the panel: a little CSS for the cards (the theme is in ``.streamlit/config.toml``)."""

from __future__ import annotations

import functools

import streamlit as st
from PIL import Image, ImageDraw

_CSS = """
<style>
[data-testid="stMetric"] { background: rgba(17, 24, 39, 0.65); border-radius: 0.6rem; }
[data-testid="stMetricValue"] { font-variant-numeric: tabular-nums; font-size: 1.75rem; }
/* A card's value and label wrap rather than end in an ellipsis when the card is narrow. */
[data-testid="stMetricValue"], [data-testid="stMetricValue"] *,
[data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; overflow-wrap: anywhere;
}
/* Rows of cards (.st-key-*_cards): as many 10rem-wide cards a row as fit, the rest below. */
[class*="_cards"] [data-testid="stHorizontalBlock"] {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: 1rem;
}
[class*="_cards"] [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {
  width: auto !important; min-width: 0; flex: none !important;
}
/* Plain HTML tables (dashboard/tables.py): container-wide, cells wrap, nothing cut. */
.bte-table { width: 100%; border-collapse: collapse; font-size: 0.85rem; }
.bte-table th, .bte-table td {
  padding: 0.3rem 0.55rem; text-align: left; vertical-align: top;
  white-space: normal; overflow-wrap: anywhere; word-break: normal;
  border-bottom: 1px solid rgba(250, 250, 250, 0.1);
}
.bte-table th { font-weight: 600; color: rgba(250, 250, 250, 0.6); }
.bte-table .num { text-align: right; font-variant-numeric: tabular-nums; }
[data-testid="stSidebar"] [data-testid="stCode"] code { font-size: 0.72rem; }
.block-container { padding-top: 2.2rem; }
</style>
"""


@functools.cache
def page_icon() -> Image.Image:
    """The browser tab's icon: two candles (green up, red down) drawn here.

    A Material icon name would have the browser fetch the picture from Google's font CDN,
    which fails (a console error) on a machine without internet access.
    """
    icon = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    draw = ImageDraw.Draw(icon)
    for x, top, bottom, wick, colour in ((9, 8, 24, (3, 29), "#22c55e"),
                                         (22, 12, 22, (6, 27), "#ef4444")):
        draw.line([(x, wick[0]), (x, wick[1])], fill=colour, width=2)
        draw.rectangle([x - 4, top, x + 4, bottom], fill=colour)
    return icon


def apply() -> None:
    """Inject the card styling (theme colours: the repository's ``.streamlit/config.toml``)."""
    st.html(_CSS)
