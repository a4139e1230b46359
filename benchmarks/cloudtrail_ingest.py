"""CloudTrail ingest benchmark: ``python -m benchmarks.cloudtrail_ingest`` (not part of the test run).

Protocol (issue 4), all phases on the same corpus in the same run, each in a fresh child process so its
peak RSS is its own:

1. a deterministic corpus of N CloudTrail events (default 1,000,000) in the delivery layout
   ``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz``, plus 200,000 further events, in /tmp;
2. read limit: gzip + orjson of every file, no normalization, no database;
3. parse: files → normalized, tagged ``AccessEventRecord`` rows, no database;
4. baseline: plain ``sqlite3.executemany`` of the same rows (built untimed) into the product's own
   ``access_events`` table (same unique key and indexes, whatever the migrations created), 50,000 rows per
   transaction, rows in file order;
5. SQLite ingest into an empty database through the product's path (``import_path``);
6. 200,000 new events into that database, which then holds N;
7. re-collecting the N events already ingested: read again (every one a duplicate), and skipped before
   parsing (files already ingested, unchanged: what a scheduled re-collection does);
8. PostgreSQL ingest into an empty database, then the 200,000 further events into it.

Figures are events per second and peak RSS of the process. The machine is shared: say so with the figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

ACCOUNT = "123456789123"
REGIONS = ("ap-northeast-1", "us-east-1")
CUSTOMER_BUCKET = "mordors3stack-s3bucket-llp2yingx64a"
OTHER_BUCKETS = ("tradesys-prod-logs", "tradesys-build-artifacts")
FILE_EVENTS = (300, 700)  # events per delivered file, as CloudTrail batches them
ROOT = Path(__file__).resolve().parents[1]
DEMO_REGISTRY = ROOT / "docs" / "examples" / "vendorwatch.yaml"
SOURCE_ID = "tradesys-aws-prod"


# --- corpus ----------------------------------------------------------------------------------------------


def _identity(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.7:
        user = f"user{rng.randrange(200):03d}"
        return {"type": "IAMUser", "principalId": f"AIDA{rng.randrange(10**12):012d}",
                "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}", "accountId": ACCOUNT,
                "accessKeyId": f"AKIA{rng.randrange(10**15):016d}", "userName": user}
    role = f"role{rng.randrange(50):02d}"
    return {"type": "AssumedRole", "principalId": f"AROA{rng.randrange(10**12):012d}:session",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/session{rng.randrange(1000)}",
            "accountId": ACCOUNT, "accessKeyId": f"ASIA{rng.randrange(10**15):016d}",
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                                                 "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                                                 "accountId": ACCOUNT, "userName": role},
                               "webIdFederationData": {},
                               "attributes": {"creationDate": "2026-11-01T00:00:00Z",
                                              "mfaAuthenticated": "false"}}}


def _event(rng: random.Random, when: datetime, region: str) -> dict[str, Any]:
    kind = rng.random()
    params: dict[str, Any] | None
    if kind < 0.45:
        source, name = "s3.amazonaws.com", rng.choice(("GetObject", "PutObject", "HeadObject"))
        bucket = CUSTOMER_BUCKET if rng.random() < 0.5 else rng.choice(OTHER_BUCKETS)
        params = {"bucketName": bucket, "key": f"data/{rng.randrange(10**6):06d}.csv", "Host": f"{bucket}.s3"}
    elif kind < 0.75:
        source, name = "ec2.amazonaws.com", rng.choice(("DescribeInstances", "DescribeVolumes", "DescribeVpcs"))
        params = {"filterSet": {}, "instancesSet": {}}
    elif kind < 0.9:
        source, name = "sts.amazonaws.com", "AssumeRole"
        params = {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/role{rng.randrange(50):02d}",
                  "roleSessionName": f"s{rng.randrange(1000)}", "durationSeconds": 3600}
    else:
        source, name = "iam.amazonaws.com", rng.choice(("ListUsers", "GetUser", "ListAccessKeys"))
        params = None
    record: dict[str, Any] = {
        "eventVersion": "1.08", "userIdentity": _identity(rng),
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": source, "eventName": name,
        "awsRegion": region, "sourceIPAddress": f"203.0.113.{rng.randrange(256)}",
        "userAgent": rng.choice(("aws-cli/2.15.30 Python/3.11.8 Linux/6.1", "Boto3/1.34.0 Python/3.11",
                                 "console.amazonaws.com")),
        "requestParameters": params, "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "readOnly": True, "eventType": "AwsApiCall", "managementEvent": source != "s3.amazonaws.com",
        "recipientAccountId": ACCOUNT, "eventCategory": "Management" if source != "s3.amazonaws.com" else "Data",
    }
    if rng.random() < 0.03:
        record["errorCode"], record["errorMessage"] = "AccessDenied", "Access Denied"
    return record


def generate(root: Path, events: int, seed: int, start: datetime) -> int:
    """Write a corpus of ``events`` events under ``root`` (deterministic for a seed); returns the file count."""
    rng = random.Random(seed)
    written = files = 0
    when = start
    while written < events:
        region = REGIONS[files % len(REGIONS)]
        size = min(rng.randint(*FILE_EVENTS), events - written)
        records = []
        for _ in range(size):
            when += timedelta(milliseconds=rng.randrange(1, 800))
            records.append(_event(rng, when, region))
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / region / when.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{ACCOUNT}_CloudTrail_{region}_{when:%Y%m%dT%H%M}Z_{rng.getrandbits(64):016x}.json.gz"
        (folder / name).write_bytes(gzip.compress(orjson.dumps({"Records": records}), compresslevel=6))
        written += size
        files += 1
    return files


# --- phases (each runs in its own process) ---------------------------------------------------------------


def _files(corpus: Path) -> list[Path]:
    from connectors.aws.cloudtrail_files import find_files

    return find_files(corpus)


def _index() -> Any:
    from vendorwatch.ingest.tagging import RegistryIndex
    from vendorwatch.registry.loader import load_registry

    registry, _ = load_registry(DEMO_REGISTRY)
    return RegistryIndex.build(registry)


def phase_read(corpus: Path) -> dict[str, Any]:
    """The read limit: gunzip and JSON-decode every file."""
    files = _files(corpus)
    began = time.perf_counter()
    count = 0
    for path in files:
        count += len(orjson.loads(gzip.decompress(path.read_bytes()))["Records"])
    return {"events": count, "seconds": time.perf_counter() - began}


def phase_parse(corpus: Path) -> dict[str, Any]:
    """Files to normalized, tagged rows, through the connector's reader and parser; no database."""
    from connectors.aws.cloudtrail_files import iter_path
    from connectors.aws.cloudtrail_parse import transform_records

    files = _files(corpus)
    index = _index()
    began = time.perf_counter()
    count = 0
    for path in files:
        for _event in transform_records(iter_path(path), index, "tradesys-prod"):
            count += 1
    return {"events": count, "seconds": time.perf_counter() - began}


