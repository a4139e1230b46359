"""A vendor's family: the vendor, the vendors above it and its sub-vendors, and the times of a finding's events.

A finding's evidence events may belong to any source of the family (3.2.7: a sub-vendor working in its parent's
account), so they are looked up among the family's sources, through the unique (source, time, source event id)
index (an index led by the event id would cost every ingest, see DEVELOPERS.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS, SOURCES, VENDORS
from vendorwatch.db.value_lists import in_values


def vendor_family(session: Session, vendor_id: str) -> list[str]:
    """The vendor, the vendors above it and its sub-vendors (at any depth), sorted."""
    parents: dict[str, str | None] = {row.id: row.parent_id
                                      for row in session.execute(select(VENDORS.c.id, VENDORS.c.parent_id))}
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


def family_sources(session: Session, vendor_id: str | None) -> list[str]:
    """The sources of the vendor's family; every source for a finding about the firm itself (``vendor_id`` None),
    whose evidence may name events of any vendor."""
    which = select(SOURCES.c.id)
    if vendor_id is not None:
        which = which.where(SOURCES.c.vendor_id.in_(vendor_family(session, vendor_id)))
    return [row.id for row in session.execute(which)]


def event_times(session: Session, vendor_id: str | None, event_ids: Iterable[str]) -> dict[str, tuple[datetime, datetime]]:
    """The earliest and latest time of each stored event with one of these source event ids, among the family's
    sources (an id may recur in two sources of the family): one scan of the family's events for all of them."""
    wanted = sorted(set(event_ids))
    if not wanted:
        return {}
    sources = family_sources(session, vendor_id)
    dialect = session.get_bind().dialect.name
    found: dict[str, tuple[datetime, datetime]] = {}
    rows = session.execute(select(EVENTS.c.source_event_id, EVENTS.c.event_time)
                           .where(EVENTS.c.source_id.in_(sources), in_values(EVENTS.c.source_event_id, wanted, dialect)))
    for event_id, when in rows:
        at = as_utc(when)
        first, last = found.get(event_id, (at, at))
        found[event_id] = (min(first, at), max(last, at))
    return found
