"""The local order book: sorting, Bybit's delta rules, gaps and resets."""

from __future__ import annotations

from backtrader_engine.exchanges.bybit.stream.orderbook import OrderBook


def test_snapshot_is_sorted_best_first() -> None:
    book = OrderBook(50)
    book.apply_snapshot([(99.0, 1.0), (100.0, 2.0), (98.5, 3.0)],
                        [(101.5, 1.0), (101.0, 4.0)], update_id=7)
    assert book.bids.top(10) == ((100.0, 2.0), (99.0, 1.0), (98.5, 3.0))
    assert book.asks.top(10) == ((101.0, 4.0), (101.5, 1.0))
    assert book.bids.top(1) == ((100.0, 2.0),)


def test_delta_inserts_updates_and_deletes_in_sorted_order() -> None:
    book = OrderBook(50)
    book.apply_snapshot([(100.0, 2.0), (99.0, 1.0)], [(101.0, 4.0)], update_id=7)
    assert book.apply_delta([(99.5, 5.0), (100.0, 0.0), (99.0, 1.5)], [(100.8, 2.0)], 8)
    assert book.bids.top(10) == ((99.5, 5.0), (99.0, 1.5))
    assert book.asks.top(10) == ((100.8, 2.0), (101.0, 4.0))
    assert book.update_id == 8


def test_deleting_an_unknown_price_is_ignored() -> None:
    book = OrderBook(50)
    book.apply_snapshot([(100.0, 2.0)], [(101.0, 4.0)], update_id=1)
    assert book.apply_delta([(42.0, 0.0)], [], 2)
    assert book.bids.top(10) == ((100.0, 2.0),)


def test_a_skipped_update_id_invalidates_until_the_next_snapshot() -> None:
    book = OrderBook(50)
    book.apply_snapshot([(100.0, 2.0)], [(101.0, 4.0)], update_id=10)
    assert not book.apply_delta([(100.0, 3.0)], [], 12)  # 11 was lost
    assert not book.valid
    assert book.bids.top(10) == ()
    assert not book.apply_delta([(100.0, 3.0)], [], 13)  # still waiting for a snapshot
    book.apply_snapshot([(100.5, 1.0)], [(101.0, 4.0)], update_id=13)
    assert book.valid and book.bids.top(10) == ((100.5, 1.0),)
    assert book.apply_delta([(100.5, 2.0)], [], 14)


def test_a_new_snapshot_replaces_everything() -> None:
    book = OrderBook(50)
    book.apply_snapshot([(100.0, 2.0), (99.0, 1.0)], [(101.0, 4.0)], update_id=500)
    book.apply_snapshot([(90.0, 1.0)], [(91.0, 1.0)], update_id=1)  # u=1: service restart
    assert book.bids.top(10) == ((90.0, 1.0),)
    assert book.asks.top(10) == ((91.0, 1.0),)
    assert book.apply_delta([], [(91.0, 0.0)], 2)
    assert book.asks.top(10) == ()


def test_the_book_is_trimmed_to_its_depth() -> None:
    book = OrderBook(2)
    book.apply_snapshot([(100.0, 1.0), (99.0, 1.0)], [(101.0, 1.0), (102.0, 1.0)], 1)
    book.apply_delta([(100.5, 1.0)], [(100.9, 1.0)], 2)
    assert book.bids.top(10) == ((100.5, 1.0), (100.0, 1.0))
    assert book.asks.top(10) == ((100.9, 1.0), (101.0, 1.0))
    assert len(book.bids) == 2
