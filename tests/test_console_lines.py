"""``whole_lines``: a printed line reaches the file in one write, so another thread's log
record cannot land inside it (the runner's console log, with ``PYTHONUNBUFFERED=1``)."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

from backtrader_engine.console_lines import whole_lines


class _Recorder(io.RawIOBase):
    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.writes.append(bytes(data))
        return len(data)


def test_a_print_is_one_write_after_it_and_two_before() -> None:
    raw = _Recorder()
    stream = io.TextIOWrapper(raw, write_through=True)  # python -u: no binary buffer either
    print("cash 1428.57", file=stream)
    assert raw.writes == [b"cash 1428.57", b"\n"]  # the gap a log record can fall into
    raw.writes.clear()
    whole_lines(stream)
    print("cash 1428.57", file=stream)
    print("second", "line", file=stream)
    assert raw.writes == [b"cash 1428.57\n", b"second line\n"]  # and flushed at each newline


def test_unbuffered_stdout_into_a_file_gets_whole_lines(tmp_path) -> None:
    # Two threads: one prints long lines, the other logs to stderr; both go to one file.
    script = textwrap.dedent("""
        import logging, sys, threading
        from backtrader_engine.console_lines import whole_lines
        whole_lines()
        logging.basicConfig(stream=sys.stderr, format="LOG %(message)s")
        def chatter():
            for i in range(2000):
                logging.warning("record %d", i)
        thread = threading.Thread(target=chatter)
        thread.start()
        for i in range(2000):
            print(f"PRINT {i} " + "x" * 40)
        thread.join()
    """)
    out = tmp_path / "console.log"
    with out.open("w") as file:
        subprocess.run([sys.executable, "-u", "-c", script], stdout=file, stderr=file,
                       check=True, timeout=60)
    lines = out.read_text().splitlines()
    assert len(lines) == 4000
    assert all(line.startswith(("PRINT ", "LOG record ")) for line in lines)
    assert all(line.endswith("x" * 40) for line in lines if line.startswith("PRINT "))
