"""Checks of control 3.2.6."""
