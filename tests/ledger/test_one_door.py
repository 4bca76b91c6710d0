"""Only backtrader_engine/ledger/ touches the ledger's SQLite: no sqlite3, no SQL elsewhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "backtrader_engine"
LEDGER = PACKAGE / "ledger"

#: Modules outside the ledger package that may use SQLite, and why. Both handle the
#: optimiser's Optuna storage (``sqlite:///study.db``), a different database from the
#: ledger, which they reach through Optuna; neither imports sqlite3 today, but if one has to
#: read that storage itself, this is where it is allowed to.
OPTUNA_STORAGE = {
    "monitoring/studies.py": "reads the optimiser's Optuna storage for the study exporter",
    "optimize/storage.py": "opens the optimiser's Optuna storage (--storage)",
}

#: An SQL statement in a string: what a module reading the ledger behind the reader's back
#: would hold. Upper-case keywords, as every statement in this code base is written.
SQL = re.compile(r"\bSELECT\b.+\bFROM\b|\bINSERT\s+(OR\s+[A-Z]+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b"
                 r"|\bDELETE\s+FROM\b|\bCREATE\s+(TABLE|INDEX)\b|\bPRAGMA\s+\w+", re.S)


def outside_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py")
                  if LEDGER not in p.parents and p.relative_to(PACKAGE).as_posix()
                  not in OPTUNA_STORAGE)


def sqlite_imports(tree: ast.AST) -> list[int]:
    """Lines importing sqlite3 (``import sqlite3``, ``from sqlite3 import ...``, or by name)."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "sqlite3"
                                                for a in node.names):
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlite3":
            lines.append(node.lineno)
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and node.args[0].value == "sqlite3"):
            lines.append(node.lineno)  # importlib.import_module("sqlite3"), __import__(...)
    return sorted(lines)


def sql_strings(tree: ast.AST) -> list[int]:
    """Lines of string constants (f-string parts included) that hold an SQL statement."""
    return sorted(node.lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and SQL.search(node.value))


def violations() -> list[str]:
    found = []
    for path in outside_modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        name = path.relative_to(PACKAGE.parent).as_posix()
        found += [f"{name}:{line}: imports sqlite3" for line in sqlite_imports(tree)]
        found += [f"{name}:{line}: SQL in a string" for line in sql_strings(tree)]
    return found


def test_no_module_outside_the_ledger_package_uses_sqlite_or_sql() -> None:
    assert violations() == []


def test_the_exemptions_name_modules_that_exist() -> None:
    for module in OPTUNA_STORAGE:
        assert (PACKAGE / module).is_file(), module


def test_the_scan_sees_what_it_must_refuse() -> None:
    # The checks themselves, on code they must flag and code they must let through.
    bad = ast.parse("import sqlite3\nfrom sqlite3 import Row\nimportlib.import_module('sqlite3')\n"
                    "q = 'SELECT value FROM meta WHERE key=?'\n"
                    "w = f'INSERT OR REPLACE INTO {table} VALUES (?)'\n"
                    "v = 'PRAGMA user_version'\n")
    assert sqlite_imports(bad) == [1, 2, 3]
    assert sql_strings(bad) == [4, 5, 6]
    fine = ast.parse("from backtrader_engine.ledger import LedgerReader\n"
                     "help = 'select the fills from the ledger'\n"
                     "url = 'sqlite:///study.db'\n")
    assert sqlite_imports(fine) == [] and sql_strings(fine) == []
    # The ledger package itself is the one place both are expected.
    assert any(sqlite_imports(ast.parse(p.read_text())) for p in LEDGER.glob("*.py"))
