"""Portal accounts without HTTP: invitations, single-use expiring links, e-mail codes, lockout, rate limiting,
sessions, and the audit log of every sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from questionnaires.errors import QuestionnaireError
from questionnaires.portal.accounts import (
    PortalError,
    complete_enrolment,
    contact_of,
    find_account,
    invite,
    open_enrolment,
)
from questionnaires.portal.codes import issue_code, sign_in_with_code
from questionnaires.portal.passkeys import RelyingParty, sign_in_with_passkey
from questionnaires.portal.policy import PortalPolicy
from questionnaires.portal.sessions import end_session, resume, start_session
from questionnaires.portal.throttle import is_throttled
from questionnaires.portal.tokens import secret_hash
from tests.portal.conftest import Portal
from vendorwatch.db.tables import AuditEntry, PortalToken

ACME = "hanako.sato@acme.example"


def actions(portal: Portal) -> list[str]:
    with Session(portal.engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


def audit_of(portal: Portal, action: str) -> list[AuditEntry]:
    with Session(portal.engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_an_invitation_stores_the_link_only_hashed_and_is_audited(portal: Portal) -> None:
    token = portal.invite("acme")
    with Session(portal.engine) as session:
        rows = list(session.exec(select(PortalToken)))
        assert [r.purpose for r in rows] == ["enrol"]
        assert rows[0].token_hash == secret_hash(token) and token not in rows[0].token_hash
        account = find_account(session, ACME.upper())
        assert account is not None and account.vendor_id == "acme" and account.enrolled_at is None
    entry = audit_of(portal, "portal.invite")[0]
    assert entry.actor == "manager@firm" and entry.details["vendor"] == "acme"


def test_only_a_registry_contact_can_be_invited(sqlite_portal: Portal) -> None:
    with Session(sqlite_portal.engine) as session, pytest.raises(QuestionnaireError) as raised:
        invite(session, sqlite_portal.world.registry, "acme", "someone@elsewhere.example", actor_name="m",
               clock=sqlite_portal.clock)
    assert "contact" in raised.value.message.en


def test_the_enrolment_link_works_once(sqlite_portal: Portal) -> None:
    token = sqlite_portal.invite("acme")
    with Session(sqlite_portal.engine) as session:
        assert open_enrolment(session, token, clock=sqlite_portal.clock, client="10.0.0.1") is not None
        contact = complete_enrolment(session, token, method="email_code", clock=sqlite_portal.clock, client="10.0.0.1")
        session.commit()
        assert contact.vendor_id == "acme"
        assert open_enrolment(session, token, clock=sqlite_portal.clock, client="10.0.0.1") is None
        session.commit()
        with pytest.raises(PortalError):
            complete_enrolment(session, token, method="email_code", clock=sqlite_portal.clock, client="10.0.0.1")
    assert "portal.enrol" in actions(sqlite_portal)
    assert audit_of(sqlite_portal, "portal.enrol.refused")[0].details["used"] is True


def test_the_enrolment_link_expires_and_a_new_invitation_spends_the_old_one(sqlite_portal: Portal) -> None:
    first = sqlite_portal.invite("acme")
    second = sqlite_portal.invite("acme")
    clock = sqlite_portal.clock
    with Session(sqlite_portal.engine) as session:
        assert open_enrolment(session, first, clock=clock, client=None) is None
        assert open_enrolment(session, second, clock=clock, client=None) is not None
    clock.set(clock.now() + PortalPolicy().enrolment_valid + timedelta(seconds=1))
    with Session(sqlite_portal.engine) as session:
        assert open_enrolment(session, second, clock=clock, client=None) is None


def test_a_code_signs_in_once_and_every_outcome_is_audited(portal: Portal) -> None:
    email = portal.enrol_with_codes("acme")
    with Session(portal.engine) as session:
        issued = issue_code(session, email, clock=portal.clock, client="10.0.0.1")
        session.commit()
        assert issued is not None and len(issued.code) == 6
        wrong = "000000" if issued.code != "000000" else "111111"
        assert sign_in_with_code(session, email, wrong, clock=portal.clock, client="10.0.0.1").reason == "wrong_code"
        session.commit()
        result = sign_in_with_code(session, email, issued.code, clock=portal.clock, client="10.0.0.1")
        session.commit()
        assert result.ok and result.contact is not None and result.contact.vendor_id == "acme"
        again = sign_in_with_code(session, email, issued.code, clock=portal.clock, client="10.0.0.1")
        session.commit()
        assert again.reason == "expired_code"  # spent
        stored = session.exec(select(PortalToken).where(PortalToken.purpose == "email_code")).one()
        assert issued.code not in stored.token_hash
    failures = audit_of(portal, "portal.signin.failure")
    assert [f.details["reason"] for f in failures] == ["wrong_code", "expired_code"]
    assert failures[0].actor == f"contact:{email}" and failures[0].details["client"] == "10.0.0.1"
    assert [s.details["method"] for s in audit_of(portal, "portal.signin.success")] == ["enrolment", "email_code"]


def test_an_unknown_address_gets_no_code_and_is_audited(sqlite_portal: Portal) -> None:
    with Session(sqlite_portal.engine) as session:
        assert issue_code(session, "nobody@nowhere.example", clock=sqlite_portal.clock, client="10.0.0.9") is None
        session.commit()
    assert audit_of(sqlite_portal, "portal.signin.failure")[0].details["reason"] == "unknown_email"


def test_a_code_expires(sqlite_portal: Portal) -> None:
    email = sqlite_portal.enrol_with_codes("acme")
    clock = sqlite_portal.clock
    with Session(sqlite_portal.engine) as session:
        issued = issue_code(session, email, clock=clock, client=None)
        session.commit()
        assert issued is not None
        clock.set(clock.now() + PortalPolicy().code_valid + timedelta(seconds=1))
        assert sign_in_with_code(session, email, issued.code, clock=clock, client=None).reason == "expired_code"


def test_five_failures_lock_the_account_even_for_the_right_code(sqlite_portal: Portal) -> None:
    email = sqlite_portal.enrol_with_codes("acme")
    clock = sqlite_portal.clock
    policy = PortalPolicy()
    with Session(sqlite_portal.engine) as session:
        for _ in range(policy.max_failures):
            issued = issue_code(session, email, clock=clock, client=None, policy=PortalPolicy(codes_per_window=99))
            assert issued is not None
            wrong = "000000" if issued.code != "000000" else "111111"
            sign_in_with_code(session, email, wrong, clock=clock, client=None)
            session.commit()
        account = find_account(session, email)
        assert account is not None and account.locked_until is not None
        assert issue_code(session, email, clock=clock, client=None) is None  # no code while locked
        session.commit()
    locked = audit_of(sqlite_portal, "portal.signin.failure")
    assert "locked_until" in locked[policy.max_failures - 1].details
    assert locked[-1].details["reason"] == "locked"
    clock.set(clock.now() + policy.lockout + timedelta(seconds=1))
    with Session(sqlite_portal.engine) as session:
        issued = issue_code(session, email, clock=clock, client=None, policy=PortalPolicy(codes_per_window=99))
        assert issued is not None
        assert sign_in_with_code(session, email, issued.code, clock=clock, client=None).ok


def test_an_address_with_many_failures_is_throttled(sqlite_portal: Portal) -> None:
    policy = PortalPolicy(client_failures=5)
    with Session(sqlite_portal.engine) as session:
        for n in range(5):
            assert not is_throttled(session, "198.51.100.7", policy, clock=sqlite_portal.clock)
            sign_in_with_code(session, f"guess{n}@acme.example", "123456", clock=sqlite_portal.clock,
                              client="198.51.100.7")
        session.commit()
        assert is_throttled(session, "198.51.100.7", policy, clock=sqlite_portal.clock)
        assert not is_throttled(session, "198.51.100.8", policy, clock=sqlite_portal.clock)


def test_an_unknown_passkey_is_refused_and_audited(sqlite_portal: Portal) -> None:
    with Session(sqlite_portal.engine) as session:
        result = sign_in_with_passkey(session, RelyingParty.for_origin("http://localhost:8600"),
                                      {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}},
                                      binding="b", clock=sqlite_portal.clock, client="10.0.0.1")
        session.commit()
    assert result.reason == "unknown_credential"
    assert audit_of(sqlite_portal, "portal.signin.failure")[0].details["method"] == "passkey"


def test_sessions_end_when_idle_after_their_lifetime_and_at_sign_out(portal: Portal) -> None:
    email = portal.enrol_with_codes("acme")
    clock = portal.clock
    policy = PortalPolicy()
    with Session(portal.engine) as session:
        account = find_account(session, email)
        assert account is not None
        contact = contact_of(account)
        idle = start_session(session, contact, method="email_code", clock=clock, client=None)
        signed_out = start_session(session, contact, method="email_code", clock=clock, client=None)
        session.commit()
        assert resume(session, idle, clock=clock) is not None
        end_session(session, signed_out, reason="signout", clock=clock)
        session.commit()
        assert resume(session, signed_out, clock=clock) is None
        clock.set(clock.now() + policy.session_idle + timedelta(seconds=1))
        assert resume(session, idle, clock=clock) is None
        session.commit()
        busy = start_session(session, contact, method="email_code", clock=clock, client=None)
        session.commit()
        for _ in range(int(policy.session_absolute / policy.session_idle) + 1):
            clock.set(clock.now() + policy.session_idle - timedelta(minutes=1))
            if resume(session, busy, clock=clock) is None:
                break
            session.commit()
        else:
            raise AssertionError("a busy session outlived its absolute lifetime")
        session.commit()
        assert resume(session, "not-a-session", clock=clock) is None
    reasons = [e.details["reason"] for e in audit_of(portal, "portal.signout")]
    assert reasons == ["signout", "idle", "expired"]


def _remove_contacts(portal: Portal, vendor: str) -> None:
    """Re-import the registry with the vendor's contacts gone (the contact left the vendor)."""
    document = portal.world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)
    for entry in document["vendors"]:
        if entry["id"] == vendor:
            entry["contacts"] = []
    portal.world.reimport({"vendors": document["vendors"]})


