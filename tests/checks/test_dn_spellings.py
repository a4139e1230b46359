"""DNs compared as LDAP compares them in the checks, the trail and the registry: one account in every spelling.

The world's roster names ``uid=alice,ou=people,dc=acme,dc=example`` and declares
``uid=svc-test,ou=services,dc=acme,dc=example``; here the directory and its logs spell them otherwise (case,
blanks after separators, ``\\2C``), as slapd, AD and people writing vendorwatch.yaml do.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from sqlmodel import Session

from tests.checks.world import ALICE_DN, BASE, World, at, ev
from tests.registry.test_config_validation import mutate, only_problem
from vendorwatch.checks.knowledge import Knowledge
from vendorwatch.checks.observables import observe
from vendorwatch.records import PrincipalRecord
from vendorwatch.trail.query import TrailFilter, count_trail
from vendorwatch.views.personal import Masker
from vendorwatch.views.vendor_detail import roster

ALICE_SPELLED = "UID=Alice, OU=People,DC=ACME,DC=example"
SVC_SPELLED = "uid=svc-test, ou=services, dc=acme, dc=example"


def bind(event_id: str, when: str, principal: str, outcome: str = "success") -> object:
    return ev(event_id, when, "bind", principal, principal_kind="ldap_account", service="ldap", outcome=outcome,
              account_id=None)


def test_binds_in_another_spelling_of_a_rostered_dn_are_not_off_roster(world: World) -> None:
    world.events(bind("b1", "2026-11-25 01:00", ALICE_SPELLED), bind("b2", "2026-11-25 02:00", SVC_SPELLED),
                 source="acme-ldap")
    assert world.subjects("identity.not_on_roster") == set()


def test_two_spellings_of_one_unknown_dn_are_one_finding(world: World) -> None:
    world.events(bind("z1", "2026-11-25 01:00", "uid=zed,ou=people,dc=acme,dc=example"),
                 bind("z2", "2026-11-25 02:00", "UID=Zed, OU=People, DC=Acme, DC=Example"), source="acme-ldap")
    (draft,) = world.drafts("identity.not_on_roster")
    assert draft.evidence.details["event_count"] == 2
    assert sorted(draft.evidence.event_ids) == ["z1", "z2"]
    assert len(draft.evidence.principals) == 2  # both spellings, as the logs wrote them


def test_inventory_accounts_in_another_spelling_have_their_owner(world: World) -> None:
    world.principals(PrincipalRecord(external_id=ALICE_SPELLED, kind="ldap_account", name="alice"),
                     PrincipalRecord(external_id=SVC_SPELLED, kind="ldap_account", name="svc-test"),
                     PrincipalRecord(external_id="uid=nobody,ou=people,dc=acme,dc=example", kind="ldap_account",
                                     name="nobody"), source="acme-ldap")
    assert world.subjects("identity.account_without_owner") == {"uid=nobody,ou=people,dc=acme,dc=example"}


def test_an_account_used_under_another_spelling_is_not_unused(world: World) -> None:
    old = datetime(2024, 4, 1, tzinfo=UTC)
    world.principals(PrincipalRecord(external_id="uid=Alice,ou=People,dc=acme,dc=example", kind="ldap_account",
                                     name="alice", created_at=old),
                     PrincipalRecord(external_id="uid=idle,ou=people,dc=acme,dc=example", kind="ldap_account",
                                     name="idle", created_at=old), source="acme-ldap")
    world.events(bind("u1", "2026-11-20 01:00", "uid=alice,ou=people,dc=acme,dc=example"), source="acme-ldap")
    assert world.subjects("identity.credential_unused") == {"uid=idle,ou=people,dc=acme,dc=example"}


def test_an_account_in_two_spellings_is_one_generic_name(world: World) -> None:
    world.principals(PrincipalRecord(external_id="uid=admin,ou=people,dc=acme,dc=example", kind="ldap_account",
                                     name="admin"), source="acme-ldap")
    world.events(bind("g1", "2026-11-25 01:00", "UID=admin, ou=people, dc=acme, dc=example"), source="acme-ldap")
    assert world.subjects("identity.generic_account_name") == {"uid=admin,ou=people,dc=acme,dc=example"}


def test_the_trail_of_a_dn_finds_every_spelling(world: World) -> None:
    world.events(bind("t1", "2026-11-25 01:00", ALICE_DN), bind("t2", "2026-11-25 02:00", ALICE_SPELLED),
                 bind("t3", "2026-11-25 03:00", "uid=bob,ou=people,dc=acme,dc=example"), source="acme-ldap")
    with Session(world.engine) as session:
        assert count_trail(session, TrailFilter(principal="uid=ALICE,ou=people,dc=acme,dc=example")) == 2
        assert count_trail(session, TrailFilter(principal=ALICE_DN)) == 2


def test_a_leaver_still_enabled_under_another_spelling_shows_on_the_roster(world: World) -> None:
    document = copy.deepcopy(BASE)
    document["vendors"][0]["roster"].append(
        {"person": "carol", "name": "Carol", "since": "2024-04-01", "until": "2025-06-30",
         "identities": ["UID=Carol, OU=People, DC=Acme, DC=Example"]})
    world.reimport({"vendors": document["vendors"]})
    world.principals(PrincipalRecord(external_id="uid=carol,ou=people,dc=acme,dc=example", kind="ldap_account",
                                     name="carol"), source="acme-ldap")
    with Session(world.engine) as session:
        rows = roster(session, world.registry, "acme", at("2026-11-26 00:00").date(), Masker(masked=False))
    (carol,) = [r for r in rows if r.person == "carol"]
    assert carol.state == "left"
    assert carol.still_enabled == ("UID=Carol, OU=People, DC=Acme, DC=Example",)


def test_one_dn_spelled_twice_on_two_people_at_once_is_a_shared_identity() -> None:
    text = mutate("          - arn:aws:iam::111111111111:user/suzuki.ichiro\n",
                  "          - UID=Yamada.Taro, OU=People, DC=asys, DC=example\n")
    path, _, en, _ = only_problem(text)
    assert path == "vendors[0].roster[1].identities[0]"
    assert "over overlapping dates (a shared identity)" in en


def test_a_rostered_dn_acting_for_another_vendor_under_another_spelling_is_one_account(world: World) -> None:
    world.events(bind("v1", "2026-11-25 01:00", ALICE_SPELLED), source="beta-aws")
    drafts = world.drafts("identity.account_used_by_two_vendors")
    assert {d.vendor_id for d in drafts} == {"acme", "beta"}
    assert drafts[0].evidence.event_ids == ["v1"]


def test_an_identity_handed_over_under_another_spelling_is_a_handover(world: World) -> None:
    document = copy.deepcopy(BASE)
    roster = document["vendors"][0]["roster"]
    roster.append({"person": "frank", "name": "Frank", "since": "2024-04-01", "until": "2025-03-31",
                   "identities": ["uid=ops,ou=people,dc=acme,dc=example"]})
    roster.append({"person": "grace", "name": "Grace", "since": "2025-04-01",
                   "identities": ["UID=Ops, OU=People, DC=Acme, DC=Example"]})
    world.reimport({"vendors": document["vendors"]})
    world.principals(PrincipalRecord(external_id="uid=ops,ou=people,dc=acme,dc=example", kind="ldap_account",
                                     name="ops", password_changed_at=datetime(2024, 5, 1, tzinfo=UTC)),
                     source="acme-ldap")
    assert "uid=ops,ou=people,dc=acme,dc=example" in world.subjects("identity.not_rotated_after_owner_change")


def test_a_leavers_account_still_enabled_under_another_spelling_contradicts_leavers_removed(world: World) -> None:
    # Bob left on 2025-06-30; his directory account is still enabled, spelled as the directory spells it.
    document = copy.deepcopy(BASE)
    document["vendors"][0]["roster"][1]["identities"].append("uid=bob, ou=people, dc=acme, dc=example")
    world.reimport({"vendors": document["vendors"]})
    world.principals(PrincipalRecord(external_id="UID=Bob,OU=People,DC=acme,DC=example", kind="ldap_account",
                                     name="bob"), source="acme-ldap")
    with Session(world.engine) as session:
        seen = observe(session, Knowledge(world.registry), "leavers_removed", "acme", at("2026-11-26 00:00").date())
    assert seen.principals == ["UID=Bob,OU=People,DC=acme,DC=example"]


def bound_from(event_id: str, when: str, principal: str, ip: str) -> object:
    return ev(event_id, when, "bind", principal, principal_kind="ldap_account", service="ldap", source_ip=ip,
              account_id=None)


def test_one_dn_in_two_spellings_from_two_networks_at_once_is_one_shared_credential(world: World) -> None:
    # One address per spelling: only the canonical DN joins them into one credential used from two networks.
    world.events(bound_from("s1", "2026-11-25 01:00", ALICE_SPELLED, "198.51.100.7"),
                 bound_from("s2", "2026-11-25 01:05", ALICE_DN, "10.0.1.5"),
                 bound_from("s3", "2026-11-25 01:10", ALICE_SPELLED, "198.51.100.7"),
                 bound_from("s4", "2026-11-25 01:15", ALICE_DN, "10.0.1.5"), source="acme-ldap")
    (draft,) = world.drafts("identity.shared_credential")
    assert draft.subject == ALICE_DN  # as the roster writes it
    assert sorted(draft.evidence.event_ids) == ["s1", "s2", "s3", "s4"]
    assert draft.evidence.details["networks"] == ["10.0.1.0/24", "198.51.100.0/24"]
    assert draft.evidence.details["spellings"] == sorted([ALICE_SPELLED, ALICE_DN])
    assert sorted(draft.evidence.principals) == sorted([ALICE_SPELLED, ALICE_DN])


def test_an_unregistered_dn_shared_in_two_spellings_is_named_by_the_spelling_seen_first(world: World) -> None:
    world.events(bound_from("z1", "2026-11-25 01:00", "uid=Zed,ou=people,dc=acme,dc=example", "10.0.1.5"),
                 bound_from("z2", "2026-11-25 01:05", "UID=zed, OU=People, DC=acme, DC=example", "198.51.100.7"),
                 bound_from("z3", "2026-11-25 01:10", "uid=Zed,ou=people,dc=acme,dc=example", "10.0.1.5"),
                 source="acme-ldap")
    assert world.subjects("identity.shared_credential") == {"uid=Zed,ou=people,dc=acme,dc=example"}


def test_one_dn_in_two_spellings_from_one_network_or_two_accounts_at_once_are_not_sharing(world: World) -> None:
    bob = "uid=bob,ou=people,dc=acme,dc=example"
    world.events(bound_from("a1", "2026-11-25 01:00", ALICE_SPELLED, "10.0.1.5"),
                 bound_from("a2", "2026-11-25 01:05", ALICE_DN, "10.0.1.9"),
                 bound_from("a3", "2026-11-25 01:10", ALICE_SPELLED, "10.0.1.5"),
                 bound_from("b1", "2026-11-25 01:02", bob, "198.51.100.7"),
                 bound_from("b2", "2026-11-25 01:12", "UID=Bob,OU=People,DC=acme,DC=example", "198.51.100.7"),
                 source="acme-ldap")
    assert world.drafts("identity.shared_credential") == []
