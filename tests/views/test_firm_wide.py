"""A finding about the firm itself (no vendor: the monthly digest not delivered, 3.2.6) in the read models, on
SQLite and PostgreSQL: listed as firm-wide, filtered and searched, opened with its detail, counted apart from
every vendor."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.dashboard.conftest import seed_world
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import Finding
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.registry.sync import imported_registry
from vendorwatch.views.findings import FindingQuery, find_findings, finding_detail, firm_wide_open
from vendorwatch.views.personal import Masker

AFTER_THE_DEADLINE = FixedClock(datetime(2026, 12, 6, 3, 0, tzinfo=UTC))  # November's digest was due by 5 December


def _with_a_firm_wide_finding(engine: Engine, clock: FixedClock) -> int:
    seed_world(engine, clock)
    with Session(engine) as session:
        registry = imported_registry(session)
    assert registry is not None
    evaluate(engine, registry, AFTER_THE_DEADLINE)
    with Session(engine) as session:
        found = session.exec(select(Finding).where(Finding.check_id == "reporting.digest_not_delivered")).one()
    assert found.vendor_id is None and found.id is not None
    return found.id


def test_a_firm_wide_finding_is_listed_filtered_searched_and_opened(engine: Engine, clock: FixedClock) -> None:
    finding_id = _with_a_firm_wide_finding(engine, clock)
    masker = Masker(masked=True)
    with Session(engine) as session:
        everything = find_findings(session, FindingQuery(), zone="Asia/Tokyo", masker=masker, size=500)
        firm = find_findings(session, FindingQuery(firm_wide=True), zone="Asia/Tokyo", masker=masker)
        searched = find_findings(session, FindingQuery(search="当社全体"), zone="Asia/Tokyo", masker=masker)
        tradesys = find_findings(session, FindingQuery(vendor="tradesys"), zone="Asia/Tokyo", masker=masker, size=500)
        detail = finding_detail(session, finding_id, masker)
        counts = firm_wide_open(session)
    assert finding_id in [r.finding_id for r in everything.items]
    assert [(r.finding_id, r.vendor_id, r.control_id) for r in firm.items] == [(finding_id, None, "3.2.6")]
    assert [r.finding_id for r in searched.items] == [finding_id]
    assert finding_id not in [r.finding_id for r in tradesys.items]
    assert detail is not None and detail.row.vendor_id is None and detail.row.subject == "digest:2026-11"
    assert detail.events == () and detail.event_count == 0
    assert counts == {"high": 1}
