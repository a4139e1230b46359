"""A bad registry is rejected with the file, the path inside it, the line and a bilingual message."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CONTRACT_REGISTRY
from vendorwatch.registry.loader import RegistryInvalidError, load_registry, validate_text

CONTRACT = CONTRACT_REGISTRY.read_text(encoding="utf-8")


def mutate(old: str, new: str, text: str = CONTRACT) -> str:
    """The contract registry with one exact change (the change must apply exactly once)."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def problems_of(text: str) -> list[tuple[str, str, str, int | None]]:
    registry, problems = validate_text(text, "vendorwatch.yaml")
    assert registry is None, "a bad file must not produce a registry"
    return [(p.dotted, p.message.ja, p.message.en, p.line) for p in problems]


def only_problem(text: str) -> tuple[str, str, str, int | None]:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def line_of(fragment: str, text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_missing_version_is_reported_as_required() -> None:
    path, ja, en, _ = only_problem(mutate("version: 1\n", ""))
    assert path == "version"
    assert en == "required field is missing"
    assert ja == "必須の項目がありません"


def test_misspelt_field_is_an_unknown_field_not_silently_ignored() -> None:
    text = mutate("    handles_customer_data: true\n    services: [trading",
                  "    handles_customer_dat: true\n    services: [trading")
    found = problems_of(text)
    unknown = next(p for p in found if p[0] == "vendors[0].handles_customer_dat")
    assert unknown[1].startswith("未知の項目です（綴りを確認してください）。使える項目: ")
    assert unknown[2].startswith("unknown field (check the spelling); allowed fields: ")
    assert "handles_customer_data" in unknown[2] and "roster" in unknown[2] and "kind" not in unknown[2]
    assert unknown[3] == line_of("handles_customer_dat:", text)
    assert any(p[0] == "vendors[0].handles_customer_data" and p[2] == "required field is missing" for p in found)


def test_unknown_tier_lists_the_allowed_values() -> None:
    path, ja, en, line = only_problem(mutate("tier: critical", "tier: urgent"))
    assert path == "vendors[0].tier"
    assert en == "must be one of: 'critical', 'high', 'medium' or 'low'"
    assert ja.startswith("次のいずれかを指定してください")
    assert line == line_of("tier: urgent", mutate("tier: critical", "tier: urgent"))


def test_invalid_cidr_names_the_network() -> None:
    text = mutate("allowed_networks: [203.0.113.0/24, 198.51.100.0/28]", "allowed_networks: [203.0.113.0/33, 198.51.100.0/28]")
    path, ja, en, line = only_problem(text)
    assert path == "vendors[0].environments[0].allowed_networks[0]"
    assert en == "not a network in CIDR notation: 203.0.113.0/33"
    assert ja == "CIDR 表記のネットワークではありません: 203.0.113.0/33"
    assert line == line_of("203.0.113.0/33", text)


def test_invalid_time_of_day() -> None:
    path, _, en, _ = only_problem(mutate('start: "08:00"', 'start: "8am"'))
    assert path == "vendors[0].environments[0].allowed_hours.start"
    assert en == "time must be HH:MM between 00:00 and 24:00: 8am"


def test_unknown_time_zone() -> None:
    path, ja, en, _ = only_problem(mutate("timezone: Asia/Tokyo", "timezone: Asia/Tokio"))
    assert path == "organization.timezone"
    assert en == "unknown time zone: Asia/Tokio (for example Asia/Tokyo)"
    assert "不明なタイムゾーン" in ja


def test_parent_that_names_no_vendor() -> None:
    path, ja, en, _ = only_problem(mutate("parent: asys ", "parent: asys-holdings "))
    assert path == "vendors[1].parent"
    assert en == "parent vendor asys-holdings is not in the registry"
    assert ja == "親委託先 asys-holdings は登録されていません"


def test_source_environment_that_names_nothing() -> None:
    text = mutate("        environment: asys-dev\n        profile:", "        environment: asys-staging\n        profile:")
    path, _, en, _ = only_problem(text)
    assert path == "vendors[0].sources[1].environment"
    assert en == "environment asys-staging is not an environment of vendor asys"


def test_service_account_owner_not_on_the_roster() -> None:
    text = mutate("        kind: service             # service | break_glass\n        owner: yamada.taro",
                  "        kind: service             # service | break_glass\n        owner: nobody")
    path, ja, en, _ = only_problem(text)
    assert path == "vendors[0].accounts[0].owner"
    assert en == "owner nobody is not on the roster of vendor asys"
    assert ja == "所有者 nobody は委託先 asys の要員名簿にいません"


def test_transfer_endpoint_that_names_nothing() -> None:
    path, _, en, _ = only_problem(mutate("    to: asys-dev\n", "    to: asys-test\n"))
    assert path == "transfers[0].to"
    assert en == "environment asys-test is not an environment of vendor asys"


def test_aws_account_claimed_by_two_vendors() -> None:
    text = mutate("    environments: []\n    sources: []                   # no monitoring",
                  '    environments:\n      - {id: opsmon-prod, kind: production, aws_accounts: ["111111111111"]}\n'
                  "    sources: []                   # no monitoring")
    path, ja, en, _ = only_problem(text)
    assert path == "vendors[1].environments[0].aws_accounts[0]"
    assert en == "AWS account 111111111111 is already claimed by vendor asys"
    assert ja == "AWS アカウント 111111111111 は既に 委託先 asys が使っています"


def test_overlapping_roster_dates_of_one_person() -> None:
    text = mutate("      - person: suzuki.ichiro\n", "      - person: yamada.taro\n")
    second_entry = [i for i, line in enumerate(text.splitlines(), start=1) if "- person: yamada.taro" in line][1]
    found = problems_of(text)
    assert ("vendors[0].roster[1]", "要員 yamada.taro の担当期間が重複しています", "the roster dates of yamada.taro overlap",
            second_entry) in found


def test_identity_shared_by_two_people_at_once() -> None:
    text = mutate("          - arn:aws:iam::111111111111:user/suzuki.ichiro\n",
                  "          - arn:aws:iam::111111111111:user/yamada.taro\n")
    path, _, en, _ = only_problem(text)
    assert path == "vendors[0].roster[1].identities[0]"
    assert "over overlapping dates (a shared identity)" in en


def test_password_in_clear_is_refused_without_echoing_it() -> None:
    text = mutate("        password_env: VW_ASYS_LDAP_PASSWORD\n",
                  "        password_env: VW_ASYS_LDAP_PASSWORD\n        password: hunter2-Secret\n")
    path, ja, en, _ = only_problem(text)
    assert path == "vendors[0].sources[2].password"
    assert en == "secrets may not be written in clear; name an environment variable in password_env"
    assert "平文" in ja
    assert "hunter2" not in ja + en


def test_access_key_in_any_value_is_refused() -> None:
    path, _, en, _ = only_problem(mutate("profile: asys-dev-audit", "profile: AKIAIOSFODNN7EXAMPLE"))
    assert path == "vendors[0].sources[1].profile"
    assert "looks like a credential" in en


def test_unquoted_account_id_asks_for_quotes() -> None:
    path, ja, en, _ = only_problem(mutate('aws_accounts: ["222222222222"]', "aws_accounts: [222222222222]"))
    assert path == "vendors[0].environments[1].aws_accounts[0]"
    assert "write numbers and times in quotes" in en
    assert "引用符" in ja


def test_contract_that_ends_before_it_starts() -> None:
    path, _, en, _ = only_problem(mutate("start: 2024-04-01, end: 2027-03-31", "start: 2024-04-01, end: 2023-03-31"))
    assert path == "vendors[0].contract"
    assert en == "contract end 2023-03-31 is before its start 2024-04-01"


def test_schedule_needs_exactly_one_of_cron_and_interval() -> None:
    text = mutate("schedule: {interval_minutes: 60}", 'schedule: {interval_minutes: 60, cron: "0 * * * *"}')
    path, _, en, _ = only_problem(text)
    assert path == "vendors[0].sources[1].schedule"
    assert en == "give exactly one of cron or interval_minutes"


def test_plain_ldap_without_starttls_is_refused() -> None:
    path, _, en, _ = only_problem(mutate("url: ldaps://ldap.asys.example:636", "url: ldap://ldap.asys.example:389"))
    assert path == "vendors[0].sources[2]"
    assert en == "ldap:// needs start_tls: true (credentials are never sent in clear)"


def test_duplicate_key_is_not_silently_overwritten() -> None:
    text = mutate("    tier: high\n    handles_customer_data: true\n    services: [24x7",
                  "    tier: high\n    tier: low\n    handles_customer_data: true\n    services: [24x7")
    path, _, en, line = only_problem(text)
    assert path == "vendors[1].tier"
    assert "written twice" in en
    assert line == line_of("tier: low", text)


def test_yaml_syntax_error_names_the_line() -> None:
    text = mutate("  timezone: Asia/Tokyo", "  timezone: [Asia/Tokyo")
    path, ja, en, line = only_problem(text)
    assert path == "(root)"
    assert en.startswith("YAML syntax error")
    assert ja.startswith("YAML の構文エラー")
    assert line is not None and line >= line_of("timezone: [Asia/Tokyo", text)


def test_every_error_is_reported_at_once() -> None:
    text = mutate("tier: critical", "tier: urgent")
    text = mutate("timezone: Asia/Tokyo", "timezone: Mars/Base", text)
    text = mutate('start: "08:00"', 'start: "25:00"', text)
    paths = {p[0] for p in problems_of(text)}
    assert paths == {"vendors[0].tier", "organization.timezone", "vendors[0].environments[0].allowed_hours.start"}


def test_schema_errors_and_dangling_references_are_reported_together() -> None:
    text = mutate("tier: critical", "tier: urgent")  # vendors[0] (asys) fails schema validation
    text = mutate("  - id: callcenter\n", "  - id: callcenter\n    parent: nobody\n", text)
    found = {(p[0], p[2]) for p in problems_of(text)}
    assert ("vendors[0].tier", "must be one of: 'critical', 'high', 'medium' or 'low'") in found
    assert ("vendors[2].parent", "parent vendor nobody is not in the registry") in found
    # opsmon's parent asys is in the file, only invalid: not reported as dangling
    assert not any(p == "vendors[1].parent" for p, _ in found)
    assert len(found) == 2


def test_load_registry_raises_with_file_line_and_both_languages(tmp_path: Path) -> None:
    bad = tmp_path / "vendorwatch.yaml"
    bad.write_text(mutate("tier: critical", "tier: urgent"), encoding="utf-8")
    with pytest.raises(RegistryInvalidError) as caught:
        load_registry(bad)
    line = line_of("tier: urgent", bad.read_text(encoding="utf-8"))
    assert caught.value.details == [
        f"{bad}:{line}: vendors[0].tier: 次のいずれかを指定してください: 'critical', 'high', 'medium' or 'low' / "
        "must be one of: 'critical', 'high', 'medium' or 'low'"
    ]


def test_config_check_prints_every_error_and_exits_2(run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = mutate("parent: asys ", "parent: nobody ")
    bad.write_text(mutate("    to: asys-dev\n", "    to: asys-test\n", text), encoding="utf-8")
    result = run_cli("config", "check", str(bad))
    assert result.exit_code == 2
    assert "2 error(s)" in result.stderr and "2 件のエラー" in result.stderr
    assert "environment asys-test is not an environment of vendor asys" in result.stderr
    assert "parent vendor nobody is not in the registry" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file_is_a_clear_error(run_cli) -> None:
    result = run_cli("config", "check")
    assert result.exit_code == 2
    assert "vendorwatch.yaml not found" in result.stderr


def test_config_is_found_through_the_environment(run_cli) -> None:
    result = run_cli("config", "check", env={"VENDORWATCH_CONFIG": str(CONTRACT_REGISTRY)})
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("old, new, path, en", [
    ("    name: {ja: 株式会社エーシステム, en: A-System Co., Ltd.}", "    name: A-System", "vendors[0].name",
     "must be a mapping (key: value)"),
    ("allowed_hours: any ", "allowed_hours: always ", "vendors[0].accounts[0].allowed_hours",
     "must be 'any' or a mapping (key: value)"),
    ("  digest:\n    recipients: [board-office@example-sec.co.jp, ciso@example-sec.co.jp]\n    language: ja",
     "  digest: monthly", "organization.digest", "must be a mapping (key: value)"),
    ("        since: 2025-04-01\n", "        since: april\n", "vendors[0].roster[0].since",
     "must be a date (YYYY-MM-DD)"),
])
def test_registry_errors_speak_the_files_words_not_the_validators(old: str, new: str, path: str, en: str) -> None:
    found = problems_of(mutate(old, new))
    assert [(p[0], p[2]) for p in found] == [(path, en)]
    for _, ja, english, _ in found:
        for internal in ("function-after", "instance of", "Input should", "literal[", "HoursWindow"):
            assert internal not in ja + english


def test_an_unknown_field_of_a_source_lists_the_fields_of_its_kind() -> None:
    found = problems_of(mutate("      - id: asys-aws-dev\n", "      - ids: asys-aws-dev\n"))
    unknown = next(p for p in found if p[0] == "vendors[0].sources[1].ids")
    assert "role_arn" in unknown[2] and "bind_dn" not in unknown[2] and "aws" not in unknown[0]
