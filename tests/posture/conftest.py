"""The check tests' world, for posture tests."""

from tests.checks.conftest import world

__all__ = ["world"]
