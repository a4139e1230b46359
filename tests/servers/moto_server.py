"""moto's server mode as a real HTTP AWS endpoint for tests: started once per session on a free port.

``moto_server`` gives the endpoint URL; ``moto_endpoint`` resets moto's state before a test and puts dummy
credentials in the environment, so boto3 clients pointed at the URL work like against AWS. moto accepts
any credentials and does not enforce IAM policies unless asked to.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

DEFAULT_ACCOUNT = "123456789012"  # the account moto serves for credentials it did not issue


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """Start moto's server on 127.0.0.1 and a free port; its base URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def reset(url: str) -> None:
    """Forget every resource moto holds."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.fixture
def moto_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto endpoint, emptied, with dummy credentials and a region in the environment.

    AWS-managed IAM policies (``AdministratorAccess`` ...) exist as in AWS: moto reads this setting in the
    process it serves from, which is this one.
    """
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    reset(moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/vendorwatch-test-aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/vendorwatch-test-aws-credentials")
    return moto_server
