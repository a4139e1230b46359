"""The digest's content comes from the database as it stood at the month's end: trend, changes, escalations,
controls, vendors, findings, acceptances, sub-vendors and coverage, with personal data masked."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from tests.checks.world import World, at
from tests.digest.seed import seed_half_year
from vendorwatch.clock import FixedClock
from vendorwatch.digest.build import build_digest
from vendorwatch.digest.model import Digest
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.sections import discover_sections


def _digest(world: World, month: str) -> Digest:
    with Session(world.engine) as session:
        return build_digest(session, world.registry, DigestMonth.parse(month), world.clock, actor="test")


def test_the_board_page_shows_twelve_months_of_trend_and_escalates_critical_findings_past_their_deadline(
        engine: Engine) -> None:
    world = seed_half_year(engine)  # SQLite and PostgreSQL
    digest = _digest(world, "2026-11")
    board = digest.board
    assert len(board.trend) == 12 and board.trend[0].month == "2025-12" and board.trend[-1].month == "2026-11"
    scored = [p.month for p in board.trend if p.score is not None]
    assert scored == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert board.trend[0].open_by_severity == {}  # before monitoring began: no point, not zero
    assert board.trend[-1].open_by_severity == board.open_by_severity
    # Root used in August and bob in November: both critical, both older than the 7-day deadline.
    assert board.escalated == 2
    first = board.attention[0]
    assert first.severity == "critical" and "エスカレーション" in first.text.ja and "escalated" in first.text.en
    assert any("aws" in e.en.lower() or "root" in e.en.lower() for e in first.items)
    assert board.open_by_severity["critical"] == 2
    assert board.previous_open_by_severity["critical"] == 1
    assert board.changes and any(c.direction == "worse" for c in board.changes)
    assert not digest.provisional and digest.as_of == at("2026-11-30 15:00")
    assert digest.deliver_by == at("2026-12-05 15:00")


def test_a_past_month_is_shown_as_it_stood_then_not_as_it_is_now(half_year: World) -> None:
    october = _digest(half_year, "2026-10")
    assert october.board.open_by_severity["critical"] == 1  # bob's November finding did not exist yet
    controls = {c.id: c for c in october.section("controls").data.controls}  # type: ignore[attr-defined]
    titles = {f.check for f in controls["3.2.2"].findings}
    assert "aws.iam.console_user_without_mfa" in titles  # resolved only in November
    accepted = october.section("acceptances").data.active  # type: ignore[attr-defined]
    assert [a.finding.check for a in accepted] == ["identity.not_on_roster"]
    assert accepted[0].until == at("2026-12-10 14:59") and not accepted[0].expiring  # 40 days left on 31 Oct
    november = _digest(half_year, "2026-11")
    assert november.section("acceptances").data.active[0].expiring  # type: ignore[attr-defined]


def test_the_current_month_is_provisional_as_of_now(half_year: World) -> None:
    half_year.clock.set(at("2026-11-20 03:00"))
    digest = _digest(half_year, "2026-11")
    assert digest.provisional and digest.as_of == at("2026-11-20 03:00")


def test_resolution_deadlines_come_from_the_registry(sqlite_engine: Engine) -> None:
    world = seed_half_year(sqlite_engine, resolution_days={"critical": 200, "high": 400})
    board = _digest(world, "2026-11").board
    assert board.escalated == 0
    activity = _digest(world, "2026-11").section("activity").data
    assert activity.deadlines["critical"] == 200  # type: ignore[attr-defined]
    assert all(f.severity not in ("critical", "high") for f in activity.overdue)  # type: ignore[attr-defined]


def test_every_control_is_reported_with_the_findings_behind_it(half_year: World) -> None:
    controls = _digest(half_year, "2026-11").section("controls").data.controls  # type: ignore[attr-defined]
    assert [c.id for c in controls] == [f"3.2.{n}" for n in range(1, 8)]
    by_id = {c.id: c for c in controls}
    assert by_id["3.2.2"].status == "alert"  # root used
    assert by_id["3.2.4"].status == "ok" and by_id["3.2.4"].findings == []
    # The digests of June–October were never delivered: 3.2.6 holds the firm's own findings, about no vendor.
    reporting = by_id["3.2.6"].findings
    assert reporting and all(f.vendor_id is None and f.vendor.en.startswith("The firm") for f in reporting)
    assert sorted(f.subject for f in reporting) == [f"digest:2026-{m:02d}" for m in range(6, 11)]
    assert by_id["3.2.5"].accepted == 1


def test_the_highest_risk_vendors_carry_their_reasons_and_sub_vendor_points(half_year: World) -> None:
    vendors = _digest(half_year, "2026-11").section("vendors").data.vendors  # type: ignore[attr-defined]
    acme = vendors[0]
    assert acme.vendor_id == "acme" and acme.score == 100 and acme.level == "critical"
    assert acme.rolled_up_points > 0
    assert acme.reasons[0].points == 40 and acme.reasons[0].severity == "critical"
    sub = next(v for v in vendors if v.vendor_id == "acme-sub")
    assert acme.rolled_up_points == sub.score == 35  # the sub-vendor's coverage gap and finding roll up (3.2.7)
    assert sub.parent is not None and sub.parent.en == "Acme"
    assert [v.vendor_id for v in vendors][-1] == "beta"


def test_opened_resolved_and_overdue_in_the_month(half_year: World) -> None:
    activity = _digest(half_year, "2026-11").section("activity").data  # type: ignore[attr-defined]
    opened = {f.check for f in activity.opened}
    assert {"identity.used_after_leaving", "identity.generic_account_name"} <= opened
    resolved = {r.finding.check: r for r in activity.resolved}
    assert resolved["aws.iam.console_user_without_mfa"].automatic
    manual = resolved["identity.generic_account_name"]
    assert not manual.automatic and manual.actor == "sato.manager" and "CHG-2211" in manual.reason
    assert activity.reopened == 1  # the generic account was back at the next evaluation
    overdue = {f.check: f for f in activity.overdue}
    assert overdue["aws.root.used"].age_days == 110  # 12 Aug 10:00 to 1 Dec 00:00 JST
    assert overdue["aws.root.used"].overdue_days == 110 - 7
    assert "identity.not_on_roster" not in {f.check for f in activity.overdue if f.status == "risk_accepted"}


def test_sub_vendor_chains_and_monitoring_coverage(half_year: World) -> None:
    digest = _digest(half_year, "2026-11")
    [chain] = digest.section("supervision").data.chains  # type: ignore[attr-defined]
    assert chain.vendor_id == "acme"
    [member] = chain.members
    assert member.vendor_id == "acme-sub" and member.state == "unsupervised" and member.supervision_findings == 1
    sources = {s.source_id: s for s in digest.section("coverage").data.sources}  # type: ignore[attr-defined]
    assert sources["beta-aws"].state == "failing" and sources["beta-aws"].failures_in_a_row == 5
    assert sources["beta-aws"].runs == 2 and sources["beta-aws"].failures == 2 and sources["beta-aws"].successes == 0
    assert sources["acme-aws-prod"].state == "fresh" and sources["acme-aws-prod"].successes >= 2
    assert sources["acme-ldap"].state == "failing"
    assert "333333333333" not in (sources["beta-aws"].last_error or "")  # account ids masked in errors too
    assert "vw-reader" not in (sources["beta-aws"].last_error or "")


def test_personal_data_is_masked_everywhere_in_the_content(half_year: World) -> None:
    content = _digest(half_year, "2026-11").model_dump_json()
    for secret in ("hanako.sato@acme.example", "佐藤 花子", "user/mallory", "user/bob", "111111111111"):
        assert secret not in content, secret
    assert "h***@acme.example" in content and "佐藤 **" in content


def test_a_section_is_one_data_function_and_one_template_block() -> None:
    from vendorwatch.digest.render import environment

    keys = [spec.key for spec in discover_sections()]
    assert keys == ["controls", "vendors", "activity", "acceptances", "supervision", "questionnaires", "coverage"]
    for key in keys:
        assert environment().get_template(f"sections/{key}.html.j2")


def test_a_month_that_has_not_begun_is_refused(sqlite_engine: Engine, clock: FixedClock) -> None:
    import pytest

    from tests.checks.world import make_world
    from vendorwatch.errors import ConfigError

    world = make_world(sqlite_engine, clock)
    with pytest.raises(ConfigError, match="not begun"):
        _digest(world, "2027-01")


def test_the_board_page_and_the_detail_count_the_same_findings(half_year: World) -> None:
    digest = _digest(half_year, "2026-11")
    activity = digest.section("activity").data
    assert digest.board.opened == sum(activity.opened_by_severity.values())  # type: ignore[attr-defined]
    assert digest.board.resolved == sum(activity.resolved_by_severity.values())  # type: ignore[attr-defined]
    assert digest.board.overdue == sum(activity.overdue_by_severity.values())  # type: ignore[attr-defined]
