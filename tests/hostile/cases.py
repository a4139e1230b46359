"""The table of hostile inputs and tamper attempts: one row per case, run by ``test_hostile_inputs.py``.

To add a case, append a ``Case``: an input maker (writes files or tampers with the database, returns the
command line), the exit code expected, fragments the output must (and must never) contain, and what the
database must hold afterwards (SQL -> value). Makers are plain functions below, grouped by what they attack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.hostile.harness import Maker, Workspace, run
from tests.hostile.world import VENDOR_PROD

EVENTS = "SELECT count(*) FROM access_events"
AUDIT_ENTRIES = "SELECT count(*) FROM audit_log"
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

CASES: list[Case] = [*REGISTRY_CASES, *AUDIT_CASES, *ROUTING_CASES]
