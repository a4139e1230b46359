"""Questionnaire versions as sent: frozen in the database, so answers stay readable after the file changes.

The first campaign of a version stores its validated definition (``questionnaire_versions.document``) and one
row per question with what checks read (control, related item, observable). A version is immutable: sending
a file whose content differs from the stored one under the same version is refused (bump the version).
"""

from __future__ import annotations

import orjson
from sqlmodel import Session, select

from questionnaires.definition import Questionnaire
from questionnaires.errors import QuestionnaireError
from questionnaires.loader import LoadedQuestionnaire
from vendorwatch import audit
from vendorwatch.clock import Clock
from vendorwatch.db.tables import QuestionnaireQuestion, QuestionnaireVersion
from vendorwatch.i18n import t


def store_version(session: Session, loaded: LoadedQuestionnaire, *, actor: str, clock: Clock) -> QuestionnaireVersion:
    """The stored row of this version, stored now if it is new; refused if the same version differs."""
    questionnaire = loaded.questionnaire
    existing = session.exec(
        select(QuestionnaireVersion).where(QuestionnaireVersion.questionnaire_id == questionnaire.id,
                                           QuestionnaireVersion.version == questionnaire.version)
    ).first()
    if existing is not None:
        if existing.sha256 != loaded.sha256:
            raise QuestionnaireError(
                t(f"質問票 {questionnaire.id} のバージョン {questionnaire.version} は、送付済みの内容と異なります。"
                  "内容を変えた場合は version を上げてください",
                  f"questionnaire {questionnaire.id} version {questionnaire.version} differs from the one already "
                  "sent; a changed questionnaire needs a new version"),
                details=[f"stored sha256 {existing.sha256}", f"file sha256 {loaded.sha256}"],
            )
        return existing
    row = QuestionnaireVersion(
        questionnaire_id=questionnaire.id, version=questionnaire.version, sha256=loaded.sha256,
        title_ja=questionnaire.title.ja, title_en=questionnaire.title.en, audience=questionnaire.audience,
        document=orjson.loads(orjson.dumps(questionnaire.model_dump(mode="json", by_alias=True))),
        stored_at=clock.now(), stored_by=actor,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    numbers = questionnaire.numbering()
    for position, question in enumerate(questionnaire.questions()):
        session.add(QuestionnaireQuestion(
            version_id=row.id, question_id=question.id, position=position, number=numbers[question.id],
            section_id=questionnaire.section_of(question.id).id, type=question.type, control_id=question.control_id,
            item_id=question.item_id, observable=question.observable, required=question.required,
            text_ja=question.text.ja, text_en=question.text.en,
        ))
    audit.record(session, actor=actor, action="questionnaire.version.store",
                 target=f"questionnaire:{questionnaire.id}@{questionnaire.version}",
                 details={"sha256": loaded.sha256, "path": str(loaded.path) if loaded.path else None,
                          "questions": len(numbers)}, clock=clock)
    session.flush()
    return row


_PARSED: dict[tuple[int, str], Questionnaire] = {}
_HEADS: dict[tuple[int, str], QuestionnaireVersion] = {}  # detached copies: versions never change once stored


def questionnaire_of(version: QuestionnaireVersion) -> Questionnaire:
    """The frozen definition of a stored version (parsed once per process; versions never change)."""
    assert version.id is not None
    key = (version.id, version.sha256)
    parsed = _PARSED.get(key)
    if parsed is None:
        if len(_PARSED) > 256:
            _PARSED.clear()
            _HEADS.clear()
        parsed = _PARSED[key] = Questionnaire.model_validate(version.document)
    return parsed


def load_version(session: Session, version_id: int) -> tuple[QuestionnaireVersion, Questionnaire]:
    """A stored version and its definition (the frozen document is read from the database once per process)."""
    sha256 = session.exec(select(QuestionnaireVersion.sha256).where(QuestionnaireVersion.id == version_id)).first()
    if sha256 is not None:
        cached, head = _PARSED.get((version_id, sha256)), _HEADS.get((version_id, sha256))
        if cached is not None and head is not None:
            return head, cached
    version = session.get(QuestionnaireVersion, version_id)
    if version is None:
        raise QuestionnaireError(t(f"質問票バージョン {version_id} はありません",
                                   f"there is no questionnaire version {version_id}"))
    parsed = questionnaire_of(version)
    _HEADS[(version_id, version.sha256)] = QuestionnaireVersion.model_validate(version.model_dump())
    return version, parsed
