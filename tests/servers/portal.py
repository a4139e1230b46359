"""The real portal server for browser tests: ``vendorwatch --database-url URL portal --port N`` until stopped.

Served at ``http://localhost:PORT``: WebAuthn needs a secure context and a domain as the relying party, and
``localhost`` is both (an IP address is neither). Screenshots of the pages go to test-artifacts/portal/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

from tests.servers.dashboard import free_port, stop

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "portal"


@dataclass(frozen=True)
class PortalServer:
    """A running portal."""

    url: str
    port: int
    process: subprocess.Popen[str]
    log: Path
    environment: dict[str, str]


def wait_healthy(url: str, process: subprocess.Popen[str], log: Path, timeout: float = 60) -> None:
    """Until ``/healthz`` answers ``ok``; fails with the server's log if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the portal exited ({process.returncode}): {log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the portal did not answer within {timeout} s: {log.read_text()}")


@contextmanager
def serve_portal(database_url: str, workdir: Path, *, evidence_dir: Path, extra_env: dict[str, str] | None = None
                 ) -> Iterator[PortalServer]:
    """Start the portal as an operator would, and stop it (by its process id) afterwards."""
    port = free_port()
    url = f"http://localhost:{port}"
    log = workdir / f"portal-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_")}
    environment |= {"VENDORWATCH_EVIDENCE_DIR": str(evidence_dir), "VENDORWATCH_PORTAL_URL": url,
                    "VENDORWATCH_DATABASE_URL": database_url, **(extra_env or {})}
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "vendorwatch", "portal", "--port", str(port)], cwd=workdir,
                                   env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(url, process, log)
        yield PortalServer(url, port, process, log, environment)
    finally:
        stop(process)


def screenshot(page: Page, name: str) -> Path:
    """The whole page as a PNG in test-artifacts/portal/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
