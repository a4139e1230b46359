"""Monitoring coverage for the screens: each source's health (``vendorwatch.scoring.coverage``) by id and by vendor."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlmodel import Session

from vendorwatch.clock import Clock
from vendorwatch.registry.models import Registry
from vendorwatch.scoring.coverage import SOURCE_STATES, SourceHealth, source_health

COVERAGE_STATES = SOURCE_STATES


@dataclass(frozen=True)
class CoverageCounts:
    """How many sources of a vendor are fresh, stale, failing or never collected."""

    fresh: int = 0
    stale: int = 0
    failing: int = 0
    never: int = 0

    @property
    def total(self) -> int:
        """Sources counted."""
        return self.fresh + self.stale + self.failing + self.never

    @classmethod
    def of(cls, states: dict[str, int]) -> CoverageCounts:
        """From a ``state -> sources`` map (as a posture snapshot stores it)."""
        return cls(**{state: int(states.get(state, 0)) for state in SOURCE_STATES})


def source_coverage(session: Session, registry: Registry, clock: Clock) -> dict[str, SourceHealth]:
    """Every source of the registry in force, by id."""
    return {health.source_id: health for health in source_health(session, registry, clock)}


def coverage_by_vendor(coverage: dict[str, SourceHealth]) -> dict[str, CoverageCounts]:
    """Counts of fresh, stale, failing and never-collected sources per vendor."""
    counts: dict[str, Counter[str]] = {}
    for item in coverage.values():
        counts.setdefault(item.vendor_id, Counter())[item.state] += 1
    return {vendor: CoverageCounts.of(dict(c)) for vendor, c in counts.items()}
