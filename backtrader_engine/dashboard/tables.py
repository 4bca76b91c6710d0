"""Small tables as plain HTML: every cell wraps inside the page instead of being cut.

Streamlit's ``st.dataframe`` draws on a canvas with fixed column widths: in a narrow column
of the page its last columns are hidden behind a scroll bar and long cells end in an
ellipsis. The live view's few-row tables (open positions, open orders) are written as an
HTML table instead, as wide as its container, whose cells wrap (see ``style.py``).
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

#: The CSS class of these tables (styled in :mod:`backtrader_engine.dashboard.style`).
CSS_CLASS = "bte-table"


def cell_text(value: Any) -> str:
    """*value* as a cell shows it: times to the minute in UTC, floats with at most 6 decimals
    (thousands separated, trailing zeros dropped), missing values empty."""
    if value is None or value is pd.NaT or (isinstance(value, float)
                                            and not math.isfinite(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return ""
        stamp = value.tz_convert("UTC") if value.tzinfo is not None else value
        return stamp.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, float):
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    return str(value)


def html_table(frame: pd.DataFrame) -> str:
    """*frame* (its columns, not its index) as an HTML table; numbers right-aligned."""
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]

    def cls(is_num: bool) -> str:
        return ' class="num"' if is_num else ""

    head = "".join(f"<th{cls(n)}>{html.escape(str(c))}</th>"
                   for c, n in zip(frame.columns, numeric, strict=True))
    rows = "".join(
        "<tr>" + "".join(f"<td{cls(n)}>{html.escape(cell_text(v))}</td>"
                         for v, n in zip(row, numeric, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False, name=None))
    return (f'<table class="{CSS_CLASS}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")
