"""The administrators' page: only administrators have it; adding, disabling, resetting and re-roling accounts go
through the same functions as ``vendorwatch user`` and are audited under the administrator."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from dashboard import actions
from dashboard.context import CONTEXT_KEY
from tests.dashboard.conftest import STAFF, World, audit_entries, button, page_text
from vendorwatch.staff import accounts
from vendorwatch.staff.roles import PermissionDeniedError


def _users(at):
    return at.switch_page("app_pages/users.py").run()


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_only_administrators_have_the_users_page(signed_in, role: str) -> None:
    at = signed_in(role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/users.py")
    with pytest.raises(PermissionDeniedError):
        actions.manage_staff(at.session_state[CONTEXT_KEY], "disable", STAFF["admin"])


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_users_page_lists_accounts_and_sign_ins(signed_in, language: str) -> None:
    at = _users(signed_in("admin", language=language))
    assert not at.exception and not at.error
    assert ("利用者" if language == "ja" else "Users") in [t.value for t in at.title]
    shown = page_text(at)
    assert all(name in shown for name in STAFF.values())
    assert "m***@sakura-sec.example" in shown and "mika@sakura-sec.example" not in shown  # e-mail masked
    sign_ins = at.dataframe[1].value
    assert STAFF["admin"] in set(sign_ins.iloc[:, 1])


def test_an_administrator_adds_disables_and_resets_accounts(signed_in, world: World) -> None:
    at = _users(signed_in("admin"))
    at.text_input(key="u_add_name").input("kato")
    at.selectbox(key="u_add_role").set_value("manager")
    at.text_input(key="u_add_email").input("kato@sakura-sec.example")
    at.text_input(key="u_add_password").input("a long enough password")
    at.text_input(key="u_add_again").input("a long enough password")
    button(at, "追加する").click()
    at.run()
    assert not at.error and any("kato" in s.value for s in at.success)
    at.selectbox(key="u_who").set_value("kato").run()
    button(at, "無効にする").click()
    at.run()
    with Session(world.engine) as session:
        assert accounts.get_user(session, "kato").disabled_at is not None
    at.text_input(key="u_new_password").input("another long password")
    button(at, "パスワードを再設定").click()
    at.run()
    entries = [(e.action, e.actor, e.target) for e in audit_entries(world.engine, "staff.") if e.target == "staff:kato"]
    assert entries == [("staff.add", STAFF["admin"], "staff:kato"), ("staff.disable", STAFF["admin"], "staff:kato"),
                       ("staff.password_reset", STAFF["admin"], "staff:kato")]


def test_an_administrator_cannot_lock_themselves_out(signed_in, world: World) -> None:
    at = _users(signed_in("admin"))
    at.selectbox(key="u_who").set_value(STAFF["admin"]).run()
    button(at, "無効にする").click()
    at.run()
    assert any("自分のアカウント" in e.value for e in at.error)
    with Session(world.engine) as session:
        assert accounts.get_user(session, STAFF["admin"]).disabled_at is None


def test_a_weak_password_is_refused_on_the_page(signed_in, world: World) -> None:
    at = _users(signed_in("admin"))
    at.text_input(key="u_add_name").input("weak")
    at.text_input(key="u_add_password").input("short")
    at.text_input(key="u_add_again").input("short")
    button(at, "追加する").click()
    at.run()
    assert any("12 文字以上" in e.value for e in at.error)
    assert not [e for e in audit_entries(world.engine, "staff.add") if e.target == "staff:weak"]
