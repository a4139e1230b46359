"""Command-line interface ``vendorwatch``."""

from vendorwatch.cli.app import app, main

__all__ = ["app", "main"]
