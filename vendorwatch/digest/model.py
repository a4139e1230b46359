"""The typed content of a month's digest, computed from the database and independent of language and layout.

Every text a reader sees is a bilingual ``Text`` (or a number, date or id); the templates choose the language.
Free text that came from the database (subjects, messages, reasons, errors) is masked before it gets here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny

from vendorwatch.i18n import Text


class DigestModel(BaseModel):
    """Base of every digest model: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class FindingRef(DigestModel):
    """One finding as the digest shows it, in its state at the end of the month."""

    id: int
    check: str
    title: Text
    control: str
    vendor_id: str | None
    vendor: Text
    subject: str
    message: Text | None = None
    severity: str
    status: str
    opened_at: datetime  # detected, or reopened after it had been resolved: the resolution clock starts here
    age_days: int
    deadline_days: int | None = None
    overdue_days: int | None = None  # days past the resolution deadline; None when not overdue
    accepted_until: datetime | None = None


class TrendPoint(DigestModel):
    """The portfolio at the end of one month."""

    month: str
    score: int | None = None  # the overall risk index; None when no evaluation ran that month
    level: str | None = None
    open_by_severity: dict[str, int] = Field(default_factory=dict)


class Change(DigestModel):
    """Something that changed since the month before."""

    direction: Literal["worse", "better", "info"]
    text: Text


class AttentionItem(DigestModel):
    """Something the board should know or decide on, most serious first."""

    severity: str
    text: Text
    items: list[Text] = Field(default_factory=list)  # a few examples, the rest counted in ``text``


class VendorLine(DigestModel):
    """A vendor named on the board page."""

    vendor_id: str
    name: Text
    score: int
    level: str


class BoardPage(DigestModel):
    """The one page for the board: read in two minutes."""

    overall_score: int | None
    overall_level: str | None
    previous_score: int | None
    compared: bool  # monitoring ran in the month before, so "since last month" means something
    open_by_severity: dict[str, int]
    previous_open_by_severity: dict[str, int]
    overdue: int
    escalated: int  # critical findings past their deadline, escalated to the board (3.2.6)
    opened: int
    resolved: int
    vendors: int
    vendors_by_level: dict[str, int]
    highest: list[VendorLine]
    sources: int
    sources_collected: int
    trend: list[TrendPoint]
    changes: list[Change]
    attention: list[AttentionItem]


class Section(DigestModel):
    """One part of the detail: its data and the template block that shows it (``sections/<key>.html.j2``)."""

    key: str
    title: Text
    summary: Text  # one line, for the e-mail's list of what the PDF holds
    data: SerializeAsAny[DigestModel]


class AuditAnchor(DigestModel):
    """The head of the audit chain as of the end of the month (kept with the digest, outside the database)."""

    entries: int
    entry_id: int
    hash: str
    at: datetime | None


class Digest(DigestModel):
    """A month's digest."""

    month: str
    organization: Text
    timezone: str
    period_start: datetime
    period_end: datetime
    as_of: datetime
    provisional: bool
    generated_at: datetime
    generated_by: str
    deliver_by: datetime
    resolution_days: dict[str, int | None]
    audit: AuditAnchor
    board: BoardPage
    sections: list[Section]

    def section(self, key: str) -> Section:
        """One section by key; ``KeyError`` if absent."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)
