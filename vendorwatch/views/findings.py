"""Findings for the screens: filtered, searched and paginated in SQL; one finding with everything behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, case, func, or_, select
from sqlmodel import Session

from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.checks.model import SEVERITIES
from vendorwatch.clock import as_utc
from vendorwatch.controls.catalog import load_catalog
from vendorwatch.db.core_tables import FINDINGS
from vendorwatch.findings.lifecycle import ACTIVE_STATUSES, STATUSES
from vendorwatch.findings.query import history
from vendorwatch.i18n import Text, t
from vendorwatch.trail.query import TrailEvent
from vendorwatch.views.evidence import evidence_events
from vendorwatch.views.paging import Page, bounds
from vendorwatch.views.personal import Masker
from vendorwatch.views.portfolio import CONTROLS

FIRM_WIDE = t("当社全体", "Firm-wide")  # the vendor column of a finding about the firm itself
FIRM_WIDE_WORDS = ("当社全体", "firm-wide", "firm")


class FindingQuery(BaseModel):
    """What a user filters findings by; every value is checked here, at the edge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    vendor: str | None = None
    firm_wide: bool = False  # only the findings about the firm itself (no vendor, e.g. 3.2.6)
    control: str | None = None
    check: str | None = None
    severities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ACTIVE_STATUSES
    seen_from: date | None = None  # days in the organization's time zone, both inclusive
    seen_to: date | None = None
    search: str | None = Field(default=None, max_length=200)

    @field_validator("control")
    @classmethod
    def _control(cls, value: str | None) -> str | None:
        if value is not None and value not in CONTROLS:
            raise ValueError(f"unknown control {value} ({', '.join(CONTROLS)})")
        return value

    @field_validator("severities")
    @classmethod
    def _severities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if s not in SEVERITIES]
        if unknown:
            raise ValueError(f"unknown severity {', '.join(unknown)} ({', '.join(SEVERITIES)})")
        return value

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if s not in STATUSES]
        if unknown:
            raise ValueError(f"unknown status {', '.join(unknown)} ({', '.join(STATUSES)})")
        return value


@dataclass(frozen=True)
class FindingRow:
    """One finding in a list."""

    finding_id: int
    severity: str
    control_id: str
    vendor_id: str | None  # None: a finding about the firm itself (当社全体 / firm-wide)
    check_id: str
    title: Text
    message: Text
    subject: str
    status: str
    first_seen: datetime
    last_seen: datetime
    accepted_until: datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    """One status change: when, from, to, who, why."""

    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None


@dataclass(frozen=True)
class FindingDetail:
    """A finding with its explanation (the control it breaks), remediation, evidence and history."""

    row: FindingRow
    kind: str
    control_title: Text
    guideline: Text
    remediation: Text
    status_reason: str | None
    resolved_at: datetime | None
    principals: tuple[str, ...]
    details: dict[str, Any]
    event_ids: tuple[str, ...]
    event_count: int
    events: tuple[TrailEvent, ...]
    history: tuple[HistoryEntry, ...]


