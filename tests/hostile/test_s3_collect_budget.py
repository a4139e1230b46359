"""The ingest budget (150 MB, issue #14) on the S3 path: ``vendorwatch collect`` of an AWS source reads a trail
bucket (moto's server) with a log file that inflates to 32 MiB, with boto3 and the IAM inventory in the same
process. The S3 path held a log file inflated (a digest's hash is of the inflated content), up to 16 MiB: at that
size the process peaked at 166 MB, and a larger file was refused. It is now hashed as it is read; the service
models are plain dicts (connectors/aws/model_loader.py), those of IAM, CloudTrail and STS are dropped before the
trail is read, and a SQLite process does not import psycopg: about 136 MB on SQLite and 135 MB on PostgreSQL
(155 and 145 with botocore's OrderedDicts and a release that kept the models themselves)."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import boto3
import orjson
from sqlmodel import Session

from tests.connectors.aws.conftest import FIRM_ACCOUNT, TRAIL_BUCKET, cloudtrail_record, delivery_key, registry_text
from tests.hostile.cases import INGEST_BUDGET_MB
from tests.hostile.harness import Workspace, run
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.registry.loader import validate_text
from vendorwatch.registry.sync import apply_import

INFLATED = 32 << 20


def _large_log_file() -> tuple[bytes, int]:
    """A delivery file of just under ``INFLATED`` bytes inflated, and its number of records."""
    one = orjson.dumps(cloudtrail_record("GetObject", event_id="0" * 36, user="user49"))
    count = (INFLATED - 1024) // (len(one) + 1)
    start = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    records = [cloudtrail_record("GetObject", when=start, event_id=f"{n:036d}", user=f"user{n % 50}")
               for n in range(count)]
    inflated = orjson.dumps({"Records": records})
    assert INFLATED - 128 * 1024 < len(inflated) < INFLATED, len(inflated)
    return gzip.compress(inflated, 6), count


def test_s3_collect_of_a_large_log_file_stays_within_the_budget(
        database_url: str, tmp_path: Path, clock: FixedClock, moto_endpoint: str,
) -> None:
    text = registry_text(moto_endpoint)
    registry, problems = validate_text(text)
    assert registry is not None, problems
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as session:
        apply_import(session, registry, text, path=str(tmp_path / "vendorwatch.yaml"), actor="test", clock=clock)
        session.commit()
    workspace = Workspace(tmp_path, url=database_url, engine=engine)
    workspace.registry.write_text(text, encoding="utf-8")
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket=TRAIL_BUCKET)
    body, count = _large_log_file()
    when = datetime(2026, 11, 25, 1, 5, tzinfo=UTC)
    s3.put_object(Bucket=TRAIL_BUCKET, Key=delivery_key("org/logs", FIRM_ACCOUNT, "us-east-1", when, 1), Body=body)
    outcome = run(workspace, ["collect", "acme-aws"])
    stored = workspace.scalar("SELECT count(*) FROM access_events WHERE source_id = 'acme-aws'")
    engine.dispose()
    assert outcome.exit_code == 0 and stored == count, outcome.output[-2000:]
    hashed = workspace.scalar("SELECT sha256 FROM source_objects WHERE source_id = 'acme-aws'")
    assert hashed == hashlib.sha256(gzip.decompress(body)).hexdigest()  # the digest's hash, for verification
    assert 0 < outcome.peak_rss_mb <= INGEST_BUDGET_MB, (outcome.peak_rss_mb, outcome.output[-2000:])
