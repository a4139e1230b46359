"""Registries for the scheduler tests: a vendor whose sources are folders the vendor ships files into."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.registry_import import import_registry as import_at
from vendorwatch.clock import Clock, FixedClock
from vendorwatch.registry.models import Registry

HEAD = """\
version: 1
organization:
  name: {{ja: テスト証券, en: Test Securities}}
{organization}
vendors:
  - id: acme
    name: {{ja: アクメ, en: Acme}}
    tier: high
    handles_customer_data: true
    contacts:
      - {{name: 担当 一郎, email: ichiro@acme.example}}
    environments:
      - id: acme-prod
        kind: production
        aws_accounts: ["111111111111"]
    sources:
{sources}
"""


def files_source(source_id: str, folder: Path, *, minutes: int | None = 1, cron: str | None = None,
                 settle_seconds: int = 0, fmt: str = "cloudtrail", sla_hours: int = 24) -> str:
    """A ``files`` source block of the registry."""
    schedule = f"{{cron: \"{cron}\"}}" if cron else (f"{{interval_minutes: {minutes}}}" if minutes else None)
    lines = [f"      - id: {source_id}", "        kind: files", "        environment: acme-prod",
             f"        path: \"{folder}\"", f"        format: {fmt}", f"        settle_seconds: {settle_seconds}",
             f"        sla_hours: {sla_hours}"]
    if schedule:
        lines.append(f"        schedule: {schedule}")
    return "\n".join(lines)


def registry_yaml(*sources: str, organization: str = "") -> str:
    """A whole registry with these source blocks (and extra ``organization`` lines, indented two spaces)."""
    return HEAD.format(sources="\n".join(sources), organization=organization)


def import_registry(engine: Engine, text: str, clock: Clock) -> Registry:
    """Validate and import a registry, as ``vendorwatch init`` does, at the clock's time."""
    return import_at(engine, text, FixedClock(clock.now()))
