"""The access events that prove a finding: time, principal, action, resource, source IP, user agent, outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, SOURCES, VENDORS
from vendorwatch.views.personal import Masker


@dataclass(frozen=True)
class EvidenceEvent:
    """One stored access event named by a finding's evidence."""

    event_time: datetime
    source_id: str
    source_event_id: str
    vendor_id: str
    environment_id: str | None
    principal: str
    action: str
    resource: str
    source_ip: str
    user_agent: str
    outcome: str
    error_code: str | None


def _family(session: Session, vendor_id: str) -> list[str]:
    """The vendor, the vendors above it and its sub-vendors: a finding's events may belong to any of them (3.2.7)."""
    parents: dict[str, str | None] = {row.id: row.parent_id for row in session.execute(select(VENDORS.c.id,
                                                                                               VENDORS.c.parent_id))}
    family = {vendor_id}
    above = parents.get(vendor_id)
    while above and above not in family:
        family.add(above)
        above = parents.get(above)
    grew = True
    while grew:
        children = {v for v, p in parents.items() if p in family and v not in family}
        family |= children
        grew = bool(children)
    return sorted(family)


def evidence_events(session: Session, vendor_id: str, event_ids: Sequence[str], masker: Masker, *,
                    limit: int = 50) -> tuple[EvidenceEvent, ...]:
    """The events with these source event ids among the vendor family's sources, oldest first.

    The source event id alone has no index (one led by a many-valued column would cost every ingest, see
    DEVELOPERS.md). Asked by source, the unique (source, time, source event id) index holds the id: the
    database walks the sources' index entries and reads only the rows that match, instead of every row of the
    vendor through the (vendor, time) index.
    """
    wanted = list(dict.fromkeys(event_ids))[:limit]
    if not wanted:
        return ()
    sources = [row.id for row in session.execute(select(SOURCES.c.id).where(SOURCES.c.vendor_id.in_(_family(session,
                                                                                                        vendor_id))))]
    rows = session.execute(
        select(EVENTS.c.event_time, EVENTS.c.source_id, EVENTS.c.source_event_id, EVENTS.c.vendor_id,
               EVENTS.c.environment_id, EVENTS.c.principal, EVENTS.c.action, EVENTS.c.resource, EVENTS.c.bucket,
               EVENTS.c.object_key, EVENTS.c.source_ip, EVENTS.c.user_agent, EVENTS.c.outcome, EVENTS.c.error_code)
        .where(EVENTS.c.source_id.in_(sources), EVENTS.c.source_event_id.in_(wanted))
        .order_by(EVENTS.c.event_time, EVENTS.c.id)
        .limit(limit)
    )
    found = []
    for r in rows:
        resource = r.resource or (f"s3://{r.bucket}/{r.object_key or ''}" if r.bucket else "")
        found.append(EvidenceEvent(as_utc(r.event_time), r.source_id, r.source_event_id, r.vendor_id, r.environment_id,
                                   masker.principal(r.principal), r.action, resource, r.source_ip or "",
                                   r.user_agent or "", r.outcome, r.error_code))
    return tuple(found)