def _severity_order() -> ColumnElement[int]:
    return case({s: i for i, s in enumerate(SEVERITIES)}, value=FINDINGS.c.severity, else_=len(SEVERITIES))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(query: FindingQuery, zone: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.firm_wide:
        where.append(FINDINGS.c.vendor_id.is_(None))
    elif query.vendor:
        where.append(FINDINGS.c.vendor_id == query.vendor)
    if query.control:
        where.append(FINDINGS.c.control_id == query.control)
    if query.check:
        where.append(FINDINGS.c.check_id == query.check)
    if query.severities:
        where.append(FINDINGS.c.severity.in_(query.severities))
    if query.statuses:
        where.append(FINDINGS.c.status.in_(query.statuses))
    tz = ZoneInfo(zone)
    if query.seen_from:
        where.append(FINDINGS.c.last_seen >= datetime.combine(query.seen_from, time(), tzinfo=tz).astimezone(UTC))
    if query.seen_to:
        end = datetime.combine(query.seen_to + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        where.append(FINDINGS.c.first_seen < end)
    if query.search and query.search.strip():
        needle = query.search.strip().lower()
        pattern = _like(needle)
        titled = [c.id for c in checks_by_id().values()
                  if needle in c.meta.title.ja.lower() or needle in c.meta.title.en.lower()]
        matches = [func.lower(FINDINGS.c.subject).like(pattern, escape="\\"),
                   func.lower(FINDINGS.c.check_id).like(pattern, escape="\\"),
                   func.lower(FINDINGS.c.vendor_id).like(pattern, escape="\\")]
        if titled:
            matches.append(FINDINGS.c.check_id.in_(titled))
        if any(needle in word for word in FIRM_WIDE_WORDS):
            matches.append(FINDINGS.c.vendor_id.is_(None))
        where.append(or_(*matches))
    return where


def _row(finding: Any, masker: Masker) -> FindingRow:
    check = checks_by_id().get(finding.check_id)
    title = check.meta.title if check else t(finding.check_id, finding.check_id)
    evidence = finding.evidence or {}
    principals = list(evidence.get("principals", []))
    message = evidence.get("message") or title.model_dump()
    return FindingRow(
        finding.id, finding.severity, finding.control_id, finding.vendor_id, finding.check_id, title,
        Text(ja=masker.text(message.get("ja", ""), principals), en=masker.text(message.get("en", ""), principals)),
        masker.text(finding.subject, principals), finding.status, as_utc(finding.first_seen), as_utc(finding.last_seen),
        as_utc(finding.accepted_until) if finding.accepted_until else None,
    )


def find_findings(session: Session, query: FindingQuery, *, zone: str, masker: Masker, number: int = 1,
                  size: int = 50) -> Page[FindingRow]:
    """Findings matching the query, most severe first then most recently seen, one page at a time."""
    number, size, offset = bounds(number, size)
    where = _conditions(query, zone)
    total = session.execute(select(func.count()).select_from(FINDINGS).where(*where)).scalar_one()
    rows = session.execute(
        select(FINDINGS).where(*where)
        .order_by(_severity_order(), FINDINGS.c.last_seen.desc(), FINDINGS.c.id.desc())
        .limit(size).offset(offset)
    )
    return Page(tuple(_row(r, masker) for r in rows), total, number, size)


def _mask_details(value: Any, masker: Masker, principals: list[str]) -> Any:
    if isinstance(value, str):
        return masker.text(value, principals)
    if isinstance(value, list):
        return [_mask_details(v, masker, principals) for v in value]
    if isinstance(value, dict):
        return {k: _mask_details(v, masker, principals) for k, v in value.items()}
    return value


def finding_detail(session: Session, finding_id: int, masker: Masker, *, events_limit: int = 50) -> FindingDetail | None:
    """One finding with its control's text, remediation, evidence events and history; None if there is none."""
    finding = session.execute(select(FINDINGS).where(FINDINGS.c.id == finding_id)).first()
    if finding is None:
        return None
    row = _row(finding, masker)
    check = checks_by_id().get(finding.check_id)
    try:
        control = load_catalog().control(finding.control_id)
        control_title, guideline = control.title, control.guideline
    except KeyError:
        control_title = guideline = t(finding.control_id, finding.control_id)
    evidence = finding.evidence or {}
    principals = list(evidence.get("principals", []))
    event_ids = tuple(evidence.get("event_ids", []))
    details = dict(evidence.get("details", {}))
    return FindingDetail(
        row=row,
        kind=check.meta.kind if check else "posture",
        control_title=control_title,
        guideline=guideline,
        remediation=check.meta.remediation if check else t("", ""),
        status_reason=finding.status_reason,
        resolved_at=as_utc(finding.resolved_at) if finding.resolved_at else None,
        principals=tuple(masker.principal(p) for p in principals),
        details=_mask_details(details, masker, principals),
        event_ids=event_ids,
        event_count=int(details.get("event_count", len(event_ids))),
        events=evidence_events(session, finding.vendor_id, event_ids, masker, limit=events_limit),
        history=tuple(HistoryEntry(as_utc(h.at), h.from_status, h.to_status, h.actor, h.reason)
                      for h in history(session, finding_id)),
    )


def firm_wide_open(session: Session) -> dict[str, int]:
    """Open and acknowledged findings about the firm itself (no vendor), by severity: in no vendor's score."""
    rows = session.execute(select(FINDINGS.c.severity, func.count()).where(
        FINDINGS.c.vendor_id.is_(None), FINDINGS.c.status.in_(("open", "acknowledged"))).group_by(FINDINGS.c.severity))
    return {severity: int(n) for severity, n in rows}
