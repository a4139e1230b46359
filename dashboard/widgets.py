"""Small rendering helpers shared by the pages: times, flags, markdown-safe text, pagination."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import streamlit as st

from dashboard.context import PageContext
from dashboard.texts import SEVERITY, label, text, tr
from vendorwatch.clock import local_time
from vendorwatch.views.findings import FIRM_WIDE
from vendorwatch.views.paging import Page

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$])")
BADGE_COLOURS = {"critical": "red", "high": "orange", "medium": "yellow", "low": "blue", "info": "gray", "none": "green"}


def md(value: object) -> str:
    """Data made safe to put inside markdown: every markdown character escaped (no links, images, markup)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ")


def code(value: object) -> str:
    """Data as inline code in markdown (nothing inside code is markup; backticks cannot close it early)."""
    return "`` " + str(value).replace("`", "'").replace("\n", " ") + " ``"


def when(ctx: PageContext, value: datetime | None) -> str:
    """A stored UTC time shown in the organization's zone (Asia/Tokyo)."""
    return local_time(value, ctx.zone)


def vendor_label(vendor_id: str | None) -> str:
    """A vendor id as shown in a table; 当社全体 / Firm-wide for a finding about the firm itself."""
    return text(FIRM_WIDE) if vendor_id is None else vendor_id


def size_text(size: int) -> str:
    """A file size people read: 812 B, 14.2 KB, 3.1 MB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def flag(value: bool | None) -> str:
    """✓ / ✗ / — for yes, no, unknown."""
    return "—" if value is None else ("✓" if value else "✗")


def severity_badge(severity: str) -> str:
    """A coloured markdown badge for a severity (labels are ours, never data)."""
    return f":{BADGE_COLOURS.get(severity, 'gray')}-badge[{label(SEVERITY, severity)}]"


def pager(page: Page[Any], *, key: str) -> None:
    """'a–b of N' and, when there is more than one page, a page selector bound to ``key``."""
    st.caption(tr(f"{page.total:,} 件中 {page.first_index:,}–{page.last_index:,} 件を表示",
                  f"showing {page.first_index:,}–{page.last_index:,} of {page.total:,}"))
    if page.pages > 1:
        st.number_input(tr(f"ページ（全 {page.pages:,}）", f"Page (of {page.pages:,})"), min_value=1,
                        max_value=page.pages, step=1, key=key)


def page_number(key: str) -> int:
    """The page the selector bound to ``key`` points at (1 before it exists)."""
    value = st.session_state.get(key, 1)
    return int(value) if isinstance(value, int | float) and value >= 1 else 1
