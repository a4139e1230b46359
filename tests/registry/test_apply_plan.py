"""``apply_import`` applies the plan ``plan_import`` computed: exactly its changes, nothing recomputed."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import CONTRACT_REGISTRY
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import RosterMember, Vendor
from vendorwatch.registry.loader import validate_text
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import apply_import, apply_plan, plan_import

CONTRACT = CONTRACT_REGISTRY.read_text(encoding="utf-8")


def _parse(text: str) -> Registry:
    registry, problems = validate_text(text)
    assert registry is not None, problems
    return registry


def test_only_the_planned_changes_are_applied(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        apply_import(session, _parse(CONTRACT), CONTRACT, path="vendorwatch.yaml", actor="tester", clock=clock)
        session.commit()
    changed = CONTRACT.replace("    tier: high\n    handles_customer_data: true\n    services: [24x7",
                               "    tier: critical\n    handles_customer_data: true\n    services: [24x7")
    changed = changed.replace("        since: 2024-10-01\n        until: 2026-09-30",
                              "        since: 2024-10-01\n        until: 2026-08-31")
    registry = _parse(changed)
    with Session(engine) as session:
        plan = plan_import(session, registry, changed)
        assert {c.table for c in plan.changes} == {"vendors", "roster_members", "roster_identities"}
        # Keep only the vendor's change: the roster member's new end date must then stay unapplied.
        plan.changes = [c for c in plan.changes if c.table == "vendors"]
        apply_plan(session, plan, registry, path="vendorwatch.yaml", actor="tester", clock=clock)
        session.commit()
    with Session(engine) as session:
        opsmon = session.get(Vendor, "opsmon")
        assert opsmon is not None and opsmon.tier == "critical" and opsmon.updated_at is not None
        member = session.exec(select(RosterMember).where(RosterMember.person == "suzuki.ichiro")).one()
        assert str(member.until) == "2026-09-30"
