"""Errors of the questionnaire domain, each with a bilingual message (rendered once by the CLI or the portal)."""

from __future__ import annotations

from vendorwatch.errors import VendorWatchError
from vendorwatch.i18n import Text, t


class QuestionnaireError(VendorWatchError):
    """A questionnaire, campaign or review request that cannot be carried out."""


class RequestNotFoundError(QuestionnaireError):
    """No such request *for this contact*: another vendor's request is not found either, never forbidden."""

    def __init__(self, request_id: int) -> None:
        super().__init__(t(f"依頼 {request_id} はありません", f"there is no request {request_id}"))
        self.request_id = request_id


class TransitionRefusedError(QuestionnaireError):
    """A state change the request's current state does not allow."""


class AnswersInvalidError(QuestionnaireError):
    """Answers that cannot be saved or submitted; ``errors`` maps each question id ("" for the whole) to why."""

    def __init__(self, message: Text, errors: dict[str, list[Text]], numbering: dict[str, str] | None = None) -> None:
        numbers = numbering or {}
        details = [f"{numbers.get(q, q)} {q}: {m.both()}" if q else m.both() for q, ms in errors.items() for m in ms]
        super().__init__(message, details=details)
        self.errors = errors


class EvidenceRefusedError(QuestionnaireError):
    """An upload that is refused (too large, a type not allowed, content that does not match its name)."""
