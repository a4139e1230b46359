"""The CLI of findings, as a first-time user runs it: init, evaluate, findings (every format), triage, controls."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

from tests.conftest import DEMO_REGISTRY

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


def test_evaluate_then_list_triage_and_gate(run_cli, tmp_path: Path) -> None:
    env = {"VENDORWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'vw.db'}", "VENDORWATCH_ACTOR": "yamada"}
    assert run_cli("init", "--config", str(DEMO_REGISTRY), env=env).exit_code == 0
    evaluated = run_cli("evaluate", env=env)
    assert evaluated.exit_code == 0, evaluated.stderr
    assert "monitoring.source_not_collected" in evaluated.stdout

    listed = run_cli("findings", "--format", "json", env=env)
    assert listed.exit_code == 0, listed.stderr
    findings = json.loads(listed.stdout)
    keys = {"id", "check", "control", "vendor", "subject", "severity", "status", "first_seen", "last_seen", "evidence",
            "title"}
    assert findings and all(keys <= set(f) for f in findings)
    assert {"event_ids", "principals"} <= set(findings[0]["evidence"])
    subvendor = next(f for f in findings if f["check"] == "supervision.subvendor_unsupervised")
    assert (subvendor["control"], subvendor["vendor"], subvendor["subject"]) == ("3.2.7", "tradesys", "subvendor:opswatch")

    only = json.loads(run_cli("findings", "--format", "json", "--vendor", "callcentre", "--control", "3.2.1",
                              env=env).stdout)
    assert only and all(f["vendor"] == "callcentre" and f["control"] == "3.2.1" for f in only)

    rows = list(csv.DictReader(io.StringIO(run_cli("findings", "--format", "csv", env=env).stdout)))
    assert len(rows) == len(findings) and rows[0]["title_ja"]
    ocsf = json.loads(run_cli("findings", "--format", "ocsf", env=env).stdout)
    assert {o["class_uid"] for o in ocsf} == {2004}
    assert all(o["finding_info"]["analytic"]["uid"] for o in ocsf)

    assert run_cli("findings", "--fail-on", "high", env=env).exit_code == 1
    assert run_cli("findings", "--fail-on", "critical", env=env).exit_code == 0
    assert run_cli("findings", "--severity", "urgent", env=env).exit_code == 2

    target = subvendor["id"]
    accepted = run_cli("finding", "accept", str(target), "--reason", "supervised by contract clause 12",
                       "--until", NEXT_YEAR, env=env)
    assert accepted.exit_code == 0, accepted.stderr
    refused = run_cli("finding", "accept", str(target), "--until", NEXT_YEAR, env=env)
    assert refused.exit_code == 2 and "reason" in refused.stderr
    statuses = {f["id"]: f["status"] for f in json.loads(run_cli("findings", "--format", "json", env=env).stdout)}
    assert statuses[target] == "risk_accepted"

    other = next(f["id"] for f in findings if f["id"] != target)
    assert run_cli("finding", "ack", str(other), env=env).exit_code == 0
    assert run_cli("finding", "resolve", str(other), "--reason", "source retired", env=env).exit_code == 0
    resolved = json.loads(run_cli("findings", "--format", "json", "--status", "resolved", env=env).stdout)
    assert [f["id"] for f in resolved] == [other]
    shown = run_cli("finding", "show", str(other), env=env)
    assert "acknowledged → resolved (yamada) source retired" in shown.stdout

    audit_log = run_cli("audit", "verify", env=env)
    assert audit_log.exit_code == 0, audit_log.stdout + audit_log.stderr


def test_controls_lists_every_control_with_its_checks(run_cli) -> None:
    result = run_cli("controls", "--json")
    assert result.exit_code == 0, result.stderr
    catalog = json.loads(result.stdout)
    assert [c["id"] for c in catalog["controls"]] == [f"3.2.{n}" for n in range(1, 8)]
    checks = {c["id"]: [k["id"] for k in c["checks"]] for c in catalog["controls"]}
    assert "aws.iam.access_key_too_old" in checks["3.2.2"]
    assert "transfer.production_data_unapproved" in checks["3.2.4"]
    assert {r["id"] for r in catalog["related"]} == {"1.2.3", "2.2.1", "3.1.4", "6.3.2"}
    text = run_cli("controls")
    assert "外部委託先に付与するアクセス権限について使いまわしを防止する等" in text.stdout
