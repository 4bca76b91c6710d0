"""How the gate reads an order: confidence, and whether it opens or grows a position."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from backtrader.utils import AutoOrderedDict

from backtrader_engine.risk.orders import opens_or_increases, order_confidence


def order_with(**info: object) -> SimpleNamespace:
    store = AutoOrderedDict()
    for key, value in info.items():
        store[key] = value
    return SimpleNamespace(info=store)


@pytest.mark.parametrize(("info", "expected"), [
    ({}, 1.0),                      # plain strategies pass
    ({"confidence": 0.7}, 0.7),
    ({"confidence": 0}, 0.0),
    ({"confidence": "0.65"}, 0.65),
    ({"confidence": None}, 1.0),
    ({"confidence": float("nan")}, 0.0),
    ({"confidence": "high"}, 0.0),
    ({"confidence": [0.9]}, 0.0),
])
def test_confidence_from_order_info(info, expected):
    assert order_confidence(order_with(**info)) == expected


def test_reading_info_as_an_attribute_does_not_invent_a_confidence():
    order = order_with()
    _ = order.info.confidence  # AutoOrderedDict inserts an empty dict on attribute access
    assert "confidence" in order.info
    assert order_confidence(order) == 1.0


@pytest.mark.parametrize(("position", "size", "signal"), [
    (0.0, 1.0, True),     # open long
    (0.0, -1.0, True),    # open short
    (1.0, 0.5, True),     # add to long
    (-1.0, -0.5, True),   # add to short
    (1.0, -0.5, False),   # reduce long
    (1.0, -1.0, False),   # close long
    (-2.0, 2.0, False),   # close short
    (1.0, -1.5, True),    # reverse: opens a short
    (-1.0, 3.0, True),    # reverse: opens a long
    (1.0, 0.0, False),
])
def test_signal_means_opening_or_growing_a_position(position, size, signal):
    assert opens_or_increases(position, size) is signal
