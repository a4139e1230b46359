"""Control 3.2.6: a month whose digest was not produced and delivered by the configured day of the next month is a
finding of the firm itself (no vendor's score carries it); it stays quiet when delivered and resolves once sent."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from tests.checks.world import World, at, make_world
from tests.digest.seed import registry_document
from tests.servers.smtp import SmtpServer
from vendorwatch.clock import FixedClock
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.service import deliver_month, produce
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.query import list_findings
from vendorwatch.scoring.risk import score_vendors

CHECK = "reporting.digest_not_delivered"


def _world(engine: Engine, mail: dict[str, object] | None = None, **digest: object) -> World:
    """Monitoring since 10 September 2026."""
    return make_world(engine, FixedClock(at("2026-09-10 00:00")), registry_document(mail, **digest))


def test_a_month_not_delivered_by_the_fifth_is_a_finding_of_the_firm(engine: Engine) -> None:
    world = _world(engine)
    world.clock.set(at("2026-10-05 14:59"))  # 23:59 JST on 5 October: September is still in time
    assert world.subjects(CHECK) == set()
    world.clock.set(at("2026-10-05 15:00"))  # 6 October in Tokyo
    [draft] = world.drafts(CHECK)
    assert draft.vendor_id is None and draft.subject == "digest:2026-09"
    assert draft.evidence.details["due"] == "2026-10-05" and draft.evidence.details["produced"] == 0
    assert "not produced" in draft.message.en and "期限 2026-10-05" in draft.message.ja  # type: ignore[union-attr]
    world.clock.set(at("2026-12-20 00:00"))
    assert world.subjects(CHECK) == {"digest:2026-09", "digest:2026-10", "digest:2026-11"}


def test_the_deadline_day_comes_from_the_registry(sqlite_engine: Engine) -> None:
    world = _world(sqlite_engine, deliver_by_day=10)
    world.clock.set(at("2026-10-08 00:00"))
    assert world.subjects(CHECK) == set()
    world.clock.set(at("2026-10-10 15:00"))
    assert world.subjects(CHECK) == {"digest:2026-09"}


def test_a_delivered_month_stays_quiet_and_a_late_one_resolves_its_finding(engine: Engine,
                                                                         smtp_server: SmtpServer) -> None:
    world = _world(engine, smtp_server.mail_settings())
    world.clock.set(at("2026-10-02 00:00"))
    assert deliver_month(engine, world.registry, world.clock).outcome == "delivered"  # September, in time
    world.clock.set(at("2026-11-07 00:00"))  # October was never sent
    evaluate(engine, world.registry, world.clock)
    with Session(engine) as session:
        [finding] = list_findings(session, check=CHECK)
        assert finding.subject == "digest:2026-10" and finding.status == "open" and finding.vendor_id is None
        assert finding.control_id == "3.2.6" and finding.severity == "high"
        risks = score_vendors(session, world.registry, world.clock)
    assert all(c.check_id != CHECK for r in risks.values() for c in r.contributions)  # no vendor carries it
    # Produced but not delivered is still a finding, and says so.
    produce(engine, world.registry, DigestMonth.parse("2026-10"), world.clock, actor="x")
    [draft] = world.drafts(CHECK)
    assert draft.evidence.details["produced"] == 1 and "not delivered" in draft.message.en  # type: ignore[union-attr]
    # Delivered late: the next evaluation resolves it; its history keeps when it was due and when it was done.
    deliver_month(engine, world.registry, world.clock, DigestMonth.parse("2026-10"))
    world.clock.set(at("2026-11-07 01:00"))
    evaluate(engine, world.registry, world.clock)
    with Session(engine) as session:
        [finding] = list_findings(session, check=CHECK)
        assert finding.status == "resolved"


def test_no_recipients_or_no_mail_server_is_named_in_the_finding(sqlite_engine: Engine) -> None:
    world = make_world(sqlite_engine, FixedClock(at("2026-09-10 00:00")))  # no digest section, no mail
    world.clock.set(at("2026-10-06 00:00"))
    [draft] = world.drafts(CHECK)
    assert "no recipients or no SMTP server" in draft.message.en  # type: ignore[union-attr]
    assert draft.evidence.details["mail_configured"] is False


def test_months_before_monitoring_began_or_beyond_the_lookback_are_not_findings(sqlite_engine: Engine) -> None:
    world = _world(sqlite_engine)
    world.clock.set(at("2028-03-10 00:00"))
    subjects = world.subjects(CHECK)
    assert len(subjects) == 12  # the last twelve months: March 2027 to February 2028
    assert min(subjects) == "digest:2027-03" and max(subjects) == "digest:2028-02"
