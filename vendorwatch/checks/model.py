"""What a check is: typed metadata plus one function that yields finding drafts (after Prowler).

A check never knows where its records came from: it asks the database, through the evaluation context,
for exactly the rows it needs, and names the events and principals that prove each finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine
from sqlmodel import Session

from vendorwatch.checks.knowledge import Knowledge
from vendorwatch.clock import Clock
from vendorwatch.i18n import Text
from vendorwatch.registry.models import Registry, Vendor

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
ControlId = Literal["3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.2.5", "3.2.6", "3.2.7"]
ParameterValue = int | float | str | bool | list[str]
T = TypeVar("T")
MAX_EVENT_IDS = 50  # evidence names at most this many events; details.event_count tells the full number


def severity_rank(severity: str) -> int:
    """0 for critical ... 4 for info (unknown ranks last)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


class CheckMeta(BaseModel):
    """The metadata of a check: what it looks for, how bad it is, what to do, and its tunable thresholds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    control: ControlId
    severity: Severity
    title: Text
    remediation: Text
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    related: list[str] = Field(default_factory=list, description="related guideline items, e.g. 1.2.3")
    kind: Literal["act", "attempt", "posture"] = "posture"
    reads_findings: bool = Field(
        default=False, description="judges other checks' findings: runs after they are reconciled")


def newest_kept(limit: int) -> int:
    """How many of the newest events an evidence sample of ``limit`` keeps beside the first ones: the newest
    event is what tells reconciliation that a condition a person resolved has come back."""
    return min(5, limit // 4)


def first_and_newest(items: Sequence[T], limit: int) -> list[T]:
    """The first items of a time-ordered list and the newest few, ``limit`` in all."""
    if len(items) <= limit:
        return list(items)
    newest = newest_kept(limit)
    return [*items[: limit - newest], *items[len(items) - newest:]] if newest else list(items[:limit])


@dataclass
class Evidence:
    """What proves a finding: the source's own event ids, the principals, and details for a reader."""

    event_ids: list[str] = field(default_factory=list)
    principals: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The stored form (``findings.evidence``)."""
        ids = list(dict.fromkeys(self.event_ids))  # in the order the check found them (by time), once each
        details = dict(self.details)
        if len(ids) > MAX_EVENT_IDS:
            details.setdefault("event_count", len(ids))
            ids = first_and_newest(ids, MAX_EVENT_IDS)
        return {"event_ids": ids, "principals": sorted(set(self.principals)), "details": details}


@dataclass
class FindingDraft:
    """One finding as a check sees it now; reconciliation turns it into a stored, living finding."""

    vendor_id: str | None  # None: a finding about the firm itself (3.2.6), which no vendor's score carries
    subject: str
    evidence: Evidence = field(default_factory=Evidence)
    message: Text | None = None
    severity: Severity | None = None  # overrides the check's severity for this finding only


@dataclass
class EvaluationContext:
    """Everything a check may use: the database, the registry in force, the clock, per-vendor parameters."""

    engine: Engine
    session: Session
    registry: Registry
    clock: Clock
    meta: CheckMeta | None = None
    now: datetime = field(init=False)
    knowledge: Knowledge = field(init=False)

    shared: dict[str, Any] = field(init=False)  # what several checks read once per evaluation

    def __post_init__(self) -> None:
        self.now = self.clock.now()
        self.knowledge = Knowledge(self.registry)
        self.shared = {}

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @property
    def timezone(self) -> str:
        """The organization's time zone (allowed hours are in it)."""
        return self.registry.organization.timezone

    def for_check(self, meta: CheckMeta) -> EvaluationContext:
        """The same context, bound to one check (so ``parameters`` knows whose defaults to use)."""
        bound = EvaluationContext(self.engine, self.session, self.registry, self.clock, meta)
        bound.now = self.now
        bound.knowledge = self.knowledge
        bound.shared = self.shared
        return bound

    @property
    def vendors(self) -> list[Vendor]:
        """Vendors of the registry in force."""
        return list(self.registry.vendors)

    def parameters(self, vendor_id: str | None) -> dict[str, ParameterValue]:
        """The check's parameters for a vendor: defaults, overridden by the registry's ``checks:`` map."""
        assert self.meta is not None, "parameters() needs a context bound to a check"
        values: dict[str, ParameterValue] = dict(self.meta.parameters)
        if vendor_id is None:
            return values
        try:
            vendor = self.registry.vendor(vendor_id)
        except KeyError:
            return values
        values.update(vendor.checks.get(self.meta.id, {}))
        return values

    def vendor_groups(self) -> list[tuple[dict[str, ParameterValue], list[str]]]:
        """Vendors grouped by identical parameters, so one query per distinct setting covers everyone."""
        groups: dict[str, tuple[dict[str, ParameterValue], list[str]]] = {}
        for vendor in self.vendors:
            params = self.parameters(vendor.id)
            key = repr(sorted(params.items()))
            groups.setdefault(key, (params, []))[1].append(vendor.id)
        return list(groups.values())

    def enabled(self, vendor_id: str | None) -> bool:
        """A vendor may switch a check off with ``enabled: false`` in its ``checks:`` map."""
        return bool(self.parameters(vendor_id).get("enabled", True))


CheckFunction = Callable[[EvaluationContext], Iterator[FindingDraft]]


@dataclass(frozen=True)
class Check:
    """A discovered check: its metadata and its function."""

    meta: CheckMeta
    run: CheckFunction
    module: str

    @property
    def id(self) -> str:
        """The stable check id."""
        return self.meta.id


def check(
    *,
    id: str,  # the field is called id everywhere (Prowler, DESIGN.md)
    control: ControlId,
    severity: Severity,
    title: Text,
    remediation: Text,
    parameters: dict[str, ParameterValue] | None = None,
    related: list[str] | None = None,
    kind: Literal["act", "attempt", "posture"] = "posture",
    reads_findings: bool = False,
) -> Callable[[CheckFunction], Check]:
    """Decorate a check function with its metadata; discovery finds the resulting ``Check`` objects."""
    meta = CheckMeta(id=id, control=control, severity=severity, title=title, remediation=remediation,
                     parameters=parameters or {}, related=related or [], kind=kind, reads_findings=reads_findings)

    def wrap(function: CheckFunction) -> Check:
        return Check(meta=meta, run=function, module=function.__module__)

    return wrap
