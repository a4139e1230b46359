"""The read models behind the pages, on SQLite and PostgreSQL: figures agree with the findings, pages are cut in
SQL, people are masked, and the vendor's tree, principals, roster and transfers say what the registry and the
evidence say."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.dashboard.conftest import seed_world
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import Finding
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.triage import resolve
from vendorwatch.ingest.inventory import InventoryScope, load_principals
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.records import PrincipalRecord
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import imported_registry
from vendorwatch.scoring.risk import score_vendors
from vendorwatch.staff import accounts
from vendorwatch.views.coverage import CoverageCounts, coverage_by_vendor, source_coverage
from vendorwatch.views.findings import FindingQuery, find_findings, finding_detail
from vendorwatch.views.personal import Masker
from vendorwatch.views.portfolio import portfolio, score_explanation
from vendorwatch.views.staff import recent_sign_ins, staff_accounts
from vendorwatch.views.trends import portfolio_trend
from vendorwatch.views.vendor_detail import principals_page, roster, transfers_page, vendor_header, vendor_tree

KOBAYASHI = "arn:aws:iam::123837392027:user/kobayashi.ken"


@pytest.fixture
def seeded(engine: Engine, clock: FixedClock) -> tuple[Engine, Registry]:
    seed_world(engine, clock)
    with Session(engine) as session:
        registry = imported_registry(session)
    assert registry is not None
    return engine, registry


def _active(session: Session) -> list[Finding]:
    return list(session.exec(select(Finding).where(Finding.status.in_(["open", "acknowledged"]))))  # type: ignore[attr-defined]


def test_portfolio_figures_agree_with_the_findings_and_the_score(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    with Session(engine) as session:
        book = portfolio(session, registry, clock, Masker.for_registry(registry, masked=True))
        active = _active(session)
        risks = score_vendors(session, registry, clock)
    assert [(r.vendor_id, r.depth) for r in book.rows] == [("tradesys", 0), ("opswatch", 1), ("callcentre", 0)]
    by_vendor = Counter((f.vendor_id, f.severity) for f in active)
    by_control = Counter((f.vendor_id, f.control_id) for f in active)
    for row in book.rows:
        assert row.score == risks[row.vendor_id].score and row.level == risks[row.vendor_id].level
        assert row.open_by_severity == {s: by_vendor[(row.vendor_id, s)]
                                        for s in ("critical", "high", "medium", "low", "info")}
        for control in ("3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6", "3.2.7"):
            assert book.heat(row.vendor_id, control) == by_control[(row.vendor_id, control)]
        assert row.evaluated_at == clock.now()
    assert sum(book.totals_by_severity.values()) == len(active)
    assert book.heat("tradesys", "3.2.4") == 5  # four from the telemetry, one answer it contradicts
    explained = {r.check_id for r in score_explanation(session, registry, clock, Masker(), "tradesys")} - {None}
    assert "monitoring.vendor_without_source" in explained  # the sub-vendor's finding, rolled up into its parent


def test_the_portfolio_shows_the_last_evaluation_not_later_changes(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    with Session(engine) as session:
        before = portfolio(session, registry, clock, Masker())
        finding_id = session.exec(select(Finding.id).where(Finding.check_id == "access.admin_grant")).one()
        assert finding_id is not None
        resolve(session, finding_id, actor="mika", reason="removed", clock=clock)
        session.commit()
        after = portfolio(session, registry, clock, Masker())
        explained = {r.finding_id for r in score_explanation(session, registry, clock, Masker(), "tradesys")}
    assert after.rows == before.rows  # figures of the evaluation: the digest and the trend agree with them
    assert finding_id not in explained  # the explanation is of now


def test_a_vendor_no_evaluation_has_seen_is_shown_as_not_evaluated(engine: Engine, clock: FixedClock) -> None:
    from tests.conftest import DEMO_REGISTRY
    from vendorwatch.registry.loader import load_registry
    from vendorwatch.registry.sync import apply_import

    registry, text = load_registry(DEMO_REGISTRY)
    with Session(engine) as session:
        apply_import(session, registry, text, path="x", actor="t", clock=clock)
        session.commit()
        book = portfolio(session, registry, clock, Masker())
    assert {(r.score, r.level, r.evaluated_at) for r in book.rows} == {(None, None, None)}
    assert book.evaluated_at is None


def test_the_trend_reads_each_months_last_evaluation(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    october = FixedClock(datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    evaluate(engine, registry, october)
    with Session(engine) as session:
        trend = portfolio_trend(session, date(2026, 11, 26), [v.id for v in registry.vendors])
        book = portfolio(session, registry, clock, Masker())
    assert trend.months[-2:] == ("2026-10", "2026-11") and len(trend.months) == 12
    assert trend.evaluated_months == 2 and trend.scores["tradesys"][:10] == (None,) * 10
    assert trend.scores["tradesys"][-1] == next(r.score for r in book.rows if r.vendor_id == "tradesys")
    assert trend.open_by_severity["critical"][-1] == book.totals_by_severity["critical"]
    assert trend.open_by_severity["critical"][0] is None


def test_score_reasons_mask_the_people_they_name(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    with Session(engine) as session:
        masked = score_explanation(session, registry, clock, Masker.for_registry(registry, masked=True), "tradesys")
        shown = score_explanation(session, registry, clock, Masker.for_registry(registry, masked=False), "tradesys")
    assert KOBAYASHI in {r.subject for r in shown}
    assert KOBAYASHI not in {r.subject for r in masked}
    assert "arn:aws:iam::123837392027:user/k***" in {r.subject for r in masked}


def test_coverage_tells_fresh_stale_failing_and_never(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    RunRecorder(engine, "tradesys-ldap", FixedClock(clock.now() - timedelta(hours=1)), kind="collect").finish(
        "failed", "connection refused")
    later = FixedClock(clock.now() + timedelta(hours=30))  # the demo's own imports are now past their 24 h SLA
    with Session(engine) as session:
        found = source_coverage(session, registry, later)
        now = source_coverage(session, registry, clock)
        by_vendor = coverage_by_vendor(now)
    assert found["tradesys-ldap"].state == "failing" and found["tradesys-ldap"].last_error == "connection refused"
    assert found["tradesys-aws-prod"].state == "stale" and now["tradesys-aws-prod"].state == "fresh"
    assert by_vendor["tradesys"] == CoverageCounts(fresh=2, failing=1)


def test_a_source_never_collected_is_never(engine: Engine, clock: FixedClock) -> None:
    from tests.conftest import DEMO_REGISTRY
    from vendorwatch.registry.loader import load_registry
    from vendorwatch.registry.sync import apply_import

    registry, text = load_registry(DEMO_REGISTRY)
    with Session(engine) as session:
        apply_import(session, registry, text, path="x", actor="t", clock=clock)
        session.commit()
        found = source_coverage(session, registry, clock)
    assert {c.state for c in found.values()} == {"never"}


def test_vendor_tree_lists_environments_sources_and_sub_vendors(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    with Session(engine) as session:
        nodes = vendor_tree(session, registry, clock, "tradesys")
    assert [(n.depth, n.kind, n.node_id) for n in nodes] == [
        (0, "vendor", "tradesys"), (1, "environment", "tradesys-prod"), (2, "source", "tradesys-aws-prod"),
        (1, "environment", "tradesys-dev"), (2, "source", "tradesys-aws-dev"), (2, "source", "tradesys-ldap"),
        (1, "vendor", "opswatch")]
    assert nodes[2].coverage is not None and nodes[2].coverage.sla_hours == 24
    header = vendor_header(registry, "opswatch", Masker())
    assert [vendor_id for vendor_id, _ in header.chain] == ["tradesys"]
    assert header.contacts[0].email == "s***@opswatch.example"


def test_principals_are_paginated_in_sql_with_key_age(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    masker = Masker.for_registry(registry, masked=True)
    with Session(engine) as session:
        first = principals_page(session, "tradesys", clock, masker, number=1, size=2)
        second = principals_page(session, "tradesys", clock, masker, number=2, size=2)
        keys = principals_page(session, "tradesys", clock, masker, kind="access_key")
    assert first.total == second.total >= 4 and first.pages == -(-first.total // 2)
    assert len(first.items) == 2 and not {p.external_id for p in first.items} & {p.external_id for p in second.items}
    assert all(p.kind in ("iam_user", "ldap_account", "ad_account") for p in first.items)  # personal kinds first
    pedro = next(p for p in (*first.items, *second.items) if p.external_id.endswith("user/p***"))
    key = keys.items[0]
    assert key.key_created_at == pedro.key_created_at and key.key_age_days == (clock.now() - key.key_created_at).days
    breakglass = [p for p in (*first.items, *second.items) if "breakglass" in p.external_id]
    assert breakglass and breakglass[0].name == "breakglass"  # a declared break-glass account is not a person


def test_the_roster_shows_leavers_whose_identities_are_still_enabled(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    run = RunRecorder(engine, "tradesys-aws-dev", clock)
    with Session(engine) as session:
        load_principals(session, InventoryScope("tradesys-aws-dev", "tradesys", "tradesys-dev", run.run_id, clock.now()),
                        [PrincipalRecord(external_id=KOBAYASHI, kind="iam_user", name="kobayashi.ken")])
        session.commit()
    run.finish("success")
    with Session(engine) as session:
        rows = roster(session, registry, "tradesys", date(2026, 11, 26), Masker.for_registry(registry, masked=True))
        plain = roster(session, registry, "tradesys", date(2026, 11, 26), Masker.for_registry(registry, masked=False))
    assert rows[0].state == "left" and rows[0].still_enabled == ("arn:aws:iam::123837392027:user/k***",)
    assert plain[0].still_enabled == (KOBAYASHI,) and plain[0].name == "小林 健"
    assert rows[0].name == "小林 *" and rows[0].person == "k***"
    assert {r.state for r in rows[1:]} == {"active"}


def test_transfers_come_newest_first_with_their_approvals(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    with Session(engine) as session:
        page = transfers_page(session, "tradesys", Masker.for_registry(registry, masked=True), size=50)
    times = [t.occurred_at for t in page.items]
    assert times == sorted(times, reverse=True) and page.total == len(page.items)
    approved = [t for t in page.items if t.approval_id]
    assert [t.approval_id for t in approved] == ["TR-2023-031"]
    assert approved[0].purpose and approved[0].window_start == datetime(2023, 7, 10, 0, 0, tzinfo=UTC)
    raw = next(t for t in page.items if t.resource.endswith("raw/customers.csv"))
    assert raw.approval_id is None and raw.principal == "arn:aws:iam::123456789123:user/p***"


def test_findings_filter_search_and_paginate_in_sql(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    masker = Masker.for_registry(registry, masked=True)
    with Session(engine) as session:
        everything = find_findings(session, FindingQuery(statuses=()), zone="Asia/Tokyo", masker=masker, size=500)
        page = find_findings(session, FindingQuery(), zone="Asia/Tokyo", masker=masker, number=2, size=5)
        callcentre = find_findings(session, FindingQuery(vendor="callcentre", control="3.2.2"), zone="Asia/Tokyo",
                                   masker=masker, size=500)
        critical = find_findings(session, FindingQuery(severities=("critical",)), zone="Asia/Tokyo", masker=masker)
        by_title = find_findings(session, FindingQuery(search="名簿"), zone="Asia/Tokyo", masker=masker)
        wildcard = find_findings(session, FindingQuery(search="%"), zone="Asia/Tokyo", masker=masker)
        in_period = find_findings(session, FindingQuery(seen_from=date(2026, 11, 26), seen_to=date(2026, 11, 26)),
                                  zone="Asia/Tokyo", masker=masker)
        before = find_findings(session, FindingQuery(seen_to=date(2026, 11, 25)), zone="Asia/Tokyo", masker=masker)
    ranks = ["critical", "high", "medium", "low", "info"]
    assert [ranks.index(f.severity) for f in everything.items] == sorted(ranks.index(f.severity) for f in everything.items)
    assert page.number == 2 and len(page.items) == 5 and page.items[0].finding_id == everything.items[5].finding_id
    assert callcentre.total and {(f.vendor_id, f.control_id) for f in callcentre.items} == {("callcentre", "3.2.2")}
    assert critical.total and {f.severity for f in critical.items} == {"critical"}
    roster_checks = {"identity.not_on_roster", "identity.created_for_unrostered", "identity.used_after_leaving"}
    assert by_title.total and {f.check_id for f in by_title.items} <= roster_checks
    assert wildcard.total == 0  # LIKE characters are searched for, not used as wildcards
    assert in_period.total == everything.total and before.total == 0
    assert all(KOBAYASHI not in f.subject and KOBAYASHI not in f.message.en for f in everything.items)


def test_a_finding_in_full_with_its_evidence_events(seeded, clock: FixedClock) -> None:
    engine, registry = seeded
    masker = Masker.for_registry(registry, masked=True)
    with Session(engine) as session:
        found = session.exec(select(Finding).where(Finding.check_id == "auth.failed_signin_burst")).one()
        assert found.id is not None
        detail = finding_detail(session, found.id, masker)
        assert finding_detail(session, 10_000_000, masker) is None
    assert detail is not None
    assert detail.row.control_id == "3.2.2" and detail.control_title.ja and detail.remediation.en
    assert len(detail.events) == 6 and all(e.outcome == "failure" for e in detail.events)
    assert [e.event_time for e in detail.events] == sorted(e.event_time for e in detail.events)
    assert {e.principal for e in detail.events} == {"uid=t***,ou=people,dc=ccs,dc=example"}
    assert all(e.source_ip for e in detail.events)
    assert [(h.from_status, h.to_status) for h in detail.history] == [(None, "open")]


def test_staff_accounts_and_recent_sign_ins(seeded, clock: FixedClock) -> None:
    engine, _ = seeded
    with Session(engine) as session:
        accounts.sign_in_with_password(session, "vera", "wrong password here", clock=clock, client="10.1.1.1")
        accounts.sign_in_with_password(session, "vera", "viewer-password-123", clock=clock)
        for _ in range(accounts.MAX_FAILURES):
            accounts.sign_in_with_password(session, "mika", "wrong password here", clock=clock)
        session.commit()
        rows = {r.name: r for r in staff_accounts(session, clock, Masker(masked=True))}
        shown = staff_accounts(session, clock, Masker(masked=False))
        recent = recent_sign_ins(session, limit=3)
    assert rows["mika"].state == "locked" and rows["mika"].locked_until == clock.now() + accounts.LOCKOUT
    assert rows["vera"].state == "active" and rows["vera"].last_signin_at == clock.now()
    assert rows["vera"].email == "v***@sakura-sec.example" and "vera@sakura-sec.example" in {r.email for r in shown}
    assert [r.action for r in recent] == ["signin.failure"] * 3 and recent[0].reason == "wrong_password"
