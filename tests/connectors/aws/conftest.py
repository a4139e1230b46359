"""Fixtures of the AWS connector tests: moto's server, a registry whose AWS sources point at it, helpers
to deliver CloudTrail files into a bucket the way CloudTrail does."""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import orjson
import pytest
from sqlalchemy import Engine

from tests.registry_import import import_registry
from tests.servers.moto_server import DEFAULT_ACCOUNT
from vendorwatch.clock import FixedClock
from vendorwatch.ingest.context import CollectContext
from vendorwatch.registry.models import Registry

VENDOR_ACCOUNT = "111111111111"  # the account the audit role lives in (reached through AssumeRole)
FIRM_ACCOUNT = DEFAULT_ACCOUNT
TRAIL_BUCKET = "acme-trail"
CUSTOMER_BUCKET = "acme-customer-data"
EXTERNAL_ID_ENV = "VW_TEST_ACME_EXTERNAL_ID"

REGISTRY = """\
version: 1
organization:
  name: {{ja: テスト証券, en: Test Securities}}
vendors:
  - id: acme
    name: {{ja: アクメ, en: Acme}}
    tier: high
    handles_customer_data: true
    environments:
      - id: acme-prod
        kind: production
        aws_accounts: ["{default}", "123456789123"]  # and the OTRF recording's account
        buckets:
          - {{name: {customer}, data_class: customer}}
      - id: acme-vendor
        kind: production
        aws_accounts: ["{vendor}"]
      - id: acme-dev
        kind: development
        aws_accounts: ["123837392027"]
    sources:
      - id: acme-aws
        kind: aws
        environment: acme-prod
        regions: [us-east-1, ap-northeast-1]
        endpoint_url: "{endpoint}"
        cloudtrail: {{bucket: {trail}, prefix: "org/logs", digest: false}}
      - id: acme-aws-role
        kind: aws
        environment: acme-vendor
        role_arn: arn:aws:iam::{vendor}:role/VendorWatchAudit
        external_id_env: {external_env}
        regions: [us-east-1]
        endpoint_url: "{endpoint}"
        lookup_events: false
      - id: acme-files
        kind: files
        environment: acme-dev
"""


def registry_text(endpoint: str) -> str:
    """The test registry with its AWS sources pointing at the moto endpoint."""
    return REGISTRY.format(default=FIRM_ACCOUNT, vendor=VENDOR_ACCOUNT, customer=CUSTOMER_BUCKET,
                           trail=TRAIL_BUCKET, endpoint=endpoint, external_env=EXTERNAL_ID_ENV)


@pytest.fixture
def aws_registry(engine: Engine, clock: FixedClock, moto_endpoint: str) -> Registry:
    """The test registry imported into a fresh database (SQLite and PostgreSQL)."""
    return import_registry(engine, registry_text(moto_endpoint), clock)


@pytest.fixture
def context_for(engine: Engine, aws_registry: Registry, clock: FixedClock) -> Callable[[str], CollectContext]:
    """A collect context for a source of the test registry."""
    return lambda source_id: CollectContext.for_source(engine, aws_registry, source_id, clock)


def cloudtrail_record(name: str = "GetObject", *, when: datetime | None = None, event_id: str | None = None,
                      account: str = FIRM_ACCOUNT, bucket: str | None = CUSTOMER_BUCKET,
                      user: str = "alice", **extra: Any) -> dict[str, Any]:
    """A CloudTrail record shaped as AWS writes them."""
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": account,
                         "arn": f"arn:aws:iam::{account}:user/{user}", "accessKeyId": "AKIAEXAMPLEKEY000001",
                         "userName": user},
        "eventTime": (when or datetime(2026, 11, 25, 1, 0, tzinfo=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "s3.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"bucketName": bucket, "key": "customers/2026-11.csv"} if bucket else None,
        "responseElements": None, "eventID": event_id or str(uuid.uuid4()), "readOnly": True,
        "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": account,
    }
    record.update(extra)
    return record


def delivery_key(prefix: str, account: str, region: str, when: datetime, serial: int) -> str:
    """The key CloudTrail gives a log file."""
    stamp = when.strftime("%Y%m%dT%H%MZ")
    base = prefix.strip("/")
    return (f"{base + '/' if base else ''}AWSLogs/{account}/CloudTrail/{region}/{when:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{stamp}_{serial:016x}.json.gz")


def gz_records(records: list[dict[str, Any]]) -> bytes:
    """A delivery file: ``{"Records": [...]}``, gzipped."""
    return gzip.compress(orjson.dumps({"Records": records}))


@pytest.fixture
def s3(moto_endpoint: str) -> Any:
    """An S3 client on the moto endpoint (the firm's default account)."""
    return boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint)


@pytest.fixture
def iam(moto_endpoint: str) -> Any:
    """An IAM client on the moto endpoint (the firm's default account)."""
    return boto3.client("iam", region_name="us-east-1", endpoint_url=moto_endpoint)


def deliver(s3: Any, records_per_file: list[list[dict[str, Any]]], *, start: datetime,
            region: str = "us-east-1", prefix: str = "org/logs", account: str = FIRM_ACCOUNT) -> list[str]:
    """Write log files into the trail bucket, five minutes apart; returns their keys."""
    keys = []
    for serial, records in enumerate(records_per_file):
        when = start + timedelta(minutes=5 * serial)
        key = delivery_key(prefix, account, region, when, serial)
        s3.put_object(Bucket=TRAIL_BUCKET, Key=key, Body=gz_records(records))
        keys.append(key)
    return keys
