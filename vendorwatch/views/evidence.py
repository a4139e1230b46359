"""The access events that prove a finding: time, principal, action, resource, source IP, user agent, outcome."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS
from vendorwatch.findings.family import family_sources
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


def evidence_events(session: Session, vendor_id: str | None, event_ids: Sequence[str], masker: Masker, *,
                    limit: int = 50) -> tuple[EvidenceEvent, ...]:
    """The events with these source event ids among the vendor family's sources (every source for a finding
    about the firm itself, ``vendor_id`` None), oldest first.

    The source event id alone has no index (one led by a many-valued column would cost every ingest, see
    DEVELOPERS.md). Asked by source, the unique (source, time, source event id) index holds the id: the
    database walks the sources' index entries and reads only the rows that match, instead of every row of the
    vendor through the (vendor, time) index.
    """
    wanted = list(dict.fromkeys(event_ids))[:limit]
    if not wanted:
        return ()
    sources = family_sources(session, vendor_id)
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
