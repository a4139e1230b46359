"""Benchmark of the directory connector: ``.venv/bin/python -m benchmarks.directory`` (from the project root).

1. Inventory of a directory of 10,000 accounts from a real slapd (started here with ``tests/servers/slapd.py``),
   read with paged search and transformed into principals and grants; then loaded into SQLite.
   Target: the inventory in ≤ 10 s.
2. Parsing 1,000,000 generated slapd stats log lines (realistic mix: accept, TLS, bind, result, searches,
   unbind, close, a few garbled lines) from a file, in a child process so its peak RSS is its own.
   Targets: ≥ 200,000 lines/s, peak RSS ≤ 100 MB whatever the file size.

Options: ``--accounts N``, ``--lines N``, ``--skip-inventory``, ``--skip-stats``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def generate_stats_log(path: Path, lines: int, seed: int = 7) -> int:
    """Write ``lines`` stats log lines as slapd 2.5 ``-d stats`` does; about one line in 10,000 is garbled."""
    rng = random.Random(seed)
    second = 0x6B07E139
    written = 0
    conn = 1000
    open_conns: list[int] = []
    with path.open("wb", buffering=1 << 20) as out:
        chunk: list[bytes] = []
        while written < lines:
            conn += 1
            nanos = rng.randrange(1_000_000_000)
            stamp = f"{second:08x}.{nanos:08x} 0x7fb7a35fd6c0"
            ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            user = f"uid=user{rng.randrange(10000):05d},ou=people,dc=example,dc=org"
            err = 49 if rng.random() < 0.1 else 0
            block = [
                f"{stamp} conn={conn} fd=12 ACCEPT from IP={ip}:{rng.randrange(1024, 65535)} (IP=0.0.0.0:636)",
                f"{stamp} conn={conn} fd=12 TLS established tls_ssf=256 ssf=256 tls_proto=TLS1.3 "
                "tls_cipher=AES-256-GCM",
                f'{stamp} conn={conn} op=0 BIND dn="{user}" method=128',
                f"{stamp} conn={conn} op=0 RESULT tag=97 err={err} qtime=0.000030 etime=0.002528 text=",
                f'{stamp} conn={conn} op=1 SRCH base="ou=people,dc=example,dc=org" scope=2 deref=0 '
                f'filter="(uid=user{rng.randrange(10000):05d})"',
                f"{stamp} conn={conn} op=1 SRCH attr=cn mail memberOf",
                f"{stamp} conn={conn} op=1 SEARCH RESULT tag=101 err=0 qtime=0.000020 etime=0.000300 nentries=1 text=",
                f"{stamp} conn={conn} op=2 UNBIND",
            ]
            if rng.random() < 0.3:
                open_conns.append(conn)  # some connections stay open a while (pooled clients)
            else:
                block.append(f"{stamp} conn={conn} fd=12 closed")
            if open_conns and rng.random() < 0.3:
                block.append(f"{stamp} conn={open_conns.pop(0)} fd=13 closed (connection lost)")
            if rng.random() < 0.001:
                block.append(f"{stamp} conn=12x op=0 BIND dn=\"damaged")
            chunk.extend(line.encode() + b"\n" for line in block)
            written += len(block)
            if rng.random() < 0.05:
                second += 1
            if len(chunk) > 50_000:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))
    return written


def parse_file(path: Path) -> dict[str, Any]:
    """Parse a stats log the way ``collect`` does (complete lines from an offset); figures and peak RSS."""
    from connectors.ldap import logfiles
    from connectors.ldap.statslog import StatsLogParser

    parser = StatsLogParser(reference=datetime.now(UTC))
    started = time.perf_counter()
    events = 0
    segment = logfiles.plan(path, None)[0]
    for lines, _end in logfiles.complete_chunks(segment):
        events += len(parser.feed_lines(lines))
    elapsed = time.perf_counter() - started
    peak_kb = _peak_rss_kb()
    return {"lines": parser.counts.lines, "events": events, "garbled": parser.counts.garbled, "seconds": elapsed,
            "lines_per_second": parser.counts.lines / elapsed, "peak_rss_mb": peak_kb / 1024,
            "open_connections_left": len(parser.state.connections)}


def _peak_rss_kb() -> int:
    """This process's peak RSS. VmHWM, unlike ru_maxrss, is not inherited from the parent across exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bench_stats(lines: int, workdir: Path) -> dict[str, Any]:
    """Generate the log, then parse it in a child process and return its figures."""
    path = workdir / "stats.log"
    started = time.perf_counter()
    written = generate_stats_log(path, lines)
    print(f"generated {written:,} lines ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s")
    child = subprocess.run([sys.executable, "-m", "benchmarks.directory", "--parse-only", str(path)],
                           capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def bench_inventory(accounts: int, workdir: Path) -> dict[str, Any]:
    """Start slapd with ``accounts`` accounts, inventory it with paged search, load into SQLite."""
    from sqlmodel import Session

    from connectors.ldap.connection import connect
    from connectors.ldap.inventory import PolicyBook, get_inventory
    from connectors.ldap.policy import get_ppolicies, lockout_rule
    from tests.servers.slapd import start_slapd
    from vendorwatch.db.engine import make_engine
    from vendorwatch.db.migrate import upgrade
    from vendorwatch.ingest.inventory import InventoryScope, load_grants, load_principals
    from vendorwatch.registry.models import LdapSource

    started = time.perf_counter()
    server = start_slapd(workdir / "slapd", accounts=accounts)
    print(f"slapd with {accounts:,} accounts built and started in {time.perf_counter() - started:.1f} s")
    try:
        source = LdapSource(id="bench", kind="ldap", environment="bench", url=server.ldaps_url,
                            bind_dn=server.service_dn, password_env="UNUSED", ca_file=str(server.ca_file),
                            base_dn=server.base_dn, privileged_groups=[server.admins_dn], page_size=500)
        started = time.perf_counter()
        directory = connect(source, server.service_password)
        policies = get_ppolicies(directory, server.base_dn)
        inventory = get_inventory(directory, server.base_dn, "openldap",
                                  PolicyBook(default=lockout_rule(policies[0])), source.privileged_groups,
                                  datetime.now(UTC))
        directory.close()
        inventory_seconds = time.perf_counter() - started

        engine = make_engine(f"sqlite:///{workdir / 'bench.db'}")
        upgrade(engine)
        _seed_source(engine)
        started = time.perf_counter()
        with Session(engine) as session:
            scope = InventoryScope(source_id="bench", vendor_id="bench", environment_id="bench", run_id=1,
                                   now=datetime.now(UTC), complete_principal_kinds=frozenset({"ldap_account"}),
                                   complete_grant_kinds=frozenset({"directory_group"}))
            load_principals(session, scope, inventory.principals)
            load_grants(session, scope, inventory.grants)
            session.commit()
        load_seconds = time.perf_counter() - started
        engine.dispose()
    finally:
        server.stop()
    return {"accounts": inventory.accounts_read, "groups": inventory.groups_read, "grants": len(inventory.grants),
            "inventory_seconds": inventory_seconds, "sqlite_load_seconds": load_seconds}


def _seed_source(engine: Any) -> None:
    """The vendor, environment, source and run rows the inventory's foreign keys need."""
    from sqlmodel import Session

    from vendorwatch.db.tables import CollectionRun, Environment, Source, Vendor

    with Session(engine) as session:
        session.add(Vendor(id="bench", name_ja="ベンチ", name_en="Bench", tier="low", handles_customer_data=False))
        session.flush()
        session.add(Environment(id="bench", vendor_id="bench", kind="production"))
        session.flush()
        session.add(Source(id="bench", vendor_id="bench", environment_id="bench", kind="ldap"))
        session.flush()
        session.add(CollectionRun(id=1, source_id="bench", started_at=datetime.now(UTC)))
        session.commit()


def main() -> None:
    """Run the benchmark and print the figures against the targets."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--skip-inventory", action="store_true")
    parser.add_argument("--skip-stats", action="store_true")
    parser.add_argument("--parse-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_only:
        print(json.dumps(parse_file(args.parse_only)))
        return
    with tempfile.TemporaryDirectory(prefix="vw-ldap-bench-") as temp:
        workdir = Path(temp)
        if not args.skip_inventory:
            figures = bench_inventory(args.accounts, workdir)
            verdict = "OK" if figures["inventory_seconds"] <= 10 else "SLOWER THAN TARGET"
            print(f"inventory: {figures['accounts']:,} accounts, {figures['groups']} groups, "
                  f"{figures['grants']:,} grants read with paged search in {figures['inventory_seconds']:.2f} s "
                  f"(target <= 10 s: {verdict}); SQLite load {figures['sqlite_load_seconds']:.2f} s")
        if not args.skip_stats:
            figures = bench_stats(args.lines, workdir)
            speed = "OK" if figures["lines_per_second"] >= 200_000 else "SLOWER THAN TARGET"
            memory = "OK" if figures["peak_rss_mb"] <= 100 else "OVER TARGET"
            print(f"stats log: {figures['lines']:,} lines, {figures['events']:,} bind events, "
                  f"{figures['garbled']} garbled, in {figures['seconds']:.2f} s = "
                  f"{figures['lines_per_second']:,.0f} lines/s (target >= 200,000: {speed}); "
                  f"peak RSS {figures['peak_rss_mb']:.1f} MB (target <= 100 MB: {memory}); "
                  f"{figures['open_connections_left']} connections still open at the end")


if __name__ == "__main__":
    main()
