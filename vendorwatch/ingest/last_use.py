"""When each principal of a source last signed in successfully, from the events already stored.

A directory that does not keep a last-login time itself (OpenLDAP without ``pwdLastSuccess``) gets its
accounts' ``last_used_at`` from the binds its logs showed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from vendorwatch.db.tables import AccessEvent
from vendorwatch.ingest.context import CollectContext


def last_successful_binds(context: CollectContext) -> dict[str, datetime]:
    """The newest successful bind per principal (as the events spell it) among the source's stored events."""
    statement = (
        select(AccessEvent.principal, func.max(AccessEvent.event_time))  # type: ignore[call-overload]
        .where(AccessEvent.source_id == context.source.id, AccessEvent.action == "bind",
               AccessEvent.outcome == "success")
        .group_by(AccessEvent.principal)
    )
    with Session(context.engine) as session:
        return {principal: when for principal, when in session.execute(statement) if principal and when}
