"""Run a function in a forked child process while the caller goes on with other work.

The report draws its two plots this way: matplotlib (loading it, laying out the figures,
encoding the PNGs) is pure CPU that shares nothing with writing the CSV and Parquet files, so
on a second core it costs the run nothing. A forked child starts in milliseconds with
everything the parent has in memory; it needs no pickling and imports nothing twice.

Where forking is not safe or not possible (not Linux, inside a daemonic worker, or the fork
itself fails) the function simply runs in the caller after its other work: the same files,
only later. An exception in the child is raised again in the parent, with the child's
traceback as its cause; a child that dies without a word is an error too, never a hang.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any


class ChildTraceback(Exception):
    """The traceback of an exception raised in a forked child, as the child formatted it."""


def can_fork() -> bool:
    """Whether :func:`alongside` runs its function in a forked child here."""
    return (sys.platform.startswith("linux")
            and "fork" in multiprocessing.get_all_start_methods()
            # daemonic processes (e.g. a pool's workers) may not have children
            and not multiprocessing.current_process().daemon)


def _child(send: Connection, fn: Callable[..., object], args: tuple[Any, ...]) -> None:
    # The parent's heap is shared copy-on-write: a collection would walk all of it (after a
    # long backtest, a second of garbage cycles) and copy every page it touches. The child
    # lives a second; it exits without collecting.
    gc.disable()
    try:
        fn(*args)
        send.send(None)
    except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
        text = traceback.format_exc()
        try:
            send.send((exc, text))
        except (pickle.PicklingError, TypeError, AttributeError):
            send.send((RuntimeError(f"{type(exc).__name__}: {exc}"), text))
    finally:
        send.close()


class ForkedCall:
    """``fn(*args)`` running in a forked child; :meth:`wait` for it, :meth:`stop` to end it."""

    def __init__(self, fn: Callable[..., object], *args: Any, name: str = "forked call"):
        context = multiprocessing.get_context("fork")
        self.name = name
        self._receive, send = context.Pipe(duplex=False)
        # daemon: should the parent die first, multiprocessing ends the child on its way out.
        self._process = context.Process(target=_child, args=(send, fn, args), name=name,
                                        daemon=True)
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a multi-threaded process (pyarrow keeps a thread
            # pool) may deadlock the child if it takes a lock another thread held. The child
            # only draws with matplotlib and takes none of those locks.
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                self._process.start()
            except BaseException:
                self._receive.close()
                raise
            finally:
                send.close()  # the child has its own copy; EOF then means the child is gone

    def wait(self) -> None:
        """Block until the child is done; raise what it raised.

        Raises
        ------
        RuntimeError
            When the child ended without reporting (killed, or crashed in C code).
        """
        try:
            outcome = self._receive.recv()
        except EOFError:
            outcome = EOFError
        except BaseException:  # e.g. Ctrl-C while waiting: no child is left behind
            self.stop()
            raise
        finally:
            self._receive.close()
            self._process.join()
        if outcome is EOFError:
            raise RuntimeError(f"{self.name}: the child process ended without finishing (exit "
                               f"code {self._process.exitcode})")
        if outcome is not None:
            exc, text = outcome
            raise exc from ChildTraceback(f"in the child process of {self.name}:\n{text}")

    def stop(self) -> None:
        """End the child now (when the parent's own work failed) and reap it."""
        self._process.kill()
        self._process.join()
        self._receive.close()


@contextmanager
def alongside(fn: Callable[..., object], *args: Any, name: str) -> Iterator[None]:
    """Run ``fn(*args)`` while the ``with`` block runs; on leaving it, wait and raise what
    ``fn`` raised.

    ``fn`` runs in a forked child where :func:`can_fork`; elsewhere, or when the fork fails,
    in this process after the block. Should the block raise, the child is stopped.
    """
    call = None
    if can_fork():
        try:
            call = ForkedCall(fn, *args, name=name)
        except OSError:
            call = None  # no process to be had (limits, memory): do it here instead
    try:
        yield
    except BaseException:
        if call is not None:
            call.stop()
        raise
    if call is None:
        fn(*args)
    else:
        call.wait()
