"""CloudTrail digest integrity against the format AWS documents (``cloudtrail-log-file-validation-*``).

The digests and their chain are made here with a key pair made for the test. The string to sign is written
out in this file from the documentation, not taken from the module under test::

    digestEndTime + "\\n" + bucket/key of the digest file + "\\n" + hex(SHA-256(gunzipped digest file))
    + "\\n" + previous digest's signature (hex), or "null" for the first digest

signed SHA256withRSA (PKCS#1 v1.5), the hex signature in the object's ``x-amz-meta-signature``, the public key
(DER, PKCS#1 as ``ListPublicKeys`` returns it) named by ``digestPublicKeyFingerprint``.
"""

from __future__ import annotations

import gzip
import hashlib
from typing import Any

import boto3
import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from connectors.aws.digest import DigestFile, check_digests, digest_prefix, get_digests
from connectors.aws.session import AwsAccess

ACCOUNT = "123456789012"
BUCKET = "acme-trail"
PREFIX = digest_prefix("", ACCOUNT, "ap-northeast-1")


class Signer:
    """A CloudTrail-like signer: one RSA key, its fingerprint, and the chain it has delivered so far."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.der = self.private.public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.PKCS1)
        self.fingerprint = hashlib.md5(self.der).hexdigest()
        self.previous: tuple[str, str] | None = None  # (key, signature) of the last digest

    def digest(self, hour: int, logs: dict[str, bytes], bucket: str = BUCKET) -> tuple[DigestFile, bytes]:
        """The next digest of the chain: the DigestFile as read from where it was delivered, and its gzip body."""
        end = f"2026-11-25T{hour:02d}:00:00Z"
        key = (f"{PREFIX}2026/11/25/{ACCOUNT}_CloudTrail-Digest_ap-northeast-1_org-trail_ap-northeast-1_"
               f"20261125T{hour:02d}0000Z.json.gz")
        document = {
            "awsAccountId": ACCOUNT, "digestStartTime": f"2026-11-25T{hour - 1:02d}:00:00Z", "digestEndTime": end,
            "digestS3Bucket": bucket, "digestS3Object": key, "digestPublicKeyFingerprint": self.fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA", "newestEventTime": end, "oldestEventTime": end,
            "previousDigestS3Bucket": bucket if self.previous else None,
            "previousDigestS3Object": self.previous[0] if self.previous else None,
            "previousDigestHashValue": None, "previousDigestHashAlgorithm": "SHA-256" if self.previous else None,
            "previousDigestSignature": self.previous[1] if self.previous else None,
            "logFiles": [{"s3Bucket": bucket, "s3Object": k, "hashValue": hashlib.sha256(v).hexdigest(),
                          "hashAlgorithm": "SHA-256", "newestEventTime": end, "oldestEventTime": end}
                         for k, v in logs.items()],
        }
        content = orjson.dumps(document)
        to_sign = "\n".join([end, f"{bucket}/{key}", hashlib.sha256(content).hexdigest(),
                             self.previous[1] if self.previous else "null"]).encode()
        signature = self.private.sign(to_sign, padding.PKCS1v15(), hashes.SHA256()).hex()
        self.previous = (key, signature)
        return DigestFile(key, content, signature, bucket), gzip.compress(content)

    @property
    def keys(self) -> dict[str, bytes]:
        return {self.fingerprint: self.der}


def test_a_first_digest_and_its_chain_verify() -> None:
    signer = Signer()
    first, _ = signer.digest(1, {"log-1": b"one"})
    second, _ = signer.digest(2, {"log-2": b"two"})
    third, _ = signer.digest(3, {})
    results = check_digests([third, first, second], signer.keys)  # in any order: the chain is by end time
    assert [(r.key, r.valid, r.reason) for r in results] == [
        (first.key, True, None), (second.key, True, None), (third.key, True, None)]
    assert results[0].log_hashes == {"log-1": hashlib.sha256(b"one").hexdigest()}


def test_a_digest_moved_to_another_key_or_bucket_is_refused() -> None:
    signer = Signer()
    digest, _ = signer.digest(1, {"log-1": b"one"})
    moved = DigestFile(digest.key.replace("T010000Z", "T050000Z"), digest.content, digest.signature, BUCKET)
    other_bucket = DigestFile(digest.key, digest.content, digest.signature, "somewhere-else")
    for item in (moved, other_bucket):
        [result] = check_digests([item], signer.keys)
        assert result.valid is False and "not at the location it names" in (result.reason or ""), item


def test_a_digest_that_names_the_place_it_was_copied_to_is_still_not_signed_there() -> None:
    """Re-signing is impossible without the key: a copy whose body is rewritten to name its new place fails."""
    signer = Signer()
    digest, _ = signer.digest(1, {"log-1": b"one"})
    forged = orjson.loads(digest.content)
    forged["digestS3Bucket"] = "attacker-bucket"
    [result] = check_digests([DigestFile(digest.key, orjson.dumps(forged), digest.signature, "attacker-bucket")],
                             signer.keys)
    assert result.valid is False and "signature does not match" in (result.reason or "")


def test_another_key_a_wrong_previous_signature_and_the_gzipped_hash_all_fail() -> None:
    signer, stranger = Signer(), Signer()
    first, gz = signer.digest(1, {"log-1": b"one"})
    [wrong_key] = check_digests([first], stranger.keys)
    assert wrong_key.valid is False and "fingerprint" in (wrong_key.reason or "")
    # A verifier hashing the delivered (gzipped) bytes instead of the digest file itself would fail here:
    [gzipped] = check_digests([DigestFile(first.key, gz, first.signature, BUCKET)], signer.keys)
    assert gzipped.valid is False
    second, _ = signer.digest(2, {"log-2": b"two"})
    rewritten = DigestFile(first.key, first.content, stranger.private.sign(
        b"x", padding.PKCS1v15(), hashes.SHA256()).hex(), BUCKET)
    results = check_digests([rewritten, second], signer.keys)
    assert results[0].valid is False and "signature does not match" in (results[0].reason or "")
    assert results[1].valid is False and "previous digest signature differs" in (results[1].reason or "")


def test_digests_read_from_the_bucket_carry_where_they_were_read(moto_endpoint: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    signer = Signer()
    first, first_gz = signer.digest(1, {"log-1": b"one"})
    second, second_gz = signer.digest(2, {"log-2": b"two"})
    for digest, body in ((first, first_gz), (second, second_gz)):
        s3.put_object(Bucket=BUCKET, Key=digest.key, Body=body,
                      Metadata={"signature": digest.signature or "", "signature-algorithm": "SHA256withRSA"})
    # The second digest also copied over a later hour's place: it vouches for nothing there.
    s3.copy_object(Bucket=BUCKET, Key=second.key.replace("T020000Z", "T030000Z"),
                   CopySource={"Bucket": BUCKET, "Key": second.key}, MetadataDirective="COPY")
    access = AwsAccess(boto3.Session(region_name="us-east-1"), moto_endpoint, "us-east-1")
    fetched = get_digests(access, BUCKET, PREFIX, None)
    assert {d.bucket for d in fetched} == {BUCKET}
    verdicts: dict[str, Any] = {r.key: (r.valid, r.reason) for r in check_digests(fetched, signer.keys)}
    assert verdicts[first.key] == (True, None) and verdicts[second.key][0] is True
    assert verdicts[second.key.replace("T020000Z", "T030000Z")][0] is False
