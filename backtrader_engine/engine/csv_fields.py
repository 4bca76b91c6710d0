"""CSV fields formatted a whole column at a time, byte for byte as pandas writes them.

``DataFrame.to_csv(float_format="%.10f")`` calls Python's ``%`` once per value, which is most of
the time a report of a long run takes. Here a column becomes a :class:`Fields`: one byte matrix,
each field right-aligned in its row, and each field's length. The numbers are formatted with
integer arithmetic that gives exactly what ``"%.10f" % value`` gives (the correctly rounded
decimal, ties to even); the few values that arithmetic cannot settle (not finite, beyond 2**53,
or a hair below a rounding tie) are formatted by Python's ``%`` itself, so no value differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_BIT_LIMIT = 2.0**53  # every integer below it is a double, so the whole part is exact
_FRACTION_BITS = 54  # |x| >= 0.5 has no bit below 2**-54; smaller values are checked for loss
_ZERO = ord("0")
_SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class Fields:
    """A column of text fields: ``data[i, width - length[i]:]`` is row *i*'s field."""

    data: np.ndarray  # uint8, shape (rows, width)
    length: np.ndarray  # int64, shape (rows,)

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    def mask(self) -> np.ndarray:
        """Which bytes of :attr:`data` belong to a field (the padding on the left does not)."""
        return np.arange(self.width) >= (self.width - self.length)[:, None]


def _digits_of(values: np.ndarray, count: int) -> np.ndarray:
    """*values* (unsigned, at most *count* digits) as ASCII digits, zero-padded to *count*.

    Nine digits at a time are split off in 64 bits, then taken apart in 32-bit arithmetic,
    which is about twice as fast; rows are built as columns and transposed once at the end.
    """
    out = np.empty((count, len(values)), dtype=np.uint8)
    rest, end, ten = values.astype(np.uint64), count, np.uint32(10)
    while end > 0:
        k = min(9, end)
        if end > k:
            rest, low64 = np.divmod(rest, np.uint64(10**k))
            low = low64.astype(np.uint32)
        else:
            low = rest.astype(np.uint32)
        for position in range(end - 1, end - k - 1, -1):
            higher = low // ten
            out[position] = low - higher * ten
            low = higher
        end -= k
    out += _ZERO
    return out.T


def _digit_count(values: np.ndarray) -> np.ndarray:
    count = np.ones(len(values), dtype=np.int64)
    for power in range(1, 20):
        bigger = values >= np.uint64(10**power)
        if not bigger.any():
            break
        count += bigger
    return count


def _fraction_steps(decimals: int) -> list[int]:
    """How many decimal digits each multiply-and-shift step takes, so no product overflows.

    A step multiplies a remainder below ``2**bits`` by ``5**k`` (``10**k`` is ``5**k * 2**k``,
    the ``2**k`` is a smaller shift): the product must stay below ``2**64``.
    """
    steps: list[int] = []
    bits = _FRACTION_BITS
    while decimals > sum(steps):
        k = min(decimals - sum(steps), max(k for k in range(1, 28) if 5**k < 2 ** (64 - bits)))
        steps.append(k)
        bits -= k
    return steps


