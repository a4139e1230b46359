"""How the CLI shows findings, an evaluation and risk scores (shared by evaluate, findings and demo)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console

from vendorwatch.cli.text import cell, lines
from vendorwatch.clock import local_time

if TYPE_CHECKING:
    from rich.table import Table

    from vendorwatch.db.tables import Finding
    from vendorwatch.findings.evaluate import Evaluation
    from vendorwatch.scoring.risk import VendorRisk
    from vendorwatch.views.personal import Masker

_STATUS = {"open": "未対応 open", "acknowledged": "確認済 ack", "risk_accepted": "リスク受容 accepted",
           "resolved": "解決 resolved"}
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def status_text(finding: Finding, zone: str = "Asia/Tokyo", *, short: bool = False) -> str:
    """The status as people read it; an accepted risk with its expiry in the organization's zone (its local date
    when ``short``)."""
    label = _STATUS.get(finding.status, finding.status)
    if finding.status == "risk_accepted" and finding.accepted_until is not None:
        expiry = local_time(finding.accepted_until, zone)
        label += f" 〜{expiry[:10] if short else expiry}"
    return label


def findings_table(findings: list[Finding], zone: str = "Asia/Tokyo", *, wide: bool = False,
                   masker: Masker | None = None) -> Table:
    """One line per finding (id, severity, control, vendor, status, last seen, title, subject), or with ``wide``
    the full text: both titles and messages, when the condition happened, the evidence. People in subjects and
    messages are masked by ``masker`` (none: as stored)."""
    from rich.table import Table

    from vendorwatch.findings.query import to_contract
    from vendorwatch.views.personal import Masker

    masker = masker or Masker(masked=False)
    table = Table(show_lines=wide, title="指摘事項 / findings", title_justify="left")
    columns = ["id", "重大度 severity", "管理策 control", "委託先 vendor", "状態 status", "最終検出 last seen"]
    columns += ["内容 finding", "発生 events", "根拠イベント evidence"] if wide else ["内容 finding", "対象 subject"]
    for column in columns:
        if wide:
            table.add_column(column, overflow="fold")
        elif column in ("内容 finding", "対象 subject"):
            table.add_column(column, overflow="ellipsis", no_wrap=True, ratio=1, min_width=12)
        else:
            table.add_column(column, no_wrap=True)
    for finding in findings:
        item = to_contract(finding)
        message = item["message"] or item["title"]
        principals = item["evidence"]["principals"]
        common = [cell(finding.id), cell(finding.severity, _SEVERITY_STYLE.get(finding.severity, "")),
                  cell(finding.control_id), cell(finding.vendor_id or "(組織 firm)"),
                  cell(status_text(finding, zone, short=not wide)),
                  cell(local_time(finding.last_seen, zone))]
        if not wide:
            table.add_row(*common, cell(item["title"]["ja"]), cell(masker.text(finding.subject, principals)))
            continue
        ids = item["evidence"]["event_ids"]
        evidence = ", ".join(ids[:3]) + (f" … (+{len(ids) - 3})" if len(ids) > 3 else "")
        table.add_row(*common, lines(f"{item['title']['ja']} / {item['title']['en']}",
                                     masker.text(message["ja"], principals), masker.text(message["en"], principals)),
                      lines(*event_period(finding, zone)), cell(evidence))
    return table


def event_period(finding: Finding, zone: str = "Asia/Tokyo") -> tuple[str, ...]:
    """When the condition happened (first and last evidence event), or nothing for a finding without events."""
    first = getattr(finding, "first_event_at", None)
    last = getattr(finding, "last_event_at", None)
    if first is None and last is None:
        return ()
    return (f"{local_time(first, zone)} 〜", local_time(last, zone))


def print_evaluation(console: Console, evaluation: Evaluation) -> None:
    """Per-check counts and timings, failures, and what changed."""
    from rich.table import Table

    table = Table(title="評価 / evaluation", title_justify="left")
    for column in ("check", "control", "件数 found", "秒 seconds", "エラー error"):
        table.add_column(column, overflow="fold")
    for outcome in evaluation.run.outcomes:
        error = (outcome.error or "").splitlines()[0] if outcome.error else ""
        table.add_row(outcome.check.id, outcome.check.meta.control, str(len(outcome.drafts)),
                      f"{outcome.seconds:.3f}", error)
    console.print(table)
    counts = evaluation.summary.counts
    console.print(
        f"新規 new {counts['new']}・再発 reopened {counts['reopened']}・継続 still present {counts['still_present']}・"
        f"受容期限切れ acceptance expired {counts['acceptance_expired']}・解決 resolved {counts['resolved']}・"
        f"解決のまま（新しいイベントなし）kept resolved {counts['kept_resolved']}  "
        f"(移送 transfers +{evaluation.run.transfers_added}, {evaluation.run.seconds:.2f} s)",
        highlight=False,
    )


def risk_table(risks: dict[str, VendorRisk]) -> Table:
    """Score per vendor with the biggest reasons behind it."""
    from rich.table import Table

    table = Table(title="委託先リスク / vendor risk", title_justify="left")
    for column in ("委託先 vendor", "スコア score", "水準 level", "監視カバレッジ coverage", "主な要因 top reasons"):
        table.add_column(column, overflow="fold")
    for vendor_id, risk in sorted(risks.items(), key=lambda item: -item[1].score):
        reasons = []
        for contribution in risk.contributions[:4]:
            if contribution.kind == "coverage":
                reasons.append(f"+{contribution.points} coverage gap ({contribution.vendor_id})")
            elif contribution.kind == "questionnaire" and contribution.points:
                reasons.append(f"+{contribution.points} {contribution.subject} score {contribution.score:g}% "
                               f"({contribution.vendor_id})")
            elif contribution.points:
                reasons.append(f"+{contribution.points} #{contribution.finding_id} {contribution.check_id} "
                               f"({contribution.vendor_id})")
        table.add_row(vendor_id, str(risk.score), risk.level,
                      f"{risk.fresh_sources}/{risk.sources}", "\n".join(reasons))
    return table
