"""Run a command and report its wall time and its own peak RSS, free of the caller's memory.

Run: ``python bench/child_rss.py RESULT.json -- COMMAND [ARGS...]`` (exit status: the
command's).

Linux keeps a process's peak RSS across ``exec``, and a child started by a large process
(``fork``/``vfork`` then ``exec``) begins with its parent's pages counted: a benchmark that
has built a 500k-bar frame would see every command it times report at least its own size.
This launcher is a small interpreter; the command is forked from it, so its peak RSS is its
own. The result file holds ``{"seconds": wall time from fork to exit, "peak_rss_kb": ...}``.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print("usage: child_rss.py RESULT.json -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    result, argv = sys.argv[1], sys.argv[3:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the command, with this small process's memory as its start
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    with open(result, "w") as handle:
        json.dump({"seconds": seconds, "peak_rss_kb": usage.ru_maxrss}, handle)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