def test_a_contact_removed_from_the_registry_loses_the_portal_at_once(portal: Portal) -> None:
    # Found by the contacts tab's review: after enrolment the portal never looked at the registry again, so a
    # contact who had left the vendor kept signing in and answering for it.
    email = portal.enrol_with_codes("acme")
    pending = portal.invite("beta")  # a link mailed before the contact left
    clock = portal.clock
    with Session(portal.engine) as session:
        account = find_account(session, email)
        assert account is not None
        live = start_session(session, contact_of(account), method="email_code", clock=clock, client=None)
        issued = issue_code(session, email, clock=clock, client=None)
        session.commit()
    assert issued is not None
    _remove_contacts(portal, "acme")
    _remove_contacts(portal, "beta")
    with Session(portal.engine) as session:
        assert resume(session, live, clock=clock) is None  # the session open when the registry changed ends
        result = sign_in_with_code(session, email, issued.code, clock=clock, client=None)
        assert (result.ok, result.reason) == (False, "not_a_contact")
        assert issue_code(session, email, clock=clock, client=None) is None
        assert open_enrolment(session, pending, clock=clock, client=None) is None
        session.commit()
        account = find_account(session, email)
        assert account is not None and account.failed_attempts == 0  # not counted towards a lockout
    assert [e.details["reason"] for e in audit_of(portal, "portal.signout")] == ["not_a_contact"]
    assert {e.details["reason"] for e in audit_of(portal, "portal.signin.failure")} == {"not_a_contact"}
    assert audit_of(portal, "portal.enrol.refused")[-1].details["reason"] == "not_a_contact"
