"""Concurrent draft saves through the questionnaire domain (what the portal calls), on SQLite and PostgreSQL.

``python -m benchmarks.questionnaire_saves [--contacts 100] [--seconds 30] [--think-ms 0] [--postgres URL]``

100 vendor contacts, each on its own request of the baseline questionnaire, save one to three answers at a time
in their own transaction (``save_answers``, audited) for the given time, from 100 threads in one process with the
default connection pool; ``--think-ms`` pauses each contact between saves (0: as fast as they can). It prints
p50 / p95 / max latency, the number of saves and errors, and then reads every request back: the last value each
contact saved for each question must be there (none lost).

Targets (the portal's, issue #15): errors 0, none lost, p95 under 300 ms on this 2-core machine. The portal's own
benchmark adds HTTP on top; this one shows what the domain and the database take of that budget.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from benchmarks._support import DEFAULT_POSTGRES, report_saves, save_figures, scratch_postgres
from questionnaires.answers import RawAnswer
from questionnaires.campaigns import send_campaign
from questionnaires.loader import find_questionnaire
from questionnaires.respondent import Respondent, save_answers
from questionnaires.submission import load_answers
from vendorwatch.clock import FixedClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import apply_import

TARGET_P95_MS = 300.0
CLOCK = FixedClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
CHOICE_QUESTIONS = {
    "internal-audit": ["yearly", "less-often", "never"],
    "account-lockout": ["yes", "no"],
    "entry-points": ["yes", "no"],
    "access-review": ["quarterly", "yearly", "never"],
    "security-reporting": ["quarterly", "yearly", "never"],
}


def _registry(contacts: int) -> Registry:
    document: dict[str, Any] = {
        "version": 1,
        "organization": {"name": {"ja": "ベンチ証券", "en": "Bench Securities"}},
        "vendors": [{"id": f"v{i:03d}", "name": {"ja": f"委託先{i}", "en": f"Vendor {i}"}, "tier": "medium",
                     "handles_customer_data": True,
                     "contacts": [{"name": f"担当 {i}", "email": f"contact{i}@v{i:03d}.example"}]}
                    for i in range(contacts)],
    }
    return Registry.model_validate(document)


def _prepare(engine: Engine, registry: Registry) -> list[tuple[Respondent, int]]:
    upgrade(engine)
    with Session(engine) as session:
        apply_import(session, registry, yaml.safe_dump(registry.model_dump(mode="json")), path="bench.yaml",
                     actor="bench", clock=CLOCK)
        sent = send_campaign(session, registry, find_questionnaire("jsda-iv32-baseline"),
                             [v.id for v in registry.vendors], due_date=date(2026, 12, 31), actor="bench", clock=CLOCK)
        session.commit()
        return [(Respondent(r.vendor_id, f"contact{int(r.vendor_id[1:])}@{r.vendor_id}.example"), r.id or 0)
                for r in sent.requests]


def _run(engine: Engine, pairs: list[tuple[Respondent, int]], seconds: float, think_ms: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    expected: dict[int, dict[str, str]] = {request_id: {} for _, request_id in pairs}
    lock = threading.Lock()
    start = threading.Barrier(len(pairs))
    deadline: list[float] = []

    def contact(respondent: Respondent, request_id: int, seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        if not deadline:
            with lock:
                if not deadline:
                    deadline.append(time.perf_counter() + seconds)
        mine: dict[str, str] = {}
        while time.perf_counter() < deadline[0]:
            if think_ms:
                time.sleep(rng.uniform(0.5, 1.5) * think_ms / 1000)
            questions = rng.sample(sorted(CHOICE_QUESTIONS), rng.randint(1, 3))
            answers = {q: rng.choice(CHOICE_QUESTIONS[q]) for q in questions}
            began = time.perf_counter()
            try:
                with Session(engine) as session:
                    outcome = save_answers(session, respondent, request_id,
                                           {q: RawAnswer(choices=[c]) for q, c in answers.items()}, clock=CLOCK)
                    session.commit()
                if outcome.errors:
                    raise RuntimeError(f"validation errors {outcome.errors}")
                mine.update(answers)
            except Exception as error:  # a benchmark counts errors instead of stopping
                with lock:
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                continue
            finally:
                with lock:
                    latencies.append((time.perf_counter() - began) * 1000)
        with lock:
            expected[request_id] = mine

    threads = [threading.Thread(target=contact, args=(r, q, i)) for i, (r, q) in enumerate(pairs)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    lost = 0
    with Session(engine) as session:
        for request_id, wanted in expected.items():
            stored = load_answers(session, request_id)
            lost += sum(1 for q, c in wanted.items() if q not in stored or stored[q].choices != [c])
    return save_figures(latencies, errors, lost, elapsed)


def main() -> None:
    """Run the benchmark on SQLite and PostgreSQL and print the figures beside the targets."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think-ms", type=float, default=0.0, help="pause between a contact's saves")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL; a scratch database is made")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    options = parser.parse_args()
    registry = _registry(options.contacts)
    print(f"{options.contacts} contacts saving answers for {options.seconds:g} s each run, "
          f"{options.think_ms:g} ms between a contact's saves")
    if not options.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            report_saves("sqlite", _run(engine, _prepare(engine, registry), options.seconds, options.think_ms),
                         TARGET_P95_MS)
            engine.dispose()
    if options.skip_postgres:
        return
    with scratch_postgres(options.postgres) as url:
        engine = make_engine(url)
        report_saves("postgresql", _run(engine, _prepare(engine, registry), options.seconds, options.think_ms),
                     TARGET_P95_MS)
        engine.dispose()

if __name__ == "__main__":
    main()
