"""Real Asterisk for the tests under tests/asterisk (see pbx.py). Never skipped: without the
build the fixtures fail with what to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.asterisk.pbx import asterisk_prefix


@pytest.fixture(scope="session")
def asterisk_build() -> Path:
    return asterisk_prefix()
