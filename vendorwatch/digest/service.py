"""What the CLI, the scheduler and the dashboard call: produce a month's digest, deliver it, send it again, and
the scheduler's one idempotent step (produce and deliver a month unless already delivered; never twice)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Engine, text
from sqlmodel import Session

from vendorwatch.clock import Clock
from vendorwatch.db.tables import DigestRecord
from vendorwatch.digest.build import build_digest
from vendorwatch.digest.deliver import mail_settings, resend, send_digest
from vendorwatch.digest.errors import DigestError
from vendorwatch.digest.model import Digest
from vendorwatch.digest.period import DigestMonth, due_month
from vendorwatch.digest.render import RenderedDigest, render_digest
from vendorwatch.digest.store import (
    DeliverySummary,
    DigestSummary,
    StoredDigest,
    get_digest,
    last_delivery,
    list_digests,
    save_digest,
)
from vendorwatch.i18n import t
from vendorwatch.mail.errors import MailError
from vendorwatch.registry.models import Registry

__all__ = ["DigestSummary", "StoredDigest", "deliver_month", "get_digest", "list_digests", "produce", "resend_month",
           "send"]
_LOCK = 7301254  # PostgreSQL advisory lock: one digest delivery at a time per database (the audit log uses ...253)


@dataclass
class Produced:
    """A digest produced and stored."""

    digest: Digest
    rendered: RenderedDigest
    record: DigestRecord


def produce(engine: Engine, registry: Registry, month: DigestMonth, clock: Clock, *, actor: str,
            language: str | None = None) -> Produced:
    """Compute, render and store a month's digest (a new revision) in the registry's language or the one given."""
    lang = language or registry.organization.digest.language
    with Session(engine, expire_on_commit=False) as session:
        digest = build_digest(session, registry, month, clock, actor=actor)
        rendered = render_digest(digest, lang)
        record = save_digest(session, digest, rendered, actor=actor, clock=clock)
        session.commit()
    return Produced(digest, rendered, record)


def send(engine: Engine, produced: Produced, registry: Registry, clock: Clock, *, actor: str,
         environ: Mapping[str, str] | None = None) -> DeliverySummary:
    """Mail a produced digest to the registry's recipients; the delivery is stored (a failure too, then raised)."""
    with Session(engine, expire_on_commit=False) as session:
        row = send_digest(session, produced.record, produced.rendered, registry, clock, actor=actor, environ=environ)
        session.commit()
        return DeliverySummary.model_validate(row)


def resend_month(engine: Engine, registry: Registry, month: DigestMonth, clock: Clock, *, actor: str,
                 language: str | None = None, environ: Mapping[str, str] | None = None) -> DeliverySummary:
    """Send a month's last delivered digest again, byte for byte, to the same recipients."""
    with Session(engine, expire_on_commit=False) as session:
        previous = last_delivery(session, str(month), language=language)
        if previous is None:
            raise DigestError(t(f"{month} に送付済みのダイジェストがないため再送できません（先に --send）",
                                f"no digest of {month} was delivered, so there is nothing to resend (use --send)"))
        row = resend(session, previous, registry, clock, actor=actor, environ=environ)
        session.commit()
        return DeliverySummary.model_validate(row)


@contextmanager
def _one_delivery_at_a_time(engine: Engine) -> Iterator[None]:
    """Serialize deliveries across processes on PostgreSQL; SQLite runs one scheduler (its lease) anyway."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK})
            connection.commit()


@dataclass(frozen=True)
class MonthDelivery:
    """What the scheduler's step did for a month."""

    month: str
    outcome: Literal["already_delivered", "delivered", "partial", "failed"]
    digest_id: int | None
    delivery_id: int | None
    error: str | None = None


def deliver_month(engine: Engine, registry: Registry, clock: Clock, month: DigestMonth | None = None, *,
                  actor: str = "scheduler", environ: Mapping[str, str] | None = None) -> MonthDelivery:
    """Produce and deliver a month's digest (by default the one due now) unless it was already delivered.

    Idempotent: a month delivered once (to at least one recipient) is never sent again by this step, even when
    two processes call it at once (PostgreSQL) or it runs again after a restart. A failed attempt is stored and
    reported, and the next call tries again. A missing mail server or recipient list is a ``DigestError``.
    """
    wanted = month or due_month(clock.now(), registry.organization.timezone)
    if wanted.end(registry.organization.timezone) > clock.now():
        raise DigestError(t(f"{wanted} はまだ終わっていません（配信は月が終わってから）",
                            f"{wanted} is not over yet; a month is delivered once it has ended"))
    mail_settings(registry)  # fail before producing anything when mail cannot be sent at all
    with _one_delivery_at_a_time(engine):
        with Session(engine) as session:
            done = last_delivery(session, str(wanted))
            if done is not None:
                return MonthDelivery(str(wanted), "already_delivered", done.digest_id, done.id)
        produced = produce(engine, registry, wanted, clock, actor=actor)
        try:
            delivery = send(engine, produced, registry, clock, actor=actor, environ=environ)
        except MailError as failure:
            return MonthDelivery(str(wanted), "failed", produced.record.id, None, failure.message.en)
        outcome: Literal["delivered", "partial"] = "partial" if delivery.status == "partial" else "delivered"
        return MonthDelivery(str(wanted), outcome, produced.record.id, delivery.id)
