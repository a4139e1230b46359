"""Faults against the real slapd: each gives a clear bilingual error on the run, nothing half-written, and the
checkpoint never moves past what was not read."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.ldap.collect import collect
from tests.servers.slapd import SlapdServer
from vendorwatch.db.tables import AccessEvent, Grant, ObservedSetting, Principal
from vendorwatch.ingest.context import CollectContext

pytestmark = pytest.mark.slapd


def _stored(engine: Engine, source: str) -> int:
    with Session(engine) as session:
        return sum(len(list(session.exec(select(table).where(table.source_id == source))))  # type: ignore[attr-defined]
                   for table in (Principal, Grant, ObservedSetting, AccessEvent))


def test_unreachable_server_fails_the_run_with_a_clear_error(
    engine: Engine, context_for: Callable[[str], CollectContext],
) -> None:
    run = collect(context_for("dirco-down"))
    assert run.status == "failed"
    assert "サーバーに接続できません" in (run.error_text or "")
    assert "cannot be reached" in (run.error_text or "")
    assert run.errors[0]["where"] == "connect"
    assert _stored(engine, "dirco-down") == 0


def test_refused_bind_names_the_service_account(
    engine: Engine, context_for: Callable[[str], CollectContext], slapd_server: SlapdServer,
) -> None:
    run = collect(context_for("dirco-bad-password"))
    assert run.status == "failed"
    assert "バインドが拒否されました" in (run.error_text or "")
    assert f"refused the bind of service account {slapd_server.service_dn}" in (run.error_text or "")
    assert "not-the-password" not in str(run.errors) + (run.error_text or "")  # the secret is never recorded
    assert _stored(engine, "dirco-bad-password") == 0


def test_certificate_from_an_unknown_ca_is_refused(
    engine: Engine, context_for: Callable[[str], CollectContext],
) -> None:
    run = collect(context_for("dirco-wrong-ca"))
    assert run.status == "failed"
    assert "TLS 接続を確立できません" in (run.error_text or "")
    assert "could not establish TLS" in (run.error_text or "")
    assert _stored(engine, "dirco-wrong-ca") == 0


def test_size_limit_leaves_no_partial_inventory(
    engine: Engine, context_for: Callable[[str], CollectContext],
) -> None:
    run = collect(context_for("dirco-limited"))  # this reader's searches stop after 10 entries
    assert run.status == "failed"
    assert "サイズ制限" in (run.error_text or "") and "size limit" in (run.error_text or "")
    with Session(engine) as session:
        assert list(session.exec(select(Principal).where(Principal.source_id == "dirco-limited"))) == []
        assert list(session.exec(select(Grant).where(Grant.source_id == "dirco-limited"))) == []


def test_referral_is_reported_not_followed(
    engine: Engine, context_for: Callable[[str], CollectContext],
) -> None:
    run = collect(context_for("dirco-referral"))
    assert run.status == "failed"
    assert "referral" in (run.error_text or "") and "参照" in (run.error_text or "")
    with Session(engine) as session:
        assert list(session.exec(select(Principal).where(Principal.source_id == "dirco-referral"))) == []


def test_missing_password_variable_is_a_configuration_error(
    engine: Engine, context_for: Callable[[str], CollectContext], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VW_TEST_LDAP_PASSWORD")
    run = collect(context_for("dirco-ldap"))
    assert run.status == "failed"
    assert "VW_TEST_LDAP_PASSWORD" in (run.error_text or "")
