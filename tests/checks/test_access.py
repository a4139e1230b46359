"""3.2.3: customer-data access from where, when and by whom the registry allows; administrative grants."""

from __future__ import annotations

from tests.checks.world import (
    ALICE,
    ATTACKER_IP,
    BATCH_ROLE,
    BREAKGLASS,
    CUSTOMERS,
    HOME_IP,
    MALLORY,
    PROD,
    PROXY_ROLE,
    REPORT_ROLE,
    World,
    ev,
)
from vendorwatch.records import GrantRecord

# Wednesday 2026-11-25: 10:00 JST = 01:00 UTC (inside 08:00-21:00), 23:30 JST = 14:30 UTC (outside).


def session(role: str, name: str) -> str:
    return f"arn:aws:sts::{PROD}:assumed-role/{role.rsplit('/', 1)[-1]}/{name}"


def test_customer_data_read_from_an_outside_network_opens_a_finding(world: World) -> None:
    world.events(ev("in", "2026-11-25 01:00", "GetObject", ALICE, bucket=CUSTOMERS),
                 ev("out-1", "2026-11-25 01:10", "GetObject", ALICE, bucket=CUSTOMERS, source_ip=HOME_IP),
                 ev("out-2", "2026-11-25 01:20", "GetObject", ALICE, bucket="acme-prod-logs", source_ip=HOME_IP))
    drafts = world.drafts("access.customer_data_outside_networks")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [(f"{ALICE}@acme-prod", ["out-1"])]


def test_declared_role_uses_its_own_networks_and_an_aws_service_address_is_not_a_network(world: World) -> None:
    proxy = session(PROXY_ROLE, "i-0abc")
    world.events(
        ev("vpc", "2026-11-25 01:00", "GetObject", proxy, session_issuer=PROXY_ROLE, bucket=CUSTOMERS,
           source_ip="10.0.3.4"),
        ev("office", "2026-11-25 01:01", "GetObject", proxy, session_issuer=PROXY_ROLE, bucket=CUSTOMERS),
        ev("stolen", "2026-11-25 01:02", "GetObject", proxy, session_issuer=PROXY_ROLE, bucket=CUSTOMERS,
           source_ip=ATTACKER_IP),
        ev("svc", "2026-11-25 01:03", "GetObject", "s3.amazonaws.com", principal_kind="aws_service", bucket=CUSTOMERS,
           source_ip="s3.amazonaws.com"),
    )
    drafts = world.drafts("access.customer_data_outside_networks")
    # The office network is the environment's, but the proxy role is declared to read from the VPC only.
    assert [(d.subject, sorted(d.evidence.event_ids)) for d in drafts] == [(f"{proxy}@acme-prod", ["office", "stolen"])]
    assert PROXY_ROLE in drafts[0].evidence.principals


def test_night_access_to_customer_data_is_outside_hours_in_tokyo_time(world: World) -> None:
    world.events(ev("day", "2026-11-25 01:00", "GetObject", ALICE, bucket=CUSTOMERS),
                 ev("night", "2026-11-25 14:30", "GetObject", ALICE, bucket=CUSTOMERS),
                 ev("saturday", "2026-11-28 02:00", "GetObject", ALICE, bucket=CUSTOMERS),
                 ev("logs", "2026-11-25 14:30", "GetObject", ALICE, bucket="acme-prod-logs"))
    drafts = world.drafts("access.customer_data_outside_hours")
    assert [(d.subject, sorted(d.evidence.event_ids)) for d in drafts] == [
        (f"{ALICE}@acme-prod", ["night", "saturday"])]
    assert drafts[0].evidence.details["first_local"].startswith("2026-11-25 23:30")


def test_boundary_minutes_of_the_window_are_judged_exactly(world: World) -> None:
    # 08:00 JST is inside (start included), 21:00 JST is outside (end excluded), 07:59 is outside.
    world.events(ev("start", "2026-11-24 23:00", "GetObject", ALICE, bucket=CUSTOMERS),
                 ev("end", "2026-11-25 12:00", "GetObject", ALICE, bucket=CUSTOMERS),
                 ev("early", "2026-11-24 22:59", "GetObject", ALICE, bucket=CUSTOMERS))
    drafts = world.drafts("access.customer_data_outside_hours")
    assert sorted(drafts[0].evidence.event_ids) == ["early", "end"]


def test_allowed_night_batch_role_is_not_outside_hours(world: World) -> None:
    batch = session(BATCH_ROLE, "batch-20261125")
    world.events(ev("batch", "2026-11-25 17:00", "GetObject", batch, session_issuer=BATCH_ROLE, bucket=CUSTOMERS,
                    source_ip="10.0.1.1"))
    assert world.drafts("access.customer_data_outside_hours") == []


def test_role_with_its_own_window_is_judged_by_it(world: World) -> None:
    report = session(REPORT_ROLE, "report")
    world.events(ev("six-thirty", "2026-11-24 21:30", "GetObject", report, session_issuer=REPORT_ROLE, bucket=CUSTOMERS),
                 ev("noon", "2026-11-25 03:00", "GetObject", report, session_issuer=REPORT_ROLE, bucket=CUSTOMERS))
    drafts = world.drafts("access.customer_data_outside_hours")
    # 06:30 JST is its window; noon is inside the environment's hours but outside the role's own window.
    assert [sorted(d.evidence.event_ids) for d in drafts] == [["noon"]]


def test_customer_data_read_by_an_unregistered_principal_is_found(world: World) -> None:
    batch = session(BATCH_ROLE, "batch")
    world.events(ev("m", "2026-11-25 01:00", "GetObject", MALLORY, bucket=CUSTOMERS),
                 ev("a", "2026-11-25 01:00", "GetObject", ALICE, bucket=CUSTOMERS),
                 ev("b", "2026-11-25 01:00", "GetObject", batch, session_issuer=BATCH_ROLE, bucket=CUSTOMERS))
    drafts = world.drafts("access.unregistered_principal")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [(MALLORY, ["m"])]


def test_repeated_denied_reads_are_an_attempt_finding_and_a_single_one_is_not(world: World) -> None:
    world.events(*[ev(f"d{i}", f"2026-11-25 01:0{i}", "GetObject", MALLORY, bucket=CUSTOMERS, outcome="failure",
                      error_code="AccessDenied") for i in range(5)],
                 ev("once", "2026-11-25 01:00", "GetObject", ALICE, bucket=CUSTOMERS, outcome="failure",
                    error_code="AccessDenied"))
    drafts = world.drafts("access.customer_data_denied_attempts")
    assert [d.subject for d in drafts] == [MALLORY]
    assert world.drafts("access.unregistered_principal") == []  # denied attempts are not access


def test_admin_grant_to_a_vendor_user_is_found_but_not_on_the_declared_break_glass(world: World) -> None:
    world.grants(GrantRecord(principal_external_id=ALICE, kind="managed_policy", name="AdministratorAccess",
                             is_admin=True),
                 GrantRecord(principal_external_id=ALICE, kind="managed_policy", name="ReadOnlyAccess"),
                 GrantRecord(principal_external_id=BREAKGLASS, kind="managed_policy", name="AdministratorAccess",
                             is_admin=True))
    drafts = world.drafts("access.admin_grant")
    assert [(d.subject, d.evidence.details["grants"]) for d in drafts] == [
        (ALICE, ["managed_policy:AdministratorAccess"])]
