"""3.2.1: every vendor monitored, every source collected within its SLA; 3.2.7 supervision of sub-vendors."""

from __future__ import annotations

from tests.checks.world import World


def test_source_never_collected_opens_a_3_2_1_finding(world: World) -> None:
    world.run("acme-aws-prod", finished="2026-11-26 08:00")
    subjects = world.subjects("monitoring.source_not_collected")
    assert "source:acme-aws-dev" in subjects  # never collected
    assert "source:acme-aws-prod" not in subjects  # collected an hour ago, SLA 24 h


def test_source_collected_within_its_sla_is_fine_but_a_stale_one_is_not(world: World) -> None:
    world.run("acme-ldap", finished="2026-11-24 12:00")  # 45 h ago, SLA 48 h
    world.run("acme-aws-dev", finished="2026-11-24 12:00")  # 45 h ago, SLA 24 h
    world.run("acme-aws-prod", finished="2026-11-26 08:00", status="failed")  # a failed run is not a collection
    subjects = world.subjects("monitoring.source_not_collected")
    assert "source:acme-ldap" not in subjects
    assert {"source:acme-aws-dev", "source:acme-aws-prod"} <= subjects


def test_sub_vendor_with_customer_data_and_no_source_is_unmonitored(world: World) -> None:
    drafts = world.drafts("monitoring.vendor_without_source")
    assert [(d.vendor_id, d.subject) for d in drafts] == [("acme-sub", "vendor:acme-sub")]


def test_sub_vendor_with_no_source_is_a_3_2_7_finding_of_its_parent(world: World) -> None:
    drafts = world.drafts("supervision.subvendor_unsupervised")
    assert [(d.vendor_id, d.subject) for d in drafts] == [("acme", "subvendor:acme-sub")]


def test_sub_vendor_without_customer_data_needs_no_own_monitoring(sqlite_world: World) -> None:
    document = sqlite_world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)
    document["vendors"][1]["handles_customer_data"] = False
    sqlite_world.reimport({"vendors": document["vendors"]})
    assert sqlite_world.drafts("monitoring.vendor_without_source") == []
    assert sqlite_world.drafts("supervision.subvendor_unsupervised") == []


def test_a_vendor_may_switch_a_check_off_in_the_registry(sqlite_world: World) -> None:
    document = sqlite_world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)
    document["vendors"][0]["checks"] = {"monitoring.source_not_collected": {"enabled": False}}
    sqlite_world.reimport({"vendors": document["vendors"]})
    drafts = sqlite_world.drafts("monitoring.source_not_collected")
    assert drafts and {d.vendor_id for d in drafts} == {"beta"}  # acme's sources are no longer judged
