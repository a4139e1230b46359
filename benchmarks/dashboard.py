"""Benchmark: how long each dashboard page takes to load over 1,000,000 access events and 200 vendors.

    .venv/bin/python -m benchmarks.dashboard [--events 1000000] [--vendors 200] [--only sqlite|postgresql] [--reuse]

The world is made the way production makes it: a generated registry of 200 vendors (50 parents with three
sub-vendors each, two AWS accounts, two sources, a roster with a leaver, a transfer approval) imported with
``apply_import``; inventories through ``load_principals``; collection runs through ``RunRecorder``; the
events through the ingest API (``EventWriter``, tagged by ``RegistryIndex``), spread over twelve months
and skewed so the largest vendor holds about a tenth of them; then a real evaluation (every check, findings,
posture snapshot). Eleven earlier month-end posture snapshots are recorded from the same findings so the
twelve-month trend reads a full year of rows.

Each page is then run through Streamlit's AppTest, signed in as a vendor manager: cold (caches cleared) and
warm (cached). The figure is the script run of the page (read models, SQL, Streamlit elements), without the
network and the browser's drawing. Target: every page under 2 s, cold, on this 2-core machine.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, func, select

from questionnaires.campaigns import send_campaign
from questionnaires.demo import TRADESYS
from questionnaires.evidence import DocumentDetails, add_document
from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
from questionnaires.loader import find_questionnaire
from questionnaires.respondent import respondent_for, save_answers, submit
from questionnaires.review import accept
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.db.tables import AccessEvent, Finding
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.service import produce
from vendorwatch.findings.evaluate import evaluate
from vendorwatch.ingest.events import EventWriter
from vendorwatch.ingest.inventory import InventoryScope, load_principals
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.ingest.tagging import RegistryIndex
from vendorwatch.posture.snapshot import record_posture
from vendorwatch.records import AccessEventRecord, PrincipalRecord
from vendorwatch.registry.loader import load_registry
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import apply_import
from vendorwatch.staff import accounts

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)
DAYS = 365
PEOPLE = 6  # roster per vendor, the last of whom left on 2026-06-30
TARGET_SECONDS = 2.0
MANAGER, PASSWORD = "bench-manager", "a long benchmark password"
POSTGRES_ADMIN = os.environ.get("VENDORWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SQLITE_PATH = Path(tempfile.gettempdir()) / "vendorwatch-bench-dashboard.db"
EVIDENCE_DIR = Path(tempfile.gettempdir()) / "vendorwatch-bench-dashboard-evidence"
PG_DATABASE = "vw_bench_dashboard"
APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


def _vendor_id(i: int) -> str:
    return f"v{i:03d}"


def _accounts(i: int) -> tuple[str, str]:
    return f"{100000000000 + 2 * i}", f"{100000000000 + 2 * i + 1}"


def _people(i: int) -> list[tuple[str, str]]:
    prod, dev = _accounts(i)
    return [(f"p{i:03d}x{k}", f"arn:aws:iam::{prod if k % 2 == 0 else dev}:user/p{i:03d}x{k}") for k in range(PEOPLE)]


def registry_document(vendors: int) -> dict[str, Any]:
    """The benchmark's vendors: a quarter parents, the rest their sub-vendors, each with two accounts."""
    parents = max(1, vendors // 4)
    tiers = ["critical", "high", "medium", "low"]
    document: dict[str, Any] = {"version": 1, "organization": {"name": {"ja": "ベンチ証券", "en": "Bench Securities"},
                                                             "timezone": "Asia/Tokyo"}, "vendors": [], "transfers": []}
    for i in range(vendors):
        vendor = _vendor_id(i)
        prod, dev = _accounts(i)
        roster = [{"person": person, "name": f"社員 {i}-{k}", "since": "2024-04-01",
                   **({"until": "2026-06-30"} if k == PEOPLE - 1 else {}), "identities": [arn]}
                  for k, (person, arn) in enumerate(_people(i))]
        document["vendors"].append({
            "id": vendor,
            **({"parent": _vendor_id((i - parents) // 3)} if i >= parents else {}),
            "name": {"ja": f"委託先 {i:03d} 株式会社", "en": f"Vendor {i:03d} Ltd."},
            "tier": tiers[i % 4], "handles_customer_data": i % 5 != 4,
            "contract": {"id": f"C-{i:03d}", "start": "2024-04-01", "end": "2027-03-31"},
            "contacts": [{"name": f"担当 {i:03d}", "email": f"contact{i:03d}@{vendor}.example", "phone": "03-5555-0101"}],
            "roster": roster,
            "accounts": [{"principal": f"arn:aws:iam::{prod}:role/batch", "kind": "service", "owner": roster[0]["person"],
                          "allowed_hours": "any"}],
            "environments": [
                {"id": f"{vendor}-prod", "kind": "production", "aws_accounts": [prod],
                 "buckets": [{"name": f"{vendor}-customer", "data_class": "customer"}],
                 "allowed_networks": ["203.0.113.0/24", "10.0.0.0/8"],
                 "allowed_hours": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "21:00"}},
                {"id": f"{vendor}-dev", "kind": "development", "aws_accounts": [dev],
                 "buckets": [{"name": f"{vendor}-testdata", "data_class": "test"}]},
            ],
            "sources": [
                {"id": f"{vendor}-aws-prod", "kind": "aws", "environment": f"{vendor}-prod", "profile": f"{vendor}-prod",
                 "sla_hours": 24},
                {"id": f"{vendor}-aws-dev", "kind": "aws", "environment": f"{vendor}-dev", "profile": f"{vendor}-dev",
                 "sla_hours": 48},
            ],
        })
        document["transfers"].append({
            "id": f"TR-{i:03d}", "vendor": vendor, "from": f"{vendor}-prod", "to": f"{vendor}-dev",
            "resources": [f"arn:aws:s3:::{vendor}-customer/masked/*"],
            "window": {"start": "2026-09-01T09:00:00+09:00", "end": "2026-09-30T18:00:00+09:00"},
            "purpose": "masked data for tests", "approved_by": "委託先管理部 部長",
        })
    return document


def events(registry: Registry, count: int, seed: int = 11) -> Iterator[tuple[str, str, AccessEventRecord]]:
    """``count`` events over a year, most in office hours; the largest vendor holds about a tenth of them."""
    rng = random.Random(seed)
    n_vendors = len(registry.vendors)
    weights = [1 / (i + 1) ** 0.8 for i in range(n_vendors)]
    picks = rng.choices(range(n_vendors), weights=weights, k=count)
    start = NOW - timedelta(days=DAYS)
    people = [_people(i) for i in range(n_vendors)]
    for n, i in enumerate(picks):
        vendor = _vendor_id(i)
        prod, _ = _accounts(i)
        person = people[i][rng.randrange(PEOPLE)][1]
        if rng.random() < 0.002:
            person = f"arn:aws:iam::{prod}:user/outsider{rng.randrange(3)}"  # on no roster
        account = person.split(":")[4]
        when = start + timedelta(days=rng.randrange(DAYS), seconds=rng.randrange(10 * 3600))
        roll = rng.random()
        bucket = object_key = None
        details = None
        if account == prod and roll < 0.3:
            action, bucket, object_key = "GetObject", f"{vendor}-customer", f"orders/{rng.randrange(10_000)}.csv"
        elif roll < 0.0004:
            action, bucket, object_key = "CopyObject", f"{vendor}-testdata", f"raw/copy{n}.csv"
            details = {"copy_source": f"{vendor}-customer/raw/customers{n}.csv"}
        elif roll < 0.002:
            action = "ConsoleLogin"
        else:
            action = rng.choice(("DescribeInstances", "ListBuckets", "GetParameter", "PutObject", "Decrypt"))
        outcome, error = ("failure", "AccessDenied") if rng.random() < 0.02 else ("success", None)
        source = f"{vendor}-aws-prod" if account == prod else f"{vendor}-aws-dev"
        yield source, vendor, AccessEventRecord(
            source_event_id=f"e{n:08d}", event_time=when, action=action, principal=person, principal_kind="iam_user",
            access_key_id=f"AKIA{i:04d}{person[-1]}{n % 7:011d}", service="s3.amazonaws.com" if bucket else "ec2",
            bucket=bucket, object_key=object_key, source_ip=f"203.0.113.{rng.randrange(250)}" if rng.random() < 0.995
            else "198.18.0.9", user_agent="aws-cli/2.15.0", outcome=outcome, error_code=error,
            mfa_used=True if action == "ConsoleLogin" else None, account_id=account, region="ap-northeast-1",
            details=details)


def build(engine: Engine, vendors: int, count: int) -> None:
    """The whole world, through the product's own write paths."""
    upgrade(engine)
    path = Path(tempfile.gettempdir()) / f"vendorwatch-bench-dashboard-{vendors}.yaml"
    path.write_text(yaml.safe_dump(registry_document(vendors), allow_unicode=True), encoding="utf-8")
    registry, registry_text = load_registry(path)
    with Session(engine) as session:
        apply_import(session, registry, registry_text, path=str(path), actor="bench", clock=CLOCK)
        accounts.add_user(session, name=MANAGER, role="manager", password=PASSWORD, actor="bench", clock=CLOCK)
        session.commit()
    index = RegistryIndex.build(registry)
    started = time.perf_counter()
    runs: dict[str, int] = {}
    writers: dict[str, EventWriter] = {}
    environments = {s.id: s.environment for v in registry.vendors for s in v.sources}
    for number, vendor in enumerate(registry.vendors):
        for source in vendor.sources:
            ran = FixedClock(NOW - timedelta(hours=2 if number % 9 else 80))  # one vendor in nine is stale
            recorder = RunRecorder(engine, source.id, ran)
            runs[source.id] = recorder.run_id
            prod, dev = _accounts(number)
            account = prod if source.id.endswith("prod") else dev
            users = [arn for _, arn in _people(number) if f"::{account}:" in arn]
            records = []
            for k, arn in enumerate(users):
                records.append(PrincipalRecord(external_id=arn, kind="iam_user", name=arn.rsplit("/", 1)[1],
                                               mfa_enabled=k != 1, console_access=True,
                                               created_at=NOW - timedelta(days=700), last_used_at=NOW - timedelta(days=k)))
                records.append(PrincipalRecord(external_id=f"AKIA{number:04d}{k:012d}", kind="access_key",
                                               name=f"AKIA{number:04d}{k:012d}", parent_external_id=arn,
                                               created_at=NOW - timedelta(days=30 + 60 * k)))
            with Session(engine) as session:
                load_principals(session, InventoryScope(source.id, vendor.id, source.environment, recorder.run_id,
                                                        ran.now()), records)
                session.commit()
            if number % 17 == 5 and source.id.endswith("dev"):
                recorder.finish("failed", "AccessDenied: sts:AssumeRole")
            else:
                recorder.finish("success")
    for source_id, vendor_id, record in events(registry, count):
        writer = writers.get(source_id)
        if writer is None:
            writer = writers[source_id] = EventWriter(engine, source_id=source_id, vendor_id=vendor_id,
                                                      run_id=runs[source_id])
        writer.add(index.tag(record, environments[source_id]))
    stored = sum(w.flush().stored for w in writers.values())
    print(f"  {stored:,} events written through EventWriter in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    questionnaires(engine, registry)
    print(f"  questionnaires sent, answered and reviewed in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    evaluate(engine, registry, CLOCK, actor="bench")
    print(f"  evaluation (every check, findings, posture) in {time.perf_counter() - started:.1f} s", flush=True)
    with Session(engine) as session:  # a year of month-end posture, from today's findings
        for month_end in month_ends(NOW.date(), 11):
            record_posture(session, registry, FixedClock(datetime.combine(month_end, datetime.min.time(), UTC)
                                                         + timedelta(hours=6)))
        session.commit()
    started = time.perf_counter()
    produce(engine, registry, DigestMonth.parse("2026-10"), CLOCK, actor="bench")
    print(f"  October's digest produced and stored in {time.perf_counter() - started:.1f} s", flush=True)


def questionnaires(engine: Engine, registry: Registry) -> None:
    """The baseline questionnaire sent to every top-level vendor and the short form to every sub-vendor, through
    the domain: the top-level vendors answer as the demo's vendor does (every console user has MFA: contradicted
    here) and submit, every other one of them is accepted; a certificate registered for each top-level vendor."""
    top = [v.id for v in registry.vendors if v.parent is None]
    subs = [v.id for v in registry.vendors if v.parent is not None]
    store = EvidenceStore(EvidenceSettings(EVIDENCE_DIR))
    with Session(engine, expire_on_commit=False) as session:
        due = NOW.date() + timedelta(days=14)
        sent = send_campaign(session, registry, find_questionnaire("jsda-iv32-baseline"), top, due_date=due,
                             actor="bench", clock=CLOCK, name="yearly review")
        if subs:
            send_campaign(session, registry, find_questionnaire("jsda-iv32-subvendor"), subs, due_date=due,
                          actor="bench", clock=CLOCK, name="sub-vendor review")
        for number, request in enumerate(sent.requests):
            assert request.id is not None
            contact = respondent_for(registry, request.vendor_id, str(registry.vendor(request.vendor_id).contacts[0].email))
            save_answers(session, contact, request.id, TRADESYS, clock=CLOCK)
            submit(session, contact, request.id, clock=CLOCK)
            if number % 2:
                accept(session, request.id, actor="bench", clock=CLOCK)
            add_document(session, store, io.BytesIO(b"%PDF-1.4\n% bench certificate\n%%EOF\n"), "iso27001.pdf",
                         DocumentDetails(kind="iso27001_certificate", valid_until=NOW.date() + timedelta(days=number * 7)),
                         vendor_id=request.vendor_id, actor="bench", clock=CLOCK)
        session.commit()


def month_ends(until: date, months: int) -> list[date]:
    """The last days of the ``months`` months before ``until``'s month, oldest first."""
    ends: list[date] = []
    first = date(until.year, until.month, 1)
    for _ in range(months):
        end = first - timedelta(days=1)
        ends.append(end)
        first = date(end.year, end.month, 1)
    return ends[::-1]


@dataclass
class Timing:
    """One page's cold and warm run."""

    page: str
    cold: float
    warm: float


def time_pages(url: str) -> list[Timing]:
    """Each page run through AppTest signed in as a manager, cold (caches cleared) then warm."""
    import streamlit as st
    from streamlit.logger import set_log_level
    from streamlit.testing.v1 import AppTest

    set_log_level("error")  # AppTest runs without a server: no warnings about it

    os.environ["VENDORWATCH_DATABASE_URL"] = url
    engine = make_engine(url)
    with Session(engine) as session:
        biggest = session.exec(select(AccessEvent.vendor_id, func.count()).group_by(AccessEvent.vendor_id)
                               .order_by(func.count().desc()).limit(1)).one()[0]
        most_evidence = session.exec(select(Finding.id).where(Finding.vendor_id == biggest)
                                     .order_by(col(Finding.id))).all()
        detailed = max(most_evidence, key=lambda i: len((session.get(Finding, i).evidence or {})  # type: ignore[union-attr]
                                                         .get("event_ids", [])))
    engine.dispose()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.text_input(key="signin_name").input(MANAGER)
    at.text_input(key="signin_password").input(PASSWORD)
    next(b for b in at.button if b.label == "サインイン").click()
    at.run()
    assert not at.exception and at.title[0].value == "委託先ポートフォリオ", at.exception
    pages = [
        ("portfolio", "portfolio", {}),
        (f"vendor ({biggest}, the largest)", "vendor", {"vendor": biggest}),
        ("findings (list + first finding)", "findings", {}),
        (f"finding #{detailed} (its evidence events)", "findings", {"finding": str(detailed)}),
        ("findings searched ('outsider')", "findings", {"search": "outsider"}),
        ("access trail (newest 50 of all)", "trail", {}),
        (f"access trail ({biggest}, 10.0.0.0/8)", "trail", {"vendor": biggest, "ip": "10.0.0.0/8"}),
        ("questionnaires (status + a review)", "questionnaires", {}),
        ("board report (the month, every vendor)", "board", {}),
    ]
    os.environ["VENDORWATCH_EVIDENCE_DIR"] = str(EVIDENCE_DIR)
    timings = []
    for name, page, query in pages:
        for key in ("vendor", "finding", "ip"):
            at.query_params.pop(key, None)
        if "search" in query:
            at.session_state["f_search"] = query["search"]
        for key, value in query.items():
            if key != "search":
                at.query_params[key] = value
        measured = []
        for cold in (True, False):
            if cold:
                st.cache_data.clear()
            started = time.perf_counter()
            at.switch_page(f"app_pages/{page}.py").run()
            measured.append(time.perf_counter() - started)
            assert not at.exception, (name, at.exception)
        timings.append(Timing(name, *measured))
    return timings


def _postgres_url() -> str:
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN).set(database=PG_DATABASE).render_as_string(hide_password=False)


def run(kind: str, events_count: int, vendors: int, reuse: bool) -> list[Timing]:
    """Build (unless reused) and time one database kind."""
    if kind == "sqlite":
        url = f"sqlite:///{SQLITE_PATH}"
        fresh = not (reuse and SQLITE_PATH.exists())
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    else:
        url = make_url(POSTGRES_ADMIN).set(database=PG_DATABASE).render_as_string(hide_password=False)
        fresh = True
        if reuse:
            try:
                probe = make_engine(url)
                with probe.connect() as connection:
                    fresh = not connection.execute(text("SELECT count(*) FROM findings")).scalar()
                probe.dispose()
            except Exception:
                fresh = True
        if fresh:
            url = _postgres_url()
    print(f"{kind}: {'building' if fresh else 'reusing'} {events_count:,} events, {vendors} vendors", flush=True)
    if fresh:
        engine = make_engine(url)
        build(engine, vendors, events_count)
        engine.dispose()
    return time_pages(url)


def main() -> None:
    """Build the worlds, time the pages, print the figures beside the target."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--vendors", type=int, default=200)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--reuse", action="store_true", help="reuse the database of the last run if it is there")
    arguments = parser.parse_args()
    results = {kind: run(kind, arguments.events, arguments.vendors, arguments.reuse)
               for kind in ("sqlite", "postgresql") if arguments.only in (None, kind)}
    print(f"\nDashboard page load over {arguments.events:,} access events and {arguments.vendors} vendors "
          f"(AppTest script run; target < {TARGET_SECONDS:.0f} s cold)")
    print(f"{'database':<11} {'page':<44} {'cold s':>8} {'warm s':>8}  target")
    worst = 0.0
    for kind, timings in results.items():
        for timing in timings:
            worst = max(worst, timing.cold)
            verdict = "ok" if timing.cold < TARGET_SECONDS else "OVER"
            print(f"{kind:<11} {timing.page:<44} {timing.cold:>8.2f} {timing.warm:>8.2f}  < {TARGET_SECONDS:.0f} s {verdict}")
    verdict = "within" if worst < TARGET_SECONDS else "OVER"
    print(f"slowest page cold: {worst:.2f} s ({verdict} the {TARGET_SECONDS:.0f} s target)")


if __name__ == "__main__":
    main()
