"""Which sources are being collected: fresh, stale, failing or never, with failures in a row and the last error."""

from __future__ import annotations

from sqlmodel import Session

from tests.checks.world import World, at
from vendorwatch.db.tables import CollectionRun
from vendorwatch.scoring.coverage import source_health


def _health(world: World) -> dict:
    with Session(world.engine) as session:
        return {h.source_id: h for h in source_health(session, world.registry, world.clock)}


def _failed(world: World, source: str, finished: str, error: str) -> None:
    with Session(world.engine) as session:
        session.add(CollectionRun(source_id=source, started_at=at(finished), finished_at=at(finished),
                                  status="failed", error_text=error))
        session.commit()


def test_each_source_gets_its_state_from_its_runs(world: World) -> None:
    world.run("acme-aws-prod", finished="2026-11-26 08:00")            # an hour ago, SLA 24 h
    world.run("acme-aws-dev", finished="2026-11-20 08:00")             # six days ago
    world.run("acme-ldap", finished="2026-11-25 08:00")                # a day ago, SLA 48 h ...
    _failed(world, "acme-ldap", "2026-11-26 07:00", "ldap: invalid credentials")  # ... then two failures
    _failed(world, "acme-ldap", "2026-11-26 08:00", "ldap: server down")
    health = _health(world)
    assert health["acme-aws-prod"].state == "fresh" and health["acme-aws-prod"].covered
    assert health["acme-aws-dev"].state == "stale" and not health["acme-aws-dev"].covered
    ldap = health["acme-ldap"]
    assert ldap.state == "failing" and ldap.covered  # still within its SLA, but someone must look
    assert ldap.failures_in_a_row == 2
    assert ldap.last_error == "ldap: server down"
    assert ldap.last_success == at("2026-11-25 08:00") and ldap.last_failure == at("2026-11-26 08:00")
    assert health["beta-aws"].state == "never" and health["beta-aws"].runs == 0


def test_a_success_after_failures_ends_the_streak(world: World) -> None:
    _failed(world, "beta-aws", "2026-11-26 06:00", "timeout")
    world.run("beta-aws", finished="2026-11-26 07:00")
    _failed(world, "beta-aws", "2026-11-26 08:00", "throttled")
    beta = _health(world)["beta-aws"]
    assert beta.state == "failing" and beta.failures_in_a_row == 1 and beta.runs == 3


def test_a_source_that_only_ever_failed_is_failing_not_never(world: World) -> None:
    _failed(world, "beta-aws", "2026-11-26 08:00", "AccessDenied")
    beta = _health(world)["beta-aws"]
    assert beta.state == "failing" and not beta.covered and beta.last_success is None
