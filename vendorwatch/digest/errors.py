"""Errors of the digest a user can act on."""

from __future__ import annotations

from vendorwatch.errors import VendorWatchError


class DigestError(VendorWatchError):
    """The digest cannot be produced or sent as asked (no mail server, no recipients, nothing to resend); exit 2."""
