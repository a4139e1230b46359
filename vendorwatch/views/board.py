"""The board report for the screens: a month's posture per control and per vendor, what changed since the month
before, what is overdue, and the monthly digests stored for the board (3.2.6).

The figures are the digest's own (``vendorwatch.digest``: the same context, board page and sections as the PDF
the board receives), computed for the month as of its end, or as of now for the current month (provisional).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from vendorwatch.clock import Clock
from vendorwatch.db.tables import PostureSnapshot
from vendorwatch.digest.board import build_board
from vendorwatch.digest.context import by_importance, make_context
from vendorwatch.digest.model import BoardPage, FindingRef, Section
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.sections import discover_sections
from vendorwatch.digest.service import DigestSummary, StoredDigest, get_digest, list_digests
from vendorwatch.i18n import Text
from vendorwatch.posture.trend import months_back
from vendorwatch.registry.models import Registry

__all__ = ["BoardReport", "DigestSummary", "StoredDigest", "VendorPosture", "board_report", "last_evaluated_month",
           "months", "stored_digest", "stored_digests"]


SECTIONS = ("controls",)  # the digest sections the page shows (the others are in the stored digest's PDF)


@dataclass(frozen=True)
class VendorPosture:
    """One vendor at the end of the month (its last evaluation in the month) against the month before; its
    sources as they stand at the report's moment (the month's end, or now), the moment of the page's headline."""

    vendor_id: str
    name: Text
    parent_id: str | None
    tier: str | None
    score: int
    level: str
    previous_score: int | None
    open_by_severity: dict[str, int]
    accepted: int
    sources: dict[str, int]

    @property
    def change(self) -> int | None:
        """Points up (worse) or down (better) since the month before; None when it was not evaluated then."""
        return None if self.previous_score is None else self.score - self.previous_score


@dataclass(frozen=True)
class BoardReport:
    """The month as the board sees it."""

    month: str
    provisional: bool
    board: BoardPage
    sections: tuple[Section, ...]
    vendors: tuple[VendorPosture, ...]  # every vendor evaluated in the month, highest score first
    overdue: tuple[FindingRef, ...]  # open findings past their resolution deadline, most severe first

    def section(self, key: str) -> Section | None:
        """One of the digest's sections (``controls``, ``acceptances``, ...), if present."""
        return next((s for s in self.sections if s.key == key), None)


def months(today: date, count: int = 12) -> list[str]:
    """The months a report can be shown for, newest first (``YYYY-MM``)."""
    return months_back(today, count)[::-1]


def last_evaluated_month(session: Session) -> str | None:
    """The newest month with an evaluation (``YYYY-MM``): what the board page opens on (on the 1st, the month
    that just ended rather than the empty new one)."""
    found = session.execute(select(func.max(PostureSnapshot.month))).scalar()
    return str(found) if found else None


def board_report(session: Session, registry: Registry, month: str, clock: Clock) -> BoardReport:
    """The month's posture per control and per vendor, what changed, what is overdue (as of its end, or now)."""
    ctx = make_context(session, registry, DigestMonth.parse(month), clock)
    before = ctx.last_month
    sources: dict[str, Counter[str]] = {}
    for health in ctx.health_now:
        sources.setdefault(health.vendor_id, Counter())[health.state] += 1
    vendors = []
    for vendor_id, row in ctx.this_month.vendors.items():
        vendor = ctx.vendors.get(vendor_id)
        vendors.append(VendorPosture(
            vendor_id, ctx.vendor_name(vendor_id), vendor.parent if vendor else None, vendor.tier if vendor else None,
            row.score, row.level, before.score(vendor_id), {k: int(v) for k, v in row.open_by_severity.items()},
            row.accepted, dict(sources.get(vendor_id, Counter()))))
    overdue = tuple(ctx.ref(s) for s in by_importance([s for s in ctx.states if ctx.overdue_days(s)]))
    return BoardReport(
        str(ctx.month), ctx.provisional, build_board(ctx),
        tuple(spec.section(ctx) for spec in discover_sections() if spec.key in SECTIONS),
        tuple(sorted(vendors, key=lambda v: (-v.score, v.vendor_id))), overdue,
    )


def stored_digests(session: Session) -> tuple[DigestSummary, ...]:
    """Every stored digest (newest month first) with its deliveries, without the documents."""
    return tuple(list_digests(session))


def stored_digest(session: Session, digest_id: int) -> StoredDigest | None:
    """One stored digest with its PDF, HTML and text."""
    return get_digest(session, digest_id)
