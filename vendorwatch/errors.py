"""Errors a user can act on; rendered once, in the CLI, in Japanese and English."""

from __future__ import annotations

from vendorwatch.i18n import Text


class VendorWatchError(Exception):
    """Base of every error that carries a bilingual message and an exit code."""

    exit_code = 2

    def __init__(self, message: Text, *, details: list[str] | None = None) -> None:
        super().__init__(message.en)
        self.message = message
        self.details = details or []


class ConfigError(VendorWatchError):
    """The registry file or the settings are wrong."""


class SourceError(VendorWatchError):
    """A vendor system could not be read (unreachable, refused, malformed data)."""


class NotBuiltError(VendorWatchError):
    """A command whose part of the product does not exist yet."""


class DatabaseError(VendorWatchError):
    """The database is missing, unreachable or not migrated."""
