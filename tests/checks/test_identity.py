"""3.2.5: shared credentials, generic names, owners, rosters, departures, handovers, vendors, new identities."""

from __future__ import annotations

import copy

from tests.checks.world import (
    ALICE,
    ALICE_DN,
    ATTACKER_IP,
    BASE,
    BOB,
    CUSTOMERS,
    DEPLOY,
    HOME_IP,
    MALLORY,
    OFFICE_IP,
    PROD,
    World,
    at,
    ev,
    make_world,
)
from vendorwatch.checks.c3_2_5.accounts import is_generic
from vendorwatch.records import PrincipalRecord


def keyed(event_id: str, when: str, ip: str, agent: str = "aws-cli/2.15") -> object:
    return ev(event_id, when, "DescribeInstances", ALICE, access_key_id="AKIAALICE", source_ip=ip, user_agent=agent)


def test_one_key_used_from_office_and_attacker_in_overlapping_sessions_is_shared(world: World) -> None:
    world.events(keyed("o1", "2026-11-25 01:00", OFFICE_IP), keyed("x1", "2026-11-25 01:05", ATTACKER_IP),
                 keyed("o2", "2026-11-25 01:10", OFFICE_IP), keyed("x2", "2026-11-25 01:15", ATTACKER_IP))
    drafts = world.drafts("identity.shared_credential")
    assert [d.subject for d in drafts] == ["AKIAALICE"]
    assert sorted(drafts[0].evidence.event_ids) == ["o1", "o2", "x1", "x2"]
    assert drafts[0].evidence.details["networks"] == ["1.2.3.0/24", "203.0.113.0/24"]


def test_the_evidence_of_a_shared_key_is_the_overlapping_sessions_starts_and_ends(world: World) -> None:
    # Overlaps at 01:00 and at 05:00; the office alone at 03:00 in between is not evidence of sharing, nor are the
    # calls inside a session (what shows the overlap is when each network's session began and ended).
    world.events(keyed("o1", "2026-11-25 01:00", OFFICE_IP), keyed("x1", "2026-11-25 01:05", ATTACKER_IP),
                 keyed("o-mid", "2026-11-25 01:07", OFFICE_IP), keyed("o2", "2026-11-25 01:10", OFFICE_IP),
                 keyed("x2", "2026-11-25 01:15", ATTACKER_IP),
                 keyed("alone1", "2026-11-25 03:00", OFFICE_IP), keyed("alone2", "2026-11-25 03:30", OFFICE_IP),
                 keyed("o3", "2026-11-25 05:00", OFFICE_IP), keyed("x3", "2026-11-25 05:01", ATTACKER_IP),
                 keyed("o4", "2026-11-25 05:20", OFFICE_IP))
    drafts = world.drafts("identity.shared_credential")
    assert [d.subject for d in drafts] == ["AKIAALICE"]
    assert drafts[0].evidence.event_ids == ["o1", "x1", "o2", "x2", "o3", "x3", "o4"]  # in time order
    assert drafts[0].evidence.details["overlapping_periods"] == 2


def test_one_person_from_office_and_home_hours_apart_is_not_sharing(world: World) -> None:
    world.events(keyed("o1", "2026-11-25 01:00", OFFICE_IP), keyed("o2", "2026-11-25 01:40", OFFICE_IP),
                 keyed("h1", "2026-11-25 11:00", HOME_IP), keyed("h2", "2026-11-25 11:30", HOME_IP))
    assert world.drafts("identity.shared_credential") == []


def test_console_cli_and_script_at_one_desk_is_not_sharing(world: World) -> None:
    world.events(keyed("c", "2026-11-25 01:00", OFFICE_IP, "Mozilla/5.0"), keyed("l", "2026-11-25 01:01", OFFICE_IP),
                 keyed("s", "2026-11-25 01:02", "203.0.113.11", "Boto3/1.34 Python/3.11"),
                 keyed("i", "2026-11-25 01:03", "10.107.1.1", "[S3Console/0.4, aws-internal/3]"))
    assert world.drafts("identity.shared_credential") == []


