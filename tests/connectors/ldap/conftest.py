"""Fixtures of the directory connector tests: a real slapd, a registry whose sources point at it, and real
good and bad binds made against it (enough to lock an account through ppolicy)."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from ldap3 import Connection, Server, Tls
from sqlalchemy import Engine

from tests.registry_import import import_registry
from tests.servers.slapd import MAX_FAILURE, SlapdServer, free_port, user_dn
from vendorwatch.clock import FixedClock
from vendorwatch.ingest.context import CollectContext
from vendorwatch.registry.models import Registry

PASSWORD_ENV = "VW_TEST_LDAP_PASSWORD"
WRONG_PASSWORD_ENV = "VW_TEST_LDAP_WRONG_PASSWORD"

VENDOR = """\
version: 1
organization:
  name: {{ja: テスト証券, en: Test Securities}}
vendors:
  - id: dirco
    name: {{ja: ディレクトリ社, en: Directory Co}}
    tier: high
    handles_customer_data: true
    environments:
      - id: dirco-prod
        kind: production
        directory: {{base_dn: "{base}"}}
"""  # a str.format template: the vendor and its environment, up to its roster

REGISTRY = VENDOR + """\
    sources:
      - id: dirco-ldap
        kind: ldap
        environment: dirco-prod
        url: {ldaps}
        bind_dn: "{service}"
        password_env: {password_env}
        ca_file: {ca}
        privileged_groups: ["{admins}"]
        accesslog_base: cn=accesslog
        stats_log: {stats_log}
        page_size: 7
        timeout_seconds: 5
      - id: dirco-starttls
        kind: ldap
        environment: dirco-prod
        url: {ldap}
        start_tls: true
        bind_dn: "{service}"
        password_env: {password_env}
        ca_file: {ca}
        accesslog_base: cn=accesslog
        timeout_seconds: 5
      - id: dirco-wrong-ca
        kind: ldap
        environment: dirco-prod
        url: {ldaps}
        bind_dn: "{service}"
        password_env: {password_env}
        ca_file: {wrong_ca}
        timeout_seconds: 5
      - id: dirco-down
        kind: ldap
        environment: dirco-prod
        url: ldaps://localhost:{down_port}
        bind_dn: "{service}"
        password_env: {password_env}
        ca_file: {ca}
        timeout_seconds: 3
      - id: dirco-bad-password
        kind: ldap
        environment: dirco-prod
        url: {ldaps}
        bind_dn: "{service}"
        password_env: {wrong_password_env}
        ca_file: {ca}
        timeout_seconds: 5
      - id: dirco-limited
        kind: ldap
        environment: dirco-prod
        url: {ldaps}
        bind_dn: "{limited}"
        password_env: {password_env}
        ca_file: {ca}
        page_size: 5
        timeout_seconds: 5
      - id: dirco-referral
        kind: ldap
        environment: dirco-prod
        url: {ldaps}
        base_dn: "dc=elsewhere,dc=org"
        bind_dn: "{service}"
        password_env: {password_env}
        ca_file: {ca}
        timeout_seconds: 5
      - id: dirco-shipped
        kind: ldap
        environment: dirco-prod
        url: {ldaps}
        bind_dn: "{service}"
        password_env: {password_env}
        ca_file: {ca}
        stats_log: {shipped_log}
        timeout_seconds: 5
      - id: dirco-files
        kind: files
        environment: dirco-prod
        format: slapd_stats
"""


def registry_text(server: SlapdServer, down_port: int, shipped_log: Path | None = None) -> str:
    """The test registry with its LDAP sources pointing at the running slapd (and at a closed port);
    ``dirco-shipped`` reads its stats log from ``shipped_log`` (a file the test writes)."""
    return REGISTRY.format(shipped_log=shipped_log or server.directory / "shipped" / "stats.log",
                           base=server.base_dn, ldaps=server.ldaps_url, ldap=server.ldap_url,
                           service=server.service_dn, limited=server.limited_dn, password_env=PASSWORD_ENV,
                           wrong_password_env=WRONG_PASSWORD_ENV, ca=server.ca_file, wrong_ca=server.wrong_ca_file,
                           stats_log=server.stats_log, admins=server.admins_dn, down_port=down_port)


@dataclass
class Traffic:
    """What the bind traffic did, for the assertions."""

    locked_dn: str
    good_dns: list[str]
    failed_once_dn: str
    bad_ip: str
    other_bad_ip: str
    started: datetime


def _tls(server: SlapdServer) -> Tls:
    return Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(server.ca_file))


def admin_connection(server: SlapdServer) -> Connection:
    """The slapd's administrator, bound over LDAPS (to shape the directory a test needs)."""
    target = Server("localhost", port=server.ldaps_port, use_ssl=True, tls=_tls(server))
    return Connection(target, server.admin_dn, server.admin_password, auto_bind=True, raise_exceptions=True)


