"""A sorted local order book that follows Bybit's snapshot/delta rules and finds gaps.

Rules (Bybit V5 ``orderbook.{depth}.{symbol}``):

- a ``snapshot`` replaces the whole book, whenever it comes (Bybit re-sends one when its
  side needs a reset; ``u == 1`` marks a service restart, which is the same thing);
- a ``delta`` must carry ``u`` = previous ``u`` + 1; otherwise updates were lost and the book
  is invalid until a fresh snapshot arrives (the client resubscribes to get one);
- in a delta, size ``0`` deletes a level, an unknown price inserts one, a known price
  updates it. Deleting an unknown price is harmless and ignored (pybit's own book raises
  there and kills its stream).

Prices stay sorted in plain lists maintained with :mod:`bisect`: books hold at most a few
hundred levels and deltas touch a few of them, so this beats re-sorting and needs no
dependency.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence

from backtrader_engine.exchanges.bybit.stream.events import Level


class BookSide:
    """One side of the book; *descending* for bids (best = highest price)."""

    def __init__(self, descending: bool) -> None:
        self._sign = -1.0 if descending else 1.0
        self._keys: list[float] = []  # sign * price, ascending: best level first
        self._sizes: dict[float, float] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def clear(self) -> None:
        """Remove every level."""
        self._keys.clear()
        self._sizes.clear()

    def set(self, price: float, size: float) -> None:
        """Insert, update or (size 0) delete the level at *price*."""
        key = self._sign * price
        if size == 0:
            if self._sizes.pop(key, None) is not None:
                del self._keys[bisect_left(self._keys, key)]
            return
        if key not in self._sizes:
            insort(self._keys, key)
        self._sizes[key] = size

    def top(self, n: int) -> tuple[Level, ...]:
        """The best *n* levels as ``(price, size)``, best first."""
        sign, sizes = self._sign, self._sizes
        return tuple((sign * key, sizes[key]) for key in self._keys[:n])

    def trim(self, depth: int) -> None:
        """Keep the best *depth* levels (a subscribed depth never shows more)."""
        for key in self._keys[depth:]:
            del self._sizes[key]
        del self._keys[depth:]


def parse_levels(raw: Iterable[Sequence[str]]) -> list[Level]:
    """``[["price", "size"], ...]`` to floats; ValueError/TypeError on a bad level."""
    return [(float(price), float(size)) for price, size in raw]


class OrderBook:
    """The local book of one ``orderbook.{depth}.{symbol}`` topic.

    Parameters
    ----------
    depth : int
        The subscribed depth; the book is trimmed to it after every update.
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.bids = BookSide(descending=True)
        self.asks = BookSide(descending=False)
        self.update_id: int | None = None  # None: no valid book (before a snapshot, after a gap)

    @property
    def valid(self) -> bool:
        """Whether the book has a snapshot and no gap since."""
        return self.update_id is not None

    def invalidate(self) -> None:
        """Forget the book until the next snapshot (after a gap or a reconnect)."""
        self.bids.clear()
        self.asks.clear()
        self.update_id = None

    def apply_snapshot(self, bids: list[Level], asks: list[Level], update_id: int) -> None:
        """Replace the book."""
        self.bids.clear()
        self.asks.clear()
        self._apply(bids, asks)
        self.update_id = update_id

    def apply_delta(self, bids: list[Level], asks: list[Level], update_id: int) -> bool:
        """Apply a delta; ``False`` (and the book invalidated) when ``u`` does not follow.

        A delta while the book is already invalid is ignored and also returns ``False``.
        """
        if self.update_id is None:
            return False
        if update_id != self.update_id + 1:
            self.invalidate()
            return False
        self._apply(bids, asks)
        self.update_id = update_id
        return True

    def _apply(self, bids: list[Level], asks: list[Level]) -> None:
        for price, size in bids:
            self.bids.set(price, size)
        for price, size in asks:
            self.asks.set(price, size)
        self.bids.trim(self.depth)
        self.asks.trim(self.depth)
