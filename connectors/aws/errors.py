"""How an AWS call's failure is written on a collection run."""

from __future__ import annotations

from botocore.exceptions import ClientError

from vendorwatch.i18n import Text, t


def error_code(exc: ClientError) -> str | None:
    """AWS's error code (``AccessDenied``, ``ExpiredToken``, ...)."""
    code = exc.response.get("Error", {}).get("Code")
    return str(code) if code is not None else None


def describe_error(exc: Exception) -> str:
    """``Code: message`` for an AWS error, ``Type: text`` otherwise; at most 500 characters."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message', '')}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def call_failed(exc: Exception, doing: Text | None = None) -> Text:
    """An AWS call's failure as a run records it: what was being done, then AWS's code and message (which AWS
    gives in English only)."""
    detail = describe_error(exc)
    if doing is None:
        return t(f"AWS の呼び出しが失敗しました: {detail}", detail)
    return t(f"{doing.ja}: {detail}", f"{doing.en}: {detail}")
