"""Fixtures of the digest tests: half a year of monitoring on SQLite (and on each database where storage matters)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.checks.world import World
from tests.conftest import ROOT
from tests.digest.seed import seed_half_year

ARTIFACTS = ROOT / "test-artifacts" / "digest"


@pytest.fixture
def half_year(sqlite_engine: Engine) -> World:
    """June–November 2026 on SQLite, the clock on 2026-12-02 09:00 JST."""
    return seed_half_year(sqlite_engine)


@pytest.fixture
def artifacts() -> Path:
    """Where pictures a person should look at go (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
