"""A finding's identity: the same check, vendor and subject is the same finding, evaluation after evaluation."""

from __future__ import annotations

import hashlib


def fingerprint(check_id: str, vendor_id: str | None, subject: str) -> str:
    """sha256 of ``check|vendor|subject`` (hex); the vendor is empty for a finding about the firm itself."""
    return hashlib.sha256(f"{check_id}|{vendor_id or ''}|{subject}".encode()).hexdigest()
