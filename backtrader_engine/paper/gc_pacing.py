"""Garbage collection between bars, not inside them.

Left to itself, CPython collects whenever enough container objects have been allocated —
often in the middle of a bar, between its arrival and the strategy's fill, since a bar step
allocates most of what the session allocates. A young-generation collection then costs the
bar a tenth of a millisecond or so, a full one far more, growing with everything the session
has kept since it started (orders, trades, line buffers).

So once the session streams, :class:`GcPacing` switches automatic collection off and the
session's pump thread runs the collections that are due after each event it has handled —
after a bar has gone through every sub-account and the ledger, before the next arrives. The
warm-up's objects are frozen first (``gc.freeze``): they live as long as the session, and a
full collection would otherwise scan them all every time.
"""

from __future__ import annotations

import gc


class GcPacing:
    """Owns the interpreter's collector while a session streams (see the module docstring).

    The generations' thresholds are the interpreter's (``gc.get_threshold``): a collection
    of generation 0 once as many objects were allocated as it would have waited for, of 1 and
    2 after as many collections of the one below.
    """

    def __init__(self) -> None:
        self.active = False
        self.collections = [0, 0, 0]  # run by collect_due, per generation

    def start(self) -> None:
        """Collect and freeze what exists now, then stop collecting automatically."""
        if self.active:
            return
        gc.collect()
        gc.freeze()
        gc.disable()
        self.active = True

    def collect_due(self) -> int | None:
        """Run the collection the interpreter would have run by now, if any; its generation."""
        if not self.active:
            return None
        count0, count1, count2 = gc.get_count()
        threshold0, threshold1, threshold2 = gc.get_threshold()
        if threshold0 <= 0 or count0 <= threshold0:
            return None
        # The oldest generation past its threshold, as the interpreter picks it (without its
        # rule that defers full collections while few objects became long-lived: the frozen
        # warm-up is out of every collection anyway, and this one runs between bars).
        generation = 2 if count2 > threshold2 else 1 if count1 > threshold1 else 0
        gc.collect(generation)
        self.collections[generation] += 1
        return generation

    def stop(self) -> None:
        """Give collection back to the interpreter and unfreeze what was frozen."""
        if not self.active:
            return
        self.active = False
        gc.enable()
        gc.unfreeze()
