"""Risk per vendor: severity-weighted findings, coverage, roll-up from sub-vendors, always explained."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from tests.checks.world import MALLORY, World, ev
from vendorwatch.findings import triage
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.query import list_findings
from vendorwatch.scoring.risk import COVERAGE_WEIGHT, WEIGHTS, score_vendors


def _scores(world: World) -> dict:
    with Session(world.engine) as session:
        return score_vendors(session, world.registry, world.clock)


def test_score_is_the_sum_of_its_explained_reasons_and_rolls_up_to_the_parent(world: World) -> None:
    world.run("acme-aws-prod", finished="2026-11-26 08:00")
    world.run("acme-aws-dev", finished="2026-11-26 08:00")
    world.run("acme-ldap", finished="2026-11-26 08:00")
    world.run("beta-aws", finished="2026-11-26 08:00")
    world.events(ev("m1", "2026-11-25 01:00", "DescribeInstances", MALLORY))
    evaluate(world.engine, world.registry, world.clock)
    risks = _scores(world)
    acme, sub, beta = risks["acme"], risks["acme-sub"], risks["beta"]
    assert beta.score == 0 and beta.level == "none" and beta.coverage == 1.0
    # The sub-vendor: no source (full coverage penalty) and "no monitoring source" (high).
    assert sub.own_points == COVERAGE_WEIGHT + WEIGHTS["high"]
    # acme: Mallory acting off the roster, the directory collected without any password policy, and the
    # parent's own 3.2.7 finding about acme-sub: three highs.
    assert acme.own_points == 3 * WEIGHTS["high"]
    assert acme.rolled_up_points == sub.own_points
    assert acme.score == acme.own_points + sub.own_points
    assert sum(c.points for c in acme.contributions) == acme.points
    assert {c.vendor_id for c in acme.contributions} == {"acme", "acme-sub"}
    assert acme.children == ["acme-sub"]


def test_risk_accepted_findings_are_shown_but_weigh_nothing(world: World) -> None:
    for source in ("acme-aws-prod", "acme-aws-dev", "acme-ldap"):
        world.run(source, finished="2026-11-26 08:00")
    world.events(ev("m1", "2026-11-25 01:00", "DescribeInstances", MALLORY))
    evaluate(world.engine, world.registry, world.clock, only=["identity.not_on_roster"])
    with Session(world.engine) as session:
        finding_id = list_findings(session, vendor="acme", check="identity.not_on_roster")[0].id or 0
        triage.accept_risk(session, finding_id, actor="yamada", reason="temporary contractor",
                           until=world.clock.now() + timedelta(days=30), clock=world.clock)
        session.commit()
    acme = _scores(world)["acme"]
    accepted = [c for c in acme.contributions if c.finding_id == finding_id]
    assert accepted and accepted[0].points == 0 and accepted[0].status == "risk_accepted"


def test_stale_sources_lower_coverage(world: World) -> None:
    world.run("acme-aws-prod", finished="2026-11-26 08:00")
    acme = _scores(world)["acme"]
    assert (acme.fresh_sources, acme.sources) == (1, 3)
    assert acme.own_points == round(COVERAGE_WEIGHT * 2 / 3)
