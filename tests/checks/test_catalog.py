"""The catalog is built by discovery; every check is well formed; local time in SQL matches Python."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session

from tests.checks.world import World, ev
from vendorwatch.checks.discovery import discover_checks
from vendorwatch.checks.sql import local_parts
from vendorwatch.controls.catalog import load_catalog
from vendorwatch.db.core_tables import EVENTS


def test_every_check_is_discovered_once_with_bilingual_texts() -> None:
    checks = discover_checks()
    ids = [c.id for c in checks]
    assert len(ids) == len(set(ids)) >= 30
    for check in checks:
        meta = check.meta
        assert meta.title.ja and meta.title.en and meta.remediation.ja and meta.remediation.en
        assert check.run.__doc__, f"{check.id} has no docstring"
        assert check.module.startswith(f"vendorwatch.checks.c{meta.control.replace('.', '_')}.")


def test_catalog_covers_the_seven_controls_and_related_items() -> None:
    catalog = load_catalog()
    assert [c.id for c in catalog.controls] == [f"3.2.{n}" for n in range(1, 8)]
    for control in catalog.controls:
        for item in control.related:
            assert catalog.related_item(item)
        if control.id != "3.2.6":  # reporting to management is the digest's job
            assert catalog.checks_of(control.id), control.id
    related = {r for c in discover_checks() for r in c.meta.related}
    assert related <= {r.id for r in catalog.related}


def test_sql_local_time_matches_python_across_a_dst_change(engine: Engine, world: World) -> None:
    # New York changes offset on 2026-11-01; Tokyo never does. Both must agree with zoneinfo on both databases.
    start = datetime(2026, 10, 31, 0, 0, tzinfo=UTC)
    moments = [start + timedelta(hours=h * 7, minutes=13) for h in range(12)]
    world.events(*[ev(f"t{i}", m.strftime("%Y-%m-%d %H:%M"), "GetObject") for i, m in enumerate(moments)])
    for zone in ("America/New_York", "Asia/Tokyo"):
        dow, minutes = local_parts(EVENTS.c.event_time, engine.dialect.name, zone, (moments[0], moments[-1]))
        with Session(engine) as session:
            rows = session.execute(select(EVENTS.c.source_event_id, dow, minutes).order_by(EVENTS.c.event_time)).all()
        for (_, got_dow, got_minutes), moment in zip(rows, moments, strict=True):
            local = moment.astimezone(ZoneInfo(zone))
            assert (got_dow, got_minutes) == (local.weekday(), local.hour * 60 + local.minute), (zone, moment)


def test_docs_list_every_check() -> None:
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "controls.md").read_text(encoding="utf-8")
    missing = [c.id for c in discover_checks() if f"`{c.id}`" not in text]
    assert not missing, f"docs/controls.md does not describe {missing}"


def test_every_check_an_observable_names_exists() -> None:
    from vendorwatch.checks.observables import OBSERVABLES

    known = {c.id for c in discover_checks()}
    assert {c for o in OBSERVABLES.values() for c in o.contradicting_checks} <= known
