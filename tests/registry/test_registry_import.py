"""Importing the registry: idempotent, shows what changes, retires instead of deleting, all or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from tests.conftest import CONTRACT_REGISTRY
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import (
    AccessEvent,
    AuditEntry,
    Environment,
    RegistrySnapshot,
    RosterIdentity,
    RosterMember,
    Source,
    Vendor,
)
from vendorwatch.errors import ConfigError
from vendorwatch.registry.loader import validate_text
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import apply_import, imported_registry, plan_import

CONTRACT = CONTRACT_REGISTRY.read_text(encoding="utf-8")


def parse(text: str) -> Registry:
    registry, problems = validate_text(text)
    assert registry is not None, problems
    return registry


def do_import(engine: Engine, text: str, clock: FixedClock, allow_retire: bool = False):
    with Session(engine) as session:
        plan = apply_import(session, parse(text), text, path="vendorwatch.yaml", actor="tester", clock=clock,
                            allow_retire=allow_retire)
        session.commit()
    return plan


def snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every registry row, for comparing the database before and after."""
    out: dict[str, list[str]] = {}
    with Session(engine) as session:
        for table in (Vendor, Environment, Source, RosterMember, RosterIdentity):
            rows = session.exec(select(table)).all()
            out[table.__tablename__] = sorted(repr(sorted(r.model_dump().items(), key=str)) for r in rows)
    return out


def test_first_import_creates_the_registry_rows(engine: Engine, clock: FixedClock) -> None:
    plan = do_import(engine, CONTRACT, clock)
    assert not plan.empty
    with Session(engine) as session:
        vendors = {v.id: v for v in session.exec(select(Vendor))}
        assert set(vendors) == {"asys", "opsmon", "callcenter"}
        assert vendors["opsmon"].parent_id == "asys"
        assert vendors["asys"].contract_end == date(2027, 3, 31)
        assert vendors["asys"].check_parameters == {"aws.iam.access_key_too_old": {"max_age_days": 90}}
        source = session.get(Source, "asys-aws-prod")
        assert source is not None
        assert source.settings["external_id_env"] == "VW_ASYS_EXTERNAL_ID"
        assert source.settings["cloudtrail"]["bucket"] == "asys-prod-trail"
        identities = session.exec(select(RosterIdentity.external_id).where(RosterIdentity.person == "yamada.taro")).all()
        assert sorted(identities) == [
            "arn:aws:iam::111111111111:user/yamada.taro",
            "arn:aws:iam::222222222222:user/yamada.taro",
            "uid=yamada.taro,ou=people,dc=asys,dc=example",
        ]
        assert imported_registry(session) == parse(CONTRACT)


def test_reimporting_the_same_file_changes_nothing(engine: Engine, clock: FixedClock) -> None:
    do_import(engine, CONTRACT, clock)
    before = snapshot(engine)
    with Session(engine) as session:
        snapshots_before = session.exec(select(func.count()).select_from(RegistrySnapshot)).one()
    plan = do_import(engine, CONTRACT, clock)
    assert plan.empty and plan.changes == []
    assert snapshot(engine) == before
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(RegistrySnapshot)).one() == snapshots_before
        last = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
        assert last is not None and last.action == "registry.import" and last.details["changes"] == 0


def test_a_changed_file_shows_what_changes(engine: Engine, clock: FixedClock) -> None:
    do_import(engine, CONTRACT, clock)
    changed = CONTRACT.replace("    tier: high\n    handles_customer_data: true\n    services: [24x7",
                               "    tier: critical\n    handles_customer_data: true\n    services: [24x7")
    changed = changed.replace("        since: 2024-10-01\n        until: 2026-09-30",
                              "        since: 2024-10-01\n        until: 2026-08-31")
    with Session(engine) as session:
        plan = plan_import(session, parse(changed), changed)
    described = sorted(c.describe() for c in plan.changes)
    assert "update vendors opsmon: tier 'high' → 'critical'" in described
    assert any(d.startswith("update roster_members asys/suzuki.ichiro/2024-10-01: until") for d in described)
    assert len(plan.changes) == 3  # the vendor, the roster member, and that member's one identity
    applied = do_import(engine, changed, clock)
    assert sorted(c.describe() for c in applied.changes) == described
    with Session(engine) as session:
        opsmon = session.get(Vendor, "opsmon")
        assert opsmon is not None and opsmon.tier == "critical"
        entry = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
        assert entry is not None and "update vendors opsmon: tier 'high' → 'critical'" in entry.details["changes"]


def _without_callcenter(text: str) -> str:
    start = text.index("  - id: callcenter")
    end = text.index("transfers:")
    return text[:start] + text[end:]


def test_removing_a_vendor_needs_explicit_retirement(engine: Engine, clock: FixedClock) -> None:
    do_import(engine, CONTRACT, clock)
    before = snapshot(engine)
    with pytest.raises(ConfigError) as refused:
        do_import(engine, _without_callcenter(CONTRACT), clock)
    assert "--allow-retire" in refused.value.message.en
    assert snapshot(engine) == before  # nothing half-applied


def test_a_retired_vendor_keeps_its_rows_and_history(engine: Engine, clock: FixedClock) -> None:
    do_import(engine, CONTRACT, clock)
    plan = do_import(engine, _without_callcenter(CONTRACT), clock, allow_retire=True)
    assert plan.retired_vendors() == ["callcenter"]
    with Session(engine) as session:
        callcenter = session.get(Vendor, "callcenter")
        assert callcenter is not None and callcenter.retired_at == clock.now()
    # Back in the file: the same vendor comes back, not a new one.
    plan = do_import(engine, CONTRACT, clock)
    assert [c.describe() for c in plan.changes if c.table == "vendors"] == [
        f"update vendors callcenter: retired_at {clock.now()!r} → None"
    ]
    with Session(engine) as session:
        callcenter = session.get(Vendor, "callcenter")
        assert callcenter is not None and callcenter.retired_at is None


def test_an_invalid_file_writes_nothing(engine: Engine, clock: FixedClock, run_cli, tmp_path: Path,
                                       database_url: str) -> None:
    bad = tmp_path / "vendorwatch.yaml"
    bad.write_text(CONTRACT.replace("tier: critical", "tier: urgent"), encoding="utf-8")
    result = run_cli("init", env={"VENDORWATCH_DATABASE_URL": database_url})
    assert result.exit_code == 2
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Vendor)).one() == 0
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == 0


def test_retired_vendor_history_still_points_at_it(engine: Engine, clock: FixedClock) -> None:
    do_import(engine, CONTRACT, clock)
    with Session(engine) as session:
        session.add(AccessEvent(source_id="asys-aws-prod", source_event_id="e-1", event_time=clock.now(),
                                vendor_id="asys", action="GetObject"))
        session.commit()
    text = CONTRACT[: CONTRACT.index("  - id: asys")] + CONTRACT[CONTRACT.index("  - id: callcenter"):]
    text = text[: text.index("transfers:")]
    do_import(engine, text, clock, allow_retire=True)
    with Session(engine) as session:
        event = session.exec(select(AccessEvent)).one()
        assert event.vendor_id == "asys"
        retired = session.exec(select(Vendor).where(col(Vendor.retired_at).is_not(None))).all()
        assert {v.id for v in retired} == {"asys", "opsmon"}
