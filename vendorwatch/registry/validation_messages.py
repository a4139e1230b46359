"""Pydantic's validation errors as bilingual messages a vendor manager can act on."""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import BaseModel
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
        return t(_TYPE_JA[kind], _TYPE_EN.get(kind, english))
    return t(f"値が正しくありません: {english}", english)


# English for the type errors, in the file's own words (pydantic's say "instance of Name").
_TYPE_EN = {
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list (lines starting with -, or [ ])",
    "dict_type": "must be a mapping (key: value)",
    "model_type": "must be a mapping (key: value)",
    "model_attributes_type": "must be a mapping (key: value)",
    "date_type": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "must be a date (YYYY-MM-DD) without a time",
    "datetime_type": "must be a date and time (e.g. 2026-11-02T09:00:00+09:00)",
    "datetime_parsing": "must be a date and time (e.g. 2026-11-02T09:00:00+09:00)",
    "datetime_from_date_parsing": "must be a date and time (e.g. 2026-11-02T09:00:00+09:00)",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "none_required": "must be left empty",
}
# Parts of pydantic's error location that name a validator or a union member, never a field of the file.
_INTERNAL = re.compile(r"^(function-(after|before|wrap|plain)\[.*\]|literal\[.*\]|json-or-python\[.*\]|"
                       r"lax-or-strict\[.*\]|chain\[.*\]|nullable\[.*\]|[A-Z]\w*|str|int|float|bool|list\[.*\]|"
                       r"dict\[.*\]|date|datetime)$")


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation may hold (through Optional, list, dict, Annotated and unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _field(model: type[BaseModel], name: str) -> Any:
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info
    return None


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    """The values of a model's ``kind`` discriminator (``Literal["aws"]``), if it has one."""
    kind = _field(model, "kind")
    return get_args(kind.annotation) if kind is not None else ()


def allowed_fields(root: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The field names the file may use where ``loc`` (pydantic's location of an unknown field) points."""
    candidates = [root]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        holder = next((m for m in candidates if _field(m, part) is not None), None)
        if holder is not None:
            candidates = _models_in(_field(holder, part).annotation) or candidates
            continue
        # a union member: the discriminator's value (``aws``) or the class name pydantic put in the path
        chosen = [m for m in candidates if m.__name__ == part or part in _tags(m)]
        candidates = chosen or candidates
    names = {info.alias or name for model in candidates for name, info in model.model_fields.items()}
    return sorted(names)


def _kinds_of(errors: list[ErrorDetails]) -> Text:
    """Several alternatives failed (a union): one message naming what each alternative wanted."""
    wanted_ja: list[str] = []
    wanted_en: list[str] = []
    for error in errors:
        if error["type"] in ("literal_error", "enum"):
            expected = str((error.get("ctx") or {}).get("expected", ""))
            wanted_ja.append(expected)
            wanted_en.append(expected)
        else:
            message = translate(error)
            wanted_ja.append(message.ja.removesuffix("で指定してください"))
            wanted_en.append(message.en.removeprefix("must be "))
    ja = "、".join(dict.fromkeys(wanted_ja))
    en = " or ".join(dict.fromkeys(wanted_en))
    return t(f"次のいずれかで指定してください: {ja}", f"must be {en}")


def readable_errors(errors: list[ErrorDetails], root: type[BaseModel]) -> list[tuple[tuple[str | int, ...], Text]]:
    """Pydantic's errors as (path in the file's own words, bilingual message): validator and union-member names
    dropped from the path, the alternatives of a union told in one message, and an unknown field listed with
    the allowed ones. The path may still hold a source's ``kind`` (the loader removes it)."""
    grouped: dict[tuple[str | int, ...], list[ErrorDetails]] = {}
    for error in errors:
        path = tuple(p for p in error["loc"] if isinstance(p, int) or not _INTERNAL.match(p))
        grouped.setdefault(path, []).append(error)
    readable = []
    for path, found in grouped.items():
        if len(found) > 1 and len(found) != len({e["loc"] for e in found}):
            found = list({e["loc"]: e for e in found}.values())
        if len(found) > 1 and all(e["loc"] != path for e in found):
            readable.append((path, _kinds_of(found)))
            continue
        for error in found:
            message = translate(error)
            if error["type"] == "extra_forbidden":
                allowed = ", ".join(allowed_fields(root, tuple(error["loc"])))
                message = t(f"{message.ja}。使える項目: {allowed}", f"{message.en}; allowed fields: {allowed}")
            readable.append((path, message))
    return readable