def phase_baseline(corpus: Path, url: str) -> dict[str, Any]:
    """Plain sqlite3.executemany of the same rows, 50,000 per transaction; only the inserts are timed.

    The table is the product's own ``access_events`` (same unique key and every index the migrations
    created), in a database prepared like the ingest one; plain ``sqlite3`` leaves foreign keys unchecked.
    """
    from sqlalchemy import create_engine

    from connectors.aws.cloudtrail_files import iter_path
    from connectors.aws.cloudtrail_parse import parse_record
    from vendorwatch.ingest.events import COLUMNS, EventWriter

    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    run_id = connection.execute("SELECT max(id) FROM collection_runs").fetchone()[0]
    index = _index()
    # The writer's own row conversion gives exactly the values it stores; rows stay in file order here.
    converter = EventWriter(create_engine("sqlite://"), source_id=SOURCE_ID, vendor_id="tradesys", run_id=run_id)
    statement = (f"INSERT OR IGNORE INTO access_events ({', '.join(COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(COLUMNS))})")
    timed = 0.0
    count = 0
    batch: list[Any] = []

    def flush() -> float:
        rows = [converter._row(event) for event in batch]
        began = time.perf_counter()
        with connection:
            connection.executemany(statement, rows)
        return time.perf_counter() - began

    for path in _files(corpus):
        for record in iter_path(path):
            batch.append(parse_record(record, index, "tradesys-prod"))  # type: ignore[arg-type]
            if len(batch) == 50_000:
                timed += flush()
                count += len(batch)
                batch = []
    if batch:
        timed += flush()
        count += len(batch)
    stored = connection.execute("SELECT count(*) FROM access_events").fetchone()[0]
    connection.close()
    return {"events": count, "seconds": timed, "stored": stored}


