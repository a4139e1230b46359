"""100 vendor contacts saving answers through the real portal (``vendorwatch portal``, uvicorn) on 127.0.0.1.

``python -m benchmarks.portal [--contacts 100] [--seconds 60] [--think-ms 1000] [--skip-sqlite] [--skip-postgres]``

Each contact has its own vendor, request of the baseline questionnaire and signed-in session (made through the
account modules beforehand; signing in is not what is measured). For the given time every contact, concurrently
(asyncio + httpx, one connection each), posts the questionnaire form with one to three changed answers — the
"save draft" button — waits for the redirect that confirms the save, then pauses ``--think-ms`` (±50 %; 0: as fast
as it can). The server is a separate process, as in production. Afterwards every request is read back from the
database: the last value each contact saved for each question must be there (none lost).

Targets (issue #15): errors 0, none lost, p95 under 300 ms on this 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from benchmarks._support import DEFAULT_POSTGRES, report_saves, save_figures, scratch_postgres
from benchmarks.questionnaire_saves import CHOICE_QUESTIONS
from benchmarks.questionnaire_saves import _registry as bench_registry
from questionnaires.campaigns import send_campaign
from questionnaires.loader import find_questionnaire
from questionnaires.portal.accounts import complete_enrolment, invite
from questionnaires.portal.policy import PortalPolicy
from questionnaires.portal.sessions import csrf_token, start_session
from questionnaires.portal.tokens import new_secret
from questionnaires.submission import load_answers
from vendorwatch.clock import SystemClock
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import upgrade
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import apply_import

TARGET_P95_MS = 300.0
CLOCK = SystemClock()
def _prepare(engine: Engine, registry: Registry) -> list[tuple[int, str]]:
    """Registry, campaign, an enrolled account and a session per contact: (request id, session cookie)."""
    upgrade(engine)
    # a session outlives the run even on a slow machine
    policy = PortalPolicy(session_idle=PortalPolicy().session_absolute)
    with Session(engine) as session:
        apply_import(session, registry, yaml.safe_dump(registry.model_dump(mode="json")), path="bench.yaml",
                     actor="bench", clock=CLOCK)
        sent = send_campaign(session, registry, find_questionnaire("jsda-iv32-baseline"),
                             [v.id for v in registry.vendors], due_date=date(2099, 12, 31), actor="bench", clock=CLOCK)
        pairs = []
        for request in sent.requests:
            email = str(registry.vendor(request.vendor_id).contacts[0].email)
            invitation = invite(session, registry, request.vendor_id, email, actor_name="bench", clock=CLOCK)
            contact = complete_enrolment(session, invitation.token, method="email_code", clock=CLOCK, client="bench")
            pairs.append((request.id or 0, start_session(session, contact, method="email_code", clock=CLOCK,
                                                         client="bench", policy=policy)))
        session.commit()
    return pairs


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(database_url: str, folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_")}
    environment |= {"VENDORWATCH_DATABASE_URL": database_url, "VENDORWATCH_EVIDENCE_DIR": str(folder / "evidence"),
                    "VENDORWATCH_PORTAL_URL": f"http://127.0.0.1:{port}", "VENDORWATCH_PORTAL_IDLE_MINUTES": "600"}
    log = (folder / "portal.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "vendorwatch", "portal", "--port", str(port), "--workers",
                                str(workers)],
                               env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the portal exited: {(folder / 'portal.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the portal did not start")


async def _contact(url: str, request_id: int, cookie: str, seed: int, deadline: float, think_ms: float,
                   latencies: list[float], errors: list[str], expected: dict[int, dict[str, str]],
                   started: asyncio.Event) -> None:
    rng = random.Random(seed)
    binding = new_secret()
    cookies = {"vwp_s": cookie, "vwp_b": binding}
    token = csrf_token(binding)
    mine: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=url, cookies=cookies, timeout=30,
                                 limits=httpx.Limits(max_connections=1)) as client:
        await started.wait()
        while time.perf_counter() < deadline:
            if think_ms:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think_ms / 1000)
            questions = rng.sample(sorted(CHOICE_QUESTIONS), rng.randint(1, 3))
            answers = {q: rng.choice(CHOICE_QUESTIONS[q]) for q in questions}
            form: dict[str, str | list[str]] = {"csrf": token, "action": "save", "shown": list(answers)}
            form |= {f"q.{q}": c for q, c in answers.items()}
            began = time.perf_counter()
            try:
                answer = await client.post(f"/requests/{request_id}", data=form)
                if answer.status_code != 303:
                    raise RuntimeError(f"HTTP {answer.status_code}: {answer.text[:120]}")
                mine.update(answers)
            except Exception as error:  # a benchmark counts errors instead of stopping
                errors.append(f"{type(error).__name__}: {error}"[:200])
            finally:
                latencies.append((time.perf_counter() - began) * 1000)
    expected[request_id] = mine


async def _load(url: str, pairs: list[tuple[int, str]], seconds: float, think_ms: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    expected: dict[int, dict[str, str]] = {}
    started = asyncio.Event()
    deadline = time.perf_counter() + seconds
    tasks = [asyncio.create_task(_contact(url, request_id, cookie, n, deadline, think_ms, latencies, errors,
                                          expected, started)) for n, (request_id, cookie) in enumerate(pairs)]
    began = time.perf_counter()
    started.set()
    await asyncio.gather(*tasks)
    return {"latencies": latencies, "errors": errors, "expected": expected, "seconds": time.perf_counter() - began}


def _run(engine: Engine, database_url: str, pairs: list[tuple[int, str]], seconds: float,
         think_ms: float, workers: int = 1) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        process, url = _start_server(database_url, Path(folder), workers)
        try:
            before = _cpu_seconds(process.pid)
            figures = asyncio.run(_load(url, pairs, seconds, think_ms))
            figures["server_cpu"] = _cpu_seconds(process.pid) - before
        finally:
            process.terminate()
            process.wait(timeout=30)
    lost = 0
    with Session(engine) as session:
        for request_id, wanted in figures["expected"].items():
            stored = load_answers(session, request_id)
            lost += sum(1 for q, c in wanted.items() if q not in stored or stored[q].choices != [c])
    return save_figures(figures["latencies"], figures["errors"], lost, figures["seconds"]) | {
        "server_cpu": figures["server_cpu"], "load": os.getloadavg()[0]}


def _report(name: str, figures: dict[str, Any]) -> None:
    report_saves(name, figures, TARGET_P95_MS, width=24)
    per_save = figures["server_cpu"] * 1000 / max(figures["saves"], 1)
    print(f"{'':24} the portal's CPU: {figures['server_cpu']:.1f} s = {per_save:.1f} ms per save "
          f"({figures['server_cpu'] / figures['seconds']:.0%} of one core); machine load average {figures['load']:.1f}")


def main() -> None:
    """Run the benchmark on SQLite and PostgreSQL and print the figures beside the targets."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think-ms", type=float, default=1000.0, help="pause between a contact's saves (0: none)")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="admin URL; a scratch database is made")
    parser.add_argument("--workers", type=int, default=2, help="portal processes on PostgreSQL (SQLite: always 1)")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    options = parser.parse_args()
    registry = bench_registry(options.contacts)
    print(f"{options.contacts} contacts saving answers through the portal for {options.seconds:g} s each run, "
          f"{options.think_ms:g} ms (±50 %) between a contact's saves", flush=True)
    if not options.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            engine = make_engine(url)
            pairs = _prepare(engine, registry)
            _report("sqlite", _run(engine, url, pairs, options.seconds, options.think_ms))
            engine.dispose()
    if options.skip_postgres:
        return
    with scratch_postgres(options.postgres) as url:
        engine = make_engine(url)
        pairs = _prepare(engine, registry)
        _report(f"postgresql ({options.workers} workers)",
                _run(engine, url, pairs, options.seconds, options.think_ms, options.workers))
        engine.dispose()

if __name__ == "__main__":
    main()
