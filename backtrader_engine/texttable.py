"""Plain-text tables whose columns fit their content: no number or name is ever cut."""

from __future__ import annotations

from collections.abc import Sequence


def number(value: float, digits: int = 12) -> str:
    """*value* with up to *digits* significant digits, never in exponent form for prices.

    ``233456.78`` stays ``233456.78`` (``:.6g`` would print ``233457``, ``:.5g`` ``2.3346e+05``).
    """
    text = f"{value:.{digits}g}"
    if "e" in text and abs(value) >= 1:
        text = f"{value:.{max(0, digits - len(str(int(abs(value)))))}f}".rstrip("0").rstrip(".")
    return text


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """Lines of a table: each column as wide as its widest cell (header included).

    *align* has one character per column: ``<`` left, ``>`` right. The last column is not
    padded, so lines carry no trailing blanks.
    """
    if len(align) != len(header):
        raise ValueError(f"align {align!r} does not match {len(header)} columns")
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows,
                                                                          strict=True)]
    out = []
    for row in (header, *rows):
        cells = [f"{str(cell):{a}{w}}" for cell, a, w in zip(row, align, widths, strict=True)]
        out.append(" ".join(cells).rstrip())
    return out
