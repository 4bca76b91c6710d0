"""Garbage collection between bars: nothing collects by itself while a session streams."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from backtrader_engine.paper.gc_pacing import GcPacing


class Node:
    """A reference cycle once it points at itself: only a collection frees it."""

    me: Node | None = None


@pytest.fixture
def pacing() -> Iterator[GcPacing]:
    thresholds = gc.get_threshold()
    pacing = GcPacing()
    try:
        yield pacing
    finally:
        pacing.stop()
        gc.set_threshold(*thresholds)


def garbage_cycle() -> weakref.ref[Node]:
    node = Node()
    node.me = node
    return weakref.ref(node)


def test_garbage_waits_for_the_pump_and_goes_when_it_asks(pacing: GcPacing) -> None:
    pacing.start()
    assert not gc.isenabled() and gc.get_freeze_count() > 0
    assert pacing.collect_due() is None  # just collected: nothing due
    ref = garbage_cycle()
    threshold = gc.get_threshold()[0]
    kept = [[] for _ in range(threshold * 3)]  # allocations far past the threshold
    assert ref() is not None  # no collection ran by itself
    assert pacing.collect_due() is not None
    assert ref() is None
    assert len(kept) == threshold * 3
    pacing.stop()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_older_generations_follow_the_interpreters_thresholds(pacing: GcPacing) -> None:
    gc.set_threshold(50, 3, 2)
    pacing.start()
    generations = []
    kept: list[list[int]] = []
    while len(generations) < 16:
        kept.extend([] for _ in range(60))
        generation = pacing.collect_due()
        if generation is not None:
            generations.append(generation)
    # As the interpreter picks: the oldest generation whose count (collections of the one
    # below since its own last) is past its threshold, so generation 1 after four
    # collections of 0, and generation 2 at the first collection after three of 1.
    assert generations == [0, 0, 0, 0, 1] * 3 + [2]
    assert pacing.collections == [12, 3, 1]


def test_without_start_it_leaves_the_interpreter_alone(pacing: GcPacing) -> None:
    assert pacing.collect_due() is None
    pacing.stop()
    assert gc.isenabled()
