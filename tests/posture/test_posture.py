"""Every evaluation leaves each vendor's posture for the day; the trend reads each month's last one."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from tests.checks.world import MALLORY, World, at, ev
from vendorwatch.db.tables import PostureSnapshot
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.posture.snapshot import PostureDay
from vendorwatch.posture.trend import latest, monthly_trend, months_back
from vendorwatch.scoring.risk import score_vendors


def _collected(world: World) -> None:
    for source in ("acme-aws-prod", "acme-aws-dev", "acme-ldap", "beta-aws"):
        world.run(source, finished="2026-11-26 08:00")


def test_an_evaluation_records_the_score_and_the_open_findings_it_left(world: World) -> None:
    _collected(world)
    world.events(ev("m1", "2026-11-25 01:00", "DescribeInstances", MALLORY))
    evaluate(world.engine, world.registry, world.clock)
    with Session(world.engine) as session:
        rows = {r.vendor_id: r for r in session.exec(select(PostureSnapshot))}
        risks = score_vendors(session, world.registry, world.clock)
    assert set(rows) == {"acme", "acme-sub", "beta"}
    acme = rows["acme"]
    assert acme.day == date(2026, 11, 26) and acme.month == "2026-11"  # 18:00 in Tokyo
    assert acme.score == risks["acme"].score and acme.level == risks["acme"].level
    assert acme.rolled_up_points == risks["acme-sub"].own_points
    assert acme.open_by_severity == {"high": 3}
    assert acme.open_by_control == {"3.2.5": 1, "3.2.2": 1, "3.2.7": 1}
    assert acme.sources == {"fresh": 3, "stale": 0, "failing": 0, "never": 0}
    assert rows["acme-sub"].coverage == 0.0
    assert sum(r["points"] for r in acme.reasons) == acme.score
    assert rows["beta"].score == 0 and rows["beta"].reasons == []


def test_a_later_evaluation_the_same_day_replaces_the_days_row(world: World) -> None:
    _collected(world)
    evaluate(world.engine, world.registry, world.clock)
    world.events(ev("m1", "2026-11-25 01:00", "DescribeInstances", MALLORY))
    world.clock.set(at("2026-11-26 10:00"))
    evaluate(world.engine, world.registry, world.clock)
    with Session(world.engine) as session:
        acme = [r for r in session.exec(select(PostureSnapshot).where(PostureSnapshot.vendor_id == "acme"))]
    assert len(acme) == 1 and acme[0].evaluated_at == at("2026-11-26 10:00")
    assert acme[0].open_by_control.get("3.2.5") == 1


def test_the_day_is_the_organizations_day() -> None:
    assert PostureDay.of(at("2026-11-30 15:30"), "Asia/Tokyo") == PostureDay(date(2026, 12, 1), "2026-12")
    assert PostureDay.of(at("2026-11-30 14:59"), "Asia/Tokyo") == PostureDay(date(2026, 11, 30), "2026-11")


def test_the_trend_takes_each_months_last_evaluation_and_leaves_gaps_empty(world: World) -> None:
    _collected(world)
    world.clock.set(at("2026-09-10 00:00"))
    evaluate(world.engine, world.registry, world.clock)
    world.events(ev("m1", "2026-09-15 01:00", "DescribeInstances", MALLORY))
    world.clock.set(at("2026-09-20 00:00"))
    evaluate(world.engine, world.registry, world.clock)  # September's figure
    world.clock.set(at("2026-11-26 09:00"))
    evaluate(world.engine, world.registry, world.clock)
    with Session(world.engine) as session:
        trend = monthly_trend(session, until=date(2026, 11, 26), months=3)
        newest = latest(session)
    assert [m.month for m in trend] == ["2026-09", "2026-10", "2026-11"]
    september, october, november = trend
    assert september.vendors["acme"].day == date(2026, 9, 20)
    assert september.open_by_severity["high"] >= 1
    assert october.vendors == {} and october.score("acme") is None
    assert november.score("acme") == newest["acme"].score
    assert newest["acme"].day == date(2026, 11, 26)


def test_months_back_crosses_the_year() -> None:
    assert months_back(date(2026, 2, 3), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
