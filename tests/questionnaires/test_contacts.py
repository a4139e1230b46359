"""The portal contacts of a vendor's page, on SQLite and PostgreSQL: accounts made, enrolled, locked and disabled
through the portal's own functions, read back with their invitation, sign-in methods, lockout and recent failures,
for the vendor and its sub-vendors, masked unless unmasked."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from questionnaires.contacts import change_disabled, enrolment_state, refusal_for, set_disabled
from questionnaires.portal.accounts import complete_enrolment, find_account, invite
from questionnaires.portal.codes import sign_in_with_code
from questionnaires.portal.passkeys import has_passkey
from tests.checks.world import World, make_world
from tests.questionnaires.conftest import with_contacts
from tests.registry_import import import_registry
from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import AuditEntry, PortalAccount, PortalCredential
from vendorwatch.views.personal import Masker
from vendorwatch.views.portal_contacts import portal_contacts

HANAKO = "hanako.sato@acme.example"  # enrolled, one passkey in force, two failures this month
KEN = "ken.ito@acme.example"  # invited today, link pending
AYA = "aya.mori@acme.example"  # invited ten days ago, link expired
JIRO = "jiro.abe@acme.example"  # a contact of the registry never invited
MAKOTO = "makoto.tanaka@acme-sub.example"  # the sub-vendor's contact, locked out
MEGUMI = "megumi.takahashi@beta.example"  # another vendor, enrolled then disabled


def _document(*, without: str | None = None) -> dict[str, Any]:
    document = with_contacts()
    acme = next(v for v in document["vendors"] if v["id"] == "acme")
    acme["contacts"] = [*copy.deepcopy(acme["contacts"]), {"name": "伊藤 健", "email": KEN},
                        {"name": "Aya Mori", "email": AYA}, {"name": "阿部 次郎", "email": JIRO}]
    if without:
        acme["contacts"] = [c for c in acme["contacts"] if c["email"] != without]
    return document


def _invite(world: World, vendor: str, email: str) -> str:
    with Session(world.engine) as session:
        token = invite(session, world.registry, vendor, email, actor_name="mika", clock=world.clock).token
        session.commit()
    return token


def _enrol(world: World, vendor: str, email: str) -> None:
    token = _invite(world, vendor, email)
    with Session(world.engine) as session:
        complete_enrolment(session, token, method="email_code", clock=world.clock, client="198.51.100.7")
        session.commit()


def _wrong_codes(world: World, email: str, times: int) -> None:
    with Session(world.engine) as session:
        for _ in range(times):
            assert not sign_in_with_code(session, email, "000000", clock=world.clock, client="198.51.100.7").ok
        session.commit()


def _add_passkey(engine: Engine, email: str, credential: str, *, revoked: bool, clock: FixedClock) -> None:
    """The stored form of a registered passkey (the WebAuthn ceremony itself needs a browser: tests/portal/test_browser.py)."""
    with Session(engine) as session:
        account = find_account(session, email)
        assert account is not None and account.id is not None
        session.add(PortalCredential(account_id=account.id, credential_id=credential, public_key="pk",
                                     created_at=clock.now(), revoked_at=clock.now() if revoked else None))
        session.commit()


@pytest.fixture
def contacts_world(engine: Engine, clock: FixedClock) -> World:
    start = clock.now()
    world = make_world(engine, clock, _document())
    clock.set(start - timedelta(days=40))
    _enrol(world, "acme", HANAKO)
    _wrong_codes(world, HANAKO, 1)  # forty days ago: not recent
    clock.set(start - timedelta(days=10))
    _invite(world, "acme", AYA)
    clock.set(start - timedelta(days=2))
    _wrong_codes(world, HANAKO, 2)
    _enrol(world, "acme-sub", MAKOTO)
    _enrol(world, "beta", MEGUMI)
    with Session(engine) as session:
        set_disabled(session, MEGUMI, disabled=True, actor_name="ada", clock=clock)
        session.commit()
    clock.set(start - timedelta(minutes=10))
    _invite(world, "acme", KEN)
    _add_passkey(engine, HANAKO, "cred-in-force", revoked=False, clock=clock)
    _add_passkey(engine, HANAKO, "cred-revoked", revoked=True, clock=clock)
    clock.set(start - timedelta(minutes=5))
    _wrong_codes(world, MAKOTO, 5)  # five in a row lock the account for 15 minutes
    clock.set(start)
    return world


def test_a_vendor_page_lists_its_contacts_and_its_sub_vendors_with_their_portal_state(contacts_world: World) -> None:
    world = contacts_world
    with Session(world.engine) as session:
        seen = portal_contacts(session, world.registry, ["acme", "acme-sub"], world.clock,
                               Masker.for_registry(world.registry, masked=False))
    rows = {r.email: r for r in seen.rows}
    assert [r.email for r in seen.rows] == [AYA, HANAKO, KEN, JIRO, MAKOTO]  # by vendor, invited first, by address
    assert MEGUMI not in rows  # beta is not in acme's family

    hanako = rows[HANAKO]
    assert (hanako.vendor_id, hanako.enrolment, hanako.passkeys, hanako.email_code) == ("acme", "enrolled", 1, True)
    assert hanako.failures == 2  # the one of forty days ago is not recent
    assert hanako.can_sign_in and hanako.locked_until is None and hanako.disabled_at is None
    assert hanako.name == "佐藤 花子" and hanako.invited_by == "mika"
    assert hanako.last_signin_at == world.clock.now() - timedelta(days=40)  # enrolling signs in
    assert hanako.invited_at == world.clock.now() - timedelta(days=40)

    ken, aya = rows[KEN], rows[AYA]
    assert ken.enrolment == "pending" and ken.invitation_expires_at is not None
    assert ken.invitation_expires_at > world.clock.now() and not ken.can_sign_in and not ken.email_code
    assert aya.enrolment == "expired" and aya.invitation_expires_at is not None
    assert aya.invitation_expires_at < world.clock.now()

    makoto = rows[MAKOTO]
    assert makoto.vendor_id == "acme-sub" and makoto.enrolment == "enrolled"
    assert makoto.locked_until == world.clock.now() + timedelta(minutes=10) and not makoto.can_sign_in
    assert makoto.failures == 5

    jiro = rows[JIRO]
    assert (jiro.account_id, jiro.enrolment, jiro.can_sign_in) == (None, "not_invited", False)
    assert all(r.in_registry for r in seen.rows)
    assert seen.count("enrolled") == 2 and len(seen.accounts) == 4


def test_the_lockout_ends_and_a_disabled_account_shows_as_disabled(contacts_world: World) -> None:
    world = contacts_world
    world.clock.set(world.clock.now() + timedelta(minutes=15))
    with Session(world.engine) as session:
        makoto = portal_contacts(session, world.registry, ["acme-sub"], world.clock, Masker(masked=False)).rows[0]
        megumi = portal_contacts(session, world.registry, ["beta"], world.clock, Masker(masked=False)).rows[0]
    assert makoto.locked_until is None and makoto.can_sign_in
    assert megumi.disabled_at is not None and not megumi.can_sign_in and megumi.enrolment == "enrolled"


def test_addresses_and_names_are_masked_unless_unmasked(contacts_world: World) -> None:
    world = contacts_world
    with Session(world.engine) as session:
        masked = portal_contacts(session, world.registry, ["acme"], world.clock,
                                 Masker.for_registry(world.registry, masked=True))
    shown = {r.email: r for r in masked.rows}
    assert set(shown) == {"a***@acme.example", "h***@acme.example", "k***@acme.example", "j***@acme.example"}
    assert shown["h***@acme.example"].name == "佐藤 **" and shown["a***@acme.example"].name == "A*** M***"
    assert not any("hanako" in repr(r) or "花子" in repr(r) for r in masked.rows)


def test_an_account_no_longer_a_contact_in_the_registry_is_flagged(contacts_world: World) -> None:
    world = contacts_world
    registry = import_registry(world.engine, _document(without=KEN), world.clock, allow_retire=True)
    with Session(world.engine) as session:
        rows = {r.email: r for r in portal_contacts(session, registry, ["acme"], world.clock, Masker(masked=False)).rows}
    assert not rows[KEN].in_registry and rows[KEN].account_id is not None
    assert rows[HANAKO].in_registry


def test_the_portal_and_the_read_model_share_one_rule(contacts_world: World) -> None:
    """What the portal refuses is what the page says: refusal_for and the passkeys in force live below the portal."""
    world = contacts_world
    with Session(world.engine) as session:
        accounts = {a.email: a for a in session.exec(select(PortalAccount))}
        assert refusal_for(accounts[MAKOTO], world.clock.now(), world.registry) == "locked"
        assert refusal_for(accounts[KEN], world.clock.now(), world.registry) == "not_enrolled"
        assert refusal_for(accounts[MEGUMI], world.clock.now(), world.registry) == "disabled"
        assert enrolment_state(None, None, world.clock.now()) == "not_invited"
        hanako = accounts[HANAKO]
        assert hanako.id is not None and has_passkey(session, hanako.id)
        change_disabled(session, accounts[MAKOTO], disabled=False, actor_name="mika", clock=world.clock, via="dashboard")
        session.commit()
        entry = session.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first()
    assert entry is not None and entry.action == "portal.enable" and entry.details == {"vendor": "acme-sub",
                                                                                       "via": "dashboard"}
    with Session(world.engine) as session:
        makoto = portal_contacts(session, world.registry, ["acme-sub"], world.clock, Masker(masked=False)).rows[0]
    assert makoto.can_sign_in and makoto.locked_until is None  # enabling lifts the lockout
