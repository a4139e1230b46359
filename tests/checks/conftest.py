"""Fixtures of the check tests: a world over each database kind."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.checks.world import World, make_world
from vendorwatch.clock import FixedClock


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    """The base world on SQLite and on PostgreSQL."""
    return make_world(engine, clock)


@pytest.fixture
def sqlite_world(sqlite_engine: Engine, clock: FixedClock) -> World:
    """The base world on SQLite only (for tests that are about logic, not storage)."""
    return make_world(sqlite_engine, clock)
