"""The live view's plain HTML tables: cell text and escaping."""

from __future__ import annotations

import math

import pandas as pd

from backtrader_engine.dashboard.tables import cell_text, html_table


def test_cell_text() -> None:
    assert cell_text(pd.Timestamp(1_500_000_000_000, unit="ms", tz="UTC")) == \
        "2017-07-14 02:40:00 UTC"
    assert cell_text(2028.5) == "2,028.5"
    assert cell_text(0.157) == "0.157"
    assert cell_text(-1e-9) == "0"
    assert cell_text(1432.9618134) == "1,432.961813"
    assert cell_text(None) == "" and cell_text(math.nan) == "" and cell_text(pd.NaT) == ""
    assert cell_text(3) == "3" and cell_text("long") == "long"


def test_html_table_escapes_and_aligns_numbers() -> None:
    frame = pd.DataFrame({"account": ["a<b>&c"], "size": [0.5]})
    text = html_table(frame)
    assert text.startswith('<table class="bte-table">')
    assert "<td>a&lt;b&gt;&amp;c</td>" in text
    assert '<th class="num">size</th>' in text and '<td class="num">0.5</td>' in text
