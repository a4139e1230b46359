"""The check tests' world, for scoring tests."""

from tests.checks.conftest import world

__all__ = ["world"]
