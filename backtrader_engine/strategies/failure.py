"""How an exception raised by a strategy's own code is reported, in every mode.

A bug in a strategy (a ``ZeroDivisionError`` in ``next()``, a typo in ``__init__``) is not a
problem with the user's input, and the full traceback through backtrader's and this package's
frames buries the one line that matters. :func:`strategy_failure` keeps only the frames of the
strategy's own files and notes when it happened (while building, or at which bar);
:class:`StrategyFailure` formats that the same way for ``backtest``, ``optimize`` and ``paper``.
"""

from __future__ import annotations

import inspect
import linecache
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import backtrader as bt

from backtrader_engine.errors import StrategyCodeError, UserError

#: Exit code of a run stopped by an exception in the strategy's own code (a bug to fix in the
#: strategy, unlike the input problems that exit with 2).
EXIT_STRATEGY_ERROR = 1

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_BT_DIR = Path(bt.__file__).resolve().parent
# The engine's bar loop (``LeanCerebro._runonce`` and its ``_oncepost``): backtrader's loop,
# named as backtrader names it, so a frame there counts as one of backtrader's.
_LEAN_LOOP = _PACKAGE_DIR / "engine" / "lean_loop.py"
# backtrader's methods that run the bar loop; an exception below one of them happened at a bar.
_BAR_LOOP = frozenset({"_runonce", "_runnext", "_runonce_old", "_runnext_old"})
# An indicator's vectorised pass, run once before the first bar in a backtest.
_PRECOMPUTE = "_once"


@dataclass(frozen=True)
class UserFrame:
    """One frame of the strategy's own code."""

    path: str
    line: int
    function: str
    source: str

    @property
    def where(self) -> str:
        return f"{_display(self.path)}:{self.line}"


