"""Query the access trail: events of a finding, a vendor, a principal, a network or an action over a period.

Everything is cut in SQL. Screens get keyset pages (``trail_page``: the next page starts after the last row's
(event time, id), so page 1,000 costs what page 1 costs); exports stream (``stream_trail``: ``yield_per``, a
server-side cursor on PostgreSQL), so a million rows go out in constant memory.

A network (``--ip 203.0.113.0/24``) is matched in SQL on both databases without an address type: an IPv4
network widened to the next octet boundary is at most 128 textual prefixes (``203.0.113.``) of the dotted
form CloudTrail and slapd write. IPv6 text has several spellings, so IPv6 networks are narrowed in SQL to
addresses with a colon and decided exactly in Python.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlmodel import Session

from vendorwatch.checks.sql import dn_spellings, same_principal
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import EVENTS
from vendorwatch.db.tables import Finding
from vendorwatch.dn import looks_like_dn
from vendorwatch.errors import ConfigError
from vendorwatch.findings.family import family_sources
from vendorwatch.i18n import t
from vendorwatch.views.personal import Masker

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
STREAM_BATCH = 2000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrailFilter:
    """What to show; every field given narrows the trail (AND). Times are UTC, ``since`` inclusive, ``until``
    exclusive (see ``vendorwatch.trail.period.parse_bound`` for what people type)."""

    finding_id: int | None = None
    vendor_id: str | None = None
    principal: str | None = None
    ip: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def network(self) -> Network | None:
        """The ``ip`` filter as a network (a single address is a /32 or /128); a usage error if malformed."""
        if not self.ip:
            return None
        try:
            return ipaddress.ip_network(self.ip.strip(), strict=False)
        except ValueError:
            raise ConfigError(t(f"IP アドレスまたは CIDR が不正です: {self.ip}（例 203.0.113.0/24）",
                                f"not an IP address or CIDR: {self.ip} (e.g. 203.0.113.0/24)")) from None


@dataclass(frozen=True)
class TrailEvent:
    """One access event as people read it (principal masked unless the viewer unmasked)."""

    id: int
    event_time: datetime
    source_id: str
    source_event_id: str
    vendor_id: str
    environment_id: str | None
    account_id: str | None
    principal: str
    action: str
    resource: str
    source_ip: str
    user_agent: str
    outcome: str
    error_code: str | None


@dataclass(frozen=True)
class TrailCursor:
    """Where a page ended: the (event time, id) of its last row. ``token`` is safe to put in a URL."""

    event_time: datetime
    id: int

    @property
    def token(self) -> str:
        """``<epoch microseconds>.<id>``."""
        micros = (as_utc(self.event_time) - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.id}"

    @classmethod
    def from_token(cls, token: str) -> TrailCursor:
        """The cursor of a ``token``; a usage error if it was not made by ``token``."""
        try:
            micros, ident = token.split(".")
            return cls(_EPOCH + timedelta(microseconds=int(micros)), int(ident))
        except (ValueError, OverflowError, OSError):
            raise ConfigError(t(f"ページ位置が不正です: {token}", f"not a page position: {token}")) from None


@dataclass(frozen=True)
class TrailPage:
    """Events of one page and where the next page starts (None on the last page)."""

    items: tuple[TrailEvent, ...]
    next_after: TrailCursor | None
    size: int


EVENT_COLUMNS = (EVENTS.c.id, EVENTS.c.event_time, EVENTS.c.source_id, EVENTS.c.source_event_id, EVENTS.c.vendor_id,
            EVENTS.c.environment_id, EVENTS.c.account_id, EVENTS.c.principal, EVENTS.c.action, EVENTS.c.resource,
            EVENTS.c.bucket, EVENTS.c.object_key, EVENTS.c.source_ip, EVENTS.c.user_agent, EVENTS.c.outcome,
            EVENTS.c.error_code)


@dataclass
class _Plan:
    """The SQL conditions of a filter, and the exact network test Python still has to make (IPv6)."""

    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    network: Network | None = None

    def keeps(self, source_ip: str | None) -> bool:
        if self.network is None:
            return True
        try:
            return ipaddress.ip_address((source_ip or "").strip()) in self.network
        except ValueError:
            return False


def _ipv4_condition(network: ipaddress.IPv4Network) -> ColumnElement[bool]:
    if network.prefixlen == 32:
        return EVENTS.c.source_ip == str(network.network_address)
    if network.prefixlen == 0:
        return EVENTS.c.source_ip.like("%.%.%.%")
    octets = -(-network.prefixlen // 8)  # widened to the next octet boundary
    if octets == 4:
        return EVENTS.c.source_ip.in_([str(address) for address in network])
    prefixes = []
    for subnet in network.subnets(new_prefix=octets * 8):
        prefixes.append(".".join(str(subnet.network_address).split(".")[:octets]) + ".")
    return or_(*(EVENTS.c.source_ip.startswith(p, autoescape=True) for p in prefixes))


def _finding_condition(session: Session, finding_id: int) -> ColumnElement[bool]:
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise ConfigError(t(f"指摘事項 {finding_id} はありません", f"no finding {finding_id}"))
    event_ids = list(dict.fromkeys((finding.evidence or {}).get("event_ids", [])))
    if not event_ids:
        return false()
    sources = family_sources(session, finding.vendor_id)
    # by source: the unique (source, time, source event id) index holds the id (see views/evidence.py)
    return and_(EVENTS.c.source_id.in_(sources), EVENTS.c.source_event_id.in_(event_ids))


def _plan(session: Session, where: TrailFilter) -> _Plan:
    plan = _Plan()
    if where.finding_id is not None:
        plan.conditions.append(_finding_condition(session, where.finding_id))
    if where.vendor_id:
        plan.conditions.append(EVENTS.c.vendor_id == where.vendor_id)
    if where.principal:
        # A DN names its account however the directory or its log spelled it (LDAP compares DNs so).
        spellings = dn_spellings(session) if looks_like_dn(where.principal) else {}
        plan.conditions.append(or_(same_principal(EVENTS.c.principal, where.principal, spellings),
                                   EVENTS.c.access_key_id == where.principal))
    if where.action:
        plan.conditions.append(EVENTS.c.action == where.action)
    if where.since is not None:
        plan.conditions.append(EVENTS.c.event_time >= as_utc(where.since))
    if where.until is not None:
        plan.conditions.append(EVENTS.c.event_time < as_utc(where.until))
    network = where.network
    if isinstance(network, ipaddress.IPv4Network):
        plan.conditions.append(_ipv4_condition(network))
    elif network is not None:
        plan.conditions.append(EVENTS.c.source_ip.like("%:%"))
        plan.network = network
    return plan


def trail_event(row: Any, principal: Callable[[str | None], str]) -> TrailEvent:
    """A row of ``EVENT_COLUMNS`` as people read it, the principal through ``principal`` (a masker's)."""
    resource = row.resource or (f"s3://{row.bucket}/{row.object_key or ''}" if row.bucket else "")
    return TrailEvent(row.id, as_utc(row.event_time), row.source_id, row.source_event_id, row.vendor_id,
                      row.environment_id, row.account_id, principal(row.principal), row.action, resource,
                      row.source_ip or "", row.user_agent or "", row.outcome, row.error_code)


def _principals(masker: Masker) -> Callable[[str | None], str]:
    """The masker's principal function, remembered: a trail names the same few principals in many rows."""
    return lru_cache(maxsize=8192)(masker.principal)


def _select(plan: _Plan) -> Select[Any]:
    return select(*EVENT_COLUMNS).where(*plan.conditions)


def trail_page(session: Session, where: TrailFilter, masker: Masker, *, after: TrailCursor | None = None,
               size: int = DEFAULT_PAGE_SIZE, newest_first: bool = True) -> TrailPage:
    """One page of the trail (newest first unless asked), starting after ``after`` (keyset pagination)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    plan = _plan(session, where)
    order = (EVENTS.c.event_time.desc(), EVENTS.c.id.desc()) if newest_first else (EVENTS.c.event_time,
                                                                                    EVENTS.c.id)
    items: list[TrailEvent] = []
    principal = _principals(masker)
    position = after
    while True:
        query = _select(plan)
        if position is not None:
            at = as_utc(position.event_time)
            if newest_first:
                query = query.where(or_(EVENTS.c.event_time < at,
                                        and_(EVENTS.c.event_time == at, EVENTS.c.id < position.id)))
            else:
                query = query.where(or_(EVENTS.c.event_time > at,
                                        and_(EVENTS.c.event_time == at, EVENTS.c.id > position.id)))
        want = size + 1 - len(items)
        rows = list(session.execute(query.order_by(*order).limit(want)))
        for row in rows:
            if plan.keeps(row.source_ip):
                items.append(trail_event(row, principal))
        if len(rows) < want or len(items) > size:
            break
        position = TrailCursor(as_utc(rows[-1].event_time), rows[-1].id)  # IPv6 only: more rows to decide
    more = len(items) > size
    items = items[:size]
    next_after = TrailCursor(items[-1].event_time, items[-1].id) if more and items else None
    return TrailPage(tuple(items), next_after, size)


def stream_trail(session: Session, where: TrailFilter, masker: Masker, *,
                 batch: int = STREAM_BATCH) -> Iterator[TrailEvent]:
    """Every event of the trail, oldest first, fetched ``batch`` rows at a time (constant memory)."""
    plan = _plan(session, where)
    query = _select(plan).order_by(EVENTS.c.event_time, EVENTS.c.id).execution_options(yield_per=batch)
    principal = _principals(masker)
    for row in session.execute(query):
        if plan.keeps(row.source_ip):
            yield trail_event(row, principal)


def count_trail(session: Session, where: TrailFilter) -> int:
    """How many events the trail holds (counted in SQL; an IPv6 network is decided over the addresses only)."""
    plan = _plan(session, where)
    if plan.network is None:
        return int(session.execute(select(func.count()).select_from(EVENTS).where(*plan.conditions)).scalar_one())
    query = select(EVENTS.c.source_ip).where(*plan.conditions).execution_options(yield_per=STREAM_BATCH)
    return sum(1 for row in session.execute(query) if plan.keeps(row.source_ip))
