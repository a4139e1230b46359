"""What every part of the digest reads: the month, the registry then in force, the findings then, the trend.

Built once per digest; the board page and each section take what they need from it, so a section is one data
function over this context plus one template block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from vendorwatch.checks.discovery import checks_by_id
from vendorwatch.checks.model import severity_rank
from vendorwatch.clock import Clock, FixedClock, as_utc
from vendorwatch.db.tables import RegistrySnapshot
from vendorwatch.db.tables import Vendor as VendorRow
from vendorwatch.digest.labels import ORGANIZATION, SEVERITIES
from vendorwatch.digest.model import FindingRef
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.timeline import FindingState, FindingTimeline
from vendorwatch.i18n import Text, t
from vendorwatch.masking import mask_identity, mask_name, mask_text
from vendorwatch.posture.trend import MonthPosture, monthly_trend
from vendorwatch.registry.models import DigestSettings, Registry, Vendor
from vendorwatch.registry.sync import newest_snapshot_id
from vendorwatch.scoring.coverage import SourceHealth, source_health
from vendorwatch.scoring.risk import LEVELS

TREND_MONTHS = 12
TIER_WEIGHT = {"critical": 4, "high": 3, "medium": 2, "low": 1}


def registry_as_of(session: Session, moment: datetime) -> Registry | None:
    """The registry in force at a moment: the last one imported before it."""
    row = session.exec(select(RegistrySnapshot).where(col(RegistrySnapshot.imported_at) < moment)
                       .order_by(col(RegistrySnapshot.id).desc())).first()
    if row is None:
        return None
    try:
        return Registry.model_validate(row.document)
    except ValidationError:  # imported by a version whose format this one no longer reads: use the current one
        return None


@dataclass
class Masker:
    """Masks personal data in free text: the registry's people by name, e-mail, phone, account-like numbers,
    and the person's part of IAM user ARNs and directory DNs."""

    names: list[str] = field(default_factory=list)

    @classmethod
    def for_registry(cls, registry: Registry) -> Masker:
        """Every roster member's and contact's name of the registry."""
        names = {m.name for v in registry.vendors for m in v.roster} | {c.name for v in registry.vendors
                                                                         for c in v.contacts}
        return cls(sorted((n for n in names if len(n) > 1), key=len, reverse=True))

    def __call__(self, value: str | None) -> str:
        if not value:
            return ""
        for name in self.names:
            if name in value:
                value = value.replace(name, mask_name(name))
        return mask_text(mask_identity(value))


