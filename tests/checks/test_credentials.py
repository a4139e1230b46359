"""3.2.2: MFA, key age, unused credentials, root, password and lockout policies, failed sign-in bursts."""

from __future__ import annotations

from tests.checks.world import ALICE, ALICE_DN, BOB, MALLORY, PROD, World, at, ev
from vendorwatch.records import PrincipalRecord, SettingRecord


def user(arn: str, **fields: object) -> PrincipalRecord:
    return PrincipalRecord(external_id=arn, kind="iam_user", name=arn.rsplit("/", 1)[-1], **fields)  # type: ignore[arg-type]


def key(key_id: str, owner: str, created: str, **fields: object) -> PrincipalRecord:
    return PrincipalRecord(external_id=key_id, kind="access_key", name=key_id, parent_external_id=owner,
                           created_at=at(created), **fields)  # type: ignore[arg-type]


def test_console_user_without_mfa_opens_a_finding_and_one_with_mfa_does_not(world: World) -> None:
    world.principals(user(ALICE, console_access=True, mfa_enabled=True),
                     user(BOB, console_access=True, mfa_enabled=False),
                     user(MALLORY, console_access=False, mfa_enabled=False))  # no console password: nothing to MFA
    assert world.subjects("aws.iam.console_user_without_mfa") == {BOB}


def test_console_sign_in_without_mfa_names_the_event(world: World) -> None:
    world.events(ev("login-1", "2026-11-25 01:00", "ConsoleLogin", BOB, mfa_used=False),
                 ev("login-2", "2026-11-25 01:05", "ConsoleLogin", ALICE, mfa_used=True),
                 ev("login-3", "2026-11-25 01:06", "ConsoleLogin", MALLORY, mfa_used=False, outcome="failure",
                    error_code="Failed authentication"))
    drafts = world.drafts("aws.iam.console_login_without_mfa")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [(BOB, ["login-1"])]


def test_access_key_older_than_90_days_is_found_and_a_fresh_one_is_not(world: World) -> None:
    world.principals(key("AKIAOLD", ALICE, "2026-07-01 00:00"), key("AKIANEW", ALICE, "2026-11-01 00:00"),
                     key("AKIAOFF", ALICE, "2025-01-01 00:00", disabled=True))
    drafts = world.drafts("aws.iam.access_key_too_old")
    assert [d.subject for d in drafts] == ["AKIAOLD"]
    assert drafts[0].evidence.details["age_days"] == 148


def test_registry_can_tighten_the_key_age_per_vendor(sqlite_world: World) -> None:
    document = sqlite_world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)
    document["vendors"][0]["checks"] = {"aws.iam.access_key_too_old": {"max_age_days": 14}}
    sqlite_world.reimport({"vendors": document["vendors"]})
    sqlite_world.principals(key("AKIANEW", ALICE, "2026-11-01 00:00"))
    assert sqlite_world.subjects("aws.iam.access_key_too_old") == {"AKIANEW"}


def test_unused_user_is_found_but_one_seen_acting_recently_is_not(world: World) -> None:
    world.principals(user(BOB, created_at=at("2025-01-01 00:00"), last_used_at=at("2025-05-01 00:00")),
                     user(ALICE, created_at=at("2025-01-01 00:00"), last_used_at=at("2025-05-01 00:00")))
    world.events(ev("recent", "2026-11-20 01:00", "GetObject", ALICE))  # the inventory lags; the event does not
    assert world.subjects("identity.credential_unused") == {BOB}


def test_root_used_is_critical_and_names_the_events(world: World) -> None:
    root = f"arn:aws:iam::{PROD}:root"
    world.events(ev("root-1", "2026-11-25 01:00", "ConsoleLogin", root, principal_kind="root"),
                 ev("root-2", "2026-11-25 01:01", "CreateUser", root, principal_kind="root", outcome="failure",
                    error_code="AccessDenied"))
    drafts = world.drafts("aws.root.used")
    assert [(d.subject, d.evidence.event_ids) for d in drafts] == [(root, ["root-1"])]


def test_root_with_access_keys_or_without_mfa_is_found(world: World) -> None:
    root = f"arn:aws:iam::{PROD}:root"
    world.principals(PrincipalRecord(external_id=root, kind="root", name="root", mfa_enabled=True),
                     key("AKIAROOT", root, "2026-11-01 00:00"))
    drafts = world.drafts("aws.root.access_keys_or_no_mfa")
    assert [(d.subject, d.evidence.details["problems"]) for d in drafts] == [(root, ["access_keys"])]


