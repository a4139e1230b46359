"""Render a digest in one language: the HTML e-mail and its plain-text part, and the print HTML made into a PDF.

jinja2 with autoescape for every ``.html.j2`` template (all text from the database is data) and
``StrictUndefined`` (a misspelt field is an error, not an empty cell). WeasyPrint lays out the print HTML with
IPAex Gothic; the charts are SVG in the PDF and PNG in the e-mail.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from vendorwatch.digest import labels
from vendorwatch.digest.charts import Chart, board_charts
from vendorwatch.digest.fonts import FAMILY
from vendorwatch.digest.model import Digest
from vendorwatch.digest.period import DigestMonth
from vendorwatch.i18n import Text, t

TITLE = t("委託先リスク月次報告", "Monthly vendor risk digest")
CONFIDENTIAL = t("社外秘", "Confidential")


@dataclass(frozen=True)
class RenderedDigest:
    """A digest's documents in one language."""

    language: str
    subject: str
    html: str  # the e-mail's HTML, self-contained (charts as data: URIs) as stored and written to files
    mail_html: str  # the same HTML with the charts as inline attachments (cid:), as mail clients want
    text: str
    pdf: bytes
    charts: list[Chart]

    def cid(self, chart: Chart) -> str:
        """The Content-ID of a chart in the e-mail."""
        return chart_cid(chart.name, self.language)


def chart_cid(name: str, language: str) -> str:
    """The Content-ID of a chart in the e-mail."""
    return f"{name}.{language}@digest.vendorwatch"


@cache
def environment() -> Environment:
    """The template environment (HTML autoescaped, text not)."""
    return Environment(
        loader=PackageLoader("vendorwatch.digest", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )


def helpers(language: str, zone: str) -> dict[str, Any]:
    """What the templates use to say things in the chosen language."""
    tz = ZoneInfo(zone)

    def loc(value: Text | None) -> str:
        return "" if value is None else value.get(language)

    def when(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    def day(value: datetime | None) -> str:
        return "" if value is None else value.astimezone(tz).strftime("%Y-%m-%d")

    def last_day(value: datetime | None) -> str:
        """The local day before an exclusive end instant."""
        return "" if value is None else (value - timedelta(microseconds=1)).astimezone(tz).strftime("%Y-%m-%d")

    def num(value: float | int | None) -> str:
        return "—" if value is None else format_decimal(value, locale="ja_JP" if language == "ja" else "en_US")

    def css(value: str) -> Markup:
        """A value inside a CSS string (the page's running headers): quotes, backslashes and tags cannot escape it."""
        cleaned = "".join(ch for ch in value if ch.isprintable())
        escaped = "".join(f"\\{ord(ch):x} " if ch in '\\"<>&' else ch for ch in cleaned)
        return Markup(f'"{escaped}"')  # noqa: S704 (every character that could end the string is escaped)

    def pick(table: dict[str, Text]) -> Callable[[str | None], str]:
        return lambda key: labels.label(table, key).get(language)

    return {
        "lang": language, "L": lambda ja, en: en if language == "en" else ja, "loc": loc, "when": when, "day": day,
        "last_day": last_day, "num": num, "css": css, "sev": pick(labels.SEVERITY), "level": pick(labels.LEVEL),
        "status": pick(labels.STATUS), "state": pick(labels.SOURCE_STATE), "cstatus": pick(labels.CONTROL_STATUS),
        "tier": pick(labels.TIER), "severities": labels.SEVERITIES, "font": FAMILY, "zone_name": zone,
        "title": TITLE.get(language), "confidential": CONFIDENTIAL.get(language),
    }


def subject(digest: Digest, language: str) -> str:
    """``[VendorWatch] 委託先リスク月次報告（2026年11月）総合リスク：重大（84）``.

    No space between Japanese words: mail readers drop the space between two encoded words of a header.
    """
    month = DigestMonth.parse(digest.month).label(language)
    board = digest.board
    level = labels.LEVEL[board.overall_level] if board.overall_level else None
    if language == "en":
        overall = f"overall risk: {level.en.lower()} ({board.overall_score})" if level else "no evaluation"
        return f"[VendorWatch] {'[provisional] ' if digest.provisional else ''}{TITLE.en}, {month} - {overall}"
    overall = f"総合リスク：{level.ja}（{board.overall_score}）" if level else "評価データなし"
    return f"[VendorWatch] {'【速報】' if digest.provisional else ''}{TITLE.ja}（{month}）{overall}"


def _data_uri(mime: str, content: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def render_digest(digest: Digest, language: str) -> RenderedDigest:
    """Every document of a digest in one language."""
    from weasyprint import HTML

    env = environment()
    charts = board_charts(digest.board.trend, language)
    base = {**helpers(language, digest.timezone), "digest": digest, "board": digest.board,
            "month_label": DigestMonth.parse(digest.month).label(language)}
    rendered_subject = subject(digest, language)
    by_name = {c.name: c for c in charts}
    email = env.get_template("email.html.j2")
    html = email.render(**base, subject=rendered_subject,
                        chart=lambda name: _data_uri("image/png", by_name[name].png))
    mail_html = email.render(**base, subject=rendered_subject, chart=lambda name: f"cid:{chart_cid(name, language)}")
    text = env.get_template("email.txt.j2").render(**base, subject=rendered_subject)
    printed = env.get_template("print.html.j2").render(
        **base, subject=rendered_subject, chart=lambda name: _data_uri("image/svg+xml", by_name[name].svg))
    pdf = HTML(string=printed).write_pdf()
    assert pdf is not None
    return RenderedDigest(language=language, subject=rendered_subject, html=html, mail_html=mail_html, text=text,
                          pdf=pdf, charts=charts)


def print_html(digest: Digest, language: str) -> str:
    """The print HTML alone (for looking at the layout in a browser)."""
    charts = {c.name: c for c in board_charts(digest.board.trend, language)}
    base = {**helpers(language, digest.timezone), "digest": digest, "board": digest.board,
            "month_label": DigestMonth.parse(digest.month).label(language)}
    return environment().get_template("print.html.j2").render(
        **base, subject=subject(digest, language), chart=lambda name: _data_uri("image/svg+xml", charts[name].svg))
