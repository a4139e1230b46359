"""The life of a request, after CISO Assistant's assignment workflow.

not started → in progress (first answer saved) → submitted (locked) → changes requested (the reviewer's note
per question) → submitted again → accepted; an accepted request may be reopened (back to submitted, under
review again); an open request may be cancelled by the firm. Every change is written to the request's
history and to the audit log in the same transaction (:mod:`questionnaires.campaigns`).
"""

from __future__ import annotations

from typing import Literal

from vendorwatch.i18n import Text, t

State = Literal["not_started", "in_progress", "submitted", "changes_requested", "accepted", "cancelled"]
Action = Literal["start", "submit", "request_changes", "accept", "reopen", "cancel"]

STATE_LABELS: dict[str, Text] = {
    "not_started": t("未着手", "not started"),
    "in_progress": t("回答中", "in progress"),
    "submitted": t("提出済み（確認待ち）", "submitted"),
    "changes_requested": t("差戻し（修正依頼）", "changes requested"),
    "accepted": t("承認済み", "accepted"),
    "cancelled": t("取消し", "cancelled"),
}
ACTION_LABELS: dict[str, Text] = {
    "start": t("回答を開始", "start"),
    "submit": t("提出", "submit"),
    "request_changes": t("差戻し", "return with notes"),
    "accept": t("承認", "accept"),
    "reopen": t("再開", "reopen"),
    "cancel": t("取消し", "cancel"),
}
TRANSITIONS: dict[Action, dict[str, State]] = {
    "start": {"not_started": "in_progress"},
    "submit": {"in_progress": "submitted", "changes_requested": "submitted"},
    "request_changes": {"submitted": "changes_requested"},
    "accept": {"submitted": "accepted"},
    "reopen": {"accepted": "submitted"},
    "cancel": {"not_started": "cancelled", "in_progress": "cancelled", "submitted": "cancelled",
               "changes_requested": "cancelled"},
}
EDITABLE: frozenset[str] = frozenset({"not_started", "in_progress", "changes_requested"})
OPEN: frozenset[str] = frozenset({"not_started", "in_progress", "changes_requested"})  # waiting for the vendor
ANSWERED: frozenset[str] = frozenset({"submitted", "changes_requested", "accepted"})  # submitted at least once


def next_state(action: Action, state: str) -> State | None:
    """The state an action leads to from ``state``, or None when the action is not allowed there."""
    return TRANSITIONS[action].get(state)


def refusal(action: Action, state: str) -> Text:
    """Why an action is refused in a state, in both languages."""
    allowed = [s for s in TRANSITIONS[action]]
    label = STATE_LABELS.get(state, t(state, state))
    what = ACTION_LABELS[action]
    ja_allowed = "・".join(STATE_LABELS[s].ja for s in allowed)
    en_allowed = ", ".join(STATE_LABELS[s].en for s in allowed)
    return t(f"「{label.ja}」の依頼は{what.ja}できません（{what.ja}できるのは {ja_allowed} の依頼です）",
             f"a request that is {label.en} cannot be given '{what.en}' (only one that is {en_allowed})")
