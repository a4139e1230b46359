"""Serve the dashboard: the Streamlit server over ``app.py``, bound to one address, with production settings."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import NoReturn

from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t

APP = Path(__file__).with_name("app.py")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501


def streamlit_arguments(*, host: str, port: int, secrets: Path | None = None, debug: bool = False) -> list[str]:
    """``python -m streamlit run app.py`` with the options VendorWatch runs it with."""
    options = {
        "server.address": host,
        "server.port": str(port),
        "server.headless": "true",  # no browser opened, no e-mail prompt
        "server.fileWatcherType": "none",
        "server.runOnSave": "false",
        "server.enableStaticServing": "false",
        "server.enableXsrfProtection": "true",
        "browser.gatherUsageStats": "false",  # nothing leaves the firm
        "global.developmentMode": "false",
        "client.toolbarMode": "minimal",
        "client.showErrorDetails": "full" if debug else "none",  # no tracebacks in the browser
        "theme.base": "light",
        "logger.level": "info" if debug else "warning",
    }
    if secrets is not None:
        options["secrets.files"] = str(secrets)
    arguments = [sys.executable, "-m", "streamlit", "run", str(APP)]
    for name, value in options.items():
        arguments += [f"--{name}", value]
    return arguments


def check_port_free(host: str, port: int) -> None:
    """A clear error (exit 2) when something already listens there, before Streamlit starts."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ConfigError(t(f"{host}:{port} は使用できません（{error.strerror}）。--port で別のポートを指定してください",
                                f"cannot listen on {host}:{port} ({error.strerror}); choose another --port")) from None


def dashboard_url(host: str, port: int) -> str:
    """Where a browser on this machine opens the dashboard."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else (f"[{host}]" if ":" in host else host)  # noqa: S104
    return f"http://{shown}:{port}/"


def serve(database_url: str, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, secrets: Path | None = None,
          debug: bool = False) -> NoReturn:
    """Replace this process with the Streamlit server over ``database_url`` (it runs until Ctrl-C)."""
    if secrets is not None and not secrets.is_file():
        raise ConfigError(t(f"シークレットファイル {secrets} がありません", f"the secrets file {secrets} does not exist"))
    check_port_free(host, port)
    environment = dict(os.environ, VENDORWATCH_DATABASE_URL=database_url)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, streamlit_arguments(host=host, port=port, secrets=secrets, debug=debug), environment)  # noqa: S606
