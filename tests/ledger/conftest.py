"""Ledger test helpers: real candles as bar contexts, and the version-1 fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ..paper.conftest import btc_1m, to_contexts  # noqa: F401  (fixtures, shared)

V1_LEDGER = Path(__file__).resolve().parent / "fixtures" / "v1" / "ledger.sqlite"


@pytest.fixture
def v1_state(tmp_path: Path) -> Path:
    """A state folder holding a copy of the version-1 ledger (tests/ledger/fixtures)."""
    state = tmp_path / "v1"
    state.mkdir()
    shutil.copy2(V1_LEDGER, state / "ledger.sqlite")
    return state