def fixed_point(values: np.ndarray, decimals: int = 10, na_rep: str = "") -> Fields:
    """*values* as ``"%.{decimals}f" % value`` would write them (NaN as *na_rep*).

    Parameters
    ----------
    values : numpy.ndarray
        Floats, any sign or size; NaN and infinities included.
    decimals : int
        Digits after the point, 1 to 15 (beyond, the bits below ``2**-54`` that the integer
        arithmetic drops could change more than the rounding of the last digit).
    na_rep : str
        The text of a NaN, as pandas' ``na_rep`` (``""`` by default).
    """
    if not 1 <= decimals <= 15:
        raise ValueError(f"decimals must be 1 to 15, not {decimals}")
    x = np.asarray(values, dtype=np.float64)
    n = len(x)
    magnitude = np.abs(x)
    exact = np.isfinite(x) & (magnitude < _BIT_LIMIT)
    magnitude = np.where(exact, magnitude, 0.0)
    whole = np.floor(magnitude)
    # Both exact: the fraction of a double is a double, and scaling by a power of two only
    # moves the exponent. What falls below 2**-54 (only values under 0.5 have such bits) is
    # dropped here and accounted for when rounding.
    scaled = (magnitude - whole) * 2.0**_FRACTION_BITS
    kept = np.floor(scaled)
    dropped = scaled != kept
    remainder = kept.astype(np.uint64)
    fraction = np.zeros(n, dtype=np.uint64)
    bits = _FRACTION_BITS
    for k in _fraction_steps(decimals):
        product = remainder * np.uint64(5**k)
        bits -= k
        fraction = fraction * np.uint64(10**k) + (product >> np.uint64(bits))
        remainder = product & np.uint64((1 << bits) - 1)
    # remainder / 2**bits is what is left below the last digit; the dropped bits add less
    # than 5**decimals to it.
    half = np.uint64(1 << (bits - 1))
    odd = (fraction % np.uint64(2)) == 1
    round_up = (remainder > half) | ((remainder == half) & (dropped | odd))
    unsure = dropped & (remainder < half) & (remainder + np.uint64(5**decimals) >= half)
    exact &= ~unsure
    fraction += round_up
    carry = fraction == np.uint64(10**decimals)
    fraction[carry] = 0
    whole_int = whole.astype(np.uint64) + carry

    negative = np.signbit(x)  # Python keeps the sign of -0.0 and of what rounds to zero
    int_width = _digit_count(whole_int)
    length = negative + int_width + 1 + decimals
    others = np.flatnonzero(~exact)
    texts = [na_rep if np.isnan(x[i]) else f"%.{decimals}f" % x[i] for i in others]
    encoded = [t.encode("ascii") for t in texts]
    int_digits = int(int_width.max(initial=1))
    width = max([1 + int_digits + 1 + decimals, *map(len, encoded)])
    data = np.empty((n, width), dtype=np.uint8)
    data[:, width - decimals:] = _digits_of(fraction, decimals)
    data[:, width - decimals - 1] = ord(".")
    data[:, width - decimals - 1 - int_digits:width - decimals - 1] = _digits_of(whole_int,
                                                                                 int_digits)
    rows = np.flatnonzero(negative)
    data[rows, (width - length)[rows]] = ord("-")
    for row, text in zip(others, encoded, strict=True):
        length[row] = len(text)
        data[row, width - len(text):] = np.frombuffer(text, dtype=np.uint8)
    return Fields(data, length.astype(np.int64))


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of days since 1970-01-01 (proleptic Gregorian; H. Hinnant)."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def datetimes(index: pd.Index) -> Fields | None:
    """*index* as pandas' ``to_csv`` writes it, or None where this does not know how.

    Handled: a time-zone-naive :class:`~pandas.DatetimeIndex` of whole seconds, without NaT,
    in years 1000 to 9999: ``YYYY-MM-DD HH:MM:SS``, or ``YYYY-MM-DD`` when every time is
    midnight (pandas' "dates only"). Anything else (time zones, fractions of a second) is left
    to pandas.
    """
    if not isinstance(index, pd.DatetimeIndex) or index.tz is not None or index.hasnans:
        return None
    ticks = index.asi8
    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[str(index.unit)]
    if len(ticks) and (ticks % per_second).any():
        return None
    seconds = ticks // per_second
    days, of_day = np.divmod(seconds, _SECONDS_PER_DAY)
    year, month, day = _civil(days)
    if len(year) and (year.min() < 1000 or year.max() > 9999):
        return None
    dates_only = not of_day.any()
    width = 10 if dates_only else 19
    data = np.empty((len(ticks), width), dtype=np.uint8)
    data[:, 0:4] = _digits_of(year.astype(np.uint64), 4)
    data[:, 4] = data[:, 7] = ord("-")
    data[:, 5:7] = _digits_of(month.astype(np.uint64), 2)
    data[:, 8:10] = _digits_of(day.astype(np.uint64), 2)
    if not dates_only:
        hours, rest = np.divmod(of_day, 3600)
        minutes, secs = np.divmod(rest, 60)
        data[:, 10] = ord(" ")
        data[:, 13] = data[:, 16] = ord(":")
        for start, part in ((11, hours), (14, minutes), (17, secs)):
            data[:, start:start + 2] = _digits_of(part.astype(np.uint64), 2)
    return Fields(data, np.full(len(ticks), width, dtype=np.int64))


def join_rows(columns: list[Fields], separator: bytes = b",", terminator: bytes = b"\n",
              chunk_rows: int = 16_384) -> bytes:
    """The rows of *columns*, fields joined by *separator*, each row ended by *terminator*."""
    sep, end = np.frombuffer(separator, np.uint8), np.frombuffer(terminator, np.uint8)
    slots, at = [], 0  # where each column's bytes sit in a padded row
    for position, column in enumerate(columns):
        at += len(sep) if position else 0
        slots.append(at)
        at += column.width
    row_width = at + len(end)
    rows = len(columns[0].length)
    out = []
    # A block of rows at a time: the padded block and its mask stay in the CPU cache, which
    # makes the selection below about twice as fast as on the whole table.
    for lo in range(0, rows, chunk_rows):
        hi = min(rows, lo + chunk_rows)
        block = np.empty((hi - lo, row_width), dtype=np.uint8)
        keep = np.ones((hi - lo, row_width), dtype=bool)
        for position, (column, slot) in enumerate(zip(columns, slots, strict=True)):
            if position:
                block[:, slot - len(sep):slot] = sep
            block[:, slot:slot + column.width] = column.data[lo:hi]
            keep[:, slot:slot + column.width] = (np.arange(column.width)
                                                 >= (column.width - column.length[lo:hi])[:, None])
        block[:, row_width - len(end):] = end
        # One boolean selection squeezes out every field's padding: the bytes left, row by
        # row, are the text.
        out.append(block[keep])
    return np.concatenate(out).tobytes() if out else b""
