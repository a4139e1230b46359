"""The questionnaires page: campaign status, the answers beside the telemetry that contradicts them, review by
managers through the functions of ``vendorwatch campaign review`` (audited), evidence documents with their expiry,
evidence files downloaded by managers only as attachments (audited)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from dashboard import actions
from dashboard.context import CONTEXT_KEY
from tests.dashboard.conftest import CERTIFICATE, World, audit_entries, button, page_text, titles
from vendorwatch.clock import SystemClock, local_today
from vendorwatch.db.tables import EvidenceDocument, QuestionnaireRequest, QuestionnaireReviewNote
from vendorwatch.staff.roles import PermissionDeniedError

SEEDED_TODAY = date(2026, 11, 26)  # the world's clock; the documents are dated from it
NOTE = "コンソールユーザー admin に MFA がありません。回答を訂正してください。"
TITLE = {"ja": "質問票", "en": "Questionnaires"}


def _request(world: World, vendor_id: str) -> QuestionnaireRequest:
    with Session(world.engine) as session:
        found = session.exec(select(QuestionnaireRequest).where(QuestionnaireRequest.vendor_id == vendor_id)).one()
    return found


def _open(at, **query: str):
    for key, value in query.items():
        at.query_params[key] = value
    return at.switch_page("app_pages/questionnaires.py").run()


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
def test_the_page_shows_campaigns_requests_and_documents(signed_in, role: str, language: str) -> None:
    at = _open(signed_in(role, language=language))
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert TITLE[language] in titles(at)
    shown = page_text(at)
    assert "2026 年度 定期点検 / yearly review" in shown and "jsda-iv32-subvendor" in shown
    for vendor in ("tradesys", "callcentre", "opswatch"):
        assert vendor in shown
    states = {"ja": ("提出済み（確認待ち）", "承認済み", "回答中"), "en": ("submitted", "accepted", "in progress")}[language]
    for state in states:
        assert state in shown
    left = (SEEDED_TODAY + timedelta(days=45) - local_today(SystemClock(), "Asia/Tokyo")).days  # the page's clock
    ago = (local_today(SystemClock(), "Asia/Tokyo") - SEEDED_TODAY + timedelta(days=10)).days
    expiring = {"ja": f"まもなく期限（残り {left} 日）", "en": f"expiring ({left} days left)"}[language]
    expired = {"ja": f"⚠ 期限切れ（{ago} 日前）", "en": f"⚠ expired ({ago} days ago)"}[language]
    assert expiring in shown and expired in shown
    downloads = [b for b in at.get("download_button")]
    if role == "viewer":
        assert not downloads
        assert not any(b.label in ("差し戻す", "Return", "承認する", "Accept") for b in at.button)
    else:
        assert downloads


def test_the_submitted_request_opens_with_its_contradiction_beside_the_answer(signed_in, world: World) -> None:
    at = _open(signed_in("viewer"))
    shown = page_text(at)
    request = _request(world, "tradesys")
    assert f"#{request.id} 株式会社トレードシステムズ (tradesys)" in shown  # the one awaiting review opens first
    assert "監視データと矛盾する回答" in shown
    assert "コンソールを利用するすべてのユーザーに MFA が設定されている" in shown  # the claim
    assert "MFA なしでコンソールに入れます" in shown  # the fact the telemetry shows
    answers = at.dataframe[2].value
    contradicted = answers[answers["監視データ"] == "⚠ 矛盾"]
    assert len(contradicted) >= 1
    assert "閲覧者は質問票の確認（差戻し・承認・再開）はできません。" in shown


def test_personal_data_in_the_review_is_masked(signed_in, world: World) -> None:
    at = _open(signed_in("manager"))
    shown = page_text(at)
    assert "@tradesys.example" not in shown or "***@tradesys.example" in shown
    assert "yumi.nakamura@tradesys.example" not in shown


def test_a_manager_returns_the_request_with_a_note_per_question_and_it_is_audited(signed_in, world: World) -> None:
    request = _request(world, "tradesys")
    at = _open(signed_in("manager"))
    questions = at.multiselect(key=f"q_note_questions_{request.id}")
    assert questions.value, "the contradicted questions are chosen to annotate by default"
    question_id = questions.value[0]
    at.text_area(key=f"q_note_{request.id}_{question_id}").input(NOTE)
    button(at, "差し戻す").click()
    at.run()
    assert not at.exception, at.exception
    assert f"依頼 #{request.id} を「差戻し（修正依頼）」にしました。" in page_text(at)
    with Session(world.engine) as session:
        notes = session.exec(select(QuestionnaireReviewNote).where(QuestionnaireReviewNote.request_id == request.id)).all()
        state = session.get(QuestionnaireRequest, request.id).state  # type: ignore[union-attr]
    assert state == "changes_requested"
    assert [(n.question_id, n.author) for n in notes] == [(question_id, "mika")]
    entry = audit_entries(world.engine, "questionnaire.request.request_changes")[-1]
    assert entry.actor == "mika" and entry.target == f"request:{request.id}"
    assert entry.details["notes"] == {question_id: NOTE}


def test_returning_without_a_note_is_refused_with_a_clear_message(signed_in, world: World) -> None:
    request = _request(world, "tradesys")
    at = _open(signed_in("manager"))
    at.multiselect(key=f"q_note_questions_{request.id}").set_value([])
    at.run()
    button(at, "差し戻す").click()
    at.run()
    assert any("指摘" in str(e.value) for e in at.error)
    assert _request(world, "tradesys").state == "submitted"


def test_a_manager_accepts_then_reopens_with_a_reason(signed_in, world: World) -> None:
    request = _request(world, "tradesys")
    at = _open(signed_in("manager", language="en"))
    assert any("contradicted by the telemetry" in str(w.value) for w in at.warning)
    at.tabs  # noqa: B018 - the tabs exist: return, accept
    at.text_input(key="q_accept_note").input("checked with the vendor")
    button(at, "Accept").click()
    at = at.run()
    assert _request(world, "tradesys").state == "accepted"
    assert f"Request #{request.id} is now accepted." in page_text(at)
    button(at, "Reopen").click()
    at = at.run()
    assert any("reason" in str(e.value) for e in at.error), "a reason is required"
    at.text_input(key="q_reopen_reason").input("new evidence of shared accounts")
    button(at, "Reopen").click()
    at.run()
    assert _request(world, "tradesys").state == "submitted"
    actions_done = [e.action for e in audit_entries(world.engine, "questionnaire.request.")]
    assert actions_done[-2:] == ["questionnaire.request.accept", "questionnaire.request.reopen"]
    assert all(e.actor == "mika" for e in audit_entries(world.engine, "questionnaire.request.")[-2:])


def test_a_viewer_cannot_review_nor_download_even_by_calling_the_actions(signed_in, world: World) -> None:
    at = _open(signed_in("viewer"))
    ctx = at.session_state[CONTEXT_KEY]
    request = _request(world, "tradesys")
    with pytest.raises(PermissionDeniedError):
        actions.review_request(ctx, "accept", request.id)  # type: ignore[arg-type]
    with Session(world.engine) as session:
        document = session.exec(select(EvidenceDocument).order_by(col(EvidenceDocument.id))).first()
    assert document is not None
    with pytest.raises(PermissionDeniedError):
        actions.evidence_content(ctx, document.file_id)
    assert _request(world, "tradesys").state == "submitted"
    assert not audit_entries(world.engine, "evidence.file.download")


def test_a_manager_downloads_the_stored_bytes_as_an_attachment_and_it_is_audited(signed_in, world: World) -> None:
    at = _open(signed_in("manager"))
    ctx = at.session_state[CONTEXT_KEY]
    buttons = list(at.get("download_button"))
    assert buttons
    with Session(world.engine) as session:
        document = session.exec(select(EvidenceDocument).where(EvidenceDocument.vendor_id == "tradesys")).one()
    assert not audit_entries(world.engine, "evidence.file.download"), "nothing is read before the click"
    content = actions.evidence_download(ctx, document.file_id)()
    assert content == CERTIFICATE
    entry = audit_entries(world.engine, "evidence.file.download")[-1]
    assert entry.actor == "mika" and entry.target == f"evidence:{document.file_id}"
    assert entry.details["filename"] == "tradesys-iso27001.pdf"


def test_nothing_renders_without_signing_in(world: World) -> None:
    from tests.dashboard.conftest import new_app

    at = new_app()
    at.run()
    at = at.switch_page("app_pages/questionnaires.py").run()
    shown = page_text(at)
    assert "tradesys" not in shown and "質問票" not in titles(at)
    assert not at.dataframe


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_vendor_page_shows_the_questionnaires_of_the_vendor_and_its_sub_vendors(signed_in, world: World,
                                                                                  language: str) -> None:
    at = signed_in("viewer", language=language)
    at.query_params["vendor"] = "tradesys"
    at = at.switch_page("app_pages/vendor.py").run()
    assert not at.exception, at.exception
    tradesys, opswatch = _request(world, "tradesys"), _request(world, "opswatch")
    frames = [f.value for f in at.dataframe if list(f.value.columns)[:1] == [{"ja": "依頼", "en": "Request"}[language]]]
    assert len(frames) == 1
    assert sorted(frames[0].iloc[:, 0]) == sorted([tradesys.id, opswatch.id])  # callcentre's is not its own
    shown = page_text(at)
    assert {"ja": "承認済みの質問票がない再委託先: opswatch", "en": "Sub-vendors without an accepted questionnaire: opswatch"}[
        language] in shown
    assert "tradesys-iso27001.pdf" not in shown  # documents are listed by kind and expiry on this page
    assert {"ja": "ISO/IEC 27001 登録証", "en": "ISO/IEC 27001 登録証"}[language] in shown
