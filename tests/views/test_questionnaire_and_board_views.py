"""The questionnaire and board read models on SQLite and PostgreSQL: request lines agree with the domain's
statuses and the contradiction findings, a review puts the telemetry beside the contradicted answer (masked),
documents carry their expiry, and the board report holds every control and every vendor of the month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from questionnaires.campaigns import request_statuses
from tests.dashboard.conftest import seed_world
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import Finding
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import imported_registry
from vendorwatch.views.board import board_report, months
from vendorwatch.views.personal import Masker
from vendorwatch.views.questionnaires import documents, family, overview, review


def _seeded(engine: Engine, clock: FixedClock, tmp_path: Path) -> Registry:
    seed_world(engine, clock, tmp_path / "evidence")
    with Session(engine) as session:
        registry = imported_registry(session)
    assert registry is not None
    return registry


def test_requests_reviews_and_documents(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    registry = _seeded(engine, clock, tmp_path)
    masked = Masker.for_registry(registry, masked=True)
    with Session(engine) as session:
        book = overview(session, registry, clock)
        statuses = request_statuses(session, registry, clock)
        contradicted = session.exec(select(Finding).where(Finding.check_id.like("questionnaire.contradicted_%"))).all()  # type: ignore[attr-defined]
        tradesys = next(r for r in book.requests if r.vendor_id == "tradesys")
        view = review(session, registry, tradesys.request_id, clock, masked)
        unmasked = review(session, registry, tradesys.request_id, clock, Masker.for_registry(registry, masked=False))
        own = overview(session, registry, clock, vendor_ids=list(family(registry, "tradesys")))
        papers = documents(session, registry, clock, masked)
    assert [(r.request_id, r.state) for r in book.requests] == [(s.request_id, s.state) for s in statuses]
    assert sum(r.contradicted for r in book.requests) == len(contradicted) > 0
    assert {c.name for c in book.campaigns} == {"2026 年度 定期点検 / yearly review",
                                                "2026 年度 再委託先点検 / sub-vendor review"}
    assert {r.vendor_id for r in own.requests} == {"tradesys", "opswatch"}
    assert own.without_accepted(("opswatch",)) == ("opswatch",)
    assert view.state == "submitted" and view.can("accept") and view.can("request_changes") and not view.can("reopen")
    mfa = next(a for a in view.answers if a.contradiction is not None and "MFA" in a.contradiction.claim.en)
    assert mfa.contradiction is not None and mfa.contradiction.facts
    assert any(f.check_id.startswith("questionnaire.contradicted_") for f in mfa.findings)
    assert view.contradictions == sum(1 for a in view.answers if a.contradiction)
    assert "@" not in view.submitted_by or "***@" in view.submitted_by
    assert unmasked.submitted_by != view.submitted_by and "***" not in unmasked.submitted_by
    assert [(d.vendor_id, d.kind, d.expired) for d in papers] == [("callcentre", "pentest_report", True),
                                                                  ("tradesys", "iso27001_certificate", False)]
    assert papers[0].days_left == -10 and papers[1].days_left == 45
    assert papers[1].file is not None and papers[1].file.filename == "tradesys-iso27001.pdf"


def test_the_board_report_holds_every_control_and_vendor_of_the_month(engine: Engine, clock: FixedClock,
                                                                      tmp_path: Path) -> None:
    registry = _seeded(engine, clock, tmp_path)
    later = FixedClock(clock.now() + timedelta(days=4))  # 30 November: the month is still going on
    with Session(engine) as session:
        report = board_report(session, registry, "2026-11", later)
        active = session.exec(select(Finding).where(Finding.status.in_(["open", "acknowledged"]))).all()  # type: ignore[attr-defined]
    assert report.month == "2026-11" and report.provisional
    controls = report.section("controls")
    assert controls is not None
    assert [c.id for c in controls.data.controls] == [f"3.2.{n}" for n in range(1, 8)]  # type: ignore[attr-defined]
    assert sum(c.open for c in controls.data.controls) == len(active)  # type: ignore[attr-defined]
    assert report.vendors[0].vendor_id == "tradesys"
    assert {v.vendor_id for v in report.vendors} == {"tradesys", "opswatch", "callcentre"}
    assert all(v.change is None for v in report.vendors)  # nothing evaluated in October
    assert report.board.opened == len({f.id for f in active})
    # The per-vendor sources and the headline are counted at one moment (four days on, nothing is fresh):
    # the page showed 0 / 4 collected above a table of 2/3 and 1/1 (issue #16's note).
    assert sum(v.sources.get("fresh", 0) for v in report.vendors) == report.board.sources_collected
    assert sum(sum(v.sources.values()) for v in report.vendors) == report.board.sources
    assert months(datetime(2026, 11, 30, tzinfo=UTC).date())[:2] == ["2026-11", "2026-10"]
