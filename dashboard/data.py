"""Cached reads of the read models (``vendorwatch.views``) for the pages.

Every cached function takes the database URL, whether personal data is masked, and the data version, so a
cache entry is only ever served for the same database, the same masking state and the same data. Masked
results are shared by every session (they hold no personal data); unmasked results are cached per session
only (``scope="session"``), so what one manager unmasked is never served to anyone else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar, cast

import streamlit as st
from sqlmodel import Session

from dashboard.context import CLOCK, PageContext, engine_for, registry_for
from vendorwatch.registry.models import Registry
from vendorwatch.trail.query import TrailCursor, TrailFilter, TrailPage, count_trail, trail_page
from vendorwatch.views import board, findings, portal_contacts, portfolio, questionnaires, staff, trends, vendor_detail
from vendorwatch.views.paging import Page
from vendorwatch.views.personal import Masker

TTL_SECONDS = 300  # the data version already invalidates on change; this bounds memory for idle entries
F = TypeVar("F", bound=Callable[..., Any])
_CLEARERS: list[Callable[[], None]] = []


def by_masking(function: F) -> F:
    """Cache ``function(url, masked, version, ...)`` globally when masked, per session when unmasked."""
    shared = st.cache_data(ttl=TTL_SECONDS, max_entries=256, show_spinner=False)(function)
    private = st.cache_data(ttl=TTL_SECONDS, max_entries=32, show_spinner=False, scope="session")(function)

    @functools.wraps(function)
    def call(url: str, masked: bool, *args: Any) -> Any:
        return (shared if masked else private)(url, masked, *args)

    _CLEARERS.extend((shared.clear, private.clear))
    return cast(F, call)


def clear() -> None:
    """Forget every cached read (after a change made here, before the rerun that shows it)."""
    for clear_one in _CLEARERS:
        clear_one()


def _registry(url: str, version: tuple[int, int, int]) -> Registry:
    registry = registry_for(url, version[2])
    assert registry is not None
    return registry


def _masker(url: str, masked: bool, version: tuple[int, int, int]) -> Masker:
    return Masker.for_registry(_registry(url, version), masked=masked)


@by_masking
def _portfolio(url: str, masked: bool, version: tuple[int, int, int]) -> portfolio.Portfolio:
    with Session(engine_for(url)) as session:
        return portfolio.portfolio(session, _registry(url, version), CLOCK, _masker(url, masked, version),
                                   reasons_per_vendor=3)


@by_masking
def _trend(url: str, masked: bool, version: tuple[int, int, int], until: date) -> trends.PortfolioTrend:
    registry = _registry(url, version)
    with Session(engine_for(url)) as session:
        return trends.portfolio_trend(session, until, [v.id for v in registry.vendors])


@by_masking
def _explanation(url: str, masked: bool, version: tuple[int, int, int], vendor_id: str) -> tuple[portfolio.Reason, ...]:
    with Session(engine_for(url)) as session:
        return portfolio.score_explanation(session, _registry(url, version), CLOCK, _masker(url, masked, version),
                                           vendor_id)


@by_masking
def _vendor_header(url: str, masked: bool, version: tuple[int, int, int], vendor_id: str) -> vendor_detail.VendorHeader:
    return vendor_detail.vendor_header(_registry(url, version), vendor_id, _masker(url, masked, version))


@by_masking
def _vendor_tree(url: str, masked: bool, version: tuple[int, int, int], vendor_id: str) -> tuple[vendor_detail.TreeNode, ...]:
    with Session(engine_for(url)) as session:
        return vendor_detail.vendor_tree(session, _registry(url, version), CLOCK, vendor_id)


@by_masking
def _principals(url: str, masked: bool, version: tuple[int, int, int], vendor_id: str, number: int, size: int,
                include_gone: bool, kind: str | None) -> Page[vendor_detail.PrincipalRow]:
    with Session(engine_for(url)) as session:
        return vendor_detail.principals_page(session, vendor_id, CLOCK, _masker(url, masked, version), number=number,
                                             size=size, include_gone=include_gone, kind=kind)


@by_masking
def _roster(url: str, masked: bool, version: tuple[int, int, int], vendor_id: str,
            today: date) -> tuple[vendor_detail.RosterRow, ...]:
    with Session(engine_for(url)) as session:
        return vendor_detail.roster(session, _registry(url, version), vendor_id, today, _masker(url, masked, version))


@by_masking
def _transfers(url: str, masked: bool, version: tuple[int, int, int], vendor_id: str, number: int,
               size: int) -> Page[vendor_detail.TransferRow]:
    with Session(engine_for(url)) as session:
        return vendor_detail.transfers_page(session, vendor_id, _masker(url, masked, version), number=number, size=size)


@by_masking
def _portal_contacts(url: str, masked: bool, version: tuple[int, int, int], vendor_ids: tuple[str, ...],
                     minute: str) -> portal_contacts.PortalContacts:
    with Session(engine_for(url)) as session:
        return portal_contacts.portal_contacts(session, _registry(url, version), vendor_ids, CLOCK,
                                               _masker(url, masked, version))


@by_masking
def _findings(url: str, masked: bool, version: tuple[int, int, int], query_json: str, number: int,
              size: int) -> Page[findings.FindingRow]:
    query = findings.FindingQuery.model_validate_json(query_json)
    registry = _registry(url, version)
    with Session(engine_for(url)) as session:
        return findings.find_findings(session, query, zone=registry.organization.timezone,
                                      masker=_masker(url, masked, version), number=number, size=size)


@by_masking
def _finding(url: str, masked: bool, version: tuple[int, int, int], finding_id: int) -> findings.FindingDetail | None:
    with Session(engine_for(url)) as session:
        return findings.finding_detail(session, finding_id, _masker(url, masked, version))


@by_masking
def _firm_wide(url: str, masked: bool, version: tuple[int, int, int]) -> dict[str, int]:
    with Session(engine_for(url)) as session:
        return findings.firm_wide_open(session)


@by_masking
def _questionnaires(url: str, masked: bool, version: tuple[int, int, int],
                    vendor_ids: tuple[str, ...] | None) -> questionnaires.Overview:
    with Session(engine_for(url)) as session:
        return questionnaires.overview(session, _registry(url, version), CLOCK,
                                       vendor_ids=list(vendor_ids) if vendor_ids is not None else None)


@by_masking
def _review(url: str, masked: bool, version: tuple[int, int, int], request_id: int) -> questionnaires.Review:
    with Session(engine_for(url)) as session:
        return questionnaires.review(session, _registry(url, version), request_id, CLOCK, _masker(url, masked, version))


@by_masking
def _documents(url: str, masked: bool, version: tuple[int, int, int],
               vendor_ids: tuple[str, ...] | None) -> tuple[questionnaires.DocumentLine, ...]:
    with Session(engine_for(url)) as session:
        return questionnaires.documents(session, _registry(url, version), CLOCK, _masker(url, masked, version),
                                        vendor_ids=list(vendor_ids) if vendor_ids is not None else None)


@by_masking
def _board(url: str, masked: bool, version: tuple[int, int, int], month: str) -> board.BoardReport:
    with Session(engine_for(url)) as session:  # the digest masks people itself, whoever reads it
        return board.board_report(session, _registry(url, version), month, CLOCK)


@by_masking
def _last_month(url: str, masked: bool, version: tuple[int, int, int]) -> str | None:
    with Session(engine_for(url)) as session:
        return board.last_evaluated_month(session)


@by_masking
def _digests(url: str, masked: bool, version: tuple[int, int, int]) -> tuple[board.DigestSummary, ...]:
    with Session(engine_for(url)) as session:
        return board.stored_digests(session)


@by_masking
def _digest_text(url: str, masked: bool, version: tuple[int, int, int], digest_id: int) -> str | None:
    with Session(engine_for(url)) as session:
        stored = board.stored_digest(session, digest_id)
    return stored.text if stored else None


@by_masking
def _trail(url: str, masked: bool, version: tuple[int, int, int], where: TrailFilter, after: str | None,
           size: int) -> TrailPage:
    with Session(engine_for(url)) as session:
        return trail_page(session, where, _masker(url, masked, version),
                          after=TrailCursor.from_token(after) if after else None, size=size)


@by_masking
def _trail_count(url: str, masked: bool, version: tuple[int, int, int], where: TrailFilter) -> int:
    with Session(engine_for(url)) as session:
        return count_trail(session, where)


@by_masking
def _staff(url: str, masked: bool, version: tuple[int, int, int]) -> tuple[staff.StaffRow, ...]:
    with Session(engine_for(url)) as session:
        return staff.staff_accounts(session, CLOCK, _masker(url, masked, version))


@by_masking
def _sign_ins(url: str, masked: bool, version: tuple[int, int, int]) -> tuple[staff.SignInRow, ...]:
    with Session(engine_for(url)) as session:
        return staff.recent_sign_ins(session, limit=100)


# --- what the pages call -------------------------------------------------------------------------------


def portfolio_of(ctx: PageContext) -> portfolio.Portfolio:
    """Every vendor with its figures, and the heat map."""
    return _portfolio(ctx.url, ctx.masked, ctx.version)


def trend_of(ctx: PageContext) -> trends.PortfolioTrend:
    """The last twelve months of open findings and scores."""
    return _trend(ctx.url, ctx.masked, ctx.version, ctx.today)


def explanation_of(ctx: PageContext, vendor_id: str) -> tuple[portfolio.Reason, ...]:
    """Every reason behind a vendor's score."""
    return _explanation(ctx.url, ctx.masked, ctx.version, vendor_id)


