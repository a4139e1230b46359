"""Answers become findings: declared gaps per control, overdue requests and expired documents (3.2.1),
unsupervised sub-vendors (3.2.7); answers the telemetry contradicts are findings of their own, and the reviewer
sees the contradicting evidence beside the answer; the questionnaire score feeds the risk score."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from questionnaires.answers import RawAnswer
from questionnaires.evidence import DocumentDetails, add_document
from questionnaires.respondent import save_answers, submit
from questionnaires.review import accept, review_view
from tests.checks.world import ALICE, ATTACKER_IP, BOB, OFFICE_IP, ev
from tests.questionnaires.conftest import GOOD_ANSWERS, Campaigns
from tests.questionnaires.test_evidence import PDF
from vendorwatch.db.tables import Finding
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.findings.query import list_findings
from vendorwatch.records import PrincipalRecord
from vendorwatch.scoring.risk import score_vendors


def answered(c: Campaigns, vendor: str = "acme", questionnaire: str = "jsda-iv32-baseline",
             changes: dict[str, RawAnswer] | None = None, answers: dict[str, RawAnswer] | None = None) -> int:
    """Send, answer and submit a request; its id."""
    [request_id] = c.send(vendor, questionnaire=questionnaire)
    with Session(c.engine) as session:
        outcome = save_answers(session, c.contact(vendor), request_id, {**(answers or GOOD_ANSWERS), **(changes or {})},
                               clock=c.clock)
        assert outcome.ok, outcome.errors
        submit(session, c.contact(vendor), request_id, clock=c.clock)
        session.commit()
    return request_id


def findings(c: Campaigns, check: str) -> list[Finding]:
    evaluate(c.engine, c.world.registry, c.clock)
    with Session(c.engine) as session:
        return [f for f in list_findings(session, check=check) if f.status != "resolved"]


def test_accounts_are_shared_is_a_3_2_5_finding_until_a_later_answer_says_otherwise(campaigns: Campaigns) -> None:
    c = campaigns
    request_id = answered(c, changes={"no-shared-accounts": RawAnswer(choices=["no"]),
                                      "shared-account-details": RawAnswer(text="夜間バッチ用の運用アカウントを 3 名で共有")})
    [finding] = findings(c, "questionnaire.declared_gap_3_2_5")
    assert (finding.vendor_id, finding.control_id, finding.severity) == ("acme", "3.2.5", "medium")
    assert finding.subject == "answer:jsda-iv32-baseline:no-shared-accounts"
    assert finding.evidence["details"]["request"] == request_id
    assert finding.evidence["details"]["answer"] == {"ja": "いいえ", "en": "No"}
    assert "5.2" in finding.evidence["message"]["ja"] and "いいえ" in finding.evidence["message"]["ja"]
    with Session(c.engine) as session:
        accept(session, request_id, actor="reviewer", clock=c.clock)
        session.commit()
    c.clock.set(c.clock.now() + timedelta(days=1))
    answered(c)  # the next cycle: no shared accounts any more
    assert findings(c, "questionnaire.declared_gap_3_2_5") == []


def test_partial_answers_are_low_and_hidden_answers_never_count(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    answered(c, changes={"access-review": RawAnswer(choices=["yearly"]),  # partial
                         "subvendor-supervision": RawAnswer(choices=["none"])})  # hidden: uses-subvendors is no
    [partial] = findings(c, "questionnaire.declared_gap_3_2_5")
    assert (partial.subject, partial.severity) == ("answer:jsda-iv32-baseline:access-review", "low")
    assert findings(c, "questionnaire.declared_gap_3_2_7") == []


def test_a_related_item_answer_is_a_finding_of_its_control(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    answered(c, changes={"account-lockout": RawAnswer(choices=["no"])})  # 1(2)③ → 3.2.2
    [finding] = findings(c, "questionnaire.declared_gap_3_2_2")
    assert finding.evidence["details"]["item"] == "1.2.3"


def test_an_overdue_request_is_a_3_2_1_finding_that_grows_and_ends_with_the_submission(campaigns: Campaigns) -> None:
    c = campaigns
    [request_id] = c.send("acme", due=date(2026, 11, 30))
    assert findings(c, "questionnaire.request_overdue") == []
    c.clock.set(c.clock.now() + timedelta(days=5))  # 2026-12-01 18:00 JST: one day late
    [late] = findings(c, "questionnaire.request_overdue")
    assert (late.subject, late.severity, late.control_id) == (f"request:{request_id}", "medium", "3.2.1")
    assert late.evidence["details"]["days_overdue"] == 1
    c.clock.set(c.clock.now() + timedelta(days=31))
    [later] = findings(c, "questionnaire.request_overdue")
    assert later.severity == "high"
    with Session(c.engine) as session:
        save_answers(session, c.contact("acme"), request_id, GOOD_ANSWERS, clock=c.clock)
        submit(session, c.contact("acme"), request_id, clock=c.clock)
        session.commit()
    assert findings(c, "questionnaire.request_overdue") == []


def test_an_expired_document_is_a_3_2_1_finding_until_it_is_renewed(campaigns: Campaigns) -> None:
    c = campaigns
    with Session(c.engine) as session:
        add_document(session, c.store, io.BytesIO(PDF), "iso.pdf",
                     DocumentDetails("iso27001_certificate", valid_until=date(2026, 11, 25)),
                     vendor_id="acme", actor="manager", clock=c.clock)
        session.commit()
    [expired] = findings(c, "evidence.document_expired")
    assert (expired.subject, expired.vendor_id) == ("document:iso27001_certificate", "acme")
    assert expired.evidence["details"]["days_expired"] == 1
    with Session(c.engine) as session:
        add_document(session, c.store, io.BytesIO(PDF + b"2027"), "iso-2027.pdf",
                     DocumentDetails("iso27001_certificate", valid_until=date(2029, 11, 25)),
                     vendor_id="acme", actor="manager", clock=c.clock)
        session.commit()
    assert findings(c, "evidence.document_expired") == []


def test_a_sub_vendor_with_customer_data_needs_an_accepted_questionnaire(campaigns: Campaigns) -> None:
    c = campaigns
    [before] = findings(c, "supervision.subvendor_unsupervised")
    assert before.vendor_id == "acme" and before.evidence["details"]["missing"] == ["source", "questionnaire"]
    sub_answers = {"handles-customer-data": RawAnswer(choices=["yes"]), "contract-obligations": RawAnswer(choices=["yes"]),
                   "reviewed-by-parent": RawAnswer(choices=["yearly"]), "further-subcontracting": RawAnswer(choices=["no"]),
                   "mfa-required": RawAnswer(choices=["yes"]), "no-shared-accounts": RawAnswer(choices=["yes"]),
                   "leaver-removal": RawAnswer(choices=["same-day"]), "access-logging": RawAnswer(choices=["yes"]),
                   "production-data-to-development": RawAnswer(choices=["never"]),
                   "incident-notice": RawAnswer(choices=["immediately"]), "certification": RawAnswer(choices=["none"])}
    request_id = answered(c, "acme-sub", "jsda-iv32-subvendor", answers=sub_answers)
    [submitted] = findings(c, "supervision.subvendor_unsupervised")  # submitted is not yet accepted
    assert submitted.evidence["details"]["missing"] == ["source", "questionnaire"]
    with Session(c.engine) as session:
        accept(session, request_id, actor="reviewer", clock=c.clock)
        session.commit()
    [accepted] = findings(c, "supervision.subvendor_unsupervised")
    assert accepted.evidence["details"]["missing"] == ["source"]
    c.clock.set(c.clock.now() + timedelta(days=401))  # a year and more later, the acceptance is stale
    [stale] = findings(c, "supervision.subvendor_unsupervised")
    assert stale.evidence["details"]["missing"] == ["source", "questionnaire"]
    assert "last accepted 2026-11-26" in stale.evidence["message"]["en"]


def test_mfa_claimed_but_a_console_user_has_none_is_a_contradiction_shown_to_the_reviewer(campaigns: Campaigns) -> None:
    c = campaigns
    c.world.principals(PrincipalRecord(external_id=BOB, kind="iam_user", name="bob", console_access=True,
                                       mfa_enabled=False),
                       PrincipalRecord(external_id=ALICE, kind="iam_user", name="alice", console_access=True,
                                       mfa_enabled=True))
    request_id = answered(c)
    [contradiction] = findings(c, "questionnaire.contradicted_console_users_have_mfa")
    assert contradiction.control_id == "3.2.2" and contradiction.severity == "high"
    assert contradiction.subject == "answer:jsda-iv32-baseline:mfa-required"
    assert contradiction.evidence["principals"] == [BOB]
    [mfa_finding] = findings(c, "aws.iam.console_user_without_mfa")
    assert contradiction.evidence["details"]["finding_ids"] == [mfa_finding.id]
    with Session(c.engine) as session:
        view = review_view(session, c.world.registry, request_id, clock=c.clock)
    shown = view.contradictions["mfa-required"]
    assert shown.answer == "はい" and shown.observation.principals == [BOB]
    assert shown.observation.finding_ids == [mfa_finding.id]
    assert set(view.contradictions) == {"mfa-required", "leaver-removal"}  # bob left on 2025-06-30, still active


def test_logging_never_stopped_is_contradicted_in_the_same_evaluation_that_finds_the_stop(campaigns: Campaigns) -> None:
    c = campaigns
    request_id = answered(c)
    c.world.events(ev("stop-1", "2026-11-25 01:00", "StopLogging", ALICE, resource="org-trail",
                      details={"trail_name": "org-trail"}))
    [contradiction] = findings(c, "questionnaire.contradicted_logging_never_stopped")  # one evaluation
    [stopped] = findings(c, "aws.cloudtrail.logging_stopped")
    assert contradiction.severity == "critical" and contradiction.control_id == "3.2.3"
    assert contradiction.evidence["event_ids"] == ["stop-1"]
    assert contradiction.evidence["details"]["finding_ids"] == [stopped.id]
    assert contradiction.evidence["details"]["request"] == request_id


def test_shared_accounts_and_unapproved_copies_contradict_their_answers(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    answered(c)
    keyed = [ev(i, when, "DescribeInstances", ALICE, access_key_id="AKIAALICE", source_ip=ip)
             for i, when, ip in (("o1", "2026-11-25 01:00", OFFICE_IP), ("x1", "2026-11-25 01:05", ATTACKER_IP),
                                 ("o2", "2026-11-25 01:10", OFFICE_IP), ("x2", "2026-11-25 01:15", ATTACKER_IP))]
    copy = ev("cp-1", "2026-11-25 01:00", "CopyObject", ALICE, bucket="acme-dev-data", object_key="customers.csv",
              details={"copy_source": "acme-customers/customers.csv"})
    c.world.events(*keyed, copy)
    [sharing] = findings(c, "questionnaire.contradicted_no_shared_accounts")
    assert sorted(sharing.evidence["event_ids"]) == ["o1", "o2", "x1", "x2"]
    [transfer] = findings(c, "questionnaire.contradicted_no_unapproved_prod_to_dev")
    assert transfer.evidence["event_ids"] == ["cp-1"] and transfer.control_id == "3.2.4"


def test_leavers_still_active_contradict_accounts_are_removed(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    c.world.principals(PrincipalRecord(external_id=BOB, kind="iam_user", name="bob"),  # bob left on 2025-06-30
                       PrincipalRecord(external_id=ALICE, kind="iam_user", name="alice"))
    answered(c)
    [contradiction] = findings(c, "questionnaire.contradicted_leavers_removed")
    assert contradiction.evidence["principals"] == [BOB]
    assert "2025-06-30" in contradiction.evidence["details"]["facts"][0]["en"]


def test_an_honest_no_is_a_gap_not_a_contradiction(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    c.world.principals(PrincipalRecord(external_id=BOB, kind="iam_user", name="bob", console_access=True,
                                       mfa_enabled=False))
    answered(c, changes={"mfa-required": RawAnswer(choices=["no"]), "mfa-exceptions": RawAnswer(text="移行中")})
    assert findings(c, "questionnaire.contradicted_console_users_have_mfa") == []
    assert len(findings(c, "questionnaire.declared_gap_3_2_2")) == 1


@pytest.mark.parametrize("score_changes", [{}, {"access-review": RawAnswer(choices=["never"])}])
def test_the_questionnaire_score_feeds_the_risk_score_with_its_explanation(sqlite_campaigns: Campaigns,
                                                                           score_changes: dict[str, RawAnswer]) -> None:
    c = sqlite_campaigns
    request_id = answered(c, changes=score_changes)
    evaluate(c.engine, c.world.registry, c.clock)
    with Session(c.engine) as session:
        risks = score_vendors(session, c.world.registry, c.clock)
        view = review_view(session, c.world.registry, request_id, clock=c.clock)
    [part] = [p for p in risks["acme"].contributions if p.kind == "questionnaire"]
    assert part.subject == "questionnaire:jsda-iv32-baseline@2026.1" and part.request_id == request_id
    assert part.score == view.scorecard.percent
    assert part.points == round((100 - (part.score or 0)) / 100 * 15)
    assert part.points > 0  # in-progress certification and an older pentest are partial
    assert any(p.kind == "questionnaire" for p in risks["acme"].contributions)