def _prepare(url: str) -> None:
    """A migrated database with the demo registry imported (the source the events belong to)."""
    from sqlmodel import Session

    from vendorwatch.clock import SystemClock
    from vendorwatch.db.engine import make_engine
    from vendorwatch.db.migrate import upgrade
    from vendorwatch.registry.loader import load_registry
    from vendorwatch.registry.sync import apply_import

    engine = make_engine(url)
    upgrade(engine)
    registry, text = load_registry(DEMO_REGISTRY)
    with Session(engine) as session:
        apply_import(session, registry, text, path=str(DEMO_REGISTRY), actor="bench", clock=SystemClock())
        session.commit()
    engine.dispose()


def phase_ingest(corpus: Path, url: str, skip_known: bool = False) -> dict[str, Any]:
    """The product's import path (reader, parser, tagging, EventWriter, source_objects, run)."""
    from connectors.aws.import_files import import_path
    from vendorwatch.clock import SystemClock
    from vendorwatch.db.engine import make_engine
    from vendorwatch.ingest.context import CollectContext
    from vendorwatch.registry.loader import load_registry

    engine = make_engine(url)
    registry, _ = load_registry(DEMO_REGISTRY)
    context = CollectContext.for_source(engine, registry, SOURCE_ID, SystemClock())
    began = time.perf_counter()
    result = import_path(context, corpus, skip_known=skip_known)
    seconds = time.perf_counter() - began
    events = result.read
    if skip_known:  # the files were skipped unread: rate the skip by the events those files hold
        from sqlalchemy import text

        with engine.connect() as connection:
            events = connection.execute(text(
                "SELECT coalesce(sum(events), 0) FROM source_objects WHERE status = 'ingested' AND key LIKE :p"
            ), {"p": f"{corpus.resolve()}%"}).scalar_one()
    engine.dispose()
    return {"events": events, "seconds": seconds, "skipped_files": result.skipped_files, **result.summary()}


