"""Staff accounts on SQLite and PostgreSQL: argon2 hashes, rules for names and passwords, lockout and its end,
OIDC matching by e-mail, disabled accounts, and an audit entry for every change and every sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from vendorwatch.clock import FixedClock
from vendorwatch.db.tables import AuditEntry, StaffUser
from vendorwatch.staff import accounts
from vendorwatch.staff.passwords import WeakPasswordError
from vendorwatch.staff.roles import Permission, PermissionDeniedError, Role, allows, require
from vendorwatch.staff.unmasking import unmask

PASSWORD = "correct horse battery staple"


def _actions(session: Session) -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]


def test_a_local_account_stores_an_argon2_hash_and_is_audited(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        user = accounts.add_user(session, name="Sato", role="manager", password=PASSWORD, email="Sato@Firm.example",
                                 actor="ada", clock=clock)
        session.commit()
        assert user.name == "sato" and user.email == "sato@firm.example" and user.role == "manager"
        assert user.password_hash and user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert _actions(session) == [("staff.add", "ada")]


@pytest.mark.parametrize(("name", "password", "message"), [
    ("sato", "short", "at least 12"),
    ("sato", "sato-is-my-password", "account name"),
    ("Bad Name!", PASSWORD, "cannot be an account name"),
])
def test_names_and_passwords_are_checked(engine: Engine, clock: FixedClock, name: str, password: str,
                                         message: str) -> None:
    with Session(engine) as session, pytest.raises((accounts.AccountError, WeakPasswordError), match=message):
        accounts.add_user(session, name=name, role="viewer", password=password, actor="ada", clock=clock)


def test_duplicates_and_accounts_without_any_way_in_are_refused(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        accounts.add_user(session, name="sato", role="viewer", password=PASSWORD, email="s@firm.example", actor="a",
                          clock=clock)
        with pytest.raises(accounts.AccountError, match="already exists"):
            accounts.add_user(session, name="SATO", role="viewer", password=PASSWORD, actor="a", clock=clock)
        with pytest.raises(accounts.AccountError, match="belongs to another account"):
            accounts.add_user(session, name="sato2", role="viewer", password=None, email="S@firm.example", actor="a",
                              clock=clock)
        with pytest.raises(accounts.AccountError, match="needs a password or an e-mail"):
            accounts.add_user(session, name="nobody", role="viewer", password=None, actor="a", clock=clock)
        with pytest.raises(Exception, match="there is no role"):
            accounts.add_user(session, name="x1", role="superuser", password=PASSWORD, actor="a", clock=clock)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        accounts.add_user(session, name="sato", role="manager", password=PASSWORD, actor="ada", clock=clock)
        for attempt in range(accounts.MAX_FAILURES):
            result = accounts.sign_in_with_password(session, "sato", "wrong password!", clock=clock, client="10.0.0.9")
            assert not result.ok and result.reason == "wrong_password", attempt
        assert accounts.sign_in_with_password(session, "sato", PASSWORD, clock=clock).reason == "locked"
        clock.set(clock.now() + accounts.LOCKOUT + timedelta(seconds=1))
        result = accounts.sign_in_with_password(session, "sato", PASSWORD, clock=clock)
        assert result.ok and result.identity is not None and result.identity.role == Role.MANAGER
        session.commit()
        entries = list(session.exec(select(AuditEntry).where(col(AuditEntry.action).like("signin.%"))
                                    .order_by(col(AuditEntry.id))))
        assert [e.details["reason"] for e in entries[:-1]] == ["wrong_password"] * 5 + ["locked"]
        assert entries[0].details["client"] == "10.0.0.9"
        assert entries[-1].action == "signin.success"
        user = accounts.get_user(session, "sato")
        assert user.failed_attempts == 0 and user.last_signin_at == clock.now()


def test_a_reset_lifts_the_lockout(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        accounts.add_user(session, name="sato", role="viewer", password=PASSWORD, actor="ada", clock=clock)
        for _ in range(accounts.MAX_FAILURES):
            accounts.sign_in_with_password(session, "sato", "wrong password!", clock=clock)
        accounts.reset_password(session, "sato", "another long password", actor="ada", clock=clock)
        assert accounts.sign_in_with_password(session, "sato", "another long password", clock=clock).ok
        assert not accounts.sign_in_with_password(session, "sato", PASSWORD, clock=clock).ok


def test_disabled_accounts_cannot_sign_in_and_lose_their_session(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        accounts.add_user(session, name="sato", role="viewer", password=PASSWORD, email="sato@firm.example", actor="a",
                          clock=clock)
        identity = accounts.sign_in_with_password(session, "sato", PASSWORD, clock=clock).identity
        assert identity is not None and accounts.still_allowed(session, identity) == identity
        accounts.set_disabled(session, "sato", disabled=True, actor="ada", clock=clock)
        assert accounts.still_allowed(session, identity) is None
        assert accounts.sign_in_with_password(session, "sato", PASSWORD, clock=clock).reason == "disabled"
        assert accounts.sign_in_with_oidc(session, {"email": "sato@firm.example"}, provider=None,
                                          clock=clock).reason == "disabled"
        accounts.set_disabled(session, "sato", disabled=False, actor="ada", clock=clock)
        assert accounts.sign_in_with_password(session, "sato", PASSWORD, clock=clock).ok


def test_a_role_change_reaches_an_open_session(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        accounts.add_user(session, name="sato", role="manager", password=PASSWORD, actor="a", clock=clock)
        identity = accounts.sign_in_with_password(session, "sato", PASSWORD, clock=clock).identity
        assert identity is not None
        accounts.set_role(session, "sato", "viewer", actor="ada", clock=clock)
        fresh = accounts.still_allowed(session, identity)
        assert fresh is not None and fresh.role == Role.VIEWER


def test_oidc_users_are_matched_by_email_and_refused_otherwise(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        accounts.add_user(session, name="ito", role="admin", password=None, email="ito@firm.example", actor="a",
                          clock=clock)
        ok = accounts.sign_in_with_oidc(session, {"email": "ITO@firm.example", "sub": "abc", "iss": "https://idp"},
                                        provider="okta", clock=clock)
        assert ok.identity is not None and ok.identity.name == "ito" and ok.identity.role == Role.ADMIN
        assert ok.identity.method == "oidc"
        assert accounts.sign_in_with_oidc(session, {"email": "ito@firm.example", "email_verified": False},
                                          provider=None, clock=clock).reason == "email_not_verified"
        assert accounts.sign_in_with_oidc(session, {"sub": "abc"}, provider=None, clock=clock).reason == "no_email"
        assert accounts.sign_in_with_oidc(session, {"email": "eve@firm.example"}, provider=None,
                                          clock=clock).reason == "no_account_for_email"
        assert accounts.sign_in_with_password(session, "ito", "anything at all", clock=clock).reason == "no_password"
        session.commit()
        success = session.exec(select(AuditEntry).where(AuditEntry.action == "signin.success")).one()
        assert success.details["provider"] == "okta" and success.details["subject"] == "abc"


def test_roles_carry_their_permissions() -> None:
    assert allows("viewer", Permission.VIEW) and not allows("viewer", Permission.TRIAGE)
    assert not allows("viewer", Permission.UNMASK)
    assert allows("manager", Permission.TRIAGE) and allows("manager", Permission.UNMASK)
    assert not allows("manager", Permission.MANAGE_USERS) and allows("admin", Permission.MANAGE_USERS)
    assert not allows("viewer", Permission.PORTAL_ACCOUNTS)  # vendor contacts' portal accounts: managers and admins
    assert allows("manager", Permission.PORTAL_ACCOUNTS) and allows("admin", Permission.PORTAL_ACCOUNTS)
    assert not allows("intruder", Permission.VIEW)
    with pytest.raises(PermissionDeniedError, match="viewer may not"):
        require(Role.VIEWER, Permission.TRIAGE)


def test_unmasking_needs_the_right_role_and_a_reason(engine: Engine, clock: FixedClock) -> None:
    viewer = accounts.StaffIdentity(1, "vera", Role.VIEWER, None, None, "password")
    manager = accounts.StaffIdentity(2, "mika", Role.MANAGER, None, None, "password")
    with Session(engine) as session:
        with pytest.raises(PermissionDeniedError):
            unmask(session, viewer, reason="curious", where="vendor", clock=clock)
        with pytest.raises(Exception, match="reason"):
            unmask(session, manager, reason="  ", where="vendor", clock=clock)
        until = unmask(session, manager, reason="incident INC-7", where="vendor", clock=clock)
        assert until == clock.now() + timedelta(minutes=15)
        assert _actions(session) == [("personal_data.unmask", "mika")]


def test_the_table_keeps_no_password_in_clear(engine: Engine, clock: FixedClock) -> None:
    with Session(engine) as session:
        accounts.add_user(session, name="sato", role="viewer", password=PASSWORD, actor="a", clock=clock)
        session.commit()
        stored = session.exec(select(StaffUser)).one()
        assert PASSWORD not in repr(stored.model_dump())
        assert all(PASSWORD not in str(e.details) for e in session.exec(select(AuditEntry)))
