"""The audit commands show and accept the full hash; showing personal data on the CLI is audited."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import DEMO_REGISTRY


def test_the_hash_audit_log_prints_is_what_verify_expect_head_accepts(run_cli, tmp_path: Path) -> None:
    env = {"VENDORWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'vw.db'}", "VENDORWATCH_ACTOR": "auditor"}
    assert run_cli("init", "--config", str(DEMO_REGISTRY), env=env).exit_code == 0
    shown = run_cli("audit", "log", "--limit", "1", env={**env, "COLUMNS": "80"})
    assert shown.exit_code == 0, shown.stderr
    hashes = re.findall(r"\b[0-9a-f]{64}\b", shown.stdout)
    assert len(hashes) == 1, shown.stdout  # whole, on one line, even in 80 columns
    verified = run_cli("audit", "verify", "--expect-head", hashes[0], env=env)
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    assert run_cli("audit", "verify", "--expect-head", hashes[0][:12], env=env).exit_code == 1

    unmasked = run_cli("vendors", "--unmask", env=env)
    assert unmasked.exit_code == 0, unmasked.stderr
    last = run_cli("audit", "log", "--limit", "1", env=env).stdout
    assert "personal_data.unmask" in last and "cli:vendors" in last and "auditor" in last
