"""Findings as JSON (the contract), CSV (spreadsheets) and OCSF Detection Findings (class 2004, for a SIEM)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson

from vendorwatch import __version__
from vendorwatch.clock import DEFAULT_ZONE
from vendorwatch.db.tables import Finding
from vendorwatch.findings.query import to_contract
from vendorwatch.spreadsheet import csv_text, excel_time

CSV_COLUMNS = ["id", "check", "control", "vendor", "subject", "severity", "status", "first_seen", "last_seen",
               "title_ja", "title_en", "message_ja", "message_en", "event_ids", "principals",
               "first_event_at", "last_event_at", "accepted_until", "status_reason", "remediation_ja", "remediation_en"]
_TIMES = ("first_seen", "last_seen", "first_event_at", "last_event_at", "accepted_until")
OCSF_SEVERITY = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
OCSF_STATUS = {"open": (1, "New"), "acknowledged": (2, "In Progress"), "risk_accepted": (3, "Suppressed"),
               "resolved": (4, "Resolved")}
GUIDELINE = "JSDA インターネット取引における不正アクセス等防止に向けたガイドライン IV.3(2)"


def as_json(findings: list[Finding]) -> str:
    """A JSON list of contract objects."""
    return orjson.dumps([to_contract(f) for f in findings], option=orjson.OPT_INDENT_2).decode()


def csv_header(zone: str = DEFAULT_ZONE) -> list[str]:
    """Column names; time columns say their zone (``last_seen (Asia/Tokyo)``)."""
    return [f"{c} ({zone})" if c in _TIMES else c for c in CSV_COLUMNS]


def as_csv(findings: list[Finding], zone: str = DEFAULT_ZONE) -> str:
    """One row per finding, for Japanese Excel (``vendorwatch.spreadsheet``: BOM, local times, no formulas);
    lists joined with spaces."""
    def rows() -> Iterator[list[object]]:
        for finding in findings:
            item = to_contract(finding)
            message = item["message"] or {}
            remediation = item["remediation"] or {}
            values: dict[str, object] = {
                **{k: item[k] for k in ("id", "check", "control", "vendor", "subject", "severity", "status",
                                        "status_reason")},
                **{k: excel_time(getattr(finding, k), zone) for k in _TIMES},
                "title_ja": item["title"]["ja"], "title_en": item["title"]["en"],
                "message_ja": message.get("ja", ""), "message_en": message.get("en", ""),
                "event_ids": " ".join(item["evidence"]["event_ids"]),
                "principals": " ".join(item["evidence"]["principals"]),
                "remediation_ja": remediation.get("ja", ""), "remediation_en": remediation.get("en", ""),
            }
            yield [values[c] for c in CSV_COLUMNS]
    return csv_text(csv_header(zone), rows())


def _ms(value: str | None) -> int | None:
    return int(datetime.fromisoformat(value).timestamp() * 1000) if value else None


def to_ocsf(finding: Finding) -> dict[str, Any]:
    """An OCSF 1.1 Detection Finding (class_uid 2004) for one finding."""
    item = to_contract(finding)
    status_id, status = OCSF_STATUS.get(item["status"], (99, item["status"]))
    # Create for a finding just detected and untouched; Update once seen again or triaged; Close when resolved.
    if item["status"] == "resolved":
        activity_id = 3
    elif item["status"] == "open" and item["first_seen"] == item["last_seen"]:
        activity_id = 1
    else:
        activity_id = 2
    message = item["message"] or item["title"]
    return {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": activity_id,
        "type_uid": 2004 * 100 + activity_id,
        "severity_id": OCSF_SEVERITY.get(item["severity"], 0),
        "severity": item["severity"].capitalize(),
        "status_id": status_id,
        "status": status,
        "time": _ms(item["last_seen"]),
        "message": message["en"],
        "metadata": {
            "version": "1.1.0",
            "product": {"name": "VendorWatch", "vendor_name": "VendorWatch", "version": __version__},
            "uid": finding.fingerprint,
        },
        "finding_info": {
            "uid": finding.fingerprint,
            "title": item["title"]["en"],
            "desc": message["en"],
            "types": [f"JSDA IV.{item['control']}"],
            "first_seen_time": _ms(item["first_seen"]),
            "last_seen_time": _ms(item["last_seen"]),
            "analytic": {"uid": item["check"], "name": item["check"], "type_id": 1, "type": "Rule"},
            "related_events": [{"uid": event_id} for event_id in item["evidence"]["event_ids"]],
        },
        "resources": [{"uid": item["subject"], "name": item["subject"]}],
        "remediation": {"desc": (item["remediation"] or {}).get("en", "")},
        "unmapped": {
            "vendor": item["vendor"],
            "control": item["control"],
            "guideline": GUIDELINE,
            "title_ja": item["title"]["ja"],
            "message_ja": message["ja"],
            "principals": item["evidence"]["principals"],
            "finding_id": item["id"],
        },
    }


def as_ocsf(findings: list[Finding]) -> str:
    """A JSON list of OCSF Detection Findings."""
    return orjson.dumps([to_ocsf(f) for f in findings], option=orjson.OPT_INDENT_2).decode()