def one_source_registry(server: SlapdServer, password_env: str, *, roster: str = "", source: str = "") -> str:
    """A registry with one vendor whose one LDAP source (``dirco-ldap``) is the running slapd; ``roster`` is the
    vendor's roster block and ``source`` more keys of the source (YAML lines, indented as they stand)."""
    return VENDOR.format(base=server.base_dn) + f"""\
{roster}    sources:
      - id: dirco-ldap
        kind: ldap
        environment: dirco-prod
        url: {server.ldaps_url}
        bind_dn: "{server.service_dn}"
        password_env: {password_env}
        ca_file: {server.ca_file}
{source}        timeout_seconds: 20
"""


def user_bind(server: SlapdServer, dn: str, password: str, source_address: str = "127.0.0.1",
              start_tls: bool = False) -> bool:
    """One real bind as a user, from a chosen loopback address (so the stats log shows distinct client IPs)."""
    if start_tls:
        target = Server("localhost", port=server.ldap_port, tls=_tls(server), connect_timeout=5)
    else:
        target = Server("localhost", port=server.ldaps_port, use_ssl=True, tls=_tls(server), connect_timeout=5)
    connection = Connection(target, dn, password, source_address=source_address, receive_timeout=5)
    connection.open()
    if start_tls:
        connection.start_tls()
    ok = bool(connection.bind())
    connection.unbind()
    return ok


def wait_for_stats(server: SlapdServer, needle: str, count: int, timeout: float = 10.0) -> None:
    """Wait until slapd has written ``count`` lines containing ``needle`` to its stats log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.stats_log.read_text(errors="replace").count(needle) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"slapd did not log {count} x {needle!r}")


@pytest.fixture(scope="module")
def traffic(slapd_server: SlapdServer) -> Traffic:
    """Real binds: user 1 fails MAX_FAILURE times from 127.0.0.5 (and is locked), then once more; users 2 and 3
    bind well (LDAPS and StartTLS); user 4 fails once from 127.0.0.6."""
    started = datetime.now(UTC)
    locked = user_dn(1)
    for _ in range(MAX_FAILURE + 1):
        assert not user_bind(slapd_server, locked, "wrong-password", source_address="127.0.0.5")
    assert not user_bind(slapd_server, locked, slapd_server.user_password, source_address="127.0.0.5")
    assert user_bind(slapd_server, user_dn(2), slapd_server.user_password)
    assert user_bind(slapd_server, user_dn(3), slapd_server.user_password, start_tls=True)
    assert not user_bind(slapd_server, user_dn(4), "wrong-password", source_address="127.0.0.6")
    wait_for_stats(slapd_server, f'BIND dn="{user_dn(4)}" method=128', 1)
    wait_for_stats(slapd_server, "RESULT tag=97", MAX_FAILURE + 5)
    return Traffic(locked, [user_dn(2), user_dn(3)], user_dn(4), "127.0.0.5", "127.0.0.6", started)


@pytest.fixture
def real_clock() -> FixedClock:
    """A fixed clock at the real current time: slapd stamps locks and binds with the real time."""
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def shipped_log(tmp_path: Path) -> Path:
    """Where the ``dirco-shipped`` source reads its stats log (the test writes and rotates it)."""
    (tmp_path / "shipped").mkdir()
    return tmp_path / "shipped" / "stats.log"


@pytest.fixture
def ldap_registry(engine: Engine, slapd_server: SlapdServer, real_clock: FixedClock,
                  monkeypatch: pytest.MonkeyPatch, shipped_log: Path) -> Iterator[Registry]:
    """The test registry imported into a fresh database (SQLite and PostgreSQL), passwords in the environment."""
    monkeypatch.setenv(PASSWORD_ENV, slapd_server.service_password)
    monkeypatch.setenv(WRONG_PASSWORD_ENV, "not-the-password")
    yield import_registry(engine, registry_text(slapd_server, free_port(), shipped_log), real_clock)


@pytest.fixture
def context_for(engine: Engine, ldap_registry: Registry,
                real_clock: FixedClock) -> Callable[[str], CollectContext]:
    """A collect context for a source of the test registry."""
    return lambda source_id: CollectContext.for_source(engine, ldap_registry, source_id, real_clock)