def test_switching_network_once_within_an_hour_is_not_sharing(world: World) -> None:
    world.events(keyed("o1", "2026-11-25 01:00", OFFICE_IP), keyed("o2", "2026-11-25 01:20", OFFICE_IP),
                 keyed("h1", "2026-11-25 01:50", HOME_IP))
    assert world.drafts("identity.shared_credential") == []


def test_generic_names_are_recognised() -> None:
    names = ["admin", "admin01", "test-user", "共有アカウント", "kyoyu", "guest"]
    assert all(is_generic(n, ["admin", "test", "共有", "kyoyu", "guest"]) for n in names)
    assert not any(is_generic(n, ["admin", "test"]) for n in ["alice", "contest", "badminton"])


def test_generic_account_is_found_unless_declared_as_service(world: World) -> None:
    world.principals(PrincipalRecord(external_id="uid=svc-test,ou=services,dc=acme,dc=example", kind="ldap_account",
                                     name="svc-test"),
                     PrincipalRecord(external_id="uid=test,ou=people,dc=acme,dc=example", kind="ldap_account",
                                     name="test"),
                     source="acme-ldap")
    assert world.subjects("identity.generic_account_name") == {"uid=test,ou=people,dc=acme,dc=example"}


def test_account_without_owner_is_found_and_rostered_or_declared_ones_are_not(world: World) -> None:
    world.principals(PrincipalRecord(external_id=ALICE_DN, kind="ldap_account", name="alice"),
                     PrincipalRecord(external_id="uid=svc-test,ou=services,dc=acme,dc=example", kind="ldap_account",
                                     name="svc-test"),
                     PrincipalRecord(external_id="uid=ghost,ou=people,dc=acme,dc=example", kind="ldap_account",
                                     name="ghost"),
                     source="acme-ldap")
    assert world.subjects("identity.account_without_owner") == {"uid=ghost,ou=people,dc=acme,dc=example"}


def test_person_not_on_the_roster_acting_is_found(world: World) -> None:
    world.events(ev("m", "2026-11-25 01:00", "DescribeInstances", MALLORY),
                 ev("a", "2026-11-25 01:00", "DescribeInstances", ALICE),
                 ev("id-only", "2026-11-25 01:00", "CheckMfa", "AIDAEXAMPLE"))  # no ARN: cannot be looked up
    drafts = world.drafts("identity.not_on_roster")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [(MALLORY, ["m"])]


def test_account_used_after_its_person_left_is_critical(world: World) -> None:
    world.events(ev("before", "2025-06-30 14:00", "GetObject", BOB, bucket=CUSTOMERS),  # 23:00 JST on the last day
                 ev("after", "2025-06-30 15:30", "GetObject", BOB, bucket=CUSTOMERS))  # 00:30 JST the next day
    drafts = world.drafts("identity.used_after_leaving")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [(BOB, ["after"])]


def test_identity_handed_to_a_successor_is_not_used_after_leaving(world: World) -> None:
    world.events(ev("erin", "2026-11-25 01:00", "PutObject", DEPLOY, bucket="acme-prod-logs"))
    assert world.drafts("identity.used_after_leaving") == []


def test_use_after_the_contract_ended_is_found(engine, clock) -> None:
    document = copy.deepcopy(BASE)
    document["vendors"][0]["contract"]["end"] = "2026-10-31"
    world = make_world(engine, clock, document)
    world.events(ev("ok", "2026-10-30 01:00", "GetObject", ALICE, bucket=CUSTOMERS),
                 ev("late", "2026-11-02 01:00", "GetObject", ALICE, bucket=CUSTOMERS))
    drafts = world.drafts("identity.used_after_leaving")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [("contract:C-1", ["late"])]


