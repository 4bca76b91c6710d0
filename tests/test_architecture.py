"""The import contracts of pyproject.toml ``[tool.importlinter]`` hold (docs/architecture.md).

One test per contract, so a failure names the broken rule and shows ``lint-imports``'s
account of the offending imports.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
    "tool"]["importlinter"]["contracts"]
# lint-imports run by the interpreter running the tests, in whatever virtualenv it is.
LINT_IMPORTS = ("from importlinter.cli import lint_imports_command; "
                "lint_imports_command()")


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_the_contracts_cover_the_layers_and_the_rules_named_in_the_docs() -> None:
    ids = [contract["id"] for contract in CONTRACTS]
    assert ids == ["layers", "engine-knows-no-venue", "engine-independent-of-exchanges",
                   "cli-entry-only", "service-knows-no-session", "shells-through-operations"]
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert all(f"`{contract_id}`" in architecture for contract_id in ids)


@pytest.mark.parametrize("contract", [c["id"] for c in CONTRACTS])
def test_contract_is_kept(contract: str) -> None:
    result = lint_imports("--contract", contract)
    assert result.returncode == 0, f"lint-imports --contract {contract}:\n{result.stdout}" \
                                   f"{result.stderr}"
