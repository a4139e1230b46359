"""Reach a vendor's AWS account: a profile, or a role assumed through STS with an external id.

Assumed-role credentials are *refreshable*: botocore renews them before they expire, so a collection that
outlives the session (a large first CloudTrail read) goes on. Every client gets adaptive retries, which
back off on throttling instead of failing the run.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.credentials import RefreshableCredentials
from botocore.exceptions import ClientError

from connectors.aws.errors import error_code
from connectors.aws.model_loader import lean_botocore_session, lean_session
from vendorwatch.clock import Clock
from vendorwatch.errors import ConfigError, SourceError
from vendorwatch.i18n import t
from vendorwatch.registry.models import AwsSource

RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=10, read_timeout=60)
SESSION_SECONDS = 3600
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}
T = TypeVar("T")


@dataclass
class AwsAccess:
    """A boto3 session for one source, with the endpoint and retry policy every client uses."""

    session: boto3.Session
    endpoint_url: str | None = None
    default_region: str = "us-east-1"
    config: Config = RETRY_CONFIG
    reopen: Callable[[], boto3.Session] | None = None
    renewals: int = 0
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None) -> Any:
        """A (cached) client for a service in a region."""
        where = region or self.default_region
        key = (service, where)
        if key not in self._clients:
            session: Any = self.session  # the stubs type client() per literal service name
            self._clients[key] = session.client(service, region_name=where, endpoint_url=self.endpoint_url,
                                                     config=self.config)
        return self._clients[key]

    def release(self, *services: str) -> None:
        """Drop the clients of services a run is done with, and the service models botocore keeps for them: the
        memory goes back to the process for the trail's events (issue #14's budget)."""
        for key in [k for k in self._clients if k[0] in services]:
            del self._clients[key]
        loader = getattr(getattr(self.session, "_session", None), "get_component", lambda _: None)("data_loader")
        cache = getattr(loader, "_cache", None)
        if isinstance(cache, dict):
            for key in [k for k in cache if any(_names_service(part, services) for part in map(str, k))]:
                del cache[key]
        gc.collect()

    def call(self, action: Callable[[], T]) -> T:
        """Run an API call (that asks ``client()`` for its client); on an expired session, renew and retry once.

        Refreshable credentials renew themselves before expiry; this covers the rest (clock skew, a
        session revoked by the vendor), where AWS answers ``ExpiredToken``.
        """
        try:
            return action()
        except ClientError as exc:
            if error_code(exc) in _EXPIRED and self.reopen is not None:
                self.session = self.reopen()
                self._clients.clear()
                self.renewals += 1
                return action()
            raise


def _names_service(part: str, services: tuple[str, ...]) -> bool:
    """Whether a part of a loader cache key is one of ``services`` or a path into its models (``iam/2010-05-08/…``)."""
    return part in services or part.split("/", 1)[0] in services


def external_id(source: AwsSource, environ: Mapping[str, str] | None = None) -> str | None:
    """The external id from the environment variable the source names; ``ConfigError`` if it is unset."""
    if not source.external_id_env:
        return None
    value = (os.environ if environ is None else environ).get(source.external_id_env)
    if not value:
        raise ConfigError(
            t(f"環境変数 {source.external_id_env} に外部 ID が設定されていません（ソース {source.id}）",
              f"the environment variable {source.external_id_env} holding the external id is not set "
              f"(source {source.id})")
        )
    return value


def open_access(source: AwsSource, environ: Mapping[str, str] | None = None,
                base_session: boto3.Session | None = None, session_seconds: int = SESSION_SECONDS,
                clock: Clock | None = None) -> AwsAccess:
    """The access to a source's account: its profile, or its role assumed from the firm's credentials.

    ``clock`` decides when assumed-role credentials are due for renewal (botocore renews them 15 minutes
    before they expire), so a test can move time past the expiry.
    """
    region = source.regions[0]
    endpoint = source.endpoint_url
    if source.role_arn is None:
        session = base_session or lean_session(profile_name=source.profile, region_name=region)
        return AwsAccess(session, endpoint, region)
    base = base_session or lean_session(region_name=region)
    if base.get_credentials() is None:
        raise ConfigError(
            t("ロールを引き受けるための認証情報（事業者側）が見つかりません",
              "no credentials of the firm's own were found to assume the vendor's role with")
        )
    role_arn = source.role_arn
    arguments: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": f"vendorwatch-{source.id}"[:64],
                                 "DurationSeconds": session_seconds}
    identifier = external_id(source, environ)
    if identifier is not None:
        arguments["ExternalId"] = identifier
    sts = base.client("sts", region_name=region, endpoint_url=endpoint, config=RETRY_CONFIG)

    def assume() -> dict[str, Any]:
        issued = sts.assume_role(**arguments)["Credentials"]
        return {"access_key": issued["AccessKeyId"], "secret_key": issued["SecretAccessKey"],
                "token": issued["SessionToken"], "expiry_time": issued["Expiration"].isoformat()}

    def new_session() -> boto3.Session:
        first = assume()
        credentials = RefreshableCredentials(
            first["access_key"], first["secret_key"], first["token"], _expiry(first["expiry_time"]),
            refresh_using=assume, method="assume-role",
            time_fetcher=clock.now if clock is not None else (lambda: datetime.now(UTC)),
        )
        core = lean_botocore_session()
        core_any: Any = core
        core_any._credentials = credentials  # how a boto3 session takes refreshable credentials
        return boto3.Session(botocore_session=core, region_name=region)

    try:
        session = new_session()
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise SourceError(
            t(f"ロール {role_arn} を引き受けられません: {error.get('Code')}",
              f"cannot assume the role {role_arn}: {error.get('Code')}"),
            details=[str(error.get("Message", ""))[:300]],
        ) from None
    return AwsAccess(session, endpoint, region, reopen=new_session)


def _expiry(value: str) -> datetime:
    return datetime.fromisoformat(value)
