"""Collecting a real OpenLDAP server (slapd with mdb, accesslog, ppolicy, TLS from a test CA) end to end:
principals, grants, lockout state, password policy and access events with client IPs, stored on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from connectors.ldap.collect import collect
from tests.connectors.ldap.conftest import Traffic
from tests.servers.slapd import MAX_FAILURE, SlapdServer, user_dn
from vendorwatch.db.tables import AccessEvent, CollectionRun, Grant, ObservedSetting, Principal
from vendorwatch.ingest.context import CollectContext

pytestmark = pytest.mark.slapd


def _principals(engine: Engine, source: str) -> dict[str, Principal]:
    with Session(engine) as session:
        return {p.external_id: p for p in session.exec(select(Principal).where(Principal.source_id == source))}


def _events(engine: Engine, source: str) -> list[AccessEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AccessEvent).where(AccessEvent.source_id == source)))


def test_collecting_slapd_stores_accounts_groups_policy_and_binds(
    engine: Engine, context_for: Callable[[str], CollectContext], slapd_server: SlapdServer, traffic: Traffic,
) -> None:
    run = collect(context_for("dirco-ldap"))
    assert run.status == "success", (run.error_text, run.errors)

    principals = _principals(engine, "dirco-ldap")
    people = {dn: p for dn, p in principals.items() if ",ou=people," in dn}
    assert len(people) == slapd_server.accounts
    assert slapd_server.service_dn in principals  # service accounts are principals too (control 3.2.5)
    alice = people[user_dn(1)]
    assert alice.kind == "ldap_account"
    assert alice.name == "user00001"
    assert alice.display_name == "利用者 1"
    assert alice.email == "user00001@vendor.example"
    assert alice.created_at is not None
    # Locked by ppolicy after MAX_FAILURE real bad binds; the lock is in force (duration 900 s).
    assert alice.locked_at is not None and alice.locked_at >= traffic.started.replace(microsecond=0)
    assert alice.attributes["locked"] is True
    assert alice.attributes["failure_count"] == MAX_FAILURE
    assert people[traffic.failed_once_dn].locked_at is None
    assert people[traffic.failed_once_dn].attributes["failure_count"] == 1
    # Good binds show as last use (pwdLastSuccess and the logs agree).
    for dn in traffic.good_dns:
        assert people[dn].last_used_at is not None and people[dn].last_used_at >= traffic.started.replace(microsecond=0)
    assert people[user_dn(5)].last_used_at is None
    # Every 15th account's shadowExpire lies in the past: disabled.
    assert people[user_dn(15)].disabled and people[user_dn(15)].attributes["expired"]
    assert not people[user_dn(14)].disabled
    assert people[user_dn(14)].attributes["password_never_expires"] is False

    with Session(engine) as session:
        grants = list(session.exec(select(Grant).where(Grant.source_id == "dirco-ldap")))
    admin_grants = {g.principal_external_id for g in grants if g.is_admin}
    assert admin_grants == {user_dn(i) for i in range(10, slapd_server.accounts + 1, 10)}
    assert all(g.kind == "directory_group" for g in grants)
    staff = [g for g in grants if g.name.startswith("cn=staff")]
    assert len(staff) == slapd_server.accounts  # posixGroup memberUid joined to the accounts by uid
    developer = {g.name for g in grants if g.principal_external_id == user_dn(20)}
    assert developer == {slapd_server.admins_dn, f"cn=developers,ou=groups,{slapd_server.base_dn}",
                         f"cn=staff,ou=groups,{slapd_server.base_dn}"}

    with Session(engine) as session:
        policy = session.exec(select(ObservedSetting).where(ObservedSetting.source_id == "dirco-ldap")).one()
    assert policy.kind == "ldap.ppolicy"
    assert policy.subject == slapd_server.policy_dn
    assert policy.data["max_failure"] == MAX_FAILURE
    assert policy.data["lockout"] is True
    assert policy.data["lockout_duration_s"] == 900
    assert policy.data["max_age_days"] == 90
    assert policy.data["min_length"] == 12


def test_binds_carry_outcome_and_client_ip_from_the_stats_log(
    engine: Engine, context_for: Callable[[str], CollectContext], traffic: Traffic,
) -> None:
    run = collect(context_for("dirco-ldap"))
    assert run.status == "success", (run.error_text, run.errors)
    events = [e for e in _events(engine, "dirco-ldap") if e.event_time >= traffic.started.replace(microsecond=0)]
    stats = [e for e in events if e.source_event_id.startswith("slapd:")]
    locked_fails = [e for e in stats if e.principal == traffic.locked_dn]
    # MAX_FAILURE + 1 wrong passwords and one right password refused because the account is locked.
    assert len(locked_fails) == MAX_FAILURE + 2
    assert {(e.action, e.outcome, e.error_code, e.source_ip) for e in locked_fails} == {
        ("bind", "failure", "49", traffic.bad_ip)}
    once = [e for e in stats if e.principal == traffic.failed_once_dn]
    assert [(e.outcome, e.source_ip) for e in once] == [("failure", traffic.other_bad_ip)]
    for dn in traffic.good_dns:
        good = [e for e in stats if e.principal == dn]
        assert [(e.outcome, e.source_ip) for e in good] == [("success", "127.0.0.1")]
    assert all(e.environment_id == "dirco-prod" and e.vendor_id == "dirco" for e in events)

    # The accesslog's copies of these binds are left to the stats log: every login is counted once.
    assert not [e for e in events if e.source_event_id.startswith("accesslog:") and e.action == "bind"]
    assert run.counts["accesslog_binds_left_to_stats_log"] >= MAX_FAILURE + 4

    # A second run reads only what is new: nothing stored twice, checkpoints moved forward.
    again = collect(context_for("dirco-ldap"))
    assert again.status == "success"
    assert again.counts.get("duplicate", 0) <= 2  # at most the boundary accesslog entry, re-read by >=
    assert again.checkpoint is not None and again.checkpoint["stats_log"]["position"]["offset"] > 0
    total = _events(engine, "dirco-ldap")
    assert len({e.source_event_id for e in total}) == len(total)


def test_an_account_deleted_between_runs_is_marked_gone(
    engine: Engine, context_for: Callable[[str], CollectContext], slapd_server: SlapdServer,
) -> None:
    import ssl

    from ldap3 import Connection, Server, Tls

    first = collect(context_for("dirco-ldap"))
    assert first.status == "success"
    target = user_dn(slapd_server.accounts)
    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(slapd_server.ca_file))
    admin = Connection(Server("localhost", port=slapd_server.ldaps_port, use_ssl=True, tls=tls),
                       slapd_server.admin_dn, slapd_server.admin_password, auto_bind=True)
    try:
        admin.modify(f"cn=staff,ou=groups,{slapd_server.base_dn}", {"memberUid": [("MODIFY_DELETE", ["user00050"])]})
        admin.modify(slapd_server.admins_dn, {"member": [("MODIFY_DELETE", [target])]})
        assert admin.delete(target), admin.result
        second = collect(context_for("dirco-ldap"))
        assert second.status == "success"
        gone = _principals(engine, "dirco-ldap")[target]
        assert gone.gone_at is not None and gone.gone_run_id == second.id
        with Session(engine) as session:
            grants = list(session.exec(select(Grant).where(Grant.principal_external_id == target)))
            runs = list(session.exec(select(CollectionRun).where(col(CollectionRun.source_id) == "dirco-ldap")))
        assert grants and all(g.gone_at is not None for g in grants)
        assert len(runs) == 2
    finally:
        admin.add(target, ["inetOrgPerson", "posixAccount", "shadowAccount"],
                  {"uid": "user00050", "cn": "User 50", "sn": "Number50", "uidNumber": "10050", "gidNumber": "10000",
                   "homeDirectory": "/home/user00050", "userPassword": slapd_server.user_password})
        admin.modify(slapd_server.admins_dn, {"member": [("MODIFY_ADD", [target])]})
        admin.modify(f"cn=staff,ou=groups,{slapd_server.base_dn}", {"memberUid": [("MODIFY_ADD", ["user00050"])]})
        admin.unbind()


def test_starttls_source_reads_binds_from_the_accesslog(
    engine: Engine, context_for: Callable[[str], CollectContext], slapd_server: SlapdServer, traffic: Traffic,
) -> None:
    run = collect(context_for("dirco-starttls"))  # no stats log: the accesslog gives the binds
    assert run.status == "success", (run.error_text, run.errors)
    assert run.counts["principals"] == slapd_server.accounts + 2  # people and the two service accounts
    events = [e for e in _events(engine, "dirco-starttls") if e.event_time >= traffic.started.replace(microsecond=0)]
    assert all(e.source_event_id.startswith("accesslog:") for e in events)
    locked = [e for e in events if e.principal == traffic.locked_dn and e.action == "bind"]
    # Failed binds, some recorded by slapd as the ppolicy modify they caused; one of them locked the account.
    assert len(locked) == MAX_FAILURE + 2 and {e.outcome for e in locked} == {"failure"}
    assert [bool(e.details and e.details.get("locked_account")) for e in locked].count(True) == 1
    assert {e.outcome for e in events if e.principal in traffic.good_dns and e.action == "bind"} == {"success"}
    assert all(e.source_ip is None for e in events)  # the accesslog has no client address
