"""What a connector's reader yields besides records (``Rejected``) and raises when an object breaks off
(``ObjectReadError``): kept apart from the sink (``ingest.objects``) so that a parser does not import the database
stack with them (``benchmarks.cloudtrail_ingest`` measures the parser alone, within 50 MB)."""

from __future__ import annotations

from typing import NamedTuple

from vendorwatch.i18n import Text


class ObjectReadError(Exception):
    """An object that could not be read to its end; ``reason`` in both languages, ``str()`` the English.

    A connector raises it (or a subclass) from the records it yields, *after* the records that could be read:
    the sink keeps those and marks the object failed.
    """

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


class Rejected(NamedTuple):
    """A record of an object that cannot be stored, and why (what a connector yields instead of an event);
    ``account`` when the reason is the account it belongs to (not one of the source's vendor)."""

    reason: Text
    account: str | None = None
