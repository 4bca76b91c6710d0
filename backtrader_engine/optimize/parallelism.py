"""How many workers a study gets, and whether a walk-forward can be built from --walk-forward.

Each worker process runs whole trials, so more workers than trials only start processes that
find nothing to do; more workers than CPUs share them, which makes every trial slower without
making the study faster. Both are accepted with a line on stderr; values that cannot run refuse.
"""

from __future__ import annotations

import os
from typing import TextIO

from backtrader_engine.errors import UserError


def settle_workers(n_jobs: int, trials: int, walk_forward: int, stream: TextIO,
                   cpus: int | None = None) -> int:
    """The worker count to use for ``--n-jobs n_jobs`` and ``--trials trials``.

    Raises
    ------
    UserError
        For ``--n-jobs`` below 1, or ``--walk-forward 1``: one window is a single train/test
        split, which ``--oos-fraction`` already is, and its efficiency compares one pair of
        returns, which says nothing about the procedure's robustness.
    """
    if n_jobs < 1:
        raise UserError(f"--n-jobs {n_jobs}: expected 1 or more worker processes")
    if walk_forward == 1:
        raise UserError("--walk-forward 1: expected 0 (off) or at least 2 windows; one window "
                        "is a single train/test split, which --oos-fraction already gives")
    workers = n_jobs
    if trials >= 1 and n_jobs > trials:
        workers = trials
        print(f"note: --n-jobs {n_jobs} lowered to {workers}: --trials {trials} gives no more "
              "than one trial per worker", file=stream)
    cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    if workers > cpus:
        print(f"warning: --n-jobs {workers} is more than this machine's {cpus} CPUs; the "
              "workers share them, so each trial runs slower", file=stream)
    return workers
