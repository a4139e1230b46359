"""``vendorwatch portal``: built (no longer "not built yet"), and its usage errors are clear (exit 2)."""

from __future__ import annotations

from pathlib import Path


def test_the_portal_is_listed_as_built(run_cli) -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    line = next(x for x in result.stdout.splitlines() if " portal " in f" {x} ")
    assert "not built yet" not in line


def test_tls_needs_both_the_certificate_and_the_key(run_cli, tmp_path: Path) -> None:
    certificate = tmp_path / "portal.crt"
    certificate.write_text("-----BEGIN CERTIFICATE-----\n")
    result = run_cli("portal", "--tls-cert", str(certificate))
    assert result.exit_code == 2 and "--tls-key" in result.stderr


def test_an_invitation_needs_the_public_url(run_cli) -> None:
    result = run_cli("portal", "invite", "someone@vendor.example")
    assert result.exit_code == 2 and "VENDORWATCH_PORTAL_URL" in result.stderr
