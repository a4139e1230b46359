"""A request's life: not started → in progress → submitted (locked) → changes requested → submitted → accepted,
reopen; every change in the audit log; refused changes say why; the version sent is frozen with the campaign."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from questionnaires.answers import RawAnswer
from questionnaires.campaigns import cancel_request, request_statuses, send_campaign
from questionnaires.errors import AnswersInvalidError, QuestionnaireError, TransitionRefusedError
from questionnaires.loader import LIBRARY, load_questionnaire
from questionnaires.respondent import respond_to_note, save_answers, submit
from questionnaires.review import accept, reopen, request_changes, review_view
from questionnaires.versions import load_version
from tests.questionnaires.conftest import GOOD_ANSWERS, Campaigns
from vendorwatch.audit import verify
from vendorwatch.db.tables import AuditEntry, QuestionnaireRequest, QuestionnaireRequestHistory


def state(c: Campaigns, request_id: int) -> str:
    with Session(c.engine) as session:
        request = session.get(QuestionnaireRequest, request_id)
        assert request is not None
        return request.state


def audit_actions(c: Campaigns, request_id: int) -> list[str]:
    with Session(c.engine) as session:
        return [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.target == f"request:{request_id}")
                                               .order_by(col(AuditEntry.id)))]


def answer_all(c: Campaigns, request_id: int, answers: dict[str, RawAnswer] | None = None) -> None:
    with Session(c.engine) as session:
        outcome = save_answers(session, c.contact("acme"), request_id, answers or GOOD_ANSWERS, clock=c.clock)
        assert outcome.ok, outcome.errors
        session.commit()


def test_the_whole_life_of_a_request_is_in_its_history_and_the_audit_log(campaigns: Campaigns) -> None:
    c = campaigns
    [request_id] = c.send("acme")
    assert state(c, request_id) == "not_started"
    answer_all(c, request_id)
    assert state(c, request_id) == "in_progress"
    acme = c.contact("acme")
    with Session(c.engine) as session:
        submit(session, acme, request_id, clock=c.clock)
        session.commit()
    assert state(c, request_id) == "submitted"
    with Session(c.engine) as session:
        [note] = request_changes(session, request_id, {"access-review": "棚卸しの記録を添付してください"},
                                 actor="reviewer@firm", clock=c.clock)
        session.commit()
        note_id = note.id
    assert state(c, request_id) == "changes_requested"
    with Session(c.engine) as session:
        with pytest.raises(AnswersInvalidError) as refused:
            submit(session, acme, request_id, clock=c.clock)
        assert refused.value.errors == {"access-review": [refused.value.errors["access-review"][0]]}
        assert refused.value.errors["access-review"][0].en == "respond to the reviewer's note"
    with Session(c.engine) as session:
        assert note_id is not None
        respond_to_note(session, acme, request_id, note_id, "2026 年 10 月の棚卸し記録を添付しました", clock=c.clock)
        submit(session, acme, request_id, clock=c.clock)
        session.commit()
    assert state(c, request_id) == "submitted"
    with Session(c.engine) as session:
        accept(session, request_id, actor="reviewer@firm", clock=c.clock)
        session.commit()
    assert state(c, request_id) == "accepted"
    with Session(c.engine) as session:
        reopen(session, request_id, actor="reviewer@firm", reason="監査で新たな事実が判明", clock=c.clock)
        session.commit()
    assert state(c, request_id) == "submitted"
    with Session(c.engine) as session:
        history = [(h.from_state, h.to_state) for h in session.exec(
            select(QuestionnaireRequestHistory).where(QuestionnaireRequestHistory.request_id == request_id)
            .order_by(col(QuestionnaireRequestHistory.id)))]
        count, breaks = verify(session)
    assert history == [(None, "not_started"), ("not_started", "in_progress"), ("in_progress", "submitted"),
                       ("submitted", "changes_requested"), ("changes_requested", "submitted"),
                       ("submitted", "accepted"), ("accepted", "submitted")]
    assert audit_actions(c, request_id) == [
        "questionnaire.request.create", "questionnaire.request.start", "questionnaire.answers.save",
        "questionnaire.request.submit", "questionnaire.request.request_changes", "questionnaire.note.respond",
        "questionnaire.request.submit", "questionnaire.request.accept", "questionnaire.request.reopen"]
    assert breaks == [] and count > 9


@pytest.mark.parametrize(("reach", "action", "allowed"), [
    ("not_started", "request_changes", False), ("not_started", "accept", False), ("not_started", "reopen", False),
    ("in_progress", "accept", False), ("in_progress", "reopen", False), ("submitted", "save", False),
    ("submitted", "submit", False), ("submitted", "reopen", False), ("changes_requested", "accept", False),
    ("accepted", "save", False), ("accepted", "request_changes", False), ("accepted", "cancel", False),
    ("cancelled", "save", False), ("cancelled", "reopen", False), ("submitted", "cancel", True),
    ("in_progress", "cancel", True), ("changes_requested", "save", True),
])
def test_refused_and_allowed_transitions(sqlite_campaigns: Campaigns, reach: str, action: str, allowed: bool) -> None:
    c = sqlite_campaigns
    [request_id] = c.send("acme")
    acme = c.contact("acme")
    steps = {"in_progress": ["save"], "submitted": ["save", "submit"],
             "changes_requested": ["save", "submit", "request_changes"],
             "accepted": ["save", "submit", "accept"], "cancelled": ["cancel"]}.get(reach, [])

    saves = iter(range(100))

    def do(step: str) -> None:
        with Session(c.engine) as session:
            if step == "save":  # a different answer each time, so each save changes something
                contact = RawAnswer(text=f"窓口 {next(saves)}")
                save_answers(session, acme, request_id, {**GOOD_ANSWERS, "incident-contact": contact}, clock=c.clock)
            elif step == "submit":
                submit(session, acme, request_id, clock=c.clock)
            elif step == "request_changes":
                request_changes(session, request_id, {None: "全体を見直してください"}, actor="r", clock=c.clock)
            elif step == "accept":
                accept(session, request_id, actor="r", clock=c.clock)
            elif step == "reopen":
                reopen(session, request_id, actor="r", reason="why", clock=c.clock)
            elif step == "cancel":
                cancel_request(session, request_id, actor="r", reason="誤送付", clock=c.clock)
            session.commit()

    for step in steps:
        do(step)
    assert state(c, request_id) == reach
    before = audit_actions(c, request_id)
    if allowed:
        do(action)
        assert audit_actions(c, request_id) != before
        return
    with pytest.raises(TransitionRefusedError) as refused:
        do(action)
    assert refused.value.message.ja and refused.value.message.en
    assert state(c, request_id) == reach and audit_actions(c, request_id) == before  # nothing written


def test_submit_lists_every_missing_visible_required_question_and_ignores_hidden_ones(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    [request_id] = c.send("acme")
    partial = {k: v for k, v in GOOD_ANSWERS.items() if k not in ("access-review", "incident-contact")}
    partial["mfa-required"] = RawAnswer(choices=["no"])  # shows mfa-exceptions, hides mfa-methods
    answer_all(c, request_id, partial)
    with Session(c.engine) as session, pytest.raises(AnswersInvalidError) as refused:
        submit(session, c.contact("acme"), request_id, clock=c.clock)
    assert sorted(refused.value.errors) == ["access-review", "incident-contact", "mfa-exceptions"]
    assert any(line.startswith("5.6 access-review:") for line in refused.value.details)
    assert state(c, request_id) == "in_progress"


def test_returning_needs_a_note_and_notes_must_name_real_questions(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    [request_id] = c.send("acme")
    answer_all(c, request_id)
    with Session(c.engine) as session:
        submit(session, c.contact("acme"), request_id, clock=c.clock)
        session.commit()
    with Session(c.engine) as session:
        with pytest.raises(QuestionnaireError):
            request_changes(session, request_id, {"mfa-required": "  "}, actor="r", clock=c.clock)
        with pytest.raises(QuestionnaireError):
            request_changes(session, request_id, {"no-such-question": "?"}, actor="r", clock=c.clock)
    assert state(c, request_id) == "submitted"


def test_the_version_sent_is_frozen_and_a_changed_file_needs_a_new_version(sqlite_campaigns: Campaigns,
                                                                            tmp_path: Path) -> None:
    c = sqlite_campaigns
    original = (LIBRARY / "jsda-iv32-baseline.yaml").read_text(encoding="utf-8")
    path = tmp_path / "baseline.yaml"
    path.write_text(original, encoding="utf-8")
    with Session(c.engine) as session:
        first = send_campaign(session, c.world.registry, load_questionnaire(path), ["acme"], due_date=date(2026, 12, 10),
                              actor="m", clock=c.clock)
        session.commit()
        request_id = first.requests[0].id
    assert request_id is not None
    answer_all(c, request_id)
    changed = original.replace("当社の委託業務について、内部監査", "委託業務の内部監査")
    path.write_text(changed, encoding="utf-8")
    with Session(c.engine) as session, pytest.raises(QuestionnaireError) as refused:
        send_campaign(session, c.world.registry, load_questionnaire(path), ["beta"], due_date=date(2026, 12, 10),
                      actor="m", clock=c.clock)
    assert "needs a new version" in refused.value.message.en
    path.write_text("removed", encoding="utf-8")  # the file is gone: the request still reads its own copy
    with Session(c.engine) as session:
        view = review_view(session, c.world.registry, request_id, clock=c.clock)
        _, frozen = load_version(session, view.request.version_id)
    assert frozen.question("internal-audit").text.ja.startswith("当社の委託業務について")
    assert view.answers["internal-audit"].choices == ["yearly"]


def test_sending_refuses_unknown_vendors_past_dates_and_a_second_open_request(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    c.send("acme")
    for vendors, due, english in ((["nobody"], date(2026, 12, 10), "not in the registry"),
                                  (["beta"], date(2026, 11, 1), "in the past"),
                                  (["acme"], date(2026, 12, 20), "unfinished request")):
        with pytest.raises(QuestionnaireError) as refused:
            c.send(*vendors, due=due)
        assert english in refused.value.message.en


def test_status_shows_days_left_and_overdue_in_the_organizations_zone(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    c.send("acme", "acme-sub", due=date(2026, 11, 30))
    with Session(c.engine) as session:
        statuses = {s.vendor_id: s for s in request_statuses(session, c.world.registry, c.clock)}
    assert statuses["acme"].days_left == 4 and not statuses["acme"].overdue
    assert statuses["acme-sub"].parent_id == "acme"
    c.clock.set(c.clock.now().replace(day=30, hour=14, minute=59))  # 23:59 in Tokyo on the due date
    with Session(c.engine) as session:
        assert not request_statuses(session, c.world.registry, c.clock)[0].overdue
    c.clock.set(c.clock.now().replace(hour=15, minute=0))  # local midnight: overdue
    with Session(c.engine) as session:
        assert all(s.overdue for s in request_statuses(session, c.world.registry, c.clock))