@dataclass(frozen=True)
class StrategyFailure:
    """An exception raised by a strategy's own code, reduced to what its author needs."""

    strategy: str
    when: str  # "while building" or "at bar 2018-03-04 05:00 UTC"
    error_type: str
    message: str
    frames: tuple[UserFrame, ...]
    bar_time: str | None = None  # ISO time of the failing bar; None while building

    @property
    def error(self) -> str:
        return f"{self.error_type}: {self.message}" if self.message else self.error_type

    def one_line(self) -> str:
        """``SmaCross raised ZeroDivisionError: division by zero at bar ... (x.py:23)``."""
        where = f" ({self.frames[-1].where})" if self.frames else ""
        return f"{self.strategy} raised {self.error} {self.when}{where}"

    def __str__(self) -> str:
        lines = [f"strategy {self.strategy} raised an exception {self.when}: {self.error}"]
        for frame in self.frames:
            lines.append(f"  {frame.where} in {frame.function}")
            if frame.source:
                lines.append(f"    {frame.source}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        """The report's ``stopped_early`` section."""
        return {"reason": "strategy error", "strategy": self.strategy, "when": self.when,
                "bar_time": self.bar_time, "error": self.error,
                "frames": [{"file": _display(f.path), "line": f.line, "function": f.function,
                            "source": f.source} for f in self.frames]}


class StrategyRunError(StrategyCodeError):
    """A run stopped by an exception in the strategy's code.

    ``failure`` describes it; ``partial`` is whatever the run had computed up to the failing
    bar (a mode-specific result, e.g. a :class:`~backtrader_engine.engine.backtest.
    BacktestResult`), or None when it failed before the first bar. ``str()`` is one line, so a
    caller that only records messages (an optimisation trial) keeps it readable.
    """

    exit_code = EXIT_STRATEGY_ERROR

    def __init__(self, failure: StrategyFailure, partial: object | None = None) -> None:
        super().__init__(failure.one_line())
        self.failure = failure
        self.partial = partial
        self.paths: object | None = None  # where a caller wrote the partial result, if it did

    @property
    def details(self) -> str:
        return str(self.failure)


def error_line(exc: BaseException) -> str:
    """One line for *exc* where only a line fits (an optimisation trial's error).

    A strategy failure and a user error already read as one line (``Boom raised
    ZeroDivisionError: ... at bar ... (boom.py:17)``, ``X needs at least 702 bars ...``);
    anything else is prefixed with its type.
    """
    message = " ".join(str(exc).split())
    if isinstance(exc, (StrategyRunError, UserError)):
        return message
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _display(path: str) -> str:
    """*path* relative to the working folder when it lies below it, else as is."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def strategy_files(strategy: type) -> frozenset[Path]:
    """The source files whose frames count as the strategy's own code.

    The strategy's own file and the files of its base classes, except backtrader's and this
    package's (a user's subclass of ``RiskManagedStrategy`` sees its own frames, not the base
    class's). A built-in strategy's own file counts, though it lives in this package.
    """
    files: set[Path] = set()
    for klass in inspect.getmro(strategy):
        if not (isinstance(klass, type) and issubclass(klass, bt.Strategy)):
            continue
        try:
            source = inspect.getsourcefile(klass)
        except TypeError:  # defined interactively, no file
            continue
        if source is None:
            continue
        path = Path(source).resolve()
        if _inside(path, _BT_DIR):
            continue
        if klass is not strategy and _inside(path, _PACKAGE_DIR):
            continue
        files.add(path)
    return frozenset(files)


def user_frames(exc: BaseException, files: frozenset[Path]) -> tuple[UserFrame, ...]:
    """The frames of *exc*'s traceback that lie in *files*, outermost first."""
    frames = []
    for entry in traceback.extract_tb(exc.__traceback__):
        if Path(entry.filename).resolve() in files:
            source = (entry.line or linecache.getline(entry.filename, entry.lineno or 0)).strip()
            frames.append(UserFrame(entry.filename, entry.lineno or 0, entry.name, source))
    return tuple(frames)


def _phase(exc: BaseException) -> str:
    """``"build"``, ``"precompute"``, ``"bar"`` or ``"stop"``: where in a cerebro run *exc*
    was raised."""
    names = [(Path(e.filename).resolve(), e.name) for e in traceback.extract_tb(exc.__traceback__)]
    in_bt = [name for path, name in names if _inside(path, _BT_DIR) or path == _LEAN_LOOP]
    if "_stop" in in_bt:
        return "stop"
    if not any(name in _BAR_LOOP for name in in_bt):
        return "build"
    if _PRECOMPUTE in in_bt and "_oncepost" not in in_bt and "_next" not in in_bt:
        return "precompute"
    return "bar"


def _bar_time(strategy: bt.Strategy | None) -> str | None:
    """The base data's time at the current bar of *strategy*, or None before the first."""
    if strategy is None:
        return None
    data = strategy.datas[0] if strategy.datas else None
    try:
        if data is None or len(data) == 0:
            return None
        return bt.num2date(data.datetime[0]).isoformat(sep=" ", timespec="minutes")
    except (IndexError, ValueError):
        return None


def _not_callable(exc: BaseException) -> bool:
    return isinstance(exc, TypeError) and "object is not callable" in str(exc)


def shadowed_methods(strategies: list[bt.Strategy]) -> list[str]:
    """Names a running strategy assigned a value to that are methods of ``bt.Strategy``.

    ``self.stop = price`` in a strategy hides ``Strategy.stop()``, which backtrader calls after
    the last bar, and fails there with ``'float' object is not callable`` from backtrader's own
    frames, far from the line that caused it.
    """
    names: list[str] = []
    for instance in strategies:
        for name, value in vars(instance).items():
            if (inspect.isfunction(getattr(bt.Strategy, name, None)) and not callable(value)
                    and name not in names):
                names.append(name)
    return names


def assignment_frames(names: list[str], files: frozenset[Path]) -> tuple[UserFrame, ...]:
    """The first line of *files* that assigns ``self.<name>`` for each of *names*."""
    frames = []
    for name in names:
        pattern = re.compile(rf"\bself\.{re.escape(name)}\s*(?::[^=]+)?=(?!=)")
        for path in sorted(files):
            lines = linecache.getlines(str(path))
            number = next((i for i, line in enumerate(lines) if pattern.search(line)), None)
            if number is not None:
                frames.append(UserFrame(str(path), number + 1, _enclosing_def(lines, number),
                                        lines[number].strip()))
                break
    return tuple(frames)


def _enclosing_def(lines: list[str], index: int) -> str:
    """The name of the function whose body holds line *index* (0-based), or ``"?"``."""
    indent = len(lines[index]) - len(lines[index].lstrip())
    for line in reversed(lines[:index]):
        match = re.match(r"(\s*)(?:async\s+)?def\s+(\w+)", line)
        if match and len(match.group(1)) < indent:
            return match.group(2)
    return "?"


def strategy_failure(exc: BaseException, strategy: type,
                     cerebro: bt.Cerebro | None = None) -> StrategyFailure | None:
    """Describe *exc* as a failure of *strategy*'s own code, or None when it is not one.

    Parameters
    ----------
    exc : BaseException
        What ``cerebro.run()`` raised.
    strategy : type
        The strategy class that was run.
    cerebro : bt.Cerebro, optional
        The cerebro that ran it; its running strategy gives the bar time.

    Returns
    -------
    StrategyFailure or None
        None when no frame of the traceback lies in the strategy's files: the exception came
        from elsewhere (the engine, the data) and is not the strategy author's to fix.
    """
    files = strategy_files(strategy)
    frames = user_frames(exc, files)
    running = getattr(cerebro, "runningstrats", None) or []
    shadowed = shadowed_methods(running) if _not_callable(exc) else []
    if not frames and not shadowed:
        return None
    if not frames:
        # backtrader itself called the hidden method (stop(), next(), notify_order()...): the
        # line to fix is where the strategy assigned the attribute.
        frames = assignment_frames(shadowed, files)
    phase = _phase(exc)
    bar_time = _bar_time(running[0]) if phase == "bar" and running else None
    if phase == "stop":
        when = "after the last bar (in stop())"
    elif phase == "bar" and bar_time is not None:
        when = f"at bar {bar_time} UTC"
    elif phase == "precompute":
        when = "while computing its indicators"
    else:
        when = "while building"
    message = " ".join(str(exc).split())
    if shadowed:
        names = ", ".join(f"self.{name}" for name in shadowed)
        message += (f"; the strategy sets {names}, which hides backtrader's Strategy method "
                    f"of that name: rename the attribute (e.g. self.{shadowed[0]}_price)")
    if isinstance(exc, SystemExit):
        message = f"sys.exit({exc.code!r}) called"
    return StrategyFailure(strategy.__name__, when, type(exc).__name__, message, frames,
                           bar_time)
