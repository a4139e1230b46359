"""botocore's models as plain dicts (connectors/aws/model_loader.py), and clients released with their models."""

from __future__ import annotations

import gc
import json
import os
import tracemalloc
from collections import OrderedDict
from typing import Any

import boto3
import botocore
import pytest
from botocore.loaders import JSONFileLoader

from connectors.aws.model_loader import PlainJSONFileLoader, lean_session
from connectors.aws.session import AwsAccess
from tests.connectors.aws.conftest import TRAIL_BUCKET

DATA = os.path.join(os.path.dirname(botocore.__file__), "data")
MODELS = ["s3/2006-03-01/service-2", "s3/2006-03-01/endpoint-rule-set-1", "iam/2010-05-08/service-2",
          "sts/2011-06-15/service-2", "cloudtrail/2013-11-01/service-2", "endpoints", "partitions"]


def _ordered_dicts(value: Any) -> int:
    if isinstance(value, dict):
        return isinstance(value, OrderedDict) + sum(_ordered_dicts(v) for v in value.values())
    if isinstance(value, list):
        return sum(_ordered_dicts(v) for v in value)
    return 0


@pytest.mark.parametrize("model", MODELS)
def test_a_model_decodes_to_the_same_content_in_the_same_order_without_ordered_dicts(model: str) -> None:
    path = os.path.join(DATA, model)
    standard, plain = JSONFileLoader().load_file(path), PlainJSONFileLoader().load_file(path)
    assert standard is not None and _ordered_dicts(standard) > 0  # what botocore builds
    assert json.dumps(plain) == json.dumps(standard)  # the same keys in the same order, the same values
    assert _ordered_dicts(plain) == 0
    assert PlainJSONFileLoader().load_file(os.path.join(DATA, "no-such-model")) is None
    assert PlainJSONFileLoader().exists(path) and not PlainJSONFileLoader().exists(path + "-none")


def _client_memory(session: boto3.Session) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        session_any: Any = session
        client = session_any.client("s3", region_name="us-east-1", endpoint_url="http://127.0.0.1:9")
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del client
    return held


def test_a_lean_s3_client_holds_at_most_three_quarters_of_the_memory_of_a_standard_one() -> None:
    # tracemalloc counts the allocations themselves (the same for the same code and data, whatever the load).
    standard, lean = _client_memory(boto3.Session()), _client_memory(lean_session())
    assert lean <= 0.75 * standard, (lean, standard)  # measured: 7.8 vs 12.0 MB with botocore 1.44


def test_a_lean_session_reads_the_trail_bucket_through_moto(moto_endpoint: str) -> None:
    access = AwsAccess(lean_session(region_name="us-east-1"), moto_endpoint, "us-east-1")
    s3 = access.client("s3")
    s3.create_bucket(Bucket=TRAIL_BUCKET)
    s3.put_object(Bucket=TRAIL_BUCKET, Key="AWSLogs/one.json.gz", Body=b"\x1f\x8b data")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=TRAIL_BUCKET, Prefix="AWSLogs/")
    assert [o["Key"] for page in pages for o in page.get("Contents", [])] == ["AWSLogs/one.json.gz"]
    assert s3.get_object(Bucket=TRAIL_BUCKET, Key="AWSLogs/one.json.gz")["Body"].read() == b"\x1f\x8b data"


def test_released_services_leave_no_model_in_the_loader_and_the_others_keep_working(moto_endpoint: str) -> None:
    session = lean_session(region_name="us-east-1")
    access = AwsAccess(session, moto_endpoint, "us-east-1")
    for service in ("iam", "cloudtrail", "sts", "s3"):
        access.client(service)
    session_any: Any = session
    loader = session_any._session.get_component("data_loader")
    access.release("iam", "cloudtrail", "sts")
    left = [key for key in loader._cache if any(part.split("/")[0] in {"iam", "cloudtrail", "sts"}
                                                 for part in map(str, key))]
    assert left == []  # the models themselves too ("iam/2010-05-08/service-2"), not only the lookups by name
    assert any("s3/2006-03-01/service-2" in map(str, key) for key in loader._cache)
    access.client("s3").create_bucket(Bucket="still-working")
    assert access.client("sts").get_caller_identity()["Account"]  # a released client is made again on demand
