"""``--unmask`` on the CLI: showing personal data is a deliberate act, written to the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vendorwatch.cli.runtime import Runtime

if TYPE_CHECKING:
    from sqlmodel import Session


def record_unmask(session: Session, current: Runtime, where: str, **details: Any) -> None:
    """Audit that the OS user (or ``VENDORWATCH_ACTOR``) showed personal data on the CLI (``cli:<where>``)."""
    from vendorwatch import audit

    audit.record(session, actor=current.settings.actor_name(), action="personal_data.unmask", target=f"cli:{where}",
                 details=details, clock=current.clock)
