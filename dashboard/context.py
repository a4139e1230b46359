"""What every page of a run needs: the database, the registry in force, the time zone, the user and the masker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from vendorwatch.clock import Clock, SystemClock, local_today
from vendorwatch.db.engine import make_engine
from vendorwatch.db.migrate import require_current
from vendorwatch.db.tables import AuditEntry, CollectionRun
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import newest_snapshot_id, registry_of_snapshot
from vendorwatch.settings import Settings
from vendorwatch.staff.accounts import StaffIdentity
from vendorwatch.views.personal import Masker

CLOCK: Clock = SystemClock()


def settings() -> Settings:
    """Read per run: the dashboard process is started with the database of ``vendorwatch dashboard``."""
    return Settings()


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    """One engine (and connection pool) per database for the whole server; fails clearly if not migrated."""
    engine = make_engine(url)
    require_current(engine)
    return engine


@st.cache_resource(show_spinner=False, max_entries=4)
def registry_for(url: str, snapshot_id: int) -> Registry | None:
    """The registry in force, parsed once per imported snapshot (immutable, shared by every session)."""
    with Session(engine_for(url)) as session:
        return registry_of_snapshot(session, snapshot_id)


def data_version(engine: Engine) -> tuple[int, int, int]:
    """Changes whenever the data behind the pages may have: an audited change (evaluation, triage, import) or a
    collection run. Part of every cache key, so a triage is visible at once and a stale view is never served."""
    with Session(engine) as session:
        audit_id = session.execute(select(func.max(AuditEntry.id))).scalar() or 0
        run_id = session.execute(select(func.max(CollectionRun.id))).scalar() or 0
        snapshot_id = newest_snapshot_id(session) or 0
    return int(audit_id), int(run_id), int(snapshot_id)


@dataclass(frozen=True)
class PageContext:
    """One run of one page for one signed-in user."""

    url: str
    engine: Engine
    registry: Registry
    version: tuple[int, int, int]
    user: StaffIdentity
    masked: bool
    clock: Clock

    @property
    def zone(self) -> str:
        """The organization's time zone (Asia/Tokyo unless the registry says otherwise)."""
        return self.registry.organization.timezone

    @property
    def today(self) -> date:
        """Today in the organization's time zone."""
        return local_today(self.clock, self.zone)

    @property
    def masker(self) -> Masker:
        """Masks personal data unless this user unmasked it."""
        return Masker.for_registry(self.registry, masked=self.masked)


CONTEXT_KEY = "vw_page_context"


def current() -> PageContext:
    """The context ``app.py`` prepared for this run (pages are only ever run through it, signed in)."""
    found = st.session_state.get(CONTEXT_KEY)
    if not isinstance(found, PageContext):
        st.stop()
    return found