def _child(args: list[str]) -> dict[str, Any]:
    completed = subprocess.run([sys.executable, "-m", "benchmarks.cloudtrail_ingest", *args], capture_output=True,
                               text=True, cwd=ROOT, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"phase {args} failed:\n{completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _run_phase(name: str, arguments: argparse.Namespace) -> None:
    corpus = Path(arguments.corpus)
    if name == "read":
        result = phase_read(corpus)
    elif name == "parse":
        result = phase_parse(corpus)
    elif name == "baseline":
        result = phase_baseline(corpus, arguments.url)
    elif name == "ingest":
        result = phase_ingest(corpus, arguments.url, skip_known=arguments.skip_known)
    else:
        raise SystemExit(f"unknown phase {name}")
    result["peak_rss_mb"] = _own_peak_mb()
    print(json.dumps(result))


def _own_peak_mb() -> float:
    """This process's own peak resident set (VmHWM). Not ``ru_maxrss``: Linux carries the parent's peak over
    ``exec``, so a phase started after the corpus was generated reported the generator's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _postgres_database(admin_url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = "vw_bench_aws"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    """Run the whole protocol and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--more", type=int, default=200_000, help="new events for the incremental phase")
    parser.add_argument("--workdir", default="/tmp/vendorwatch-bench-aws")
    parser.add_argument("--postgres", default=os.environ.get(
        "VENDORWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--phase")
    parser.add_argument("--corpus")
    parser.add_argument("--url")
    parser.add_argument("--skip-known", action="store_true")
    arguments = parser.parse_args()
    if arguments.phase:
        _run_phase(arguments.phase, arguments)
        return

    work = Path(arguments.workdir)
    corpus, more = work / "corpus", work / "more"
    # Relative to today: the product rejects events more than a day ahead of its clock (issue #14), and the new
    # events (20 days on) must be new, not in the future. A fixed date had made every new event a rejection.
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=30)
    marker = work / f"corpus-{arguments.events}-{arguments.more}-{start:%Y%m%d}.done"
    if not marker.exists():
        import shutil

        shutil.rmtree(work, ignore_errors=True)
        began = time.perf_counter()
        files = generate(corpus, arguments.events, seed=4, start=start)
        generate(more, arguments.more, seed=5, start=start + timedelta(days=20))
        marker.write_text("ok")
        print(f"corpus: {arguments.events:,} events in {files:,} files (+{arguments.more:,}) "
              f"written in {time.perf_counter() - began:.0f} s to {work}", flush=True)
    size = sum(p.stat().st_size for p in corpus.rglob("*.json.gz"))
    print(f"corpus: {size / 1e6:.0f} MB gzipped; CPUs: {os.cpu_count()} (shared with other work)", flush=True)

    sqlite_path = work / "ingest.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    sqlite_url = f"sqlite:///{sqlite_path}"
    results: dict[str, dict[str, Any]] = {}
    results["read limit (gzip + orjson)"] = _child(["--phase", "read", "--corpus", str(corpus)])
    results["parse (files -> rows)"] = _child(["--phase", "parse", "--corpus", str(corpus)])
    baseline_path = work / "baseline.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{baseline_path}{suffix}").unlink(missing_ok=True)
    _prepare(f"sqlite:///{baseline_path}")
    results["baseline sqlite3.executemany"] = _child(
        ["--phase", "baseline", "--corpus", str(corpus), "--url", f"sqlite:///{baseline_path}"])
    _prepare(sqlite_url)
    results["SQLite ingest, empty db"] = _child(["--phase", "ingest", "--corpus", str(corpus), "--url", sqlite_url])
    results[f"SQLite +{arguments.more:,} new into {arguments.events:,}"] = _child(
        ["--phase", "ingest", "--corpus", str(more), "--url", sqlite_url])
    results["SQLite re-collect (all duplicates)"] = _child(
        ["--phase", "ingest", "--corpus", str(corpus), "--url", sqlite_url])
    results["SQLite re-collect, skipped before parsing"] = _child(
        ["--phase", "ingest", "--corpus", str(corpus), "--url", sqlite_url, "--skip-known"])
    postgres_url = _postgres_database(arguments.postgres)
    _prepare(postgres_url)
    results["PostgreSQL ingest, empty db"] = _child(
        ["--phase", "ingest", "--corpus", str(corpus), "--url", postgres_url])
    results[f"PostgreSQL +{arguments.more:,} new into {arguments.events:,}"] = _child(
        ["--phase", "ingest", "--corpus", str(more), "--url", postgres_url])

    print(f"\n{'phase':44} {'events':>10} {'seconds':>8} {'events/s':>10} {'peak RSS':>9}")
    rates: dict[str, float] = {}
    for name, result in results.items():
        rate = result["events"] / result["seconds"] if result["seconds"] else float("inf")
        rates[name] = rate
        extra = "".join(f" {k}={result[k]}" for k in ("stored", "duplicate", "rejected") if k in result)
        print(f"{name:44} {result['events']:>10,} {result['seconds']:>8.1f} {rate:>10,.0f} "
              f"{result['peak_rss_mb']:>7.0f}MB{extra}")
    names = list(results)
    print("\ntargets:")
    checks = [
        ("parse >= 0.65x read limit", rates[names[1]] / rates[names[0]], 0.65, "x"),
        ("parse peak RSS <= 50 MB", results[names[1]]["peak_rss_mb"], 50, "MB<="),
        ("SQLite ingest >= 0.8x baseline", rates[names[3]] / rates[names[2]], 0.8, "x"),
        # Counted only when every new event was stored (rejected events would be a fast, empty phase).
        ("+new into full db >= 30,000/s", rates[names[4]] if results[names[4]].get("stored") == arguments.more
         else 0.0, 30_000, "/s"),
        # The wording: ">= 70,000 events/s, or skipped before parsing" (what a scheduled collection
        # does with files it has ingested); reading them all again is printed for information.
        ("re-collect: skipped before parsing", rates[names[6]], 70_000, "/s"),
        ("(info) re-collect reading every file", rates[names[5]], 70_000, "/s"),
        ("ingest peak RSS <= 150 MB", max(results[n]["peak_rss_mb"] for n in names[3:]), 150, "MB<="),
        ("PostgreSQL ingest >= 30,000/s", rates[names[7]], 30_000, "/s"),
    ]
    for label, value, target, unit in checks:
        met = value <= target if unit == "MB<=" else value >= target
        shown = f"{value:.2f}" if unit == "x" else f"{value:,.0f}"
        verdict = ("met   " if met else "missed") if label.startswith("(info)") else ("MET   " if met else "MISSED")
        print(f"  {verdict} {label:36} measured {shown}")


if __name__ == "__main__":
    main()
