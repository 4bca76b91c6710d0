"""``bte --help``, ``bte backtest --help`` and ``bte optimize --help`` answer at once: the CLI
imports a command's module, and the heavy libraries behind it, only when that command runs.

Checked by what a fresh interpreter has imported, not by a clock: which modules load is
deterministic, while timings on a shared machine are not.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from backtrader_engine.cli import COMMANDS, build_parser

# Never needed to print help or parse a command line.
HEAVY = ("matplotlib", "optuna", "streamlit", "telegram", "backtrader", "pandas", "numpy",
         "pyarrow", "pybit", "websockets", "prometheus_client", "pydantic", "sqlite3")

PROBE = """
import contextlib, io, json, sys
argv = json.loads(sys.argv[1])
if argv is None:
    import backtrader_engine.cli
else:
    from backtrader_engine.cli import main
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    assert code == 0, code
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _imported_after(argv: list[str] | None) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv)],
                          capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("argv", [None, ["--help"], ["backtest", "--help"], ["demo", "--help"],
                                  ["lookahead", "--help"], ["warmup", "--help"],
                                  ["optimize", "--help"]],
                         ids=["import cli", "bte --help", "bte backtest --help",
                              "bte demo --help", "bte lookahead --help", "bte warmup --help",
                              "bte optimize --help"])
def test_help_imports_no_heavy_library(argv: list[str] | None) -> None:
    loaded = _imported_after(argv) & set(HEAVY)
    assert not loaded, f"{argv or 'import backtrader_engine.cli'} imported {sorted(loaded)}"


def test_the_probe_sees_a_heavy_import_when_there_is_one() -> None:
    # The check above is only worth something if the probe reports what a command pulls in.
    assert {"backtrader", "pydantic"} <= _imported_after(["strategies"])


def test_help_lists_every_command_without_loading_it(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    listed = capsys.readouterr().out
    names = re.findall(r"^    (\S+)", listed, flags=re.MULTILINE)
    assert names == [c.name for c in COMMANDS]  # aliases stay hidden
    assert all(" ".join(c.help.split()[:3]) in " ".join(listed.split()) for c in COMMANDS)


def test_each_command_module_registers_exactly_its_listed_names() -> None:
    parser = build_parser(eager=True)
    subparsers = next(a for a in parser._actions if hasattr(a, "load_all"))
    assert list(subparsers.choices) == [c.name for c in COMMANDS]
    # Once loaded, every command has its real options, not the listing's placeholder.
    for name, sub in subparsers.choices.items():
        assert sub.get_default("handler") is not None or any(
            hasattr(a, "choices") and a.choices for a in sub._actions), name
