"""The table of hostile inputs and tamper attempts: one row per case, run by ``test_hostile_inputs.py``.

To add a case, append a ``Case``: an input maker (writes files or tampers with the database, returns the
command line), the exit code expected, fragments the output must (and must never) contain, and what the
database must hold afterwards (SQL -> value). Makers are plain functions below, grouped by what they attack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.hostile.harness import Maker, Workspace, run
from tests.hostile.world import OTHER_VENDOR, UNDECLARED, VENDOR_DEV, VENDOR_PROD

EVENTS = "SELECT count(*) FROM access_events"
AUDIT_ENTRIES = "SELECT count(*) FROM audit_log"
# Issue #14: the whole ``vendorwatch import cloudtrail`` process, start-up included, whatever the file.
INGEST_BUDGET_MB = 150
NEVER: tuple[str, ...] = ("Traceback", "unexpected error", "予期しないエラー")  # said by no case


@dataclass(frozen=True)
class Case:
    """One hostile input: what is done, and how VendorWatch must answer."""

    id: str
    make: Maker
    exit_code: int
    says: tuple[str, ...] = ()  # fragments of stdout + stderr
    never_says: tuple[str, ...] = NEVER
    stored: dict[str, Any] = field(default_factory=dict)  # SQL -> the value it must give afterwards
    json: Callable[[Any], None] | None = None  # asserts on the --json document
    database: bool = True  # False: the case needs no database (registry checks)
    databases: tuple[str, ...] = ("sqlite",)  # storage cases run on PostgreSQL too
    after: Callable[[Workspace], None] | None = None  # further assertions on the workspace afterwards
    max_rss_mb: float | None = None  # the command process's peak memory (resident set), at most



# --- the registry ------------------------------------------------------------------------------------------

def _registry(text: str | bytes, command: str = "check") -> Maker:
    def make(ws: Workspace) -> list[str]:
        ws.write("vendorwatch.yaml", text)
        return ["config", "check", str(ws.registry)] if command == "check" else [command]
    return make


def alias_bomb() -> str:
    """Nine levels of nine aliases ("billion laughs"): 370 bytes that expand to 387 million values."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def deep_block(levels: int = 200) -> str:
    return "version: 1\nvendors:\n" + "".join("  " * i + "- a:\n" for i in range(levels))


def deep_flow(levels: int = 100_000) -> str:
    return "version: 1\nvendors: " + "[" * levels + "]" * levels + "\n"


