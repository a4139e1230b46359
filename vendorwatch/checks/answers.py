"""What vendors declared in questionnaires, read from the tables (checks never import the questionnaire domain).

A vendor's declaration for a questionnaire is its latest submission (of a request that is submitted, returned
with notes, or accepted; a cancelled request's answers do not count). Each submitted answer row carries what
checks need: the question's control, related item and observable, whether it was visible, and its result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vendorwatch.checks.model import Check, ControlId, EvaluationContext, Evidence, FindingDraft, Severity, check
from vendorwatch.checks.observables import OBSERVABLES, observe
from vendorwatch.clock import as_utc
from vendorwatch.db.core_tables import QUESTIONS, REQUESTS, SUBMISSIONS, SUBMITTED_ANSWERS
from vendorwatch.i18n import t

DECLARED_STATES = ("submitted", "changes_requested", "accepted")


@dataclass(frozen=True)
class DeclaredAnswer:
    """One visible, answered question of a vendor's latest submission of a questionnaire."""

    vendor_id: str
    questionnaire_id: str
    request_id: int
    submission_id: int
    submitted_at: datetime
    question_id: str
    number: str
    text_ja: str
    text_en: str
    control_id: str
    item_id: str | None
    observable: str | None
    result: str | None
    display_ja: str
    display_en: str

    @property
    def subject(self) -> str:
        """The finding subject: stable across campaigns, so a later compliant answer resolves it."""
        return f"answer:{self.questionnaire_id}:{self.question_id}"

    def details(self) -> dict[str, Any]:
        """Evidence details for a finding."""
        return {"questionnaire": self.questionnaire_id, "request": self.request_id, "submission": self.submission_id,
                "submitted_at": self.submitted_at.isoformat(), "question": self.question_id, "number": self.number,
                "item": self.item_id, "answer": {"ja": self.display_ja, "en": self.display_en}, "result": self.result}


def latest_submissions(session: Session) -> Any:
    """A subquery: the id of each vendor's latest counting submission of each questionnaire."""
    ranked = (
        select(SUBMISSIONS.c.id, SUBMISSIONS.c.vendor_id, SUBMISSIONS.c.questionnaire_id,
               func.row_number().over(partition_by=(SUBMISSIONS.c.vendor_id, SUBMISSIONS.c.questionnaire_id),
                                      order_by=(SUBMISSIONS.c.submitted_at.desc(), SUBMISSIONS.c.id.desc()))
               .label("rank"))
        .join(REQUESTS, REQUESTS.c.id == SUBMISSIONS.c.request_id)
        .where(REQUESTS.c.state.in_(DECLARED_STATES))
        .subquery()
    )
    return select(ranked.c.id).where(ranked.c.rank == 1).subquery()


def declared_answers(session: Session, *, control: str | None = None, observable: str | None = None,
                     results: tuple[str, ...] | None = None) -> Iterator[DeclaredAnswer]:
    """The visible answered questions of every vendor's latest submission, filtered by control, observable, result."""
    latest = latest_submissions(session)
    query = (
        select(SUBMITTED_ANSWERS, SUBMISSIONS.c.submitted_at, QUESTIONS.c.number, QUESTIONS.c.text_ja, QUESTIONS.c.text_en)
        .join(SUBMISSIONS, SUBMISSIONS.c.id == SUBMITTED_ANSWERS.c.submission_id)
        .join(latest, latest.c.id == SUBMISSIONS.c.id)
        .join(QUESTIONS, (QUESTIONS.c.version_id == SUBMISSIONS.c.version_id)
              & (QUESTIONS.c.question_id == SUBMITTED_ANSWERS.c.question_id))
        .where(SUBMITTED_ANSWERS.c.visible.is_(True), SUBMITTED_ANSWERS.c.answered.is_(True))
        .order_by(SUBMITTED_ANSWERS.c.vendor_id, SUBMITTED_ANSWERS.c.questionnaire_id, QUESTIONS.c.position)
    )
    if control is not None:
        query = query.where(SUBMITTED_ANSWERS.c.control_id == control)
    if observable is not None:
        query = query.where(SUBMITTED_ANSWERS.c.observable == observable)
    if results is not None:
        query = query.where(SUBMITTED_ANSWERS.c.result.in_(results))
    for row in session.execute(query):
        submitted = as_utc(row.submitted_at)
        assert submitted is not None
        yield DeclaredAnswer(row.vendor_id, row.questionnaire_id, row.request_id, row.submission_id, submitted,
                             row.question_id, row.number, row.text_ja, row.text_en, row.control_id, row.item_id,
                             row.observable, row.result, row.display_ja or "", row.display_en or "")


