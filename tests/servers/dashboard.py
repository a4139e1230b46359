"""The real dashboard server for browser tests: ``vendorwatch dashboard --port N`` over a database, until stopped.

Also the browser (Debian's chromium through playwright) and where its screenshots go (test-artifacts/).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "dashboard"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Dashboard:
    """A running dashboard server."""

    url: str  # http://127.0.0.1:PORT or http://localhost:PORT
    port: int
    process: subprocess.Popen[str]
    log: Path


def wait_healthy(url: str, process: subprocess.Popen[str] | None, log: Path | None, timeout: float = 90) -> None:
    """Until ``/_stcore/health`` answers ``ok``; fails with the server's log if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the dashboard exited ({process.returncode}): {log.read_text() if log else ''}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the dashboard did not answer within {timeout} s: {log.read_text() if log else ''}")


def stop(process: subprocess.Popen[str]) -> None:
    """Stop a server this test started (by its process id), and wait for it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@contextmanager
def serve_dashboard(database_url: str, workdir: Path, *, secrets: Path | None = None, host_name: str = "127.0.0.1",
                    port: int | None = None, settings: dict[str, str] | None = None) -> Iterator[Dashboard]:
    """Start ``vendorwatch --database-url URL dashboard --port N`` as a user would, and stop it afterwards
    (``settings``: the only ``VENDORWATCH_*`` variables it gets, such as the evidence directory)."""
    port = port or free_port()
    log = workdir / f"dashboard-{port}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_")} | (settings or {})
    arguments = [sys.executable, "-m", "vendorwatch", "--database-url", database_url, "dashboard", "--port", str(port)]
    if secrets is not None:
        arguments += ["--secrets", str(secrets)]
    with log.open("w") as output:
        process = subprocess.Popen(arguments, cwd=workdir, env=environment, stdout=output, stderr=subprocess.STDOUT,
                                   text=True)
    url = f"http://{host_name}:{port}"
    try:
        wait_healthy(url, process, log)
        yield Dashboard(url, port, process, log)
    finally:
        stop(process)


def settle(page: Page) -> None:
    """Until Streamlit has finished the run (no 'running' indicator, the app idle)."""
    page.wait_for_load_state("networkidle")
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=60_000)
    page.wait_for_timeout(300)


def screenshot(page: Page, name: str) -> Path:
    """The whole page (Streamlit scrolls inside its main area, so the window is made as tall as the content)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 1000")
    page.set_viewport_size({"width": 1600, "height": max(1000, int(height) + 40)})
    page.wait_for_timeout(800)  # let the tables and charts redraw at the new size
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1600, "height": 1000})
    return path


def assert_no_error(page: Page) -> None:
    """No exception box, no error alert, nothing Streamlit shows when a script fails."""
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    assert "Traceback" not in page.content()
