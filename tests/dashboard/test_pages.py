"""Every page renders for every role in both languages; personal data masked by default; unmasking and triage
by managers and administrators only, each written to the audit log under the signed-in user."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from dashboard import actions
from dashboard.context import CONTEXT_KEY
from tests.dashboard.conftest import PAGES, STAFF, World, audit_entries, button, page_text, titles
from vendorwatch.clock import SystemClock, local_today
from vendorwatch.db.tables import Finding
from vendorwatch.staff.roles import PermissionDeniedError

TITLES = {
    "ja": {"portfolio": "委託先ポートフォリオ", "vendor": "株式会社トレードシステムズ", "findings": "指摘事項"},
    "en": {"portfolio": "Vendor portfolio", "vendor": "TradeSystems Co., Ltd.", "findings": "Findings"},
}
KOBAYASHI = "arn:aws:iam::123837392027:user/kobayashi.ken"


def _finding_id(world: World, check: str) -> int:
    with Session(world.engine) as session:
        found = session.exec(select(Finding).where(Finding.check_id == check)).first()
    assert found is not None and found.id is not None
    return found.id


def _open(at, page: str, **query: str):
    for key, value in query.items():
        at.query_params[key] = value
    return at.switch_page(f"app_pages/{page}.py").run()


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
def test_every_page_renders_for_every_role(signed_in, role: str, language: str) -> None:
    at = signed_in(role, language=language)
    for page in PAGES:
        at = _open(at, page)
        assert not at.exception, (page, at.exception)
        assert not at.error, (page, [e.value for e in at.error])
        assert TITLES[language][page] in titles(at), page
        assert at.dataframe, page
    at = _open(at, "portfolio")
    shown = page_text(at)
    assert "tradesys" in shown and "opswatch" in shown and "callcentre" in shown
    heat = at.dataframe[1].value
    assert list(heat.columns) == ["3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6", "3.2.7"]


def test_the_portfolio_shows_sub_vendors_under_their_parent(signed_in) -> None:
    at = signed_in("viewer")
    vendors = list(at.dataframe[0].value.iloc[:, 0])
    parent = vendors.index("株式会社トレードシステムズ")
    assert vendors[parent + 1].strip("\u3000").startswith("└ オプスウォッチ合同会社")


def test_personal_data_is_masked_by_default(signed_in, world: World) -> None:
    at = signed_in("manager")
    at = _open(at, "vendor")
    shown = page_text(at)
    assert "yumi.nakamura@tradesys.example" not in shown and "y***@tradesys.example" in shown
    assert "小林 健" not in shown and "小林 *" in shown  # the roster's leaver
    at = _open(at, "findings", finding=str(_finding_id(world, "identity.used_after_leaving")))
    shown = page_text(at)
    assert KOBAYASHI not in shown and "arn:aws:iam::123837392027:user/k***" in shown


def test_a_manager_unmasks_with_a_reason_and_it_is_audited(signed_in, world: World) -> None:
    at = _open(signed_in("manager"), "vendor")
    at.text_input(key="unmask_reason").input("調査 INC-2026-1201")
    button(at, "表示する").click()
    at.run()
    shown = page_text(at)
    assert "yumi.nakamura@tradesys.example" in shown and "小林 健" in shown
    entry = audit_entries(world.engine, "personal_data.")[-1]
    assert (entry.action, entry.actor, entry.target, entry.details["reason"]) == \
        ("personal_data.unmask", STAFF["manager"], "dashboard:vendor", "調査 INC-2026-1201")
    button(at, "再びマスクする").click()
    at.run()
    assert "yumi.nakamura@tradesys.example" not in page_text(at)
    assert audit_entries(world.engine, "personal_data.")[-1].action == "personal_data.mask"


def test_unmasking_needs_a_reason(signed_in, world: World) -> None:
    at = _open(signed_in("admin"), "vendor")
    button(at, "表示する").click()
    at.run()
    assert "yumi.nakamura@tradesys.example" not in page_text(at)
    assert any("理由" in e.value for e in at.error)
    assert not audit_entries(world.engine, "personal_data.")


def test_a_viewer_cannot_unmask(signed_in, world: World) -> None:
    at = _open(signed_in("viewer"), "vendor")
    assert not any(t.key == "unmask_reason" for t in at.text_input)
    with pytest.raises(PermissionDeniedError):
        actions.show_personal_data(at.session_state[CONTEXT_KEY], "curious", "vendor")
    assert not audit_entries(world.engine, "personal_data.")


def test_one_users_unmasked_view_is_never_served_to_another(signed_in, world: World) -> None:
    manager = _open(signed_in("manager"), "vendor")
    manager.text_input(key="unmask_reason").input("contract review")
    button(manager, "表示する").click()
    manager.run()
    assert "yumi.nakamura@tradesys.example" in page_text(manager)  # cached now, unmasked, for the manager's session
    viewer = _open(signed_in("viewer"), "vendor")
    assert "yumi.nakamura@tradesys.example" not in page_text(viewer)
    other_manager = _open(signed_in("admin"), "vendor")
    assert "yumi.nakamura@tradesys.example" not in page_text(other_manager)


def _triage(at, tab_label: str, reason_key: str, reason: str, submit: str):
    if reason_key:
        widget = next((t for t in (*at.text_input, *at.text_area) if t.key == reason_key), None)
        assert widget is not None, f"no {reason_key} on the page"
        widget.input(reason)
    button(at, submit).click()
    return at.run()


def test_triage_from_the_dashboard_goes_to_the_audit_log_under_the_user(signed_in, world: World) -> None:
    finding = _finding_id(world, "identity.not_on_roster")
    at = _open(signed_in("manager"), "findings", finding=str(finding))
    assert any(s.key == "f_open" and s.value == finding for s in at.selectbox)
    at = _triage(at, "確認済みにする", "ack_reason", "担当: 佐藤", "確認済みにする")
    assert not at.exception and any("確認済み" in s.value for s in at.success)
    at = _triage(at, "リスクを受容する", "accept_reason", "代替統制あり（月次レビュー）", "リスクを受容する")
    at = _triage(at, "解決済みにする", "resolve_reason", "アカウント削除を確認", "解決済みにする")
    entries = [e for e in audit_entries(world.engine, "finding.") if e.target == f"finding:{finding}"]
    assert [(e.action, e.actor) for e in entries[-3:]] == [
        ("finding.acknowledged", STAFF["manager"]), ("finding.risk_accepted", STAFF["manager"]),
        ("finding.resolved", STAFF["manager"])]
    accepted = entries[-2].details
    expected_day = local_today(SystemClock(), "Asia/Tokyo") + timedelta(days=90)
    assert accepted["reason"] == "代替統制あり（月次レビュー）"
    assert accepted["accepted_until"].startswith(f"{expected_day.isoformat()}T14:59:59")  # 23:59:59 JST that day
    with Session(world.engine) as session:
        assert session.get(Finding, finding).status == "resolved"  # type: ignore[union-attr]
    history = at.dataframe[-1].value
    assert list(history.iloc[-3:, 4]) == ["担当: 佐藤", "代替統制あり（月次レビュー）", "アカウント削除を確認"]


def test_accepting_a_risk_needs_a_reason(signed_in, world: World) -> None:
    finding = _finding_id(world, "access.admin_grant")
    at = _open(signed_in("admin"), "findings", finding=str(finding))
    at = _triage(at, "リスクを受容する", "", "", "リスクを受容する")
    assert any("理由" in e.value for e in at.error)
    with Session(world.engine) as session:
        assert session.get(Finding, finding).status == "open"  # type: ignore[union-attr]
    assert not [e for e in audit_entries(world.engine, "finding.") if e.actor == STAFF["admin"]]


def test_a_viewer_cannot_change_a_finding(signed_in, world: World) -> None:
    finding = _finding_id(world, "access.admin_grant")
    at = _open(signed_in("viewer"), "findings", finding=str(finding))
    assert any("閲覧者は指摘事項を変更できません" in i.value for i in at.info)
    labels = {b.label for b in at.button}
    assert not labels & {"確認済みにする", "リスクを受容する", "解決済みにする"}
    with pytest.raises(PermissionDeniedError):
        actions.triage_finding(at.session_state[CONTEXT_KEY], "resolve", finding, reason="not allowed")
    with Session(world.engine) as session:
        assert session.get(Finding, finding).status == "open"  # type: ignore[union-attr]
    assert not [e for e in audit_entries(world.engine, "finding.") if e.actor == STAFF["viewer"]]


def test_a_finding_shows_its_explanation_remediation_evidence_and_history(signed_in, world: World) -> None:
    finding = _finding_id(world, "transfer.production_data_unapproved")
    at = _open(signed_in("viewer", language="en"), "findings", finding=str(finding))
    shown = page_text(at)
    assert "3.2.4" in shown and "Remediation" in shown and "History" in shown
    events = next(d.value for d in at.dataframe if "Source IP" in d.value.columns)
    assert list(events.columns[:7]) == ["Time", "Principal", "Action", "Resource", "Source IP", "User agent", "Outcome"]
    assert events.iloc[0]["Action"] == "CopyObject" and events.iloc[0]["Time"] == "2023-07-10 20:40 JST"
    assert events.iloc[0]["Principal"] == "arn:aws:iam::123456789123:user/p***"


def test_filters_and_search_narrow_the_findings(signed_in) -> None:
    at = _open(signed_in("viewer"), "findings")
    everything = len(at.dataframe[0].value)
    at.selectbox(key="f_vendor").set_value("callcentre").run()
    assert set(at.dataframe[0].value["委託先"]) == {"callcentre"}
    at.selectbox(key="f_control").set_value("3.2.5").run()
    assert set(at.dataframe[0].value["管理策"]) == {"3.2.5"}
    at.selectbox(key="f_vendor").set_value(None).run()
    at.selectbox(key="f_control").set_value(None).run()
    at.multiselect(key="f_severity").set_value(["critical"]).run()
    assert set(at.dataframe[0].value["重大度"]) == {"重大"}
    at.multiselect(key="f_severity").set_value([]).run()
    at.text_input(key="f_search").input("kyoyu").run()
    searched = at.dataframe[0].value
    assert 0 < len(searched) < everything
    at.text_input(key="f_search").input("100%_no_such").run()
    assert not at.dataframe and any("ありません" in i.value for i in at.info)


def test_the_vendor_page_deep_link_and_its_tabs(signed_in) -> None:
    at = _open(signed_in("viewer", language="en"), "vendor", vendor="callcentre")
    assert "Call Centre Services Inc." in titles(at)
    labels = [t.label for t in at.tabs]
    assert labels == ["Structure", "Findings", "Principals", "Roster", "Transfers", "Questionnaires"]
    structure = at.dataframe[0].value
    assert list(structure["Node"].str.strip("\u3000")) == ["callcentre", "callcentre-prod", "callcentre-ad"]
    principals = next(d.value for d in at.dataframe if "Key age (days)" in d.value.columns)
    assert "uid=t***,ou=people,dc=ccs,dc=example" in set(principals["Principal"])
