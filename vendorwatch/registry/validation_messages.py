"""Pydantic's validation errors as bilingual messages a vendor manager can act on."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

from vendorwatch.i18n import Text, t

_TYPE_JA = {
    "string_type": "文字列で指定してください",
    "int_type": "整数で指定してください",
    "int_parsing": "整数で指定してください",
    "bool_type": "true か false で指定してください",
    "bool_parsing": "true か false で指定してください",
    "list_type": "リスト（- で始まる行、または [ ]）で指定してください",
    "dict_type": "マッピング（キー: 値）で指定してください",
    "model_type": "マッピング（キー: 値）で指定してください",
    "model_attributes_type": "マッピング（キー: 値）で指定してください",
    "date_type": "日付（YYYY-MM-DD）で指定してください",
    "date_parsing": "日付（YYYY-MM-DD）で指定してください",
    "date_from_datetime_parsing": "日付（YYYY-MM-DD）で指定してください",
    "date_from_datetime_inexact": "日付（YYYY-MM-DD）で指定してください（時刻は付けません）",
    "datetime_type": "日時（例: 2026-11-02T09:00:00+09:00）で指定してください",
    "datetime_parsing": "日時（例: 2026-11-02T09:00:00+09:00）で指定してください",
    "datetime_from_date_parsing": "日時（例: 2026-11-02T09:00:00+09:00）で指定してください",
    "float_type": "数値で指定してください",
    "float_parsing": "数値で指定してください",
    "none_required": "値は書かないでください",
}


def translate(error: ErrorDetails) -> Text:
    """One pydantic error as a bilingual message."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    english = error["msg"]
    value = error.get("input")
    if kind == "vendorwatch":
        return Text(ja=str(ctx.get("ja", english)), en=english)
    if kind == "missing":
        return t("必須の項目がありません", "required field is missing")
    if kind == "extra_forbidden":
        return t("未知の項目です（綴りを確認してください）", "unknown field (check the spelling)")
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        return t(f"次のいずれかを指定してください: {expected}", f"must be one of: {expected}")
    if kind == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        return t(f"kind は次のいずれかです: {expected}", f"kind must be one of: {expected}")
    if kind == "union_tag_not_found":
        return t("kind（種類）を指定してください", "kind is required")
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        return t(f"形式が正しくありません（パターン {pattern}）", f"wrong format (pattern {pattern})")
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        ja = f"少なくとも {bound} 件（文字）必要です" if kind == "too_short" else f"{bound} 件（文字）以内にしてください"
        return t(ja, english)
    if kind in ("string_too_short", "string_too_long"):
        return t("空にはできません" if kind == "string_too_short" else "長すぎます", english)
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        return t(f"範囲外の値です: {english}", english)
    if kind == "value_error" and "email" in english.lower():
        return t("メールアドレスの形式ではありません", english)
    if kind == "string_type" and isinstance(value, int | float):
        return t(
            "文字列で指定してください。数字や時刻は引用符で囲みます（例: \"08:00\", \"111111111111\"）",
            'must be a string: write numbers and times in quotes (for example "08:00", "111111111111")',
        )
    if kind in _TYPE_JA:
        return t(_TYPE_JA[kind], english)
    return t(f"値が正しくありません: {english}", english)
