"""How the CLI shows findings, an evaluation and risk scores (shared by evaluate, findings and demo)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vendorwatch.clock import local_time
from vendorwatch.db.tables import Finding
from vendorwatch.findings.evaluate import Evaluation
from vendorwatch.findings.query import to_contract
from vendorwatch.scoring.risk import VendorRisk

_STATUS = {"open": "未対応 open", "acknowledged": "確認済 ack", "risk_accepted": "リスク受容 accepted",
           "resolved": "解決 resolved"}
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def findings_table(findings: list[Finding], zone: str = "Asia/Tokyo") -> Table:
    """One row per finding: id, severity, control, vendor, check, what was found, evidence."""
    table = Table(show_lines=False, title="指摘事項 / findings", title_justify="left")
    for column in ("id", "重大度 severity", "管理策 control", "委託先 vendor", "状態 status", "最終検出 last seen",
                   "内容 finding", "根拠イベント evidence"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        item = to_contract(finding)
        message = item["message"] or item["title"]
        ids = item["evidence"]["event_ids"]
        evidence = ", ".join(ids[:3]) + (f" … (+{len(ids) - 3})" if len(ids) > 3 else "")
        style = _SEVERITY_STYLE.get(finding.severity, "")
        table.add_row(
            str(finding.id), f"[{style}]{finding.severity}[/]", finding.control_id, finding.vendor_id or "(組織 firm)",
            _STATUS.get(finding.status, finding.status), local_time(finding.last_seen, zone),
            f"{item['title']['ja']} / {item['title']['en']}\n{message['ja']}\n{message['en']}", evidence,
        )
    return table


def print_evaluation(console: Console, evaluation: Evaluation) -> None:
    """Per-check counts and timings, failures, and what changed."""
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
        f"受容期限切れ acceptance expired {counts['acceptance_expired']}・解決 resolved {counts['resolved']}  "
        f"(転送 transfers +{evaluation.run.transfers_added}, {evaluation.run.seconds:.2f} s)",
        highlight=False,
    )


def risk_table(risks: dict[str, VendorRisk]) -> Table:
    """Score per vendor with the biggest reasons behind it."""
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
