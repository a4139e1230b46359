"""``vendorwatch user``: passwords from standard input (never echoed or stored), masked listing, disable, reset."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, col, select

from tests.conftest import CONTRACT_REGISTRY
from vendorwatch.db.engine import make_engine
from vendorwatch.db.tables import AuditEntry, StaffUser


def _cli(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vendorwatch", *args], cwd=tmp_path, input=stdin, text=True,
                          capture_output=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})


def test_user_commands_add_list_disable_reset(tmp_path: Path) -> None:
    shutil.copy(CONTRACT_REGISTRY, tmp_path / "vendorwatch.yaml")
    assert _cli(tmp_path, "init").returncode == 0
    added = _cli(tmp_path, "user", "add", "sato", "--role", "manager", "--email", "hanako.sato@firm.example",
                 "--actor", "ada", stdin="a long enough password\n")
    assert added.returncode == 0, added.stderr
    assert "added sato (vendor manager)" in added.stdout and "a long enough password" not in added.stdout
    assert _cli(tmp_path, "user", "add", "ito", "--role", "viewer", "--email", "ito@firm.example",
                "--no-password").returncode == 0
    weak = _cli(tmp_path, "user", "add", "kato", "--role", "viewer", stdin="short\n")
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
    bad_role = _cli(tmp_path, "user", "add", "kato", "--role", "root", stdin="a long enough password\n")
    assert bad_role.returncode == 2 and "there is no role root" in bad_role.stderr
    listed = _cli(tmp_path, "user", "list")
    assert "h***@firm.example" in listed.stdout and "hanako.sato@firm.example" not in listed.stdout
    assert "OIDC" in listed.stdout
    assert _cli(tmp_path, "user", "disable", "ito").returncode == 0
    assert "無効 disabled" in _cli(tmp_path, "user", "list").stdout
    assert _cli(tmp_path, "user", "reset", "sato", "--password-stdin", stdin="another long password\n").returncode == 0
    assert _cli(tmp_path, "user", "role", "sato", "admin").returncode == 0
    missing = _cli(tmp_path, "user", "disable", "nobody")
    assert missing.returncode == 2 and "there is no account nobody" in missing.stderr

    engine = make_engine(f"sqlite:///{tmp_path / 'vendorwatch.db'}")
    with Session(engine) as session:
        sato = session.exec(select(StaffUser).where(StaffUser.name == "sato")).one()
        assert sato.role == "admin" and sato.password_hash and sato.password_hash.startswith("$argon2id$")
        actions = [(e.action, e.target) for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]
    engine.dispose()
    assert actions[1:] == [("staff.add", "staff:sato"), ("staff.add", "staff:ito"), ("staff.disable", "staff:ito"),
                           ("staff.password_reset", "staff:sato"), ("staff.role", "staff:sato")]


def test_the_dashboard_command_is_built_and_refuses_an_uninitialized_database(tmp_path: Path) -> None:
    result = _cli(tmp_path, "dashboard", "--port", "8599")
    assert result.returncode == 2 and "vendorwatch init" in result.stderr
    assert "not built yet" not in result.stderr
