"""The README's main command: ``bash scripts/demo.sh`` seeds the demo database and serves the dashboard on
127.0.0.1, printing the URL and a demo manager's sign-in, until stopped; ``--no-serve`` only prints the summary."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from playwright.sync_api import Browser

from tests.servers.dashboard import ROOT, assert_no_error, free_port, screenshot, settle, stop, wait_healthy


def _demo(*args: str, tmp_path: Path) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VENDORWATCH_")}
    return subprocess.Popen(["bash", str(ROOT / "scripts" / "demo.sh"), *args,
                             "--demo-database-url", f"sqlite:///{tmp_path / 'demo.db'}"],
                            cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _read_until(process: subprocess.Popen[str], pattern: str, timeout: float = 600) -> tuple[re.Match[str], str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        found = re.search(pattern, "".join(seen))
        if found:
            return found, "".join(seen)
    raise AssertionError(f"{pattern!r} never printed:\n{''.join(seen)}")


def test_demo_sh_serves_the_dashboard_with_a_demo_manager(tmp_path: Path, browser: Browser) -> None:
    port = free_port()
    process = _demo("--port", str(port), tmp_path=tmp_path)
    try:
        match, printed = _read_until(process, r"sign in: (demo-manager) / (\S+)")
        assert f"URL: http://127.0.0.1:{port}/" in printed
        assert "tradesys" in printed  # the summary is printed before serving
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, None)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(url)
        page.get_by_role("textbox", name="アカウント名", exact=True).fill(match.group(1))
        page.get_by_role("textbox", name="パスワード", exact=True).fill(match.group(2))
        page.get_by_role("button", name="サインイン", exact=True).click()
        page.get_by_role("heading", name="委託先ポートフォリオ").wait_for(timeout=60_000)
        settle(page)
        assert_no_error(page)
        screenshot(page, "demo-portfolio-ja")
        page.close()
    finally:
        stop(process)
    assert process.returncode is not None


def test_demo_sh_no_serve_prints_the_summary_and_exits(tmp_path: Path) -> None:
    process = _demo("--no-serve", tmp_path=tmp_path)
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output
    assert "tradesys" in output and "demo-manager" not in output and "URL:" not in output
    assert (tmp_path / "demo.db").exists()