@dataclass
class DigestContext:
    """The facts of one month, as of its end (or of now, for a month not over yet)."""

    session: Session
    registry: Registry
    month: DigestMonth
    now: datetime

    @property
    def zone(self) -> str:
        """The organization's time zone."""
        return self.registry.organization.timezone

    @property
    def settings(self) -> DigestSettings:
        """The registry's ``organization.digest``."""
        return self.registry.organization.digest

    @cached_property
    def start(self) -> datetime:
        """The month's first instant."""
        return self.month.start(self.zone)

    @cached_property
    def end(self) -> datetime:
        """The month's end (exclusive)."""
        return self.month.end(self.zone)

    @cached_property
    def as_of(self) -> datetime:
        """The month's end, or now when the month is not over."""
        return min(self.end, self.now)

    @cached_property
    def provisional(self) -> bool:
        """Produced before the month ended."""
        return self.now < self.end

    @property
    def previous_end(self) -> datetime:
        """The end of the month before (the comparison point)."""
        return self.start

    @cached_property
    def monitoring_since(self) -> datetime | None:
        """When the first registry was imported (monitoring began)."""
        first = self.session.exec(select(func.min(RegistrySnapshot.imported_at))).one()
        return as_utc(first) if first is not None else None

    @cached_property
    def masker(self) -> Masker:
        """How free text is masked."""
        return Masker.for_registry(self.registry)

    def mask(self, value: str | None) -> str:
        """Free text with personal data masked."""
        return self.masker(value)

    @cached_property
    def vendors(self) -> dict[str, Vendor]:
        """The vendors of the registry in force, by id."""
        return {v.id: v for v in self.registry.vendors}

    @cached_property
    def _vendor_rows(self) -> dict[str, VendorRow]:
        return {row.id: row for row in self.session.exec(select(VendorRow))}

    def vendor_name(self, vendor_id: str | None) -> Text:
        """A vendor's name (retired vendors too); the firm itself for None."""
        if vendor_id is None:
            return ORGANIZATION
        vendor = self.vendors.get(vendor_id)
        if vendor is not None:
            return vendor.name.text()
        row = self._vendor_rows.get(vendor_id)
        return t(row.name_ja, row.name_en) if row else t(vendor_id, vendor_id)

    def top_level(self, vendor_id: str) -> bool:
        """Whether a vendor works for the firm directly (its sub-vendors' risk is rolled up into it)."""
        vendor = self.vendors.get(vendor_id)
        return vendor is None or vendor.parent is None or vendor.parent not in self.vendors

    @cached_property
    def timeline(self) -> FindingTimeline:
        """Every finding and status change up to the as-of moment."""
        return FindingTimeline(self.session, self.as_of)

    @cached_property
    def states(self) -> list[FindingState]:
        """Every finding's state at the as-of moment."""
        return self.timeline.states_at(self.as_of)

    @cached_property
    def previous_states(self) -> list[FindingState]:
        """Every finding's state at the end of the month before."""
        return self.timeline.states_at(self.previous_end)

    @cached_property
    def trend(self) -> list[MonthPosture]:
        """The last evaluation of each of the twelve months ending with this one."""
        # The last instant of the period, as a local day (as_of is exclusive: a month ends at midnight).
        last_day = (self.as_of - timedelta(microseconds=1)).astimezone(ZoneInfo(self.zone)).date()
        return monthly_trend(self.session, until=last_day, months=TREND_MONTHS)

    @property
    def this_month(self) -> MonthPosture:
        """This month's posture (each vendor's last evaluation in the month)."""
        return self.trend[-1]

    @property
    def last_month(self) -> MonthPosture:
        """The month before's posture."""
        return self.trend[-2]

    def overall(self, posture: MonthPosture) -> tuple[int | None, str | None]:
        """The overall risk index of a month: the mean of the directly engaged vendors' scores (their sub-vendors'
        risk is rolled up into them), weighted by tier (critical 4, high 3, medium 2, low 1); None without data."""
        total = weight = 0
        for vendor_id, row in posture.vendors.items():
            if not self.top_level(vendor_id):
                continue
            vendor = self.vendors.get(vendor_id)
            tier_weight = TIER_WEIGHT.get(vendor.tier if vendor else "low", 1)
            total += row.score * tier_weight
            weight += tier_weight
        if not weight:
            return None, None
        score = math.floor(total / weight + 0.5)
        return score, next(name for threshold, name in LEVELS if score >= threshold)

    def health(self, moment: datetime) -> list[SourceHealth]:
        """Every source's collection state at a moment (runs finished by then)."""
        return source_health(self.session, self.registry, FixedClock(moment), as_of=True)

    @cached_property
    def health_now(self) -> list[SourceHealth]:
        """Every source's state at the as-of moment."""
        return self.health(self.as_of)

    def deadline_days(self, severity: str) -> int | None:
        """The resolution deadline of a severity, in days."""
        return self.settings.resolution_days.for_severity(severity)

    def age_days(self, state: FindingState, at: datetime | None = None) -> int:
        """Whole days since the finding was (re)opened."""
        return max(0, int(((at or self.as_of) - state.opened_at).total_seconds() // 86400))

    def overdue_days(self, state: FindingState) -> int | None:
        """Days past its resolution deadline for an open or acknowledged finding; None when not overdue."""
        if not state.active:
            return None
        limit = self.deadline_days(state.finding.severity)
        if limit is None:
            return None
        over = self.age_days(state) - limit
        return over if over > 0 else None

    def ref(self, state: FindingState) -> FindingRef:
        """The digest's view of a finding."""
        finding = state.finding
        assert finding.id is not None
        check = checks_by_id().get(finding.check_id)
        title = check.meta.title if check else t(finding.check_id, finding.check_id)
        message = (finding.evidence or {}).get("message")
        return FindingRef(
            id=finding.id, check=finding.check_id, title=title, control=finding.control_id,
            vendor_id=finding.vendor_id, vendor=self.vendor_name(finding.vendor_id), subject=self.mask(finding.subject),
            message=t(self.mask(message.get("ja")), self.mask(message.get("en"))) if isinstance(message, dict) else None,
            severity=finding.severity, status=state.status, opened_at=state.opened_at, age_days=self.age_days(state),
            deadline_days=self.deadline_days(finding.severity), overdue_days=self.overdue_days(state),
            accepted_until=state.accepted_until,
        )


def severity_counts(states: list[FindingState]) -> dict[str, int]:
    """Open and acknowledged findings by severity (every counted severity present, zero or not)."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for state in states:
        if state.active and state.finding.severity in counts:
            counts[state.finding.severity] += 1
    return counts


def by_importance(states: list[FindingState]) -> list[FindingState]:
    """Most severe first, then the oldest."""
    return sorted(states, key=lambda s: (severity_rank(s.finding.severity), s.opened_at, s.finding.id or 0))


def make_context(session: Session, registry: Registry, month: DigestMonth, clock: Clock) -> DigestContext:
    """The context of a month: the registry in force at its end (the one given when none was imported before,
    or when the one in force then is still the last imported: the caller's, already parsed)."""
    now = clock.now()
    end = min(month.end(registry.organization.timezone), now)
    then_id = session.exec(select(func.max(RegistrySnapshot.id)).where(col(RegistrySnapshot.imported_at) < end)).one()
    newest_id = newest_snapshot_id(session)
    then = registry if then_id is not None and then_id == newest_id else registry_as_of(session, end) or registry
    return DigestContext(session, then, month, now)

