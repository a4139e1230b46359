"""Verify log files against the trail's digest files, as ``aws cloudtrail validate-logs`` does.

A digest file (``AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/*.json.gz``) lists the log files
delivered in an hour with the SHA-256 of their uncompressed content, and carries the signature of the
previous digest, so digests form a chain. Each digest is signed (SHA256withRSA) over::

    digestEndTime \\n digestS3Bucket/digestS3Object \\n hex(SHA-256(digest content)) \\n previousDigestSignature

with the signature, hex-encoded, in the object's ``x-amz-meta-signature`` metadata, and the key named by
``digestPublicKeyFingerprint`` (``ListPublicKeys`` returns the keys, DER-encoded).

Results go to ``source_objects.integrity``: ``verified`` (hash matches a validly signed digest), ``failed``
(hash differs, digest signature invalid, or chain broken), ``no_digest`` (no digest lists the file),
``unsigned`` (hash matches but the public key could not be obtained to check the signature).
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from connectors.aws.errors import call_failed
from connectors.aws.session import AwsAccess
from vendorwatch.i18n import t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.objects import Integrity, StoredObject, record_integrity, stored_objects
from vendorwatch.ingest.runs import Count, RunRecorder


def digest_prefix(prefix: str, account: str, region: str) -> str:
    """Where a trail delivers one account's and region's digest files."""
    base = prefix.strip("/")
    return f"{base + '/' if base else ''}AWSLogs/{account}/CloudTrail-Digest/{region}/"


def signing_string(digest: Mapping[str, Any], content: bytes, location: str | None = None) -> bytes:
    """The string CloudTrail signs for a digest, as AWS documents it::

        digestEndTime \n bucket/key of the digest file \n hex SHA-256 of the digest file (uncompressed) \n
        previousDigestSignature (``null`` for the first digest of a chain)

    ``location`` is where the digest file was read (``bucket/key``); by default, where it says it is.
    """
    previous = digest.get("previousDigestSignature") or "null"
    where = location or f"{digest['digestS3Bucket']}/{digest['digestS3Object']}"
    return f"{digest['digestEndTime']}\n{where}\n{hashlib.sha256(content).hexdigest()}\n{previous}".encode()


def load_public_key(der: bytes) -> rsa.RSAPublicKey:
    """An RSA public key from DER (PKCS#1 as ListPublicKeys returns it, or SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_der_public_key(der)
    except ValueError:
        # PKCS#1 RSAPublicKey: wrap it as PEM "RSA PUBLIC KEY", which cryptography reads.
        import base64

        body = base64.encodebytes(der).decode("ascii")
        key = serialization.load_pem_public_key(
            f"-----BEGIN RSA PUBLIC KEY-----\n{body}-----END RSA PUBLIC KEY-----\n".encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def signature_valid(key: rsa.RSAPublicKey, signature_hex: str, message: bytes) -> bool:
    """Whether a hex signature is a valid SHA256withRSA (PKCS#1 v1.5) signature of the message."""
    try:
        key.verify(bytes.fromhex(signature_hex), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass
class DigestFile:
    """One digest as fetched: its key, uncompressed content and the signature from its metadata."""

    key: str
    content: bytes
    signature: str | None
    bucket: str | None = None  # the bucket it was read from (None: not known, only the key is compared)


@dataclass
class DigestCheck:
    """The verdict on one digest, and the log hashes it vouches for."""

    key: str
    valid: bool | None  # None: the signature could not be checked (no public key)
    reason: str | None
    log_hashes: dict[str, str] = field(default_factory=dict)


def verify_digest(item: DigestFile, document: Mapping[str, Any],
                  public_keys: Mapping[str, bytes] | None) -> tuple[bool | None, list[str]]:
    """Whether one digest is what CloudTrail signed where it was read: (valid or None if no key, reasons).

    A digest read from another bucket or key than the one it names is refused (a digest copied over another
    one, or moved, vouches for nothing), and the signature is checked over the location it was read from.
    """
    reasons: list[str] = []
    valid: bool | None = True
    if document.get("digestS3Object") != item.key or (item.bucket is not None
                                                     and document.get("digestS3Bucket") != item.bucket):
        reasons.append("digest is not at the location it names")
        valid = False
    for field_name in ("digestEndTime", "digestS3Bucket", "digestS3Object", "digestPublicKeyFingerprint"):
        if not isinstance(document.get(field_name), str):
            reasons.append(f"digest has no {field_name}")
            return False, reasons
    if not item.signature:
        reasons.append("digest has no signature")
        return False, reasons
    if public_keys is None:
        reasons.append("public key not available")
        return (None if valid else valid), reasons
    der = public_keys.get(str(document["digestPublicKeyFingerprint"]))
    if der is None:
        reasons.append("no public key with the digest's fingerprint")
        return False, reasons
    location = f"{item.bucket or document['digestS3Bucket']}/{item.key}"
    if not signature_valid(load_public_key(der), item.signature, signing_string(document, item.content, location)):
        reasons.append("signature does not match (digest altered or forged)")
        valid = False
    return valid, reasons


def check_digests(digests: Iterable[DigestFile], public_keys: Mapping[str, bytes] | None) -> list[DigestCheck]:
    """Check signatures and the chain of one region's digests (pure; ``public_keys`` by fingerprint)."""
    results: list[DigestCheck] = []
    parsed: list[tuple[DigestFile, dict[str, Any]]] = []
    for item in digests:
        try:
            document = orjson.loads(item.content)
        except orjson.JSONDecodeError:
            results.append(DigestCheck(item.key, False, "digest is not valid JSON"))
            continue
        if not isinstance(document, dict):
            results.append(DigestCheck(item.key, False, "digest is not a JSON object"))
            continue
        parsed.append((item, document))
    parsed.sort(key=lambda pair: str(pair[1].get("digestEndTime", "")))
    previous: tuple[DigestFile, dict[str, Any]] | None = None
    for item, document in parsed:
        hashes_of = {str(f.get("s3Object")): str(f.get("hashValue")) for f in document.get("logFiles") or []}
        valid, reasons = verify_digest(item, document, public_keys)
        if previous is not None:
            before_item, _ = previous
            if document.get("previousDigestS3Object") not in (None, before_item.key):
                reasons.append("chain broken: previous digest is not the one delivered before")
                valid = False
            elif document.get("previousDigestSignature") not in (None, before_item.signature):
                reasons.append("chain broken: previous digest signature differs")
                valid = False
        results.append(DigestCheck(item.key, valid, "; ".join(reasons) or None, hashes_of))
        previous = (item, document)
    return results


def get_digests(access: AwsAccess, bucket: str, prefix: str, start_after: str | None) -> list[DigestFile]:
    """Fetch the digest files under a prefix (after ``start_after``) with their signatures."""
    s3 = access.client("s3")
    arguments: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if start_after:
        arguments["StartAfter"] = start_after
    found: list[DigestFile] = []
    for page in s3.get_paginator("list_objects_v2").paginate(**arguments):
        for item in page.get("Contents", []):
            key = item["Key"]
            response = access.call(partial(s3.get_object, Bucket=bucket, Key=key))
            raw = response["Body"].read()
            content = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
            found.append(DigestFile(key, content, (response.get("Metadata") or {}).get("signature"), bucket))
    return found


def get_public_keys(access: AwsAccess, region: str, start: datetime, end: datetime) -> dict[str, bytes]:
    """The trail's public keys valid in a time range, by fingerprint."""
    response = access.call(lambda: access.client("cloudtrail", region).list_public_keys(StartTime=start, EndTime=end))
    return {key["Fingerprint"]: key["Value"] for key in response.get("PublicKeyList", [])}


def judge_integrity(objects: Iterable[StoredObject],
                    vouched: Mapping[str, tuple[str, DigestCheck]]) -> list[Integrity]:
    """Each stored log file's verdict against the digests that list it (pure)."""
    verdicts: list[Integrity] = []
    for stored in objects:
        entry = vouched.get(stored.key)
        if entry is None:
            verdicts.append(Integrity(stored.key, "no_digest"))
            continue
        expected, check = entry
        if stored.sha256 != expected:
            verdicts.append(Integrity(stored.key, "failed", t(
                "SHA-256 がダイジェストと異なります（ログファイルが改変されています）",
                "SHA-256 differs from the digest (log file altered)")))
        elif check.valid is None:
            verdicts.append(Integrity(stored.key, "unsigned"))
        elif check.valid:
            verdicts.append(Integrity(stored.key, "verified"))
        else:
            verdicts.append(Integrity(stored.key, "failed", t(
                f"ダイジェストが無効です: {check.reason}", f"digest invalid: {check.reason}")))
    return verdicts


def verify_source(access: AwsAccess, context: CollectContext, recorder: RunRecorder, *, bucket: str, prefix: str,
                  account: str, regions: list[str], public_keys: Mapping[str, bytes] | None = None) -> None:
    """Verify the source's log files against every digest of its regions; record each file's integrity."""
    vouched: dict[str, tuple[str, DigestCheck]] = {}
    checks: list[DigestCheck] = []
    for region in regions:
        where = digest_prefix(prefix, account, region)
        try:
            digests = get_digests(access, bucket, where, None)
        except (ClientError, BotoCoreError, OSError, EOFError) as exc:
            recorder.error(f"s3://{bucket}/{where}", call_failed(exc, t("ダイジェストを読めません", "digests not read")))
            continue
        if not digests:
            continue
        keys = public_keys
        if keys is None:
            try:
                keys = get_public_keys(access, region, datetime(2013, 1, 1), recorder.clock.now())
            except (ClientError, BotoCoreError) as exc:
                recorder.error(f"cloudtrail:ListPublicKeys {region}", call_failed(
                    exc, t("公開鍵を取得できません", "public keys not read")))
                keys = None
        for check in check_digests(digests, keys):
            checks.append(check)
            if check.valid is False:
                recorder.error(check.key, t(f"ダイジェストの検証に失敗しました: {check.reason}",
                                            f"digest failed verification: {check.reason}"))
            for log_key, value in check.log_hashes.items():
                vouched[log_key] = (value, check)
    verdicts = judge_integrity(stored_objects(context), vouched)
    for verdict in verdicts:
        if verdict.verdict == "failed" and verdict.reason is not None:
            recorder.error(verdict.key, t(f"完全性: {verdict.reason.ja}", f"integrity: {verdict.reason.en}"))
    record_integrity(context, verdicts)
    for name in ("verified", "failed", "no_digest", "unsigned"):
        amount = sum(1 for verdict in verdicts if verdict.verdict == name)
        if amount:
            recorder.count(Count(f"integrity_{name}"), amount)
    recorder.count(Count.DIGESTS, len(checks))
