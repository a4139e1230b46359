"""Benchmark: the monthly digest of a large portfolio (``python -m benchmarks.digest``).

60 vendors (30 with a sub-vendor), 120 sources with runs twice a day for a year, a year of posture snapshots,
5,000 findings with 15,000 status changes. Measures building the month's model, rendering it (charts, HTML, text,
PDF with WeasyPrint) and the peak memory, beside the targets.
"""

from __future__ import annotations

import random
import resource
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from vendorwatch.checks.discovery import discover_checks
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.db.tables import CollectionRun, Finding, FindingHistory, PostureSnapshot
from vendorwatch.digest.build import build_digest
from vendorwatch.digest.period import DigestMonth
from vendorwatch.digest.render import render_digest
from vendorwatch.findings.fingerprint import fingerprint
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import apply_import

TARGET_BUILD_SECONDS = 5.0
TARGET_RENDER_SECONDS = 20.0
TARGET_PEAK_MB = 600.0
VENDORS = 30
FINDINGS = 5000


def _registry() -> Registry:
    vendors = []
    for n in range(VENDORS):
        for sub in (False, True):
            vid = f"v{n:02d}" + ("-sub" if sub else "")
            vendors.append({
                "id": vid, "parent": f"v{n:02d}" if sub else None,
                "name": {"ja": f"委託先{n:02d}{'再委託' if sub else ''}株式会社",
                         "en": f"Vendor {n:02d}{' Sub' if sub else ''} Ltd."},
                "tier": ["critical", "high", "medium", "low"][n % 4], "handles_customer_data": n % 3 != 0,
                "environments": [{"id": f"{vid}-prod", "kind": "production", "aws_accounts": [f"{(n * 2 + sub + 1):012d}"]}],
                "sources": [{"id": f"{vid}-aws", "kind": "aws", "environment": f"{vid}-prod", "profile": vid},
                            {"id": f"{vid}-aws2", "kind": "aws", "environment": f"{vid}-prod", "profile": vid + "2"}],
            })
    return Registry.model_validate({"version": 1, "organization": {"name": {"ja": "ベンチ証券", "en": "Bench Securities"}},
                                    "vendors": [{k: v for k, v in d.items() if v is not None} for d in vendors]})


def _fill(engine: object, registry: Registry) -> None:
    rng = random.Random(7)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    checks = list(discover_checks())
    with Session(engine) as session:  # type: ignore[arg-type]
        apply_import(session, registry, "bench", path="bench.yaml", actor="bench", clock=FixedClock(start))
        session.commit()
        for vendor in registry.vendors:
            for source in vendor.sources:
                for day in range(0, 365, 1):
                    at = start + timedelta(days=day, hours=rng.randint(0, 23))
                    session.add(CollectionRun(source_id=source.id, started_at=at, finished_at=at,
                                              status="failed" if rng.random() < 0.05 else "success"))
        for n in range(FINDINGS):
            check = checks[n % len(checks)]
            vendor = registry.vendors[n % len(registry.vendors)]
            opened = start + timedelta(days=rng.randint(0, 360), hours=rng.randint(0, 23))
            finding = Finding(fingerprint=fingerprint(check.id, vendor.id, f"subject-{n}"), check_id=check.id,
                              control_id=check.meta.control, vendor_id=vendor.id, subject=f"arn:aws:iam::000000000001:user/u{n}",
                              severity=check.meta.severity, status="open", first_seen=opened, last_seen=opened,
                              evidence={"message": {"ja": f"検出 {n}", "en": f"found {n}"}})
            session.add(finding)
            session.flush()
            assert finding.id is not None
            session.add(FindingHistory(finding_id=finding.id, at=opened, from_status=None, to_status="open", actor="vw"))
            later = opened + timedelta(days=rng.randint(1, 60))
            session.add(FindingHistory(finding_id=finding.id, at=later, from_status="open", to_status="acknowledged",
                                       actor="manager"))
            if rng.random() < 0.5:
                session.add(FindingHistory(finding_id=finding.id, at=later + timedelta(days=10), from_status="acknowledged",
                                           to_status="resolved", actor="vw", reason="condition cleared"))
        for day in range(0, 365, 14):
            moment = start + timedelta(days=day)
            local = (moment + timedelta(hours=9)).date()
            for vendor in registry.vendors:
                score = rng.randint(0, 100)
                session.add(PostureSnapshot(day=local, month=local.strftime("%Y-%m"), vendor_id=vendor.id,
                                            evaluated_at=moment, score=score, level="high" if score >= 40 else "low",
                                            own_points=score, rolled_up_points=0, coverage=0.9,
                                            sources={"fresh": 2}, open_by_severity={"high": 3},
                                            open_by_control={"3.2.5": 3}, accepted=0, reasons=[]))
        session.commit()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Build and render the November 2026 digest of the large portfolio, and print the figures."""
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        registry = _registry()
        began = time.perf_counter()
        _fill(engine, registry)
        print(f"fill: {time.perf_counter() - began:.1f} s ({FINDINGS} findings, {len(registry.vendors)} vendors)")
        clock = FixedClock(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
        with Session(engine) as session:
            began = time.perf_counter()
            digest = build_digest(session, registry, DigestMonth.parse("2026-11"), clock, actor="bench")
            build = time.perf_counter() - began
        began = time.perf_counter()
        rendered = render_digest(digest, "ja")
        render = time.perf_counter() - began
        peak = _peak_mb()
        pdf = Path(folder) / "digest.pdf"
        pdf.write_bytes(rendered.pdf)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=False).stdout
        pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
        print(f"build the month's model: {build:.2f} s (target <= {TARGET_BUILD_SECONDS} s)")
        print(f"render charts, HTML, text, PDF: {render:.2f} s (target <= {TARGET_RENDER_SECONDS} s), "
              f"PDF {len(rendered.pdf) // 1024} KB, {pages} pages")
        print(f"peak memory: {peak:.0f} MB (target <= {TARGET_PEAK_MB} MB)")
        engine.dispose()


if __name__ == "__main__":
    main()
