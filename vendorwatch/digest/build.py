"""Compute a month's digest from the database: the board page, then every discovered section."""

from __future__ import annotations

from sqlmodel import Session

from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.digest.board import build_board
from vendorwatch.digest.context import DigestContext, make_context
from vendorwatch.digest.labels import SEVERITIES
from vendorwatch.digest.model import AuditAnchor, Digest
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.sections import discover_sections
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.registry.models import Registry


def build_digest(session: Session, registry: Registry, month: DigestMonth, clock: Clock, *, actor: str) -> Digest:
    """The digest of a month as of its end (or as of now, marked provisional, for the current month)."""
    ctx = make_context(session, registry, month, clock)
    if ctx.start >= ctx.now:
        raise ConfigError(t(f"{month} はまだ始まっていません", f"{month} has not begun yet"))
    return digest_from(ctx, actor=actor)


def digest_from(ctx: DigestContext, *, actor: str) -> Digest:
    """The digest of a prepared context."""
    head = audit.head(ctx.session, until=ctx.as_of)
    organization = ctx.registry.organization
    return Digest(
        month=str(ctx.month), organization=organization.name.text(), timezone=ctx.zone,
        period_start=ctx.start, period_end=ctx.end, as_of=ctx.as_of, provisional=ctx.provisional,
        generated_at=ctx.now, generated_by=actor,
        deliver_by=ctx.month.deadline(ctx.zone, ctx.settings.deliver_by_day),
        resolution_days={s: ctx.deadline_days(s) for s in SEVERITIES},
        audit=AuditAnchor(entries=head.entries, entry_id=head.entry_id, hash=head.hash, at=head.at),
        board=build_board(ctx),
        sections=[spec.section(ctx) for spec in discover_sections()],
    )
