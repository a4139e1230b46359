"""The real CloudTrail recordings in shared/datasets are ingested whole, once, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from connectors.aws.import_files import import_path
from tests.conftest import DATASETS, CliResult
from vendorwatch.db.tables import AccessEvent, CollectionRun, SourceObject
from vendorwatch.ingest.context import CollectContext

INVICTUS = DATASETS / "invictus-aws_dataset-stratus-2023-07-10.cloudtrail.json.gz"
OTRF = DATASETS / "otrf-ec2_proxy_s3_exfiltration-2020-09-14.ndjson.gz"


def _records_in(path: Path) -> int:
    """Count the records independently of the connector (the README's figures come from such a count)."""
    raw = gzip.decompress(path.read_bytes())
    if raw.lstrip().startswith(b'{"Records"'):
        return len(orjson.loads(raw)["Records"])
    return sum(1 for line in raw.splitlines() if line.strip())


@pytest.mark.parametrize(("path", "expected"), [(INVICTUS, 2900), (OTRF, 103)])
def test_each_dataset_is_stored_whole_and_a_second_ingest_adds_nothing(
    engine: Engine, context_for: Callable[[str], CollectContext], path: Path, expected: int
) -> None:
    assert _records_in(path) == expected
    context = context_for("acme-files")
    first = import_path(context, path)
    counts = ("read", "stored", "duplicate", "rejected", "failed", "rejected_accounts")
    assert {k: first.summary()[k] for k in counts} == {"read": expected, "stored": expected, "duplicate": 0,
                                                        "rejected": 0, "failed": [], "rejected_accounts": {}}
    second = import_path(context, path)
    assert {k: second.summary()[k] for k in counts} == {"read": expected, "stored": 0, "duplicate": expected,
                                                         "rejected": 0, "failed": [], "rejected_accounts": {}}
    with Session(engine) as session:
        stored = session.exec(select(func.count()).select_from(AccessEvent)).one()
        runs = session.exec(select(CollectionRun).where(CollectionRun.kind == "import")).all()
        objects = session.exec(select(SourceObject)).all()
    assert stored == expected
    assert [r.status for r in runs] == ["success", "success"]
    assert [(o.key, o.status, o.events) for o in objects] == [(str(path.resolve()), "ingested", expected)]


def test_the_invictus_attack_events_are_normalized_for_the_checks(
    engine: Engine, context_for: Callable[[str], CollectContext]
) -> None:
    import_path(context_for("acme-files"), INVICTUS)
    with Session(engine) as session:
        events = session.exec(select(AccessEvent)).all()
    by_name: dict[str, list[AccessEvent]] = {}
    for event in events:
        by_name.setdefault(event.action, []).append(event)
    # StopLogging attempts failed (TrailNotFoundException); PutEventSelectors succeeded.
    assert {(e.outcome, e.error_code) for e in by_name["StopLogging"]} == {("failure", "TrailNotFoundException")}
    assert {e.outcome for e in by_name["PutEventSelectors"]} == {"success"}
    assert all(e.details and "event_selectors" in e.details for e in by_name["PutEventSelectors"])
    shared = [e for e in by_name["ModifySnapshotAttribute"] if e.target_account]
    assert [(e.target_account, e.resource) for e in shared] == [("012345678912", "snap-083d3b857c13988bc")]
    assert {e.target_account for e in by_name["ModifyImageAttribute"]} >= {"012345678901"}
    assert {e.target_account for e in by_name["ModifyDBSnapshotAttribute"]} >= {"193672423079"}
    logins = {e.principal.rsplit("/", 1)[-1]: e.mfa_used for e in by_name["ConsoleLogin"] if e.principal}
    assert logins == {"stratus-red-team-nmfalu-gfjyeaypjt": False, "bert-jan": True}
    assumed = [e for e in events if e.principal_kind == "assumed_role"]
    assert assumed and all(e.session_issuer and ":role/" in e.session_issuer for e in assumed)
    assert all(e.environment_id == "acme-dev" and e.account_id == "123837392027" for e in events)
    assert len([e for e in events if e.outcome == "failure"]) == 300


def test_the_otrf_exfiltration_without_event_time_is_tagged_as_customer_data(
    engine: Engine, context_for: Callable[[str], CollectContext], tmp_path: Path
) -> None:
    # The registry of these tests does not know the OTRF bucket; register it as customer data first.
    context = context_for("acme-files")
    index = context.index
    index.bucket_class["mordors3stack-s3bucket-llp2yingx64a"] = "customer"
    index.bucket_environment["mordors3stack-s3bucket-llp2yingx64a"] = "acme-prod"
    import_path(context, OTRF)
    with Session(engine) as session:
        reads = session.exec(select(AccessEvent).where(AccessEvent.action == "GetObject")).all()
    assert len(reads) == 2
    for event in reads:
        assert event.customer_data and event.bucket == "mordors3stack-s3bucket-llp2yingx64a"
        assert event.object_key == "ring.txt" and event.principal_kind == "assumed_role"
        assert event.session_issuer is not None and event.session_issuer.endswith(
            "role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0")
        assert event.event_time.year == 2020  # from @timestamp: the file has no eventTime


def test_cli_import_prints_counts_as_json(run_cli: Callable[..., CliResult], tmp_path: Path,
                                          moto_endpoint: str) -> None:
    from tests.connectors.aws.conftest import registry_text

    config = tmp_path / "vendorwatch.yaml"
    config.write_text(registry_text(moto_endpoint), encoding="utf-8")
    env = {"VENDORWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}
    init = run_cli("init", "--config", str(config), env=env)
    assert init.exit_code == 0, init.stderr
    first = run_cli("import", "cloudtrail", str(DATASETS), "--source", "acme-files", "--json", env=env)
    assert first.exit_code == 0, first.stderr
    printed = json.loads(first.stdout)
    assert {k: printed[k] for k in ("read", "stored", "duplicate", "rejected", "failed")} == {
        "read": 3003, "stored": 3003, "duplicate": 0, "rejected": 0, "failed": []}
    second = run_cli("import", "cloudtrail", str(DATASETS), "--source", "acme-files", env=env)
    out = second.stdout
    assert "格納 / stored: 0" in out and "重複 / duplicate: 3003" in out
    unknown = run_cli("import", "cloudtrail", str(DATASETS), "--source", "nope", env=env)
    assert unknown.exit_code == 2 and "nope" in unknown.stderr + unknown.stdout


def test_tagging_inside_the_parser_matches_the_registry_index(context_for: Callable[[str], CollectContext]) -> None:
    from connectors.aws.cloudtrail_files import iter_path
    from connectors.aws.cloudtrail_parse import parse_record

    index = context_for("acme-files").index
    index.bucket_class["mordors3stack-s3bucket-llp2yingx64a"] = "customer"
    index.bucket_environment["mordors3stack-s3bucket-llp2yingx64a"] = "acme-prod"
    for path in (INVICTUS, OTRF):
        for record in iter_path(path):
            assert isinstance(record, dict)
            assert parse_record(record, index, "acme-dev") == index.tag(parse_record(record), "acme-dev")
