"""What a vendor contact sees and does: only their own vendor's requests (another id is "not found"), the status
of their sub-vendors' requests, drafts that resume, per-question errors, the history of their submissions."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from questionnaires.answers import RawAnswer
from questionnaires.errors import QuestionnaireError, RequestNotFoundError
from questionnaires.respondent import (
    open_request,
    requests_for,
    respondent_for,
    save_answers,
    submission_history,
    submit,
)
from questionnaires.review import request_changes
from tests.questionnaires.conftest import GOOD_ANSWERS, Campaigns
from vendorwatch.db.tables import AuditEntry


def test_another_vendors_request_is_not_found_and_the_attempt_is_audited(campaigns: Campaigns) -> None:
    c = campaigns
    [acme_request, beta_request] = c.send("acme", "beta")
    beta = c.contact("beta")
    for call in (lambda s: open_request(s, beta, acme_request, clock=c.clock),
                 lambda s: save_answers(s, beta, acme_request, GOOD_ANSWERS, clock=c.clock),
                 lambda s: submit(s, beta, acme_request, clock=c.clock),
                 lambda s: open_request(s, beta, 999_999, clock=c.clock)):
        with Session(c.engine) as session, pytest.raises(RequestNotFoundError) as missing:
            call(session)
            session.commit()
        assert missing.value.message.en.startswith("there is no request")  # the same as a request that does not exist
    with Session(c.engine) as session:
        denied = session.exec(select(AuditEntry).where(AuditEntry.action == "questionnaire.request.not_found")
                              .order_by(col(AuditEntry.id))).all()
        assert [e.target for e in denied] == [f"request:{acme_request}"] * 3 + ["request:999999"]
        assert all(e.actor == "contact:megumi.takahashi@beta.example" for e in denied)
        assert open_request(session, beta, beta_request, clock=c.clock).request.vendor_id == "beta"
        assert [r.request_id for r in requests_for(session, c.world.registry, beta).own] == [beta_request]


def test_a_parent_sees_its_sub_vendors_status_but_never_their_answers(campaigns: Campaigns) -> None:
    c = campaigns
    [sub_request] = c.send("acme-sub", questionnaire="jsda-iv32-subvendor")
    [acme_request] = c.send("acme")
    sub = c.contact("acme-sub")
    with Session(c.engine) as session:
        save_answers(session, sub, sub_request, {"handles-customer-data": RawAnswer(choices=["yes"])}, clock=c.clock)
        session.commit()
    with Session(c.engine) as session:
        listing = requests_for(session, c.world.registry, c.contact("acme"))
        assert [r.request_id for r in listing.own] == [acme_request]
        [status] = listing.sub_vendors
        assert (status.vendor_id, status.state, status.vendor_name.ja) == ("acme-sub", "in_progress", "アクメ再委託")
        assert not hasattr(status, "request_id") and not hasattr(status, "answers")
        with pytest.raises(RequestNotFoundError):  # status only: the parent cannot open the sub-vendor's request
            open_request(session, c.contact("acme"), sub_request, clock=c.clock)
        assert requests_for(session, c.world.registry, sub).sub_vendors == []  # and not the other way round


def test_a_draft_resumes_where_it_was_left_and_bad_answers_are_reported_per_question(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    [request_id] = c.send("acme")
    acme = c.contact("acme")
    with Session(c.engine) as session:
        outcome = save_answers(session, acme, request_id, {
            "mfa-required": RawAnswer(choices=["yes"]),
            "mfa-methods": RawAnswer(choices=["other"]),  # needs a description
            "pentest": RawAnswer(choices=["yesterday"]),  # not a choice
            "incident-contact": RawAnswer(text="x" * 1001),  # over the question's limit
            "nonsense": RawAnswer(text="?"),
        }, clock=c.clock)
        session.commit()
    assert outcome.saved == ["mfa-required"]
    assert sorted(outcome.errors) == ["incident-contact", "mfa-methods", "nonsense", "pentest"]
    assert outcome.errors["mfa-methods"][0].ja == "「その他」を選んだ場合は内容を記入してください"
    with Session(c.engine) as session:
        view = open_request(session, acme, request_id, clock=c.clock)
        assert view.answers["mfa-required"].choices == ["yes"] and "mfa-methods" in view.visible
        assert view.state_label.ja == "回答中" and view.editable
        assert "mfa-exceptions" not in view.visible and "mfa-exceptions" not in view.missing
        assert view.conditions["mfa-methods"].ja == "2.1 で「はい」を選んだ場合に回答"
    with Session(c.engine) as session:  # an empty answer clears
        outcome = save_answers(session, acme, request_id, {"mfa-required": RawAnswer()}, clock=c.clock)
        session.commit()
    assert outcome.cleared == ["mfa-required"]


def test_the_submission_history_is_the_vendors_own(campaigns: Campaigns) -> None:
    c = campaigns
    [acme_request, beta_request] = c.send("acme", "beta")
    for vendor, request_id in (("acme", acme_request), ("beta", beta_request)):
        with Session(c.engine) as session:
            save_answers(session, c.contact(vendor), request_id, GOOD_ANSWERS, clock=c.clock)
            submit(session, c.contact(vendor), request_id, clock=c.clock)
            session.commit()
    with Session(c.engine) as session:
        request_changes(session, acme_request, {"pentest": "診断の範囲を教えてください"}, actor="r", clock=c.clock)
        session.commit()
    with Session(c.engine) as session:
        history = submission_history(session, c.contact("acme"))
        view = open_request(session, c.contact("acme"), acme_request, clock=c.clock)
    assert [(h.request_id, h.number, h.outcome, h.state) for h in history] == [
        (acme_request, 1, "changes_requested", "changes_requested")]
    assert [(n.question_id, n.note, n.open) for n in view.notes] == [("pentest", "診断の範囲を教えてください", True)]


def test_only_registered_contacts_become_respondents(sqlite_campaigns: Campaigns) -> None:
    registry = sqlite_campaigns.world.registry
    assert respondent_for(registry, "acme", "Hanako.Sato@ACME.example").email == "hanako.sato@acme.example"
    with pytest.raises(QuestionnaireError):
        respondent_for(registry, "acme", "megumi.takahashi@beta.example")
