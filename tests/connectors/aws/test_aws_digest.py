"""Log-file integrity against CloudTrail digest files in a bucket on moto's server (SQLite and PostgreSQL).

The digests are signed here with a key made for the test, exactly as CloudTrail signs them (SHA256withRSA
over end time, digest location, digest hash and the previous signature); the verifier is given the public
key, since moto has no ``ListPublicKeys``.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import Engine
from sqlmodel import Session, select

from connectors.aws.collect import collect
from connectors.aws.digest import DigestFile, check_digests, digest_prefix, signing_string, verify_source
from connectors.aws.session import open_access
from tests.connectors.aws.conftest import FIRM_ACCOUNT, TRAIL_BUCKET, cloudtrail_record, deliver
from vendorwatch.db.tables import SourceObject
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.runs import RunRecorder

START = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


def _key() -> tuple[rsa.RSAPrivateKey, str, bytes]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    return private, hashlib.md5(der).hexdigest(), der


def _digest(private: rsa.RSAPrivateKey, fingerprint: str, key: str, logs: dict[str, bytes], end: str,
            previous: tuple[str, str] | None) -> tuple[bytes, str]:
    document = {
        "awsAccountId": FIRM_ACCOUNT, "digestStartTime": end, "digestEndTime": end,
        "digestS3Bucket": TRAIL_BUCKET, "digestS3Object": key,
        "digestPublicKeyFingerprint": fingerprint, "digestSignatureAlgorithm": "SHA256withRSA",
        "previousDigestS3Bucket": TRAIL_BUCKET if previous else None,
        "previousDigestS3Object": previous[0] if previous else None,
        "previousDigestSignature": previous[1] if previous else None,
        "logFiles": [{"s3Bucket": TRAIL_BUCKET, "s3Object": k, "hashValue": hashlib.sha256(v).hexdigest(),
                      "hashAlgorithm": "SHA-256"} for k, v in logs.items()],
    }
    content = orjson.dumps(document)
    signature = private.sign(signing_string(document, content), padding.PKCS1v15(), hashes.SHA256()).hex()
    return content, signature


def test_log_files_are_verified_against_signed_chained_digests_and_tampering_is_caught(
    engine: Engine, context_for: Callable[[str], CollectContext], s3: Any
) -> None:
    s3.create_bucket(Bucket=TRAIL_BUCKET)
    batches = [[cloudtrail_record(event_id=f"d-{i}")] for i in range(3)]
    keys = deliver(s3, batches, start=START)
    originals = {key: orjson.dumps({"Records": batch}) for key, batch in zip(keys, batches, strict=True)}
    private, fingerprint, der = _key()
    prefix = digest_prefix("org/logs", FIRM_ACCOUNT, "us-east-1")
    first_key = f"{prefix}2026/11/25/{FIRM_ACCOUNT}_CloudTrail-Digest_us-east-1_t_us-east-1_20261125T010000Z.json.gz"
    second_key = first_key.replace("T010000Z", "T020000Z")
    first, first_sig = _digest(private, fingerprint, first_key, {keys[0]: originals[keys[0]]},
                               "2026-11-25T01:00:00Z", None)
    second, second_sig = _digest(private, fingerprint, second_key, {keys[1]: originals[keys[1]]},
                                 "2026-11-25T02:00:00Z", (first_key, first_sig))
    for key, content, signature in ((first_key, first, first_sig), (second_key, second, second_sig)):
        s3.put_object(Bucket=TRAIL_BUCKET, Key=key, Body=gzip.compress(content),
                      Metadata={"signature": signature, "signature-algorithm": "SHA256withRSA"})
    # Someone removes an event from the second log file after delivery.
    s3.put_object(Bucket=TRAIL_BUCKET, Key=keys[1], Body=gzip.compress(orjson.dumps({"Records": []})))

    context = context_for("acme-aws")
    run = collect(context)
    assert run.status == "success"
    recorder = RunRecorder(engine, "acme-aws", context.clock)
    access = open_access(context.source)  # type: ignore[arg-type]
    verify_source(access, context, recorder, bucket=TRAIL_BUCKET, prefix="org/logs", account=FIRM_ACCOUNT,
                  regions=["us-east-1"], public_keys={fingerprint: der})
    verdict = recorder.finish()
    with Session(engine) as session:
        integrity = {o.key: (o.integrity, o.reason) for o in session.exec(select(SourceObject))}
    assert integrity[keys[0]] == ("verified", None)
    assert integrity[keys[1]][0] == "failed" and "SHA-256 differs" in (integrity[keys[1]][1] or "")
    assert integrity[keys[2]][0] == "no_digest"
    assert verdict.status == "partial" and [e["where"] for e in verdict.errors] == [keys[1]]
    assert verdict.counts["integrity_verified"] == 1 and verdict.counts["digests"] == 2


def test_an_altered_digest_or_broken_chain_fails() -> None:
    private, fingerprint, der = _key()
    first, first_sig = _digest(private, fingerprint, "d1", {"log1": b"x"}, "2026-11-25T01:00:00Z", None)
    second, second_sig = _digest(private, fingerprint, "d2", {"log2": b"y"}, "2026-11-25T02:00:00Z",
                                 ("d1", first_sig))
    keys = {fingerprint: der}
    good = check_digests([DigestFile("d1", first, first_sig), DigestFile("d2", second, second_sig)], keys)
    assert [(c.valid, c.reason) for c in good] == [(True, None), (True, None)]
    altered = second.replace(hashlib.sha256(b"y").hexdigest().encode(), hashlib.sha256(b"z").hexdigest().encode())
    [_, bad] = check_digests([DigestFile("d1", first, first_sig), DigestFile("d2", altered, second_sig)], keys)
    assert bad.valid is False and "signature does not match" in (bad.reason or "")
    third, third_sig = _digest(private, fingerprint, "d3", {}, "2026-11-25T03:00:00Z", ("d1", first_sig))
    [_, _, broken] = check_digests([DigestFile("d1", first, first_sig), DigestFile("d2", second, second_sig),
                                    DigestFile("d3", third, third_sig)], keys)
    assert broken.valid is False and "chain broken" in (broken.reason or "")
    unsigned = check_digests([DigestFile("d1", first, first_sig)], None)
    assert unsigned[0].valid is None