def declared_gaps(ctx: EvaluationContext, control: str) -> Iterator[FindingDraft]:
    """A finding per answer that declares a gap in a control: non-compliant (the check's severity) or partial (low)."""
    for answer in declared_answers(ctx.session, control=control, results=("non_compliant", "partial")):
        partial = answer.result == "partial"
        yield FindingDraft(
            answer.vendor_id, answer.subject, Evidence(details=answer.details()),
            t(f"質問票 {answer.questionnaire_id} {answer.number}「{answer.text_ja}」への回答「{answer.display_ja}」"
              f"（{'一部対応' if partial else '未対応'}）",
              f"questionnaire {answer.questionnaire_id} {answer.number} '{answer.text_en}' answered "
              f"'{answer.display_en}' ({'partial' if partial else 'non-compliant'})"),
            severity="low" if partial else None,
        )


def declared_gap_check(control: ControlId, module: str) -> Check:
    """The ``questionnaire.declared_gap_3_2_N`` check of a control (one per control package)."""
    number = control.replace(".", "_")

    @check(
        id=f"questionnaire.declared_gap_{number}",
        control=control,
        severity="medium",
        title=t(f"質問票で申告された不備（{control}）", f"Gap declared in a questionnaire ({control})"),
        remediation=t(
            "委託先と是正計画（期限・責任者）を合意し、次回の質問票または証跡で是正を確認してください。",
            "Agree a remediation plan (deadline, owner) with the vendor and confirm it in the next questionnaire "
            "or with evidence.",
        ),
    )
    def gaps(ctx: EvaluationContext) -> Iterator[FindingDraft]:
        """Answers of the vendor's latest submission whose result is non-compliant (or partial: low severity)."""
        return declared_gaps(ctx, control)

    return _in_module(gaps, module)


def _in_module(found: Check, module: str) -> Check:
    """A check built by a factory, placed in the control module that declares it (discovery looks there)."""
    return Check(meta=found.meta, run=found.run, module=module)


def contradictions(ctx: EvaluationContext, observable_id: str) -> Iterator[FindingDraft]:
    """A finding per compliant answer that the telemetry contradicts, with the contradicting evidence."""
    today = ctx.now.astimezone(ZoneInfo(ctx.timezone)).date()
    for answer in declared_answers(ctx.session, observable=observable_id, results=("compliant",)):
        observation = observe(ctx.session, ctx.knowledge, observable_id, answer.vendor_id, today)
        if not observation.contradicted:
            continue
        claim = OBSERVABLES[observable_id].claim
        yield FindingDraft(
            answer.vendor_id, answer.subject,
            Evidence(list(observation.event_ids), list(observation.principals),
                     {**answer.details(), "observable": observable_id, "finding_ids": observation.finding_ids,
                      "facts": [f.model_dump() for f in observation.facts]}),
            t(f"質問票 {answer.number} で「{claim.ja}」と回答（{answer.display_ja}）していますが、"
              f"監視データと矛盾します（指摘事項 {len(observation.finding_ids)} 件、主体 {len(observation.principals)} 件）",
              f"questionnaire {answer.number} says '{claim.en}' ({answer.display_en}) but the telemetry contradicts "
              f"it ({len(observation.finding_ids)} finding(s), {len(observation.principals)} principal(s))"),
        )


def contradiction_check(observable_id: str, module: str, *, severity: Severity = "high") -> Check:
    """The ``questionnaire.contradicted_<observable>`` check, run after the other checks' findings are stored."""
    observable = OBSERVABLES[observable_id]

    @check(
        id=f"questionnaire.contradicted_{observable_id}",
        control=observable.control,  # type: ignore[arg-type]
        severity=severity,
        title=t(f"監視データと矛盾する質問票の回答: {observable.claim.ja}",
                f"Questionnaire answer contradicted by telemetry: {observable.claim.en}"),
        remediation=t(
            "回答と矛盾する証跡（指摘事項・イベント・主体）を委託先に示し、事実関係と回答の訂正を求めてください。"
            "虚偽の申告であれば委託先管理上の重大な問題として扱います。",
            "Show the vendor the contradicting evidence (findings, events, principals) and ask for the facts and a "
            "corrected answer; a false declaration is a serious vendor-management issue.",
        ),
        reads_findings=True,
    )
    def contradicted(ctx: EvaluationContext) -> Iterator[FindingDraft]:
        """Compliant answers to a question with this observable that the vendor's telemetry contradicts."""
        return contradictions(ctx, observable_id)

    return _in_module(contradicted, module)