def vendor_header_of(ctx: PageContext, vendor_id: str) -> vendor_detail.VendorHeader:
    """Who the vendor is."""
    return _vendor_header(ctx.url, ctx.masked, ctx.version, vendor_id)


def vendor_tree_of(ctx: PageContext, vendor_id: str) -> tuple[vendor_detail.TreeNode, ...]:
    """The vendor's sub-vendors, environments and sources."""
    return _vendor_tree(ctx.url, ctx.masked, ctx.version, vendor_id)


def principals_of(ctx: PageContext, vendor_id: str, number: int, size: int, include_gone: bool,
                  kind: str | None) -> Page[vendor_detail.PrincipalRow]:
    """A page of the vendor's principals."""
    return _principals(ctx.url, ctx.masked, ctx.version, vendor_id, number, size, include_gone, kind)


def roster_of(ctx: PageContext, vendor_id: str) -> tuple[vendor_detail.RosterRow, ...]:
    """The vendor's roster with its leavers."""
    return _roster(ctx.url, ctx.masked, ctx.version, vendor_id, ctx.today)


def transfers_of(ctx: PageContext, vendor_id: str, number: int, size: int) -> Page[vendor_detail.TransferRow]:
    """A page of the vendor's transfers with their approvals."""
    return _transfers(ctx.url, ctx.masked, ctx.version, vendor_id, number, size)


