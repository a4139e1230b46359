"""``vendorwatch portal``: built (no longer "not built yet"), and its usage errors are clear (exit 2)."""

from __future__ import annotations

from pathlib import Path

from tests.portal.conftest import Portal


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


def test_accounts_say_what_the_dashboard_says(sqlite_portal: Portal, run_cli) -> None:
    # The command had its own state rule: a contact removed from the registry, whom the portal now refuses,
    # was listed as enrolled. It reads the dashboard's read model now.
    portal = sqlite_portal
    enrolled = portal.enrol_with_codes("acme")
    left = portal.enrol_with_codes("beta")
    document = portal.world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)
    next(v for v in document["vendors"] if v["id"] == "beta")["contacts"] = []
    portal.world.reimport({"vendors": document["vendors"]})
    env = {"VENDORWATCH_DATABASE_URL": portal.engine.url.render_as_string(hide_password=False)}
    listed = run_cli("portal", "accounts", env=env)
    assert listed.exit_code == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.strip()}
    assert " enrolled " in lines["acme"] and " not in registry " in lines["beta"]
    assert enrolled not in listed.stdout and left not in listed.stdout  # masked unless --unmask
    assert enrolled in run_cli("portal", "accounts", "--vendor", "acme", "--unmask", env=env).stdout
    unknown = run_cli("portal", "accounts", "--vendor", "nosuch", env=env)
    assert unknown.exit_code == 2 and "--vendor" in unknown.stderr
