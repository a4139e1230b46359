"""The access events that prove a finding: time, principal, action, resource, source IP, user agent, outcome."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session

from vendorwatch.db.core_tables import EVENTS
from vendorwatch.findings.family import family_sources
from vendorwatch.trail.query import EVENT_COLUMNS, TrailEvent, trail_event
from vendorwatch.views.personal import Masker


def evidence_events(session: Session, vendor_id: str | None, event_ids: Sequence[str], masker: Masker, *,
                    limit: int = 50) -> tuple[TrailEvent, ...]:
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
        select(*EVENT_COLUMNS)
        .where(EVENTS.c.source_id.in_(sources), EVENTS.c.source_event_id.in_(wanted))
        .order_by(EVENTS.c.event_time, EVENTS.c.id)
        .limit(limit)
    )
    return tuple(trail_event(r, masker.principal) for r in rows)
