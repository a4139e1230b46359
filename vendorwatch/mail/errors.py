"""The error of a message that could not be built, signed or sent."""

from __future__ import annotations

from vendorwatch.errors import VendorWatchError


class MailError(VendorWatchError):
    """Mail could not be sent (server unreachable, refused, TLS or sign-in failed); exit code 1."""

    exit_code = 1