def huge(megabytes: int = 22) -> str:
    return "version: 1\nvendors: []\n" + "# padding padding padding padding padding padding padding\n" * (
        megabytes * 1024 * 1024 // 58)


SECRET = "P@ssw0rd!2024"


def secret_in_env_name(ws: Workspace) -> list[str]:
    from tests.hostile.world import REGISTRY

    ws.write("vendorwatch.yaml", REGISTRY.replace("password_env: VW_ACME_LDAP_PASSWORD", f'password_env: "{SECRET}"'))
    return ["config", "check"]


REGISTRY_CASES = [
    Case("registry-alias-bomb", _registry(alias_bomb()), 2, says=("aliases (*name) expand to too many values",
                                                                   "エイリアス")),
    Case("registry-alias-bomb-init", _registry(alias_bomb(), "init"), 2, says=("aliases (*name)",)),
    Case("registry-deep-block-nesting", _registry(deep_block()), 2, says=("nested too deeply", "入れ子が深すぎます")),
    Case("registry-deep-flow-nesting", _registry(deep_flow()), 2, says=("nesting depth", "YAML の構文エラー")),
    Case("registry-nul-byte", _registry("version: 1\nvendors: []\x00\n"), 2, says=("NUL", "vendorwatch.yaml:2")),
    Case("registry-nul-escape", _registry('version: 1\norganization: {name: {ja: "a\\0b", en: x}}\nvendors: []\n'),
         2, says=("the NUL character",)),
    Case("registry-control-character", _registry("version: 1\nvendors: []\x07\n"), 2,
         says=("a character YAML does not allow",)),
    Case("registry-22-megabytes", _registry(huge()), 2, says=("the file is too large", "ファイルが大きすぎます")),
    Case("registry-secret-where-an-env-name-belongs", secret_in_env_name, 2,
         says=("password_env", "the value is not shown"), never_says=(*NEVER, SECRET)),
]
for _case in REGISTRY_CASES:
    object.__setattr__(_case, "database", False)


# --- the audit log ------------------------------------------------------------------------------------------

BOTH = ("sqlite", "postgresql")
AUDIT_KEY_ENV = "VW_TEST_AUDIT_KEY"
AUDIT_KEY = "k" * 32


def _dialect(ws: Workspace) -> str:
    assert ws.engine is not None
    return ws.engine.dialect.name


def drop_triggers(ws: Workspace) -> list[str]:
    if _dialect(ws) == "sqlite":
        ws.sql("DROP TRIGGER audit_log_no_update")
    else:
        ws.sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
    return ["audit", "verify"]


def harmless_trigger(ws: Workspace) -> list[str]:
    """A protection replaced by one that never fires (SQLite), or a rule that drops every new entry (PostgreSQL)."""
    if _dialect(ws) == "sqlite":
        ws.sql("DROP TRIGGER audit_log_no_delete")
        ws.sql("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log WHEN 0 "
               "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    else:
        ws.sql("CREATE RULE audit_log_swallow AS ON INSERT TO audit_log DO INSTEAD NOTHING")
    return ["audit", "verify"]


def drop_table(ws: Workspace) -> list[str]:
    ws.sql("DROP TABLE audit_log")
    return ["audit", "verify"]


def restore_with_init(ws: Workspace) -> list[str]:
    drop_triggers(ws)
    if _dialect(ws) == "postgresql":
        ws.sql("CREATE RULE audit_log_swallow AS ON INSERT TO audit_log DO INSTEAD NOTHING")
    return ["init"]


def protections_back(ws: Workspace) -> None:
    assert run(ws, ["audit", "verify"]).exit_code == 0
    assert ws.scalar("SELECT count(*) FROM audit_log WHERE action = 'audit.protections_restored'") == 1


def _signed_entries(ws: Workspace, count: int = 3) -> None:
    from sqlmodel import Session

    from vendorwatch import audit

    assert ws.engine is not None
    with Session(ws.engine) as session:
        for number in range(count):
            audit.record(session, actor="hanako", action="finding.accept", target=f"finding:{number}",
                         key=AUDIT_KEY.encode())
        session.commit()


def _forge(ws: Workspace, mac: str | None) -> None:
    """Append an entry whose plain hash chain is correct, as someone with the database's rights but no key."""
    from datetime import UTC, datetime

    from vendorwatch import audit

    last_id, last_hash = ws.row("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    at = datetime(2026, 11, 27, tzinfo=UTC)
    forged = audit.entry_hash(last_hash, last_id + 1, at, "mallory", "finding.accept", "finding:9", {})
    ws.sql("INSERT INTO audit_log (id, at, actor, action, target, details, prev_hash, hash, mac) VALUES "
           "(:id, :at, 'mallory', 'finding.accept', 'finding:9', '{}', :prev, :hash, :mac)",
           id=last_id + 1, at=at, prev=last_hash, hash=forged, mac=mac)


def forged_unsigned(ws: Workspace) -> list[str]:
    _signed_entries(ws)
    _forge(ws, None)
    ws.env |= {"VENDORWATCH_AUDIT_KEY_ENV": AUDIT_KEY_ENV, AUDIT_KEY_ENV: AUDIT_KEY}
    return ["audit", "verify"]


def forged_bad_signature(ws: Workspace) -> list[str]:
    _signed_entries(ws)
    _forge(ws, "0" * 64)
    ws.env |= {"VENDORWATCH_AUDIT_KEY_ENV": AUDIT_KEY_ENV, AUDIT_KEY_ENV: AUDIT_KEY}
    return ["audit", "verify"]


def signed_and_intact(ws: Workspace) -> list[str]:
    _signed_entries(ws)
    ws.env |= {"VENDORWATCH_AUDIT_KEY_ENV": AUDIT_KEY_ENV, AUDIT_KEY_ENV: AUDIT_KEY}
    return ["audit", "verify"]


def key_named_but_missing(ws: Workspace) -> list[str]:
    ws.env |= {"VENDORWATCH_AUDIT_KEY_ENV": AUDIT_KEY_ENV}
    return ["audit", "verify"]


def rewritten_chain(ws: Workspace) -> list[str]:
    """Every hash recomputed after an edit: the plain chain holds again, the anchor kept outside does not."""
    from sqlmodel import Session, col, select

    from vendorwatch import audit
    from vendorwatch.db.tables import AuditEntry

    _signed_entries(ws)
    anchor = ws.row("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    drop_triggers(ws)
    if _dialect(ws) == "sqlite":
        ws.sql("DROP TRIGGER audit_log_no_delete")
    assert ws.engine is not None
    with Session(ws.engine) as session:
        entries = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    prev = audit.GENESIS
    for entry in entries:
        actor = "mallory" if entry.id == 2 else entry.actor
        assert entry.id is not None
        digest = audit.entry_hash(prev, entry.id, entry.at, actor, entry.action, entry.target, entry.details)
        ws.sql("UPDATE audit_log SET actor = :actor, prev_hash = :prev, hash = :hash, mac = NULL WHERE id = :id",
               actor=actor, prev=prev, hash=digest, id=entry.id)
        prev = digest
    from vendorwatch.db.append_only import restore_protections

    with ws.engine.begin() as connection:  # and the protections put back, so that only the anchor can tell
        restore_protections(connection)
    return ["audit", "verify", "--anchor", anchor]


def unknown_anchor(ws: Workspace) -> list[str]:
    return ["audit", "verify", "--anchor", "ab" * 32]


def malformed_anchor(ws: Workspace) -> list[str]:
    return ["audit", "verify", "--anchor", "not-a-hash"]


def anchors_file(ws: Workspace) -> list[str]:
    head = ws.row("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")[0]
    path = ws.write("anchors.txt", f"# kept by the compliance office\n\nSHA-256 {head}  (2026-11-26)\n")
    return ["audit", "verify", "--anchors", str(path)]


AUDIT_CASES = [
    Case("audit-triggers-removed", drop_triggers, 1, says=("unprotected: audit_log: trigger", "init"),
         databases=BOTH),
    Case("audit-protection-made-harmless", harmless_trigger, 1, says=("unprotected: audit_log",), databases=BOTH),
    Case("audit-table-dropped", drop_table, 1, says=("the audit log table is missing",),
         never_says=(*NEVER, "SELECT", "sqlite3", "psycopg"), databases=BOTH),
    Case("audit-init-restores-protections", restore_with_init, 0,
         says=("restored the append-only protections",), after=protections_back, databases=BOTH),
    Case("audit-forged-entry-without-key-signature", forged_unsigned, 1,
         says=("entry 5: not signed with the audit key",), databases=BOTH),
    Case("audit-forged-entry-with-a-wrong-signature", forged_bad_signature, 1,
         says=("entry 5: signature does not match",), databases=BOTH),
    Case("audit-signed-log-verifies", signed_and_intact, 0, says=("signatures checked",)),
    Case("audit-key-named-but-not-set", key_named_but_missing, 2, says=(AUDIT_KEY_ENV, "is not set")),
    Case("audit-rewritten-chain-fails-its-anchor", rewritten_chain, 1,
         says=("is no longer in the log",), databases=BOTH),
    Case("audit-unknown-anchor", unknown_anchor, 1, says=("is no longer in the log",)),
    Case("audit-malformed-anchor", malformed_anchor, 2, says=("64-digit SHA-256 hash",)),
    Case("audit-anchors-file", anchors_file, 0, says=("1 基点 / anchor(s) held",)),
]


# --- events and where they go -------------------------------------------------------------------------------

def ct_record(number: int = 0, *, account: str = VENDOR_PROD, when: str = "2026-11-25T01:00:00Z",
              **fields: Any) -> dict[str, Any]:
    """A CloudTrail record as AWS writes it; ``fields`` replace or add top-level fields."""
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": account,
                         "arn": f"arn:aws:iam::{account}:user/alice", "accessKeyId": "AKIAEXAMPLEKEY000001",
                         "userName": "alice"},
        "eventTime": when, "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
        "awsRegion": "ap-northeast-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"bucketName": "acme-data", "key": f"reports/{number}.csv"},
        "responseElements": None, "eventID": f"00000000-0000-4000-8000-{number:012d}", "readOnly": True,
        "eventType": "AwsApiCall", "managementEvent": False, "recipientAccountId": account,
    }
    record.update(fields)
    return record


def delivery(records: list[dict[str, Any]], *, compress: bool = True) -> bytes:
    """A CloudTrail delivery file (``{"Records": [...]}``), gzipped as CloudTrail writes it."""
    import gzip

    import orjson

    raw = orjson.dumps({"Records": records})
    return gzip.compress(raw) if compress else raw


SLAPD_LOG = (
    "6b07e139.3298a8ac 0x7fb7a2dfc6c0 conn=1006 fd=18 ACCEPT from IP=10.1.2.3:46151 (IP=0.0.0.0:636)\n"
    '6b07e139.382caa19 0x7fb7a3dfe6c0 conn=1006 op=1 BIND dn="uid=alice,ou=people,dc=acme,dc=example" method=128\n'
    "6b07e139.38525672 0x7fb7a3dfe6c0 conn=1006 op=1 RESULT tag=97 err=0 qtime=0.000030 etime=0.002528 text=\n"
)


def cloudtrail_into_ldap(ws: Workspace) -> list[str]:
    path = ws.write("trail/a.json.gz", delivery([ct_record(1), ct_record(2)]))
    return ["import", "cloudtrail", str(path), "--source", "acme-ldap", "--json"]


def slapd_into_aws(ws: Workspace) -> list[str]:
    path = ws.write("slapd/stats.log", SLAPD_LOG)
    return ["import", "slapd-log", str(path), "--source", "acme-aws"]


def imports_then_evaluate(ws: Workspace) -> list[str]:
    """Log files imported into the directory source and CloudTrail into another: the directory was never read."""
    trail = ws.write("trail/a.json.gz", delivery([ct_record(1)]))
    slapd = ws.write("slapd/stats.log", SLAPD_LOG)
    for args in (["import", "cloudtrail", str(trail), "--source", "acme-files"],
                 ["import", "slapd-log", str(slapd), "--source", "acme-ldap"]):
        done = run(ws, args)
        assert done.exit_code == 0, done.output
    return ["evaluate"]


def stored_far_times(ws: Workspace) -> list[str]:
    """Events at the ends of the calendar, as an older version stored them: evaluating must still work."""
    from datetime import UTC, datetime

    from vendorwatch.clock import FixedClock
    from vendorwatch.ingest.events import EventWriter
    from vendorwatch.ingest.runs import RunRecorder
    from vendorwatch.records import AccessEventRecord

    assert ws.engine is not None
    recorder = RunRecorder(ws.engine, "acme-files", FixedClock(datetime(2026, 11, 26, tzinfo=UTC)), kind="import")
    writer = EventWriter(ws.engine, source_id="acme-files", vendor_id="acme", run_id=recorder.run_id)
    for number, when in enumerate((datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC))):
        writer.add(AccessEventRecord(
            source_event_id=f"far-{number}", event_time=when, action="GetObject", outcome="success",
            principal=f"arn:aws:iam::{VENDOR_PROD}:user/alice", principal_kind="iam_user", account_id=VENDOR_PROD,
            environment_id="acme-prod", bucket="acme-data", customer_data=True, source_ip="198.51.100.1"))
    writer.close()
    recorder.finish()
    return ["evaluate"]


RUNS = "SELECT count(*) FROM collection_runs"

ROUTING_CASES = [
    Case("cloudtrail-into-a-directory-source", cloudtrail_into_ldap, 2,
         says=("cannot go into source acme-ldap (kind: ldap)", "acme-aws, acme-files"),
         stored={EVENTS: 0, RUNS: 0}),
    Case("slapd-log-into-an-aws-source", slapd_into_aws, 2, says=("cannot go into source acme-aws (kind: aws)",),
         stored={EVENTS: 0, RUNS: 0}),
    Case("log-imports-do-not-make-a-directory-look-read", imports_then_evaluate, 0,
         stored={EVENTS: 2, "SELECT count(*) FROM findings WHERE subject LIKE 'source:acme-ldap:%'": 0}),
    Case("stored-times-at-the-ends-of-the-calendar", stored_far_times, 0, never_says=(*NEVER, "OverflowError"),
         databases=BOTH),
]


# --- one bad record, one bad file ---------------------------------------------------------------------------

def _identity_with(**fields: Any) -> dict[str, Any]:
    identity = ct_record()["userIdentity"]
    identity.update(fields)
    return identity


MALFORMED: dict[str, dict[str, Any]] = {  # the field a careless exporter (or an attacker) got wrong
    "errorCode": {"errorCode": ["AccessDenied"]},
    "sourceIPAddress": {"sourceIPAddress": {"ip": "203.0.113.10"}},
    "userAgent": {"userAgent": ["aws-cli/2.15.0"]},
    "awsRegion": {"awsRegion": {"name": "ap-northeast-1"}},
    "recipientAccountId": {"recipientAccountId": [VENDOR_PROD]},
    "eventSource": {"eventSource": ["s3.amazonaws.com"]},
    "userIdentity.arn": {"userIdentity": _identity_with(arn=["arn:aws:iam::111111111111:user/alice"])},
    "userIdentity.accountId": {"userIdentity": _identity_with(accountId={"id": VENDOR_PROD})},
    "userIdentity.accessKeyId": {"userIdentity": _identity_with(accessKeyId=["AKIA"])},
    "resources.ARN": {"requestParameters": None, "resources": [{"ARN": {"arn": "x"}}]},
    "errorMessage": {"eventName": "ConsoleLogin", "errorMessage": ["Failed authentication"],
                     "responseElements": {"ConsoleLogin": "Failure"}},
}
OUT_OF_TIME = {  # event times no CloudTrail record can have
    "9999-12-31": "9999-12-31T23:59:59Z", "2099": "2099-01-01T00:00:00Z", "0001": "0001-01-01T00:00:00Z",
    "before CloudTrail": "2013-10-31T23:59:59Z",
}
GOOD = 3


def malformed_file(ws: Workspace) -> list[str]:
    bad = [ct_record(100 + n, **fields) for n, fields in enumerate(MALFORMED.values())]
    bad += [ct_record(200 + n, when=when) for n, when in enumerate(OUT_OF_TIME.values())]
    records = [ct_record(1), *bad[:6], ct_record(2), *bad[6:], ct_record(3)]
    path = ws.write("trail/mixed.json.gz", delivery(records))
    return ["import", "cloudtrail", str(path), "--source", "acme-files", "--json"]


def malformed_file_again(ws: Workspace) -> list[str]:
    args = malformed_file(ws)
    first = run(ws, args)
    assert first.exit_code == 0, first.output
    return args


def _reasons_on_the_run(ws: Workspace) -> None:
    errors = str(ws.scalar("SELECT errors FROM collection_runs ORDER BY id DESC LIMIT 1"))
    for field_name in (*MALFORMED, "eventTime"):
        assert field_name in errors, field_name
    assert "00000000-0000-4000-8000-000000000100" in errors  # the record's key


def _counts(**expected: int) -> Callable[[Any], None]:
    def check(document: Any) -> None:
        assert {k: document[k] for k in expected} == expected, document
    return check


def _zeros_gzip(gigabytes: int = 1) -> bytes:
    """A gigabyte of zeros, gzipped to about a megabyte, made without holding the gigabyte."""
    import zlib

    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    return b"".join(packer.compress(chunk) for _ in range(gigabytes << 10)) + packer.flush()


def _just_under_the_ratio(gigabytes: int = 1) -> bytes:
    """A gigabyte and a megabyte of blank lines (spaces, a line break at a random place in every block) that inflates about 185
    times its size, just under ``MAX_RATIO``: not a bomb by its ratio, stopped by the size ceiling. One
    megabyte gzipped once, its members repeated."""
    import random
    import zlib

    rng = random.Random(14)
    block = 280
    megabyte = bytearray(b" " * (1 << 20))
    for start in range(0, len(megabyte), block):
        megabyte[min(start + rng.randrange(block), len(megabyte) - 1)] = 10
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    member = packer.compress(bytes(megabyte)) + packer.flush()
    return member * ((gigabytes << 10) + 1)  # a megabyte over the ceiling


def bomb_under_the_ratio(ws: Workspace) -> list[str]:
    from connectors.aws.inflate import MAX_RATIO

    content = _just_under_the_ratio()
    ratio = (1025 << 20) / len(content)
    assert 170 < ratio < MAX_RATIO, ratio  # the case is what it says
    ws.write("trail/a-good.json.gz", delivery([ct_record(1)]))
    ws.write("trail/b-under-the-ratio.ndjson.gz", content)
    return ["import", "cloudtrail", str(ws.folder / "trail"), "--source", "acme-files", "--json"]


def honest_delivery(compressed_size: int, *, level: int = 6) -> tuple[bytes, int]:
    """(file, records): a CloudTrail delivery file (``{"Records": [...]}``, gzipped) of records as varied as real
    ones (each its own event and request id, object key, time; a few addresses and agents), that compresses
    about 12 times, as CloudTrail's files do, to just under ``compressed_size`` bytes."""
    import random
    import uuid
    import zlib

    import orjson

    rng = random.Random(14)
    packer = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b'{"Records":[')]
    packed = len(parts[0])
    count = 0
    margin = 1 << 20  # what the compressor may still hold back
    while packed + margin < compressed_size:
        batch = []
        for _ in range(500):
            second = count % 86400
            record = ct_record(count, when=f"2026-11-25T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z")
            record["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            record["requestID"] = f"{rng.getrandbits(64):016X}"
            record["sourceIPAddress"] = f"198.51.100.{rng.randrange(16)}"
            record["requestParameters"] = {"bucketName": "acme-data", "key": f"reports/{rng.randrange(64)}/{count}.csv"}
            record["additionalEventData"] = {"bytesTransferredIn": 0, "bytesTransferredOut": rng.randrange(10**7),
                                             "x-amz-id-2": f"{rng.getrandbits(48):x}"}
            batch.append(orjson.dumps(record))
            count += 1
        chunk = (b"," if count > 500 else b"") + b",".join(batch)
        parts.append(packer.compress(chunk))
        packed += len(parts[-1])
    parts.append(packer.compress(b"]}") + packer.flush())
    content = b"".join(parts)
    assert compressed_size - margin - (1 << 20) < len(content) <= compressed_size, len(content)
    return content, count


def largest_delivery_file(ws: Workspace) -> list[str]:
    """A delivery file of 16 MiB compressed (about 240,000 events, 200 MB inflated): the largest that was read
    into memory whole before slices (issue #14), four times today's ``WHOLE_FILE_LIMIT`` (it is read as a stream)."""
    content, count = honest_delivery(16 << 20)
    ws.write("trail/honest.json.gz", content)
    ws.write("honest-records.txt", str(count))  # read by _every_record_stored
    return ["import", "cloudtrail", str(ws.folder / "trail"), "--source", "acme-files", "--json"]


def collected_delivery_file(ws: Workspace) -> list[str]:
    """The same file delivered into the folder of a ``files`` source, read by ``vendorwatch collect``."""
    content, count = honest_delivery(16 << 20)
    ws.write("delivered/honest.json.gz", content)
    ws.write("honest-records.txt", str(count))  # read by _every_record_stored
    return ["collect", "acme-files"]


def scheduled_delivery_file(ws: Workspace) -> list[str]:
    """The same file collected by the scheduler's pass (APScheduler and the alerts loaded besides)."""
    collected_delivery_file(ws)
    return ["scheduler", "--run-pending"]


def _all_stored(document: Any) -> None:
    assert document["failed"] == [] and document["rejected"] == 0, document
    assert document["read"] == document["stored"] > 200_000, document


def _every_record_stored(ws: Workspace) -> None:
    assert ws.scalar(EVENTS) == int((ws.folder / "honest-records.txt").read_text())


def bomb(ws: Workspace) -> list[str]:
    ws.write("trail/a-good.json.gz", delivery([ct_record(1)]))
    ws.write("trail/b-bomb.json.gz", _zeros_gzip())
    return ["import", "cloudtrail", str(ws.folder / "trail"), "--source", "acme-files", "--json"]


def bomb_streamed(ws: Workspace) -> list[str]:
    """Larger than the size read whole: the streamed reader has the same ceilings."""
    ws.write("trail/a-good.json.gz", delivery([ct_record(1)]))
    ws.write("trail/b-bomb.ndjson.gz", _zeros_gzip() * 17)  # 17 gzip members, over the size read whole
    return ["import", "cloudtrail", str(ws.folder / "trail"), "--source", "acme-files", "--json"]


def _failed(name: str, reason: str) -> Callable[[Any], None]:
    def check(document: Any) -> None:
        failed = document["failed"]
        assert [Path(f["file"]).name for f in failed] == [name], failed
        assert reason in failed[0]["reason"], failed
    return check


def _file_failure(name: str, content: bytes, *, json: bool = True) -> Maker:
    def make(ws: Workspace) -> list[str]:
        ws.write("trail/a-good.json.gz", delivery([ct_record(1)]))
        ws.write(f"trail/{name}", content)
        return ["import", "cloudtrail", str(ws.folder / "trail"), "--source", "acme-files",
                *(["--json"] if json else [])]
    return make


def _truncated_ndjson() -> bytes:
    import gzip

    import orjson

    lines = b"".join(orjson.dumps(ct_record(10 + n)) + b"\n" for n in range(50))
    packed = gzip.compress(lines)
    return packed[: len(packed) - 40]


def _corrupt_gzip() -> bytes:
    packed = bytearray(delivery([ct_record(10 + n) for n in range(50)]))
    packed[len(packed) // 2: len(packed) // 2 + 16] = b"\xff" * 16
    return bytes(packed)


def accounts_file(ws: Workspace) -> list[str]:
    records = [ct_record(1), ct_record(2, account=VENDOR_DEV), ct_record(3, account=UNDECLARED),
               ct_record(4, account=UNDECLARED), ct_record(5, account=OTHER_VENDOR)]
    path = ws.write("trail/accounts.json.gz", delivery(records))
    return ["import", "cloudtrail", str(path), "--source", "acme-files", "--json"]


def _accounts_json(document: Any) -> None:
    assert (document["stored"], document["rejected"]) == (2, 3), document
    assert document["rejected_accounts"] == {UNDECLARED: 2, OTHER_VENDOR: 1}, document


RECORD_CASES = [
    Case("one-malformed-record-costs-no-good-one", malformed_file, 0,
         json=_counts(read=GOOD + len(MALFORMED) + len(OUT_OF_TIME), stored=GOOD,
                      rejected=len(MALFORMED) + len(OUT_OF_TIME)),
         stored={EVENTS: GOOD}, after=_reasons_on_the_run, databases=BOTH),
    Case("a-retry-does-not-stop-on-a-malformed-record", malformed_file_again, 0,
         json=_counts(stored=0, duplicate=GOOD, rejected=len(MALFORMED) + len(OUT_OF_TIME)), stored={EVENTS: GOOD}),
    Case("decompression-bomb", bomb, 1, json=_failed("b-bomb.json.gz", "decompression bomb"),
         stored={EVENTS: 1}, max_rss_mb=INGEST_BUDGET_MB, databases=BOTH),
    Case("decompression-bomb-streamed", bomb_streamed, 1, json=_failed("b-bomb.ndjson.gz", "decompression bomb"),
         stored={EVENTS: 1}, max_rss_mb=INGEST_BUDGET_MB, databases=BOTH),
    Case("bomb-just-under-the-ratio", bomb_under_the_ratio, 1,
         json=_failed("b-under-the-ratio.ndjson.gz", "inflates to more than 1024 MiB"),
         stored={EVENTS: 1}, max_rss_mb=INGEST_BUDGET_MB, databases=BOTH),
    Case("largest-delivery-file-within-the-budget", largest_delivery_file, 0, json=_all_stored,
         after=_every_record_stored, max_rss_mb=INGEST_BUDGET_MB, databases=BOTH),
    Case("collected-delivery-file-within-the-budget", collected_delivery_file, 0, says=("acme-files", "success"),
         after=_every_record_stored, max_rss_mb=INGEST_BUDGET_MB, databases=BOTH),
    Case("scheduled-delivery-file-within-the-budget", scheduled_delivery_file, 0, after=_every_record_stored,
         max_rss_mb=INGEST_BUDGET_MB, databases=BOTH),
    Case("invalid-json-file", _file_failure("b.json", b'{"Records": [{"eventID": '), 1,
         json=_failed("b.json", "invalid JSON"), stored={EVENTS: 1}),
    Case("invalid-json-file-summary", _file_failure("b.json", b'{"Records": [{"eventID": ', json=False), 1,
         says=("失敗 / failed: 1", "b.json", "invalid JSON"), stored={EVENTS: 1}),
    Case("truncated-gzip", _file_failure("b.ndjson.gz", _truncated_ndjson()), 1,
         json=_failed("b.ndjson.gz", "truncated"), stored={"SELECT count(*) >= 40 FROM access_events": True}),
    Case("corrupt-gzip", _file_failure("b.json.gz", _corrupt_gzip()), 1,
         json=_failed("b.json.gz", "unreadable compressed data"), stored={EVENTS: 1}),
    Case("events-of-undeclared-accounts", accounts_file, 0, json=_accounts_json,
         stored={EVENTS: 2, f"SELECT environment_id FROM access_events WHERE account_id = '{VENDOR_DEV}'": "acme-dev"},
         databases=BOTH),
]

CASES: list[Case] = [*REGISTRY_CASES, *AUDIT_CASES, *ROUTING_CASES, *RECORD_CASES]
