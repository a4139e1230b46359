"""The words the digest uses for severities, statuses, levels and states, in Japanese and English."""

from __future__ import annotations

from vendorwatch.i18n import Text, t

SEVERITY: dict[str, Text] = {
    "critical": t("重大", "Critical"),
    "high": t("高", "High"),
    "medium": t("中", "Medium"),
    "low": t("低", "Low"),
    "info": t("情報", "Info"),
}
SEVERITIES = ("critical", "high", "medium", "low")  # the ones counted and charted (info carries no risk)

LEVEL: dict[str, Text] = {
    "critical": t("重大", "Critical"),
    "high": t("高", "High"),
    "medium": t("中", "Medium"),
    "low": t("低", "Low"),
    "none": t("なし", "None"),
}

STATUS: dict[str, Text] = {
    "open": t("未対応", "Open"),
    "acknowledged": t("対応中", "Acknowledged"),
    "risk_accepted": t("リスク受容", "Risk accepted"),
    "resolved": t("解決", "Resolved"),
}

SOURCE_STATE: dict[str, Text] = {
    "fresh": t("収集済", "Collected"),
    "stale": t("期限超過", "Overdue"),
    "failing": t("失敗中", "Failing"),
    "never": t("未収集", "Never collected"),
}

CONTROL_STATUS: dict[str, Text] = {
    "alert": t("重大", "Critical"),
    "attention": t("要対応", "Action needed"),
    "watch": t("経過観察", "Watch"),
    "ok": t("指摘なし", "No open findings"),
}

TIER: dict[str, Text] = {
    "critical": t("最重要", "Critical"),
    "high": t("重要", "High"),
    "medium": t("中", "Medium"),
    "low": t("低", "Low"),
}

ORGANIZATION = t("自社（組織全体）", "The firm (organization-wide)")


def label(table: dict[str, Text], key: str | None) -> Text:
    """The label of a key, or the key itself when the table does not know it."""
    if key is None:
        return t("—", "—")
    return table.get(key, t(key, key))


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``1 finding`` / ``3 findings`` (English only; Japanese counts with 件 or 社)."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
