"""CloudTrail records shaped exactly as AWS writes them, stored through the real parser.

``call("PutBucketPolicy", "s3", {...})`` is one record of a CloudTrail log file (``eventVersion`` 1.08,
``userIdentity`` of an IAM user or an assumed-role session, ``requestParameters`` as the service records
them: most policy documents are JSON *strings*); ``store(world, *records)`` parses them with
``connectors.aws.cloudtrail_parse.parse_record`` and writes them with the EventWriter, as an import does.
The request parameters used in the tests are copied from real recordings (the Stratus Red Team run in
``../shared/datasets``, Stratus's and Sigma's rule texts) unless a test says otherwise.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from connectors.aws.cloudtrail_parse import parse_record
from tests.checks.world import ALICE, OFFICE_IP, PROD, World
from vendorwatch.ingest.events import EventWriter
from vendorwatch.ingest.tagging import RegistryIndex

_counter = itertools.count(1)
SDK_AGENT = "aws-cli/2.13.0 Python/3.11.4 Linux/6.1 exe/x86_64.ubuntu.22 prompt/off command/s3api"


def identity(arn: str = ALICE) -> dict[str, Any]:
    """``userIdentity`` of an IAM user, or of an assumed-role session (``arn:aws:sts::...:assumed-role/R/S``)."""
    account = arn.split(":")[4]
    if ":assumed-role/" in arn:
        role, session = arn.split(":assumed-role/", 1)[1].split("/", 1)
        return {"type": "AssumedRole", "principalId": f"AROAEXAMPLE:{session}", "arn": arn, "accountId": account,
                "accessKeyId": "ASIAEXAMPLE0000000001",
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                                                     "arn": f"arn:aws:iam::{account}:role/{role}",
                                                     "accountId": account, "userName": role},
                                   "webIdFederationData": {},
                                   "attributes": {"creationDate": "2026-11-25T00:00:00Z",
                                                  "mfaAuthenticated": "false"}}}
    return {"type": "IAMUser", "principalId": "AIDAEXAMPLE00000001", "arn": arn, "accountId": account,
            "accessKeyId": "AKIAEXAMPLE000000001", "userName": arn.rsplit("/", 1)[-1]}


def call(name: str, service: str, params: dict[str, Any] | None, *, when: str = "2026-11-25T01:00:00Z",
         principal: str = ALICE, error: str | None = None, account: str = PROD, region: str = "ap-northeast-1",
         event_id: str | None = None, resources: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One CloudTrail record of an API call; ``error`` makes it a failed call (``errorCode`` + message)."""
    record: dict[str, Any] = {
        "eventVersion": "1.08", "userIdentity": identity(principal), "eventTime": when,
        "eventSource": f"{service}.amazonaws.com", "eventName": name, "awsRegion": region,
        "sourceIPAddress": OFFICE_IP, "userAgent": SDK_AGENT, "requestParameters": params,
        "responseElements": None, "requestID": f"req-{next(_counter)}",
        "eventID": event_id or f"ev-{next(_counter)}", "readOnly": False, "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": account, "eventCategory": "Management",
    }
    if resources is not None:
        record["resources"] = resources
    if error is not None:
        record["errorCode"] = error
        record["errorMessage"] = f"{error}: the call was refused"
    return record


def policy(*statements: dict[str, Any]) -> str:
    """A policy document as IAM, KMS, SNS, SQS, Secrets Manager and ECR record it: a JSON string."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=4)


def allow(principal: Any, action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    """One ``Allow`` statement."""
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def store(world: World, *records: dict[str, Any], source: str = "acme-aws-prod") -> None:
    """Parse and store records as ``vendorwatch import cloudtrail`` does (tagged by the registry)."""
    vendor = next(v for v in world.registry.vendors if any(s.id == source for s in v.sources))
    environment = next(s.environment for s in vendor.sources if s.id == source)
    index = RegistryIndex.build(world.registry)
    writer = EventWriter(world.engine, source_id=source, vendor_id=vendor.id, run_id=None)
    writer.add_all(parse_record(r, index, environment) for r in records)
    writer.flush()