def test_handover_without_rotation_is_found_and_with_rotation_is_not(world: World) -> None:
    world.principals(PrincipalRecord(external_id=DEPLOY, kind="iam_user", name="deploy",
                                     password_changed_at=at("2025-01-10 00:00")),
                     PrincipalRecord(external_id="AKIADEPLOYOLD", kind="access_key", name="k1", parent_external_id=DEPLOY,
                                     created_at=at("2025-02-01 00:00")),
                     PrincipalRecord(external_id="AKIADEPLOYNEW", kind="access_key", name="k2", parent_external_id=DEPLOY,
                                     created_at=at("2025-04-02 00:00")))
    drafts = world.drafts("identity.not_rotated_after_owner_change")
    assert sorted((d.subject, d.evidence.details["credential"]) for d in drafts) == [
        ("AKIADEPLOYOLD", "access_key"), (DEPLOY, "password")]


def test_same_account_used_by_two_vendors_is_found(world: World) -> None:
    shared = "arn:aws:iam::333333333333:user/ops"
    world.events(ev("a", "2026-11-25 01:00", "DescribeInstances", shared, account_id="333333333333"))
    world.events(ev("b", "2026-11-25 01:00", "DescribeInstances", shared, account_id="333333333333"), source="beta-aws")
    drafts = world.drafts("identity.account_used_by_two_vendors")
    assert sorted((d.vendor_id, d.subject) for d in drafts) == [("acme", shared), ("beta", shared)]


def test_one_vendor_account_is_not_used_by_two_vendors(world: World) -> None:
    world.events(ev("a", "2026-11-25 01:00", "DescribeInstances", ALICE))
    assert world.drafts("identity.account_used_by_two_vendors") == []


def test_user_and_key_created_for_someone_on_no_roster_is_found(world: World) -> None:
    world.events(ev("cu", "2026-11-25 01:00", "CreateUser", ALICE, details={"userName": "backdoor"}),
                 ev("ck", "2026-11-25 01:01", "CreateAccessKey", ALICE, details={"userName": "backdoor"}),
                 ev("rot", "2026-11-25 01:02", "CreateAccessKey", ALICE, details={"userName": "alice"}),
                 ev("deny", "2026-11-25 01:03", "CreateUser", ALICE, details={"userName": "other"}, outcome="failure",
                    error_code="AccessDenied"))
    drafts = world.drafts("identity.created_for_unrostered")
    assert [(d.subject, sorted(d.evidence.event_ids)) for d in drafts] == [
        (f"arn:aws:iam::{PROD}:user/backdoor", ["ck", "cu"])]


def test_declared_account_whose_owner_changed_needs_new_credentials(sqlite_world: World) -> None:
    service = "uid=svc-test,ou=services,dc=acme,dc=example"
    sqlite_world.principals(PrincipalRecord(external_id=service, kind="ldap_account", name="svc-test",
                                            password_changed_at=at("2026-11-20 00:00")), source="acme-ldap")
    assert sqlite_world.drafts("identity.not_rotated_after_owner_change") == []
    document = sqlite_world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)
    account = next(a for a in document["vendors"][0]["accounts"] if a["principal"] == service)
    account["owner"] = "erin"  # alice hands the service account to erin, in a new registry version
    sqlite_world.reimport({"vendors": document["vendors"]})
    drafts = sqlite_world.drafts("identity.not_rotated_after_owner_change")
    assert [(d.subject, d.evidence.details["new_owner"], d.evidence.details["known_from"]) for d in drafts] == [
        (service, "erin", "registry")]
    sqlite_world.clock.set(at("2026-11-27 09:00"))
    sqlite_world.principals(PrincipalRecord(external_id=service, kind="ldap_account", name="svc-test",
                                            password_changed_at=at("2026-11-27 08:00")), source="acme-ldap")
    assert sqlite_world.drafts("identity.not_rotated_after_owner_change") == []
