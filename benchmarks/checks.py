"""Benchmark: every check over 1,000,000 access events, on SQLite and on PostgreSQL.

    .venv/bin/python -m benchmarks.checks [--events 1000000] [--only sqlite|postgresql]

Events are generated in chunks and written with the drivers' bulk paths (executemany on SQLite, COPY on
PostgreSQL), so generation stays fast and small. The registry is the demo registry; principals act from
their office network in office hours, with a few of the incidents the checks look for sprinkled in. A tenth of
the events are binds to the vendor's directory, by DN, often in another spelling than the roster's (the DN code
paths of the checks: one account whatever the spelling).
Prints the time of the transfer derivation, of each check, of the whole evaluation (with reconciliation),
and the process's peak RSS. Targets: all ≤ 10 s, no check > 2 s, reconciliation (an evaluation's time beyond its
checks) ≤ 5 s, peak RSS ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import yaml
from sqlalchemy import Engine, text
from sqlmodel import Session

from benchmarks._support import DEFAULT_POSTGRES, scratch_postgres
from vendorwatch.checks.engine import run_checks
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.demo import DEMO_REGISTRY
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.registry.loader import load_registry
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import apply_import

COLUMNS = ["source_id", "source_event_id", "event_time", "vendor_id", "environment_id", "account_id", "region",
           "principal", "principal_kind", "access_key_id", "session_issuer", "action", "service", "resource",
           "bucket", "object_key", "target_account", "source_ip", "user_agent", "outcome", "error_code", "mfa_used",
           "customer_data", "data_class", "details"]
PROD, DEV = "123456789123", "123837392027"
CUSTOMER_BUCKET = "mordors3stack-s3bucket-llp2yingx64a"
END = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
DAYS = 30
CLOCK = FixedClock(END + timedelta(hours=1))
READS = ["GetObject", "ListObjects", "HeadObject", "DescribeInstances", "GetParameter", "Decrypt", "ListBuckets"]
WRITES = ["PutObject", "CreateTags", "UpdateItem", "PutParameter", "DeleteObject"]


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PEOPLE = [(f"arn:aws:iam::{PROD if i % 3 else DEV}:user/staff{i:03d}", f"AKIA{i:016d}", f"203.0.113.{i % 250}")
          for i in range(400)]
ROLES = [f"arn:aws:iam::{PROD}:role/app-{i}" for i in range(20)]
UNROSTERED = 5  # the last five people are on no roster
# Directory accounts of the first 200 people (the vendor's LDAP, tradesys-ldap): the roster writes each DN as the
# directory does, the bind log often as the client sent it (another spelling of the same DN, which LDAP and the
# checks compare as one). The last five are on no roster; two are also bound from another network at once.
DIRECTORY = [f"uid=staff{i:03d},ou=people,dc=tradesys,dc=example" for i in range(200)]
DIRECTORY_UNROSTERED = 5
SHARED_DIRECTORY = ("uid=staff010,ou=people,dc=tradesys,dc=example", "uid=staff011,ou=people,dc=tradesys,dc=example")


def _client_spelling(dn: str) -> str:
    """The same DN as some clients send it: attribute types and values in other cases, blanks after commas."""
    return ", ".join(f"{rdn.split('=')[0].upper()}={rdn.split('=')[1].title()}" for rdn in dn.split(","))


def bench_registry() -> tuple[Registry, str]:
    """The demo registry with the benchmark's people on the roster and its roles declared."""
    _, text_ = load_registry(DEMO_REGISTRY)
    document = yaml.safe_load(text_)
    vendor = document["vendors"][0]
    for i, (arn, _, _) in enumerate(PEOPLE[:-UNROSTERED]):
        directory = [DIRECTORY[i]] if i < len(DIRECTORY) - DIRECTORY_UNROSTERED else []
        vendor["roster"].append({"person": f"staff{i:03d}", "name": f"Staff {i}", "since": "2024-04-01",
                                 "identities": [arn, *directory]})
    for role in ROLES:
        vendor["accounts"].append({"principal": role, "kind": "service", "owner": "pedro", "allowed_hours": "any"})
    text_ = yaml.safe_dump(document, allow_unicode=True)
    return Registry.model_validate(document), text_


