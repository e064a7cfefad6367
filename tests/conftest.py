"""Shared test helpers: where the recorded Asterisk traces live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(os.environ.get("CTI_FIXTURES", REPO.parent / "shared" / "fixtures" / "asterisk"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        raise RuntimeError(
            f"Asterisk fixtures not found at {FIXTURES}; "
            "set CTI_FIXTURES to ../shared/fixtures/asterisk"
        )
    return FIXTURES