def portal_contacts_of(ctx: PageContext, vendor_ids: tuple[str, ...]) -> portal_contacts.PortalContacts:
    """Who at these vendors can use the vendor portal: accounts, invitations, sign-in methods, lockouts (read again
    every minute too: a lockout or an invitation ends with time, not only with an audited change)."""
    minute = ctx.clock.now().strftime("%Y-%m-%dT%H:%M")
    return _portal_contacts(ctx.url, ctx.masked, ctx.version, vendor_ids, minute)


def findings_of(ctx: PageContext, query: findings.FindingQuery, number: int, size: int) -> Page[findings.FindingRow]:
    """A page of the findings matching a query."""
    return _findings(ctx.url, ctx.masked, ctx.version, query.model_dump_json(), number, size)


def finding_of(ctx: PageContext, finding_id: int) -> findings.FindingDetail | None:
    """One finding with everything behind it."""
    return _finding(ctx.url, ctx.masked, ctx.version, finding_id)


def firm_wide_of(ctx: PageContext) -> dict[str, int]:
    """Open findings about the firm itself (no vendor), by severity."""
    return _firm_wide(ctx.url, ctx.masked, ctx.version)


def staff_of(ctx: PageContext) -> tuple[staff.StaffRow, ...]:
    """Every staff account."""
    return _staff(ctx.url, ctx.masked, ctx.version)


def sign_ins_of(ctx: PageContext) -> tuple[staff.SignInRow, ...]:
    """The newest sign-ins, refusals and sign-outs."""
    return _sign_ins(ctx.url, ctx.masked, ctx.version)


def questionnaires_of(ctx: PageContext, vendor_ids: tuple[str, ...] | None = None) -> questionnaires.Overview:
    """Every campaign and request (of some vendors)."""
    return _questionnaires(ctx.url, ctx.masked, ctx.version, vendor_ids)


def review_of(ctx: PageContext, request_id: int) -> questionnaires.Review:
    """One request's answers beside the telemetry."""
    return _review(ctx.url, ctx.masked, ctx.version, request_id)


def documents_of(ctx: PageContext, vendor_ids: tuple[str, ...] | None = None) -> tuple[questionnaires.DocumentLine, ...]:
    """The evidence documents in force with their expiry."""
    return _documents(ctx.url, ctx.masked, ctx.version, vendor_ids)


def board_of(ctx: PageContext, month: str) -> board.BoardReport:
    """A month's posture per control and vendor, what changed, what is overdue."""
    return _board(ctx.url, ctx.masked, ctx.version, month)


def last_evaluated_month_of(ctx: PageContext) -> str | None:
    """The newest month with an evaluation."""
    return _last_month(ctx.url, ctx.masked, ctx.version)


def digests_of(ctx: PageContext) -> tuple[board.DigestSummary, ...]:
    """The stored monthly digests with their deliveries."""
    return _digests(ctx.url, ctx.masked, ctx.version)


def digest_text_of(ctx: PageContext, digest_id: int) -> str | None:
    """The plain-text version of a stored digest (as its e-mail's text part)."""
    return _digest_text(ctx.url, ctx.masked, ctx.version, digest_id)


def digest_document(ctx: PageContext, digest_id: int, kind: str) -> Callable[[], bytes]:
    """What a download button calls when clicked: a stored digest's PDF or HTML, as stored (not cached)."""

    def read() -> bytes:
        with Session(engine_for(ctx.url)) as session:
            stored = board.stored_digest(session, digest_id)
        if stored is None:
            return b""
        return stored.pdf if kind == "pdf" else stored.html.encode("utf-8")

    return read


def trail_of(ctx: PageContext, where: TrailFilter, after: str | None, size: int) -> TrailPage:
    """One keyset page of the access trail, newest first, after the cursor ``after`` (a token)."""
    return _trail(ctx.url, ctx.masked, ctx.version, where, after, size)


def trail_count_of(ctx: PageContext, where: TrailFilter) -> int:
    """How many events the trail holds."""
    return _trail_count(ctx.url, ctx.masked, ctx.version, where)
