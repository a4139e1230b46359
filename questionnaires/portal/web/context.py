"""What the portal's pages share: configuration, the database, the registry in force, templates, the language,
the form token, the signed-in contact, and page rendering (jinja2 with autoescape)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeAlias, TypeVar
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from questionnaires.definition import CONTROL_IDS
from questionnaires.evidence_store import EvidenceSettings, EvidenceStore
from questionnaires.portal.passkeys import RelyingParty
from questionnaires.portal.policy import PortalPolicy
from questionnaires.portal.sessions import ActiveSession, csrf_token, resume
from questionnaires.portal.tokens import same
from questionnaires.portal.web.security import cookie_name, is_secure
from questionnaires.portal.web.texts import TEXTS
from vendorwatch.clock import Clock, SystemClock, local_time
from vendorwatch.db import engine as engines
from vendorwatch.i18n import Text
from vendorwatch.registry.models import Name, Registry
from vendorwatch.registry.sync import newest_snapshot_id, registry_of_snapshot

HERE = Path(__file__).resolve().parent
T = TypeVar("T")
DbSession: TypeAlias = Session  # what a route's work is given (routes import no database module themselves)
LANGUAGES = ("ja", "en")


@dataclass
class PortalConfig:
    """How a portal process runs."""

    database_url: str
    evidence: EvidenceSettings
    policy: PortalPolicy = field(default_factory=PortalPolicy)
    public_url: str | None = None  # the origin contacts use; else taken from each request
    clock: Clock = field(default_factory=SystemClock)
    environ: Mapping[str, str] | None = None  # for the SMTP password (tests); the process environment otherwise
    pool_size: int = 20
    concurrent_writes: int = 4  # write transactions at once per process on PostgreSQL (SQLite: one)


def portal_engine(url: str, pool_size: int) -> Engine:
    """The engine of a portal process: SQLite as configured by VendorWatch; PostgreSQL with a pool sized for the
    worker threads (so contacts wait for a connection rarely, and never for long)."""
    url = engines.normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return engines.make_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size, pool_timeout=10)


class Portal:
    """The running portal's shared state."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config
        self.engine = portal_engine(config.database_url, config.pool_size)
        self.store = EvidenceStore(config.evidence)
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(
            enabled_extensions=("html", "j2"), default=True), trim_blocks=True, lstrip_blocks=True)
        self._registry: tuple[int, Registry] | None = None
        self._lock = threading.Lock()
        self.sqlite = engines.is_sqlite(self.engine)
        self._writers = threading.BoundedSemaphore(1 if self.sqlite else config.concurrent_writes)

    def organization_name(self) -> Name | None:
        """The firm's name, once a page has read the registry (for the pages shown before signing in)."""
        with self._lock:
            return self._registry[1].organization.name if self._registry is not None else None

    @property
    def clock(self) -> Clock:
        """The clock."""
        return self.config.clock

    @property
    def policy(self) -> PortalPolicy:
        """Lifetimes and limits."""
        return self.config.policy

    def registry(self, session: Session) -> Registry:
        """The registry in force (parsed once per import, not once per request)."""
        snapshot = newest_snapshot_id(session)
        with self._lock:
            if self._registry is not None and self._registry[0] == snapshot:
                return self._registry[1]
        registry = registry_of_snapshot(session, snapshot) if snapshot is not None else None
        if registry is None:
            raise RuntimeError("no registry has been imported (run vendorwatch init)")
        with self._lock:
            self._registry = (snapshot or 0, registry)
        return registry

    async def db(self, work: Callable[[Session], T], *, writes: bool = False) -> T:
        """Run ``work`` in a worker thread inside one transaction (committed unless it raises).

        Transactions that write take turns, a few at a time per process (one on SQLite): SQLite has one writer at
        a time, and a queued thread starts the moment a turn is free, where SQLite's busy handler would make it
        sleep and retry with growing pauses; on PostgreSQL every write appends to the audit chain under one lock
        held until commit, and the fewer threads compete for the interpreter, the sooner its holder commits.
        """
        def run() -> T:
            turn = self._writers if writes else contextlib.nullcontext()
            with turn, engines.session_scope(self.engine) as session:
                return work(session)
        return await run_in_threadpool(run)

    def relying_party(self, request: Request) -> RelyingParty:
        """Whom passkeys are bound to: the configured public origin, else this request's."""
        if self.config.public_url:
            return RelyingParty.for_origin(self.config.public_url)
        return RelyingParty.for_origin(f"{request.url.scheme}://{request.url.netloc}")


def language(request: Request) -> str:
    """``?lang=`` over the language cookie over Japanese."""
    chosen = request.query_params.get("lang") or request.cookies.get("vwp_lang") or "ja"
    return chosen if chosen in LANGUAGES else "ja"


def binding(request: Request) -> str:
    """The browser-binding value the middleware put on the request."""
    return str(request.scope.get("state", {}).get("binding", ""))


def form_token(request: Request) -> str:
    """The token every form of this browser carries."""
    return csrf_token(binding(request))


def token_ok(request: Request, given: object) -> bool:
    """Whether a posted token is this browser's."""
    return isinstance(given, str) and bool(given) and same(given, form_token(request))


def session_cookie(request: Request) -> str:
    """The session cookie's name on this connection."""
    return cookie_name("vwp_s", is_secure(request.scope))


def client_of(request: Request) -> str | None:
    """The client's address (from X-Forwarded-For only when the operator trusts the proxy)."""
    return request.client.host if request.client else None


async def signed_in(portal: Portal, request: Request) -> ActiveSession | None:
    """The session of this request, if it is in force."""
    secret = request.cookies.get(session_cookie(request))
    if not secret:
        return None
    return await portal.db(lambda s: resume(s, secret, clock=portal.clock, policy=portal.policy,
                                            registry=portal.registry(s)))


def render(portal: Portal, request: Request, template: str, *, status: int = 200,
           active: ActiveSession | None = None, **values: Any) -> HTMLResponse:
    """A page in the request's language."""
    lang = language(request)

    def tr(key: str, **fill: object) -> str:
        text = TEXTS[key].get(lang)
        return text.format(**fill) if fill else text

    def tx(value: Text | Name | None) -> str:
        return (value.en if lang == "en" else value.ja) if value is not None else ""

    zone = str(values.get("zone") or "Asia/Tokyo")

    def when(value: datetime | None) -> str:
        return local_time(value, zone)

    def due(value: datetime) -> str:
        """A due instant (the midnight after the due date) as the date people were given."""
        day = (value - timedelta(microseconds=1)).astimezone(ZoneInfo(zone)).date().isoformat()
        return f"{day} まで" if lang == "ja" else f"by {day}"

    def size(value: int) -> str:
        return f"{value} B" if value < 1024 else f"{value / 1024:.0f} KB" if value < 1024 * 1024 \
            else f"{value / (1024 * 1024):.1f} MB"

    values.setdefault("org", portal.organization_name())
    page = portal.templates.get_template(template).render(
        _=tr, tx=tx, when=when, due=due, size=size, lang=lang, csrf=form_token(request), active=active, path=request.url.path,
        controls=CONTROL_IDS, **values)
    response = HTMLResponse(page, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("vwp_lang", lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                            secure=is_secure(request.scope))
    return response
