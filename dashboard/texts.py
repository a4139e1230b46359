"""The language of the dashboard (Japanese by default, English on request) and the labels shown everywhere."""

from __future__ import annotations

import streamlit as st

from questionnaires.states import STATE_LABELS
from vendorwatch.i18n import LANGUAGES, Text, t

LANGUAGE_KEY = "vw_language"


def language() -> str:
    """``ja`` or ``en``: the session's choice, else ``?lang=`` of the first URL, else Japanese."""
    if LANGUAGE_KEY not in st.session_state:
        asked = st.query_params.get("lang", "ja")
        st.session_state[LANGUAGE_KEY] = asked if asked in LANGUAGES else "ja"
    chosen = st.session_state[LANGUAGE_KEY]
    return chosen if chosen in LANGUAGES else "ja"


def tr(ja: str, en: str) -> str:
    """The text in the session's language."""
    return en if language() == "en" else ja


def text(value: Text | None) -> str:
    """A bilingual text in the session's language."""
    return "" if value is None else value.get(language())


def language_switch(*, key: str) -> None:
    """A 日本語 / English switch that keeps the choice for the session."""
    options = list(LANGUAGES)
    current = language()
    chosen = st.segmented_control("言語 / Language", options, default=current, key=key,
                                  format_func=lambda v: "日本語" if v == "ja" else "English",
                                  label_visibility="collapsed")
    if chosen and chosen != current:
        st.session_state[LANGUAGE_KEY] = chosen
        st.rerun()


SEVERITY: dict[str, Text] = {
    "critical": t("重大", "critical"), "high": t("高", "high"), "medium": t("中", "medium"), "low": t("低", "low"),
    "info": t("情報", "info"), "none": t("なし", "none"),
}
STATUS: dict[str, Text] = {
    "open": t("未対応", "open"), "acknowledged": t("確認済み", "acknowledged"),
    "risk_accepted": t("リスク受容", "risk accepted"), "resolved": t("解決済み", "resolved"),
}
COVERAGE: dict[str, Text] = {
    "fresh": t("最新", "fresh"), "stale": t("期限切れ", "stale"), "failing": t("失敗", "failing"),
    "never": t("未収集", "never collected"),
}
TIER: dict[str, Text] = {
    "critical": t("最重要", "critical"), "high": t("高", "high"), "medium": t("中", "medium"), "low": t("低", "low"),
}
RUN_STATUS: dict[str, Text] = {
    "success": t("成功", "success"), "partial": t("一部失敗", "partial"), "failed": t("失敗", "failed"),
    "running": t("実行中", "running"), "interrupted": t("中断", "interrupted"),
}
ROSTER_STATE: dict[str, Text] = {
    "active": t("在籍", "active"), "left": t("離任", "left"), "upcoming": t("着任予定", "upcoming"),
}
ENVIRONMENT_KIND: dict[str, Text] = {
    "production": t("本番", "production"), "staging": t("検証", "staging"), "development": t("開発", "development"),
}
PORTAL_ENROLMENT: dict[str, Text] = {
    "enrolled": t("登録済み", "enrolled"), "pending": t("招待中", "invited"),
    "expired": t("招待期限切れ", "invitation expired"), "not_invited": t("未招待", "not invited"),
}
REQUEST_STATE: dict[str, Text] = STATE_LABELS
QUESTIONNAIRE_RESULT: dict[str, Text] = {
    "compliant": t("対応済み", "compliant"), "partial": t("一部対応", "partial"),
    "non_compliant": t("未対応", "non-compliant"), "not_applicable": t("対象外", "not applicable"),
}
SEVERITY_COLOURS: dict[str, str] = {
    "critical": "#b71c1c", "high": "#e65100", "medium": "#f9a825", "low": "#1e88e5", "info": "#90a4ae",
    "none": "#43a047",
}


def label(table: dict[str, Text], key: str | None) -> str:
    """The label of a code (severity, status, ...) in the session's language; the code itself if unknown."""
    if key is None:
        return ""
    found = table.get(key)
    return found.get(language()) if found else key
