"""The format contract: shared/examples/vendorwatch.yaml loads exactly as written."""

from __future__ import annotations

from tests.conftest import CONTRACT_REGISTRY, DEMO_REGISTRY
from vendorwatch.registry.loader import load_registry
from vendorwatch.registry.models import AwsSource, LdapSource


def test_contract_registry_loads_exactly_as_written() -> None:
    registry, _ = load_registry(CONTRACT_REGISTRY)
    assert registry.organization.name.en == "Example Securities Co., Ltd."
    assert [v.id for v in registry.vendors] == ["asys", "opsmon", "callcenter"]
    asys = registry.vendor("asys")
    assert asys.name.en == "A-System Co., Ltd."
    assert asys.roster[1].until is not None and asys.roster[1].until.isoformat() == "2026-09-30"
    assert asys.accounts[0].allowed_hours == "any"
    prod = asys.environments[0]
    assert prod.allowed_hours is not None and prod.allowed_hours.start == "08:00"
    assert [b.data_class for b in prod.buckets] == ["customer", "internal"]
    aws, _, ldap = asys.sources
    assert isinstance(aws, AwsSource) and aws.external_id_env == "VW_ASYS_EXTERNAL_ID"
    assert isinstance(ldap, LdapSource) and ldap.password_env == "VW_ASYS_LDAP_PASSWORD"
    assert asys.checks["aws.iam.access_key_too_old"] == {"max_age_days": 90}
    assert registry.vendor("opsmon").parent == "asys"
    transfer = registry.transfers[0]
    assert (transfer.from_, transfer.to) == ("asys-prod", "asys-dev")
    assert transfer.window.start.utcoffset() is not None


def test_contract_registry_passes_config_check_unchanged(run_cli) -> None:
    result = run_cli("config", "check", str(CONTRACT_REGISTRY))
    assert result.exit_code == 0, result.stderr
    assert "3 vendors" in result.stdout


def test_documented_example_registry_is_valid() -> None:
    registry, _ = load_registry(DEMO_REGISTRY)
    assert registry.vendor("opswatch").parent == "tradesys"
