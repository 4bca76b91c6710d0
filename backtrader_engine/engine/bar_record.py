"""The broker's per-bar record (time, value, cash, position size) in preallocated arrays.

A backtest records four numbers a bar. As Python lists of floats that is 4 x 32 bytes a bar
(a pointer plus a float object each) and a copy into numpy afterwards; here it is 4 x 8 bytes
in ``array('d')`` buffers sized once for the whole run (the preloaded feed's length). A feed
whose length is not known up front (live data) grows them by doubling.
"""

from __future__ import annotations

from array import array

import numpy as np

_FIELDS = ("dt", "value", "cash", "size")


class BarRecord:
    """Append-only columns ``dt``, ``value``, ``cash``, ``size`` of float64."""

    def __init__(self, capacity: int = 0) -> None:
        self._columns = [array("d", bytes(8 * max(capacity, 0))) for _ in _FIELDS]
        self._dt, self._value, self._cash, self._size = self._columns
        self._capacity = max(capacity, 0)
        self._length = 0

    def reserve(self, capacity: int) -> None:
        """Make room for *capacity* rows in all (a no-op when there already is)."""
        extra = capacity - self._capacity
        if extra > 0:
            for column in self._columns:
                column.frombytes(bytes(8 * extra))
            self._capacity = capacity

    def append(self, dt: float, value: float, cash: float, size: float) -> None:
        i = self._length
        if i == self._capacity:
            self.reserve(max(1024, 2 * self._capacity))
        self._dt[i] = dt
        self._value[i] = value
        self._cash[i] = cash
        self._size[i] = size
        self._length = i + 1

    def __len__(self) -> int:
        return self._length

    def column(self, name: str) -> np.ndarray:
        """The recorded rows of column *name*, as a numpy array of their own.

        A copy, not a view: a view would pin the buffer, and a record that is still growing
        (a live session) could then not be resized.
        """
        data = self._columns[_FIELDS.index(name)]
        return np.frombuffer(data, dtype=np.float64, count=self._length).copy()
