"""The vendor page's "ポータル利用者 / Portal contacts" tab: who at the vendor and its sub-vendors can use the
vendor portal, masked by default, for the roles that may see personal data only; a vendor manager disables and
enables an account after confirming, audited under their name, through the portal's own rule."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from dashboard import actions
from dashboard.context import CONTEXT_KEY
from questionnaires.contacts import PortalError, find_account
from questionnaires.portal.codes import sign_in_with_code
from tests.dashboard.conftest import SHO, STAFF, YUMI, World, audit_entries, button, page_text, seed_portal_contacts
from vendorwatch.clock import SystemClock
from vendorwatch.db.tables import PortalAccount
from vendorwatch.staff.roles import PermissionDeniedError

TAB = {"ja": "ポータル利用者", "en": "Portal contacts"}


@pytest.fixture
def contacts(world: World) -> World:
    seed_portal_contacts(world.engine)
    return world


def _vendor(at, vendor: str | None = None):
    if vendor:
        at.query_params["vendor"] = vendor
    return at.switch_page("app_pages/vendor.py").run()


def _contacts_frame(at):
    return next(d.value for d in at.dataframe if any(c in d.value.columns for c in ("サインイン方法", "Sign-in methods")))


def test_a_viewer_has_no_portal_contacts_tab(contacts: World, signed_in) -> None:
    at = _vendor(signed_in("viewer"))
    assert not at.exception
    assert TAB["ja"] not in [t.label for t in at.tabs] and len(at.tabs) == 6
    assert not any("サインイン方法" in d.value.columns for d in at.dataframe)
    assert not any(s.key == "pc_account" for s in at.selectbox)
    with pytest.raises(PermissionDeniedError):  # nor can the action be called without the page
        actions.set_portal_account(at.session_state[CONTEXT_KEY], 1, disabled=True, vendor_ids=("tradesys",))


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_sees_the_vendors_and_sub_vendors_contacts_masked(contacts: World, signed_in, role: str) -> None:
    at = _vendor(signed_in(role))
    assert not at.exception and not at.error
    assert [t.label for t in at.tabs][-1] == TAB["ja"]
    frame = _contacts_frame(at)
    assert list(frame["メール"]) == ["y***@tradesys.example", "s***@opswatch.example"]
    assert list(frame["委託先"]) == ["tradesys", "└ opswatch"]
    assert list(frame["担当者"]) == ["中村 **", "吉田 *"]
    assert frame["状態"][0] == "登録済み" and frame["状態"][1].startswith("招待中（2")
    assert list(frame["サインイン方法"]) == ["パスキー 1 · メールコード", ""]
    assert list(frame["失敗 30 日"]) == [2, 0]
    assert frame["最終サインイン"][0] and not frame["最終サインイン"][1]
    assert frame["招待"][1].endswith(" · mika") and "台帳" not in frame.columns  # both are contacts
    shown = page_text(at)
    assert YUMI not in shown and SHO not in shown and "中村 由美" not in shown
    assert "登録済み 1 · 招待中 1 · 招待期限切れ 0 · 未招待 0" in shown


def test_unmasked_the_tab_shows_the_addresses(contacts: World, signed_in) -> None:
    at = _vendor(signed_in("manager"))
    at.text_input(key="unmask_reason").input("ポータル利用者の棚卸し")
    button(at, "表示する").click()
    at.run()
    frame = _contacts_frame(at)
    assert list(frame["メール"]) == [YUMI, SHO] and frame["担当者"][0] == "中村 由美"


def test_a_locked_account_shows_until_when_and_is_warned_about(contacts: World, signed_in) -> None:
    with Session(contacts.engine) as session:  # three more wrong codes: five in a row lock the account
        for _ in range(3):
            assert not sign_in_with_code(session, YUMI, "000000", clock=SystemClock(), client="198.51.100.7").ok
        session.commit()
    at = _vendor(signed_in("manager"))
    frame = _contacts_frame(at)
    assert frame["状態"][0].startswith("🔒 ロック中（2") and frame["状態"][0].endswith("まで）")
    assert list(frame["失敗 30 日"]) == [5, 0]
    assert any("1 件がサインインの連続失敗でロック中です" in w.value for w in at.warning)


def test_a_vendor_without_portal_accounts_says_how_to_invite(contacts: World, signed_in) -> None:
    at = _vendor(signed_in("manager", language="en"), "callcentre")
    assert not at.exception and [t.label for t in at.tabs][-1] == TAB["en"]
    shown = page_text(at)
    assert "No portal account at this vendor or its sub-vendors yet" in shown
    assert "vendorwatch portal invite --vendor callcentre" in shown
    frame = _contacts_frame(at)  # the registry's contact, not invited yet
    assert list(frame["E-mail"]) == ["m***@ccs.example"] and list(frame["State"]) == ["not invited"]


def test_a_world_without_any_portal_account_shows_the_empty_state(world: World, signed_in) -> None:
    at = _vendor(signed_in("admin", language="en"))
    shown = page_text(at)
    assert "No portal account at this vendor or its sub-vendors yet" in shown
    assert "vendorwatch portal invite --vendor tradesys" in shown
    assert not any(s.key == "pc_account" for s in at.selectbox)  # nothing to disable


def test_a_manager_disables_and_enables_an_account_after_confirming(contacts: World, signed_in) -> None:
    at = _vendor(signed_in("manager"))
    switch = at.button(key="pc_switch")
    assert switch.label == "無効にする" and switch.disabled  # not before the confirmation is ticked
    with Session(contacts.engine) as session:
        yumi = find_account(session, YUMI)
    assert yumi is not None and at.selectbox(key="pc_account").value == yumi.id
    at.checkbox(key=f"pc_sure_{yumi.id}_False").check().run()
    at.button(key="pc_switch").click().run()
    assert not at.exception
    assert any("y\\*\\*\\*@tradesys\\.example を無効にしました" in s.value for s in at.success)
    assert _contacts_frame(at)["状態"][0] == "⛔ 無効"
    entry = audit_entries(contacts.engine, "portal.")[-1]
    assert (entry.action, entry.actor, entry.target, entry.details) == (
        "portal.disable", STAFF["manager"], f"portal:account:{yumi.id}", {"vendor": "tradesys", "via": "dashboard"})
    with Session(contacts.engine) as session:
        stored = session.get(PortalAccount, yumi.id)
        assert stored is not None and stored.disabled_at is not None

    assert at.button(key="pc_switch").label == "有効にする"
    at.checkbox(key=f"pc_sure_{yumi.id}_True").check().run()
    at.button(key="pc_switch").click().run()
    assert _contacts_frame(at)["状態"][0] == "登録済み"
    assert audit_entries(contacts.engine, "portal.")[-1].action == "portal.enable"
    with Session(contacts.engine) as session:
        stored = session.get(PortalAccount, yumi.id)
        assert stored is not None and stored.disabled_at is None


def test_the_action_refuses_an_account_of_another_vendor(contacts: World, signed_in) -> None:
    at = _vendor(signed_in("manager"), "callcentre")
    with Session(contacts.engine) as session:
        yumi = find_account(session, YUMI)
    assert yumi is not None and yumi.id is not None
    before = len(audit_entries(contacts.engine, "portal.disable"))
    with pytest.raises(PortalError):
        actions.set_portal_account(at.session_state[CONTEXT_KEY], yumi.id, disabled=True, vendor_ids=("callcentre",))
    assert len(audit_entries(contacts.engine, "portal.disable")) == before
    with Session(contacts.engine) as session:
        stored = session.get(PortalAccount, yumi.id)
        assert stored is not None and stored.disabled_at is None