def generate(count: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """``count`` events over 30 days: 400 people in two accounts, roles, keys, and a few incidents."""
    rng = random.Random(seed)
    people, roles = PEOPLE, ROLES
    start = END - timedelta(days=DAYS)
    span = DAYS * 86400
    for n in range(count):
        # Office hours in Tokyo (09:00-19:00 JST = 00:00-10:00 UTC) on most events, nights for a few.
        day = rng.randrange(DAYS)
        second = rng.randrange(10 * 3600) if rng.random() < 0.997 else rng.randrange(86400)
        when = start + timedelta(days=day, seconds=second)
        if when > start + timedelta(seconds=span):
            when = start + timedelta(seconds=span)
        roll = rng.random()
        if 0.80 <= roll < 0.90:
            yield _directory_bind(rng, when)
            continue
        if roll < 0.80:
            principal, key, ip = people[rng.randrange(len(people))]
            kind, issuer = "iam_user", None
            if principal.endswith(("staff001", "staff002")) and rng.random() < 0.05:
                ip = "1.2.3.4"  # two people's keys are also used from abroad
        else:
            role = roles[rng.randrange(len(roles))]
            principal = role.replace(":iam:", ":sts:").replace(":role/", ":assumed-role/") + f"/s{rng.randrange(50)}"
            kind, issuer, key, ip = "assumed_role", role, f"ASIA{rng.randrange(10**12):016d}", "10.0.1.5"
        account = principal.split(":")[4]
        environment = "tradesys-prod" if account == PROD else "tradesys-dev"
        customer = account == PROD and rng.random() < 0.3
        action = rng.choice(WRITES) if rng.random() < 0.15 else rng.choice(READS)
        outcome, error = ("failure", "AccessDenied") if rng.random() < 0.02 else ("success", None)
        details = None
        bucket = CUSTOMER_BUCKET if customer else None
        if rng.random() < 0.0002:
            action, bucket = "CopyObject", "tradesys-dev-testdata"
            details = orjson.dumps({"copy_source": f"{CUSTOMER_BUCKET}/raw/file{n}.csv"}).decode()
            customer = False
        elif rng.random() < 0.0005:
            action, principal, kind = "ConsoleLogin", principal, "iam_user"
        yield ("tradesys-aws-prod" if account == PROD else "tradesys-aws-dev", uuid.UUID(int=rng.getrandbits(128)).hex,
               when.replace(tzinfo=None), "tradesys", environment, account, "ap-northeast-1", principal, kind, key,
               issuer, action, "s3.amazonaws.com" if bucket else "ec2.amazonaws.com", None, bucket, None, None, ip,
               "aws-cli/2.15.0", outcome, error, True if action == "ConsoleLogin" else None, customer,
               "customer" if customer else None, details)


def _directory_bind(rng: random.Random, when: datetime) -> tuple[Any, ...]:
    """A bind to the vendor's directory, as the slapd stats log reader stores it."""
    person = rng.randrange(len(DIRECTORY))
    dn, ip = DIRECTORY[person], f"203.0.113.{person % 250}"
    if dn in SHARED_DIRECTORY and rng.random() < 0.05:
        ip = "198.51.100.7"  # the same account bound from another network at the same time
    if rng.random() < 0.3 or ip == "198.51.100.7":
        dn = _client_spelling(dn)
    outcome, error = ("failure", "49") if rng.random() < 0.02 else ("success", None)
    details = orjson.dumps({"conn": rng.randrange(10**6), "op": 0, "method": "128"}).decode()
    return ("tradesys-ldap", uuid.UUID(int=rng.getrandbits(128)).hex, when.replace(tzinfo=None), "tradesys",
            "tradesys-dev", None, None, dn, "ldap_account", None, None, "bind", "ldap", dn, None, None, None, ip,
            None, outcome, error, None, False, None, details)


def load_events(engine: Engine, count: int, chunk: int = 50_000) -> float:
    """Bulk-insert generated events; returns seconds."""
    began = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        rows: list[tuple[Any, ...]] = []
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY access_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in generate(count):
                    copy.write_row(row)
        else:
            sql = f"INSERT INTO access_events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            for row in generate(count):
                rows.append((*row[:2], row[2].isoformat(sep=" ", timespec="microseconds"), *row[3:]))
                if len(rows) >= chunk:
                    cursor.executemany(sql, rows)
                    rows.clear()
            if rows:
                cursor.executemany(sql, rows)
        raw.commit()
    finally:
        raw.close()
    # Steady state of a live database: statistics gathered, and on PostgreSQL the visibility map set
    # (autovacuum's work), without which index-only scans still visit the table.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return time.perf_counter() - began


def prepare(url: str, count: int) -> tuple[Engine, Registry, float]:
    """A migrated database with the demo registry and ``count`` events."""
    engine = make_engine(url)
    upgrade(engine)
    registry, document = bench_registry()
    with Session(engine) as session:
        apply_import(session, registry, document, path=str(DEMO_REGISTRY), actor="bench", clock=CLOCK)
        session.commit()
    return engine, registry, load_events(engine, count)


def measure(label: str, url: str, count: int) -> None:
    """Load, then time every check and a full evaluation; print the figures."""
    engine, registry, loading = prepare(url, count)
    print(f"\n== {label}: {count:,} events loaded in {loading:.1f} s (peak RSS so far {peak_rss_mb():.0f} MB)")
    run = run_checks(engine, registry, CLOCK)
    print(f"  {'derive transfers':48s} {run.derive_seconds:7.3f} s  (+{run.transfers_added} transfers)")
    for outcome in sorted(run.outcomes, key=lambda o: -o.seconds):
        flag = "  > 2 s" if outcome.seconds > 2 else ""
        error = f"  ERROR {outcome.error.splitlines()[0]}" if outcome.error else ""
        print(f"  {outcome.check.id:48s} {outcome.seconds:7.3f} s  {len(outcome.drafts):5d} found{flag}{error}")
    print(f"  {'all checks (first run)':48s} {run.seconds:7.3f} s")
    totals = []
    for label in ("evaluate: checks + reconcile (findings new)", "evaluate again (steady state)"):
        began = time.perf_counter()
        evaluation = evaluate(engine, registry, CLOCK)
        totals.append(time.perf_counter() - began)
        print(f"  {label:48s} {totals[-1]:7.3f} s  {dict(evaluation.summary.counts)}")
    print(f"  peak RSS {peak_rss_mb():.0f} MB")
    slowest = max(run.outcomes, key=lambda o: o.seconds)
    print("  targets:")
    for name, value, target, unit in (
        ("all checks, with transfer derivation", run.seconds, 10.0, "s"),
        (f"slowest check ({slowest.check.id})", slowest.seconds, 2.0, "s"),
        ("reconcile (slower evaluation minus the checks)", max(totals) - run.seconds, 5.0, "s"),
        ("peak RSS", peak_rss_mb(), 300.0, "MB"),
    ):
        print(f"    {'MET   ' if value <= target else 'MISSED'} {name:48s} {value:7.2f} {unit} (target <= {target:g} {unit})")
    engine.dispose()


def on_both_databases(measure: Callable[[str, str, int], None], description: str | None) -> None:
    """``measure(label, url, events)`` on SQLite (a temporary file) and PostgreSQL (a temporary database),
    with ``--events N`` and ``--only sqlite|postgresql`` from the command line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        path = f"/tmp/vendorwatch-bench-{os.getpid()}.db"
        try:
            measure("SQLite", f"sqlite:///{path}", args.events)
        finally:
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(path + suffix):
                    os.remove(path + suffix)
    if args.only in (None, "postgresql"):
        with scratch_postgres(os.environ.get("VENDORWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES)) as url:
            measure("PostgreSQL", url, args.events)

def main() -> None:
    """Run the benchmark on SQLite (a temporary file) and PostgreSQL (a temporary database)."""
    on_both_databases(measure, __doc__)


if __name__ == "__main__":
    main()