def test_root_with_mfa_and_no_keys_is_fine(world: World) -> None:
    root = f"arn:aws:iam::{PROD}:root"
    world.principals(PrincipalRecord(external_id=root, kind="root", name="root", mfa_enabled=True))
    assert world.drafts("aws.root.access_keys_or_no_mfa") == []


def test_weak_aws_password_policy_is_found_and_a_strong_one_is_not(world: World) -> None:
    world.principals(user(ALICE), source="acme-aws-prod")
    world.principals(user("arn:aws:iam::222222222222:user/alice"), source="acme-aws-dev")
    world.settings(SettingRecord(kind="aws.password_policy", subject=PROD,
                                 data={"MinimumPasswordLength": 8, "PasswordReusePrevention": 0}),
                   source="acme-aws-prod")
    world.settings(SettingRecord(kind="aws.password_policy", subject="222222222222",
                                 data={"MinimumPasswordLength": 16, "PasswordReusePrevention": 24,
                                       "RequireSymbols": True}), source="acme-aws-dev")
    drafts = world.drafts("aws.iam.password_policy_weak")
    assert [d.subject for d in drafts] == ["source:acme-aws-prod:password_policy"]
    assert drafts[0].evidence.details["problems"] == ["min_length=8", "reuse_prevention=0"]


def test_aws_account_with_inventory_but_no_password_policy_is_missing_one(world: World) -> None:
    world.principals(user(ALICE), source="acme-aws-prod")
    drafts = world.drafts("aws.iam.password_policy_weak")
    assert [(d.subject, d.evidence.details["problems"]) for d in drafts] == [
        ("source:acme-aws-prod:password_policy", ["missing"])]


def test_connector_reporting_no_password_policy_is_missing_one(world: World) -> None:
    world.settings(SettingRecord(kind="aws.password_policy", subject=PROD, data={"present": False}))
    drafts = world.drafts("aws.iam.password_policy_weak")
    assert [d.evidence.details["problems"] for d in drafts] == [["missing"]]


def test_root_with_keys_per_account_summary_is_found(world: World) -> None:
    root = f"arn:aws:iam::{PROD}:root"
    world.principals(PrincipalRecord(external_id=root, kind="root", name="<root_account>", mfa_enabled=False,
                                     attributes={"has_access_keys": True, "from": "GetAccountSummary"}))
    drafts = world.drafts("aws.root.access_keys_or_no_mfa")
    assert [d.evidence.details["problems"] for d in drafts] == [["access_keys", "no_mfa"]]


def test_directory_without_lockout_is_a_finding_related_to_1_2_3(world: World) -> None:
    world.settings(SettingRecord(kind="ldap.ppolicy", subject="cn=default,ou=policies,dc=acme,dc=example",
                                 data={"lockout": False, "max_failure": 0, "min_length": 12, "max_age_days": 90}),
                   source="acme-ldap")
    drafts = world.drafts("directory.lockout_policy_missing")
    assert [d.subject for d in drafts] == ["cn=default,ou=policies,dc=acme,dc=example"]
    assert world.drafts("directory.password_policy_weak") == []


def test_directory_with_lockout_after_five_failures_is_fine(world: World) -> None:
    world.settings(SettingRecord(kind="ldap.ppolicy", subject="cn=default,ou=policies,dc=acme,dc=example",
                                 data={"lockout": True, "max_failure": 5, "min_length": 8, "max_age_days": 0}),
                   source="acme-ldap")
    assert world.drafts("directory.lockout_policy_missing") == []
    weak = world.drafts("directory.password_policy_weak")
    assert weak[0].evidence.details["problems"] == ["min_length=8", "max_age_days=0"]


def _binds(prefix: str, times: list[str], principal: str = ALICE_DN) -> list:
    return [ev(f"{prefix}-{i}", when, "bind", principal, principal_kind="ldap_account", outcome="failure",
               error_code="invalidCredentials", account_id=None) for i, when in enumerate(times)]


def test_burst_of_failed_binds_against_one_account_is_found(world: World) -> None:
    burst = [f"2026-11-25 01:0{m}" for m in range(5)]  # five failures in four minutes
    world.events(*_binds("b", burst), source="acme-ldap")
    drafts = world.drafts("auth.failed_signin_burst")
    assert [d.subject for d in drafts] == [ALICE_DN]
    assert sorted(drafts[0].evidence.event_ids) == [f"b-{i}" for i in range(5)]


def test_five_failures_spread_over_a_day_are_not_a_burst(world: World) -> None:
    spread = [f"2026-11-25 0{h}:00" for h in range(1, 6)]  # one an hour: typos, not guessing
    world.events(*_binds("s", spread), source="acme-ldap")
    assert world.drafts("auth.failed_signin_burst") == []
