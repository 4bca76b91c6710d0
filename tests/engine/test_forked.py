"""A function run alongside other work: in a forked child, its errors raised in the parent."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from backtrader_engine.engine import forked
from backtrader_engine.engine.forked import ChildTraceback, alongside, can_fork

needs_fork = pytest.mark.skipif(not can_fork(), reason="runs in-process where fork is unsafe")


def _write_pid(path: Path) -> None:
    path.write_text(str(os.getpid()))


def _fail(message: str) -> None:
    raise ValueError(message)


def _vanish() -> None:
    os._exit(3)  # as a crash in C code would: no exception, no reply


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("cannot pickle this")


def _fail_unpicklably() -> None:
    raise _Unpicklable("odd")


@needs_fork
def test_the_function_runs_in_a_child_and_is_done_when_the_block_ends(tmp_path: Path) -> None:
    out = tmp_path / "pid"
    with alongside(_write_pid, out, name="writing the pid"):
        pass
    assert out.read_text() != str(os.getpid())
    assert multiprocessing.active_children() == []


@needs_fork
def test_an_error_in_the_child_is_raised_in_the_parent_with_its_traceback() -> None:
    with pytest.raises(ValueError, match="no ink") as caught:
        with alongside(_fail, "no ink", name="drawing"):
            pass
    cause = caught.value.__cause__
    assert isinstance(cause, ChildTraceback)
    assert "in the child process of drawing" in str(cause) and "_fail" in str(cause)


@needs_fork
def test_an_error_that_cannot_travel_is_raised_as_its_text() -> None:
    with pytest.raises(RuntimeError, match="_Unpicklable: odd"):
        with alongside(_fail_unpicklably, name="drawing"):
            pass


@needs_fork
def test_a_child_that_dies_without_a_word_is_an_error_not_a_hang() -> None:
    with pytest.raises(RuntimeError, match=r"drawing: the child process ended without "
                                           r"finishing \(exit code 3\)"):
        with alongside(_vanish, name="drawing"):
            pass


@needs_fork
def test_an_error_in_the_block_stops_the_child(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        with alongside(_write_pid, tmp_path / "pid", name="writing the pid"):
            raise KeyError("the parent's own work failed")
    assert multiprocessing.active_children() == []


def test_without_fork_the_function_runs_here_after_the_block(tmp_path: Path,
                                                            monkeypatch) -> None:
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    out = tmp_path / "pid"
    with alongside(_write_pid, out, name="writing the pid"):
        assert not out.exists()
    assert out.read_text() == str(os.getpid())
    with pytest.raises(ValueError, match="here"):
        with alongside(_fail, "here", name="drawing"):
            pass
